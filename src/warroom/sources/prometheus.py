"""Prometheus: its own view of alerts (firing and pending), its rules, and range queries.

Alerts here come straight from rule evaluation, before Alertmanager groups or
silences them; `pending` alerts show what is about to fire. The rules and the
range-query clients serve plan coverage and the Metrics tab.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.model.secret import redact_url
from warroom.model.series import AlertRule, Series
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.sources.base import SourceSpec
from warroom.sources.http import HttpClient, HttpSettings
from warroom.sources.normalise import ShapeError, item_labels, string_map, timestamp

ALERTS_PATH = "/api/v1/alerts"
_STATES = {"firing": AlertState.FIRING, "pending": AlertState.PENDING}


def _data(payload: Any) -> Any:
    """Prometheus wraps every answer: {"status": "success", "data": ...}."""
    if not isinstance(payload, dict):
        raise ShapeError(f"expected an object, got {type(payload).__name__}")
    if payload.get("status") != "success":
        error = payload.get("error") or payload.get("status")
        raise ShapeError(f"Prometheus says: {error}")
    return payload.get("data")


def normalise_alerts(source: str, payload: Any) -> list[Alert]:
    data = _data(payload)
    items = data.get("alerts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ShapeError("data.alerts must be a list")
    alerts = []
    for index, raw in enumerate(items):
        try:
            alerts.append(_alert(source, raw))
        except ShapeError as exc:  # the item's position only when it is needed
            raise ShapeError(f"alert {index}: {exc}") from exc
    return alerts


def _alert(source: str, raw: Any) -> Alert:
    item, labels = item_labels(raw)
    state = _STATES.get(str(item.get("state")))
    if state is None:
        raise ShapeError(f"unknown state {item.get('state')!r}")
    return Alert(
        source=source,
        fingerprint=fingerprint_of(labels),
        name=labels.get("alertname", "") or "(no alertname)",
        state=state,
        severity=Severity.parse(labels.get("severity")),
        starts_at=timestamp(item.get("activeAt"), "activeAt"),
        labels=labels,
        annotations=string_map(item.get("annotations"), "annotations"),
    )


class PrometheusSource:
    def __init__(self, spec: SourceSpec) -> None:
        self.name = spec.name
        self.interval = spec.interval
        self.url = redact_url(spec.url)  # where its alerts' generatorURLs point
        self.http = HttpClient(spec.name, HttpSettings.from_spec(spec))

    def send_early(self) -> None:
        self.http.send_early(ALERTS_PATH)

    async def fetch(self) -> list[Alert]:
        payload = await self.http.get_json(ALERTS_PATH)
        data = payload.get("data") if isinstance(payload, dict) else None
        items = data.get("alerts") if isinstance(data, dict) else None
        size = len(items) if isinstance(items, list) else 0
        try:
            return await off_loop(size, OFFLOAD_ITEMS, normalise_alerts, self.name, payload)
        except ShapeError as exc:
            raise self.http.error(f"unexpected response: {exc}") from exc

    async def alert_rules(self) -> list[AlertRule]:
        payload = await self.http.get_json("/api/v1/rules", params={"type": "alert"})
        try:
            data = _data(payload)
            groups = data.get("groups") if isinstance(data, dict) else None
            if not isinstance(groups, list):
                raise ShapeError("data.groups must be a list")
            rules = []
            for group in groups:
                for rule in group.get("rules") or []:
                    if rule.get("type", "alerting") != "alerting":
                        continue
                    rules.append(
                        AlertRule(
                            name=str(rule.get("name")),
                            source=self.name,
                            group=str(group.get("name", "")),
                            query=str(rule.get("query", "")),
                            labels=string_map(rule.get("labels"), "rule labels"),
                            state=str(rule.get("state", "")),
                        )
                    )
            return rules
        except (ShapeError, AttributeError) as exc:
            raise self.http.error(f"unexpected rules: {exc}") from exc

    async def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{max(step.total_seconds(), 1):g}s",
        }
        payload = await self.http.get_json("/api/v1/query_range", params=params)
        try:
            data = _data(payload)
            if not isinstance(data, dict) or data.get("resultType") != "matrix":
                raise ShapeError("expected a matrix result")
            series = []
            for item in data.get("result") or []:
                points = []
                for at, value in item.get("values") or []:
                    number = float(value)
                    if math.isfinite(number):
                        points.append((datetime.fromtimestamp(float(at), UTC), number))
                series.append(Series(string_map(item.get("metric"), "metric"), tuple(points)))
            return series
        except (ShapeError, AttributeError, TypeError, ValueError) as exc:
            raise self.http.error(f"unexpected query result: {exc}") from exc

    async def close(self) -> None:
        await self.http.close()
