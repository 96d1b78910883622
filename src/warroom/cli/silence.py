"""`warroom silence`: silence alerts at their Alertmanager, or expire a silence.

`--alert` silences exactly the alerts named (the service's exact silences),
never a neighbour that shares some labels; `--matchers` says what to match outright,
for alerts not firing yet. Either is recorded in the timeline as the console
records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from warroom.cli.outcome import Outcome, acting, report
from warroom.cli.records import key_text
from warroom.config import Config, ConfigError
from warroom.engine import ActionError
from warroom.model import AlertKey
from warroom.model.matchers import Matcher

if TYPE_CHECKING:
    from warroom.sources.base import Source


def _sources(config: Config, names: Sequence[str]) -> list[Source]:
    """Only the sources the command touches get built (and their HTTP clients)."""
    from warroom.sources.registry import build_source

    specs = {s.name: s for s in config.sources}
    unknown = [n for n in dict.fromkeys(names) if n not in specs]
    if unknown:
        configured = ", ".join(specs) or "none"
        raise ConfigError(
            f"no source named {', '.join(map(repr, unknown))} in the config"
            f" (configured: {configured})"
        )
    return [build_source(specs[n]) for n in dict.fromkeys(names)]


def _silencing_source(config: Config, name: str | None) -> str:
    if name is not None:
        return name
    able = [s.name for s in config.sources if s.type == "alertmanager"]
    if len(able) == 1:
        return able[0]
    listed = ", ".join(able) or "none configured"
    raise ConfigError(f"--source is needed with --matchers (sources that can silence: {listed})")


async def run_silence_alerts(
    config: Config, keys: Sequence[AlertKey], duration: timedelta, comment: str, as_json: bool
) -> int:
    keys = list(dict.fromkeys(keys))
    async with acting(config, _sources(config, [k.source for k in keys])) as service:
        known = {t.key for t in await service.store.alerts_by_key(keys)}
        missing = [key_text(k) for k in keys if k not in known]
        if missing:
            message = f"no such alert in the database: {', '.join(missing)}"
            return report([Outcome("silence", False, message)], service.actor, as_json)
        try:
            ids = await service.silence_alerts(keys, duration, comment)
        except ActionError as exc:
            return report([Outcome("silence", False, str(exc))], service.actor, as_json)
        message = f"Silenced {len(keys)} alert(s): {', '.join(ids)}"
        extra = {"silence_ids": ids, "alerts": [key_text(k) for k in keys]}
        return report([Outcome("silence", True, message, extra=extra)], service.actor, as_json)


async def run_silence_matchers(
    config: Config,
    matchers: Sequence[Matcher],
    source: str | None,
    duration: timedelta,
    comment: str,
    as_json: bool,
) -> int:
    name = _silencing_source(config, source)
    async with acting(config, _sources(config, [name])) as service:
        try:
            silence_id = await service.silence_matchers(name, matchers, duration, comment)
        except ActionError as exc:
            return report([Outcome("silence", False, str(exc))], service.actor, as_json)
        message = f"Silenced on {name}: {silence_id}"
        extra = {"source": name, "silence_ids": [silence_id]}
        return report([Outcome("silence", True, message, extra=extra)], service.actor, as_json)


async def run_expire(config: Config, source: str, silence_id: str, as_json: bool) -> int:
    async with acting(config, _sources(config, [source])) as service:
        try:
            await service.expire_silence(source, silence_id)
        except ActionError as exc:
            return report([Outcome("expire", False, str(exc))], service.actor, as_json)
        message = f"Expired silence {silence_id} on {source}"
        extra = {"source": source, "silence_id": silence_id}
        return report([Outcome("expire", True, message, extra=extra)], service.actor, as_json)
