"""Generic HTTP JSON: Zabbix, Nagios, Datadog or an in-house API, mapped in config."""

from __future__ import annotations

from warroom.model import Alert
from warroom.model.clock import utcnow
from warroom.sources.base import SourceSpec
from warroom.sources.http import HttpClient, HttpSettings
from warroom.sources.jsonmap import map_alerts
from warroom.sources.normalise import ShapeError


class HttpJsonSource:
    def __init__(self, spec: SourceSpec) -> None:
        self.name = spec.name
        self.interval = spec.interval
        self.options = spec.options
        self.http = HttpClient(spec.name, HttpSettings.from_spec(spec))

    def send_early(self) -> None:
        self.http.send_early("")

    async def fetch(self) -> list[Alert]:
        payload = await self.http.get_json("")
        try:
            return map_alerts(self.name, payload, self.options, utcnow())
        except ShapeError as exc:
            raise self.http.error(f"unexpected response: {exc}") from exc

    async def close(self) -> None:
        await self.http.close()
