"""The commands that run without a screen: engine and incidents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.model.clock import format_age, utcnow

log = logging.getLogger("warroom")


async def run_engine(config: Config, once: bool) -> int:
    from warroom.cli.check import plans_for
    from warroom.engine import process_identity
    from warroom.engine.runtime import LeaseBusy
    from warroom.engine.store_failures import STORE_FAILURES, describe
    from warroom.engine.wiring import build_engine
    from warroom.model.text import safe_text
    from warroom.store import LeaseLost, open_store

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # one INFO line per request: a poll every few seconds buries what matters
    logging.getLogger("httpx").setLevel(logging.WARNING)
    store = await open_store(config.database)
    planset = plans_for(config)
    for error in planset.errors:
        log.error("%s", error)
    for problem in config.problems:  # a source the running engine will not poll, and why
        log.error("%s", problem)
    engine = build_engine(store, config, planset, process_identity())
    try:
        if once:
            # one cycle is still polling: never beside a running engine
            try:
                results = await engine.run_once()
            except (LeaseBusy, LeaseLost) as exc:
                print(f"warroom: {exc}", file=sys.stderr)
                return 1
            except STORE_FAILURES as exc:
                print(f"warroom: {describe(exc, store.location)}", file=sys.stderr)
                return 2
            failed = [name for name, r in results.items() if r is None]
            reasons = {h.name: h.last_error for h in await store.source_health()} if failed else {}
            for name, result in results.items():
                if result is None:
                    # the reason, as the health record keeps it (an unreadable
                    # source's text is made safe there)
                    why = reasons.get(name) or "see `warroom alerts`"
                    print(f"{name}: poll failed: {safe_text(why, 500)}", file=sys.stderr)
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


async def run_incidents(config: Config, as_json: bool, include_all: bool) -> int:
    from warroom.store import open_store

    # only reads: never creates a database, never waits for a writer's lock
    store = await open_store(config.database, read_only=True)
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
