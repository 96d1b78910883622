"""Silences from the console against a real Alertmanager, checked with amtool."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import require_binary
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.support.waiting import until, until_awaited

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.engine import silences
from warroom.model import AlertState
from warroom.sources.base import SourceSpec
from warroom.tui.alerts_view import AlertsView
from warroom.tui.app import WarroomApp
from warroom.tui.table import KeyedTable

pytestmark = pytest.mark.e2e


@pytest.fixture
def am_url(tmp_path: Path) -> Iterator[str]:
    with alertmanager(tmp_path / "am") as url:
        post_alerts(
            url,
            [
                am_alert("DiskFull", "critical", instance="db-1"),
                am_alert("TargetDown", "warning", instance="web-1"),
            ],
        )
        wait_alert_count(url, 2)
        yield url


def amtool_silences(url: str, expired: bool = False) -> list[dict[str, object]]:
    amtool = require_binary("amtool", "prometheus-alertmanager")
    args = [amtool, f"--alertmanager.url={url}", "silence", "query", "-o", "json"]
    if expired:
        args.append("--expired")
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
    result: list[dict[str, object]] = json.loads(out or "[]")
    return result


@asynccontextmanager
async def console(tmp_path: Path, url: str, **options: object) -> AsyncIterator[WarroomApp]:
    """The console as the CLI builds it, on the Alertmanager at `url`."""
    spec = SourceSpec("am", "alertmanager", interval=timedelta(seconds=1), url=url, options=options)
    async with open_console(
        Config(database=tmp_path / "w.db", sources=(spec,)), actor="alice"
    ) as app:
        yield app


async def test_silence_from_console_and_expire_it(tmp_path: Path, am_url: str) -> None:
    async with console(tmp_path, am_url) as app, app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        view = app.query_one("#view-alerts", AlertsView)
        await until(lambda: len(view.loaded_alerts) == 2)
        table = view.table
        web = next(
            k for k, t in view.loaded_alerts.items() if t.alert.labels["instance"] == "web-1"
        )
        table.move_cursor(row=table.get_row_index(web))
        await pilot.press("s")
        await pilot.pause()
        matchers = app.screen.query_one("#matchers").value  # type: ignore[attr-defined]
        assert 'instance="web-1"' in matchers and 'alertname="TargetDown"' in matchers
        await pilot.press(*"deploying web-1", "enter")
        await until(lambda: len(amtool_silences(am_url)) == 1)
        (silence,) = amtool_silences(am_url)
        assert silence["createdBy"] == "alice"
        assert silence["comment"] == "deploying web-1"
        events = await app.store.timeline(None)
        assert any(e.kind.value == "silenced" and "deploying web-1" in e.text for e in events)

        await pilot.press("f5")
        await until(
            lambda: (
                app.query("#silences-table")
                and app.query_one("#silences-table", KeyedTable).row_count == 1
            )
        )
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await until(lambda: not amtool_silences(am_url))
        assert [s["id"] for s in amtool_silences(am_url, expired=True)] == [silence["id"]]
        events = await app.store.timeline(None)
        assert any(e.kind.value == "silence-expired" and e.actor == "alice" for e in events)


async def test_acknowledge_silences_until_resolved(
    tmp_path: Path, am_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an alert gone for less than RETURN_GRACE may come back still acknowledged, so its
    # silence waits that long before it is expired: a second here, 5 minutes in life
    monkeypatch.setattr(silences, "RETURN_GRACE", timedelta(seconds=1))
    async with (
        console(tmp_path, am_url, silence_on_ack=True) as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        view = app.query_one("#view-alerts", AlertsView)
        await until(lambda: len(view.loaded_alerts) == 2)
        table = view.table
        db = next(k for k, t in view.loaded_alerts.items() if t.alert.labels["instance"] == "db-1")
        table.move_cursor(row=table.get_row_index(db))
        await pilot.press("a")
        await until(lambda: len(amtool_silences(am_url)) == 1)
        (silence,) = amtool_silences(am_url)
        assert silence["createdBy"] == "alice"
        assert str(silence["comment"]).endswith("expires when the alert resolves")
        # the alert shows as silenced at the source once Alertmanager applies it
        await until(lambda: view.loaded_alerts[db].alert.state is AlertState.SUPPRESSED)

        resolved = am_alert("DiskFull", "critical", instance="db-1")
        resolved["endsAt"] = datetime.now(UTC).isoformat()
        post_alerts(am_url, [resolved])
        await until(lambda: not amtool_silences(am_url), seconds=20)

        # Alertmanager expires the silence first, then warroom records it: wait for
        # the record (reading once raced it, about 1 run in 12)
        async def expiry_recorded() -> bool:
            events = await app.store.timeline(None)
            return any(e.kind.value == "silence-expired" and e.actor == "warroom" for e in events)

        await until_awaited(expiry_recorded, 10, "the expiry in the console log")
