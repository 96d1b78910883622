"""A source that fails keeps its alerts on screen, marked stale, with the reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.loopback import Reply, Request, loopback
from tests.support.waiting import until
from textual.pilot import Pilot

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec
from warroom.tui.app import WarroomApp


def body() -> bytes:
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return json.dumps(
        [
            {
                "labels": {"alertname": name, "severity": "critical", "instance": name.lower()},
                "annotations": {"summary": f"{name} is down"},
                "startsAt": started,
                "fingerprint": name.lower(),
                "status": {"state": "active"},
            }
            for name in ("ApiDown", "DbDown")
        ]
    ).encode()


def plain(app: WarroomApp, selector: str) -> str:
    return str(app.query_one(selector).render())


@asynccontextmanager
async def am_and_demo(
    tmp_path: Path, url: str, **options: object
) -> AsyncIterator[tuple[WarroomApp, Pilot[Any], Any]]:
    """The console running on an Alertmanager at `url` (source `am`, these `options`) and
    the steady demo, each polled every second: (app, pilot, alerts view) once it is ready."""
    am = SourceSpec("am", "alertmanager", interval=timedelta(seconds=1), url=url, options=options)
    demo = SourceSpec("demo", "demo", interval=timedelta(seconds=1), options={"scenario": "steady"})
    config = Config(database=tmp_path / "w.db", sources=(am, demo))
    async with open_console(config, actor="alice") as app, app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        yield app, pilot, app.query_one("#view-alerts")


async def test_failing_source_keeps_alerts_marked_stale_with_reason(tmp_path: Path) -> None:
    good = body()
    answer: list[Reply] = [Reply(200, good)]

    def handler(request: Request) -> Reply:
        return answer[0]

    with loopback(handler) as server:
        async with am_and_demo(tmp_path, server.url) as (app, pilot, view):
            table = view.table

            def state_of(key: str) -> str:
                return str(table.get_cell(key, "state"))

            await until(lambda: "am/apidown" in view.alerts and "am/dbdown" in view.alerts)
            await until(lambda: state_of("am/apidown") == "firing")

            answer[0] = Reply(500, b"upstream exploded")
            await until(lambda: "am" in app.stale_sources)
            await until(lambda: state_of("am/apidown") == "? stale")
            assert state_of("am/dbdown") == "? stale"
            assert set(view.alerts) >= {"am/apidown", "am/dbdown"}  # kept, not resolved
            demo_keys = [k for k in view.alerts if k.startswith("demo/")]
            assert demo_keys and all(state_of(k) != "? stale" for k in demo_keys)
            await until(lambda: "HTTP 500" in plain(app, "#status-sources"))
            assert "✗" in plain(app, "#status-sources")

            await pilot.press("f6")
            await until(lambda: bool(app.query("#sources-table")))
            sources = app.query_one("#sources-table")
            await until(lambda: "HTTP 500" in str(sources.get_cell("am", "error")))  # type: ignore[attr-defined]
            assert "stale" in str(sources.get_cell("am", "health"))  # type: ignore[attr-defined]

            answer[0] = Reply(200, good)
            await until(lambda: "am" not in app.stale_sources)
            await pilot.press("f1")
            await until(lambda: state_of("am/apidown") == "firing")
