"""`warroom alerts`: poll every source once and print what it reports.

A script's command, raced against amtool: the requests go out before asyncio
and httpx are imported (`sources.early`), and the collector sleeps while tens
of thousands of short-lived dicts are parsed, normalised and printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from warroom.offload import collector_paused
from warroom.sources.base import EarlyPoll, SourceError
from warroom.sources.registry import build_source

if TYPE_CHECKING:
    from warroom.config import Config
    from warroom.model import Alert
    from warroom.sources.base import Source


def alert_json(alert: Alert) -> dict[str, object]:
    # StrEnums encode as their value; labels and annotations are the
    # normaliser's own fresh dicts, so no copies
    return {
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "name": alert.name,
        "state": alert.state,
        "severity": alert.severity,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "url": alert.url,
    }


def run_alerts(config: Config, as_json: bool) -> int:
    # a source that cannot be built fails its fetch with the reason; the others go on
    sources: list[Source] = [build_source(spec) for spec in config.sources]
    for source in sources:
        if isinstance(source, EarlyPoll):
            source.send_early()
    # Everything below loads while the servers work on their answers. One pass
    # over short-lived objects with no cycles: collections would only re-walk a
    # growing heap (about a tenth of the run at 10,000 alerts).
    with collector_paused():
        import asyncio

        import warroom.cli.output  # noqa: F401  (with orjson, ~30 ms: loaded while we wait)

        results = asyncio.run(_fetch_all(sources))
        return _print(results, as_json)


async def _fetch_all(sources: list[Source]) -> list[list[Alert] | SourceError]:
    import asyncio
    import contextlib

    async def fetch(source: Source) -> list[Alert] | SourceError:
        try:
            return await source.fetch()
        except SourceError as exc:
            return exc
        except Exception as exc:  # a source bug: this source failed, the others print
            return SourceError(source.name, f"internal error: {type(exc).__name__}: {exc}")

    try:
        return list(await asyncio.gather(*(fetch(s) for s in sources)))
    finally:
        for s in sources:
            with contextlib.suppress(Exception):
                await s.close()


def _print(results: list[list[Alert] | SourceError], as_json: bool) -> int:
    from warroom.cli.output import print_json_records, print_table
    from warroom.model.clock import format_age, utcnow

    failed = 0
    now = utcnow()
    rows: list[tuple[str, ...]] = []
    for result in results:
        if isinstance(result, SourceError):
            failed = 1
            print(f"warroom: {result}", file=sys.stderr)
            continue
        ordered = sorted(result, key=lambda a: (a.severity.rank, a.starts_at))
        if as_json:
            print_json_records([alert_json(a) for a in ordered], first_key="source")
            continue
        rows.extend(
            (
                alert.severity.value,
                alert.name,
                alert.source,
                format_age(now - alert.starts_at),
                alert.state.value,
                alert.summary,
            )
            for alert in ordered
        )
    if not as_json:
        print_table(("SEVERITY", "NAME", "SOURCE", "AGE", "STATE", "SUMMARY"), rows)
    return failed
