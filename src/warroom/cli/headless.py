"""The commands that run without a screen: engine, alerts, incidents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from warroom.cli.output import print_json_line, print_json_lines, print_table
from warroom.config import Config
from warroom.model import Alert
from warroom.model.clock import format_age, utcnow
from warroom.sources.base import SourceError
from warroom.sources.registry import build_source

log = logging.getLogger("warroom")


async def run_engine(config: Config, once: bool) -> int:
    from warroom.cli.check import plans_for
    from warroom.engine import Engine, process_identity
    from warroom.store import Store

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    store = await Store.open(config.database)
    planset = plans_for(config)
    for error in planset.errors:
        log.error("%s", error)
    engine = Engine.from_specs(store, config.sources, process_identity(), planset.plans)
    try:
        if once:
            # one cycle is still polling: never beside a running engine
            if not await store.try_acquire_lease(engine.holder, engine.lease_ttl):
                lease = await store.lease()
                holder = lease.holder if lease else "another process"
                print(
                    f"warroom: {holder} holds the engine lease and polls; not polling beside it",
                    file=sys.stderr,
                )
                return 1
            try:
                results = await engine.run_once()
            finally:
                await store.release_lease(engine.holder)
            failed = [name for name, r in results.items() if r is None]
            for name, result in results.items():
                if result is None:
                    print(f"{name}: poll failed (see `warroom alerts`)", file=sys.stderr)
                else:
                    print(
                        f"{name}: {result.inserted} new, {result.updated} changed,"
                        f" {result.resolved} resolved, {result.unchanged} unchanged"
                    )
            return 1 if failed else 0
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, lambda: task.cancel() if task else None)
        log.info("engine %s started with %d source(s)", engine.holder, len(engine.sources))
        with contextlib.suppress(asyncio.CancelledError):
            await engine.run()
        return 0
    finally:
        await engine.close()
        await store.close()


def alert_json(alert: Alert) -> dict[str, object]:
    return {
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "name": alert.name,
        "state": alert.state.value,
        "severity": alert.severity.value,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "url": alert.url,
    }


async def run_alerts(config: Config, as_json: bool) -> int:
    sources = [build_source(s) for s in config.sources]

    async def fetch(source: object) -> list[Alert] | SourceError:
        try:
            return await source.fetch()  # type: ignore[attr-defined,no-any-return]
        except SourceError as exc:
            return exc

    try:
        results = await asyncio.gather(*(fetch(s) for s in sources))
    finally:
        for s in sources:
            await s.close()
    failed = False
    now = utcnow()
    rows = []
    for result in results:
        if isinstance(result, SourceError):
            failed = True
            print(f"warroom: {result}", file=sys.stderr)
            continue
        ordered = sorted(result, key=lambda a: (a.severity.rank, a.starts_at))
        if as_json:
            print_json_lines(alert_json(a) for a in ordered)
            continue
        for alert in ordered:
            rows.append(
                (
                    alert.severity.value,
                    alert.name,
                    alert.source,
                    format_age(now - alert.starts_at),
                    alert.state.value,
                    alert.summary,
                )
            )
    if not as_json:
        print_table(("SEVERITY", "NAME", "SOURCE", "AGE", "STATE", "SUMMARY"), rows)
    return 1 if failed else 0


async def run_incidents(config: Config, as_json: bool, include_all: bool) -> int:
    from warroom.store import Store

    store = await Store.open(config.database)
    try:
        incidents = await store.incidents(include_resolved=include_all)
    finally:
        await store.close()
    if as_json:
        for i in incidents:
            print_json_line(
                {
                    "id": i.id,
                    "title": i.title,
                    "impact": int(i.impact),
                    "status": i.status.value,
                    "plan": i.plan,
                    "dedupe_key": i.dedupe_key,
                    "alert_count": i.alert_count,
                    "created_at": i.created_at.isoformat(),
                    "acknowledged_by": i.acknowledged_by,
                    "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
                }
            )
        return 0
    now = utcnow()
    print_table(
        ("ID", "IMPACT", "STATUS", "AGE", "ALERTS", "ACK BY", "TITLE"),
        [
            (
                i.id,
                i.impact.label,
                i.status.value,
                format_age(now - i.created_at),
                i.alert_count,
                i.acknowledged_by or "-",
                i.title,
            )
            for i in incidents
        ],
    )
    return 0
