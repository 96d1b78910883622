"""Silences mute exactly the chosen alerts, against a real Alertmanager.

As found: selecting 2 of 4 `SvcDown` alerts, (c1,web-1) and (c2,web-2) of the
cross product, produced `cluster=~"c1|c2" instance=~"web-1|web-2"` and muted all
four. And `silence_on_ack` on a storm made one 7-day silence per alert.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.e2e.test_console_silences import amtool_silences
from tests.support.waiting import until
from textual.widgets import Input, Static

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec
from warroom.tui.app import WarroomApp
from warroom.tui.dialogs import ConfirmScreen, SilenceDetailScreen, SilenceScreen

pytestmark = pytest.mark.e2e

CROSS = [("c1", "web-1"), ("c1", "web-2"), ("c2", "web-1"), ("c2", "web-2")]


@pytest.fixture
def am_url(tmp_path: Path) -> Iterator[str]:
    with alertmanager(tmp_path / "am") as url:
        post_alerts(
            url,
            [am_alert("SvcDown", "critical", cluster=c, instance=i) for c, i in CROSS]
            + [am_alert("Flood", "warning", job="api", instance=f"api-{n}") for n in range(30)],
        )
        wait_alert_count(url, 34)
        yield url


@asynccontextmanager
async def console(tmp_path: Path, url: str, **options: object) -> AsyncIterator[WarroomApp]:
    """The console as the CLI builds it, on the Alertmanager at `url`."""
    spec = SourceSpec("am", "alertmanager", interval=timedelta(seconds=1), url=url, options=options)
    async with open_console(
        Config(database=tmp_path / "w.db", sources=(spec,)), actor="alice"
    ) as app:
        app.animation_level = "none"
        yield app


def unsilenced(url: str, name: str) -> list[dict[str, str]]:
    alerts = httpx.get(
        f"{url}/api/v2/alerts",
        params={"silenced": "false", "filter": f'alertname="{name}"'},
        timeout=10,
    ).json()
    return [a["labels"] for a in alerts]


def view_rows(app: WarroomApp) -> int:
    table: Any = app.query_one("#silences-table")
    return int(table.row_count)


def row_of(view: Any, **labels: str) -> str:
    return next(
        k
        for k, t in view.alerts.items()
        if all(t.alert.labels.get(n) == v for n, v in labels.items())
    )


async def select(pilot: Any, view: Any, key: str) -> None:
    view.table.move_cursor(row=view.table.get_row_index(key))
    await pilot.pause()
    await pilot.press("space")
    await pilot.pause()


async def test_two_of_a_cross_product_make_two_exact_silences(tmp_path: Path, am_url: str) -> None:
    async with console(tmp_path, am_url) as app, app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 34)
        await select(pilot, view, row_of(view, cluster="c1", instance="web-1"))
        await select(pilot, view, row_of(view, cluster="c2", instance="web-2"))
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, SilenceScreen))
        preview = str(app.screen.query_one("#silence-preview", Static).render())
        assert "Mutes 2 alert(s) now: exactly the chosen ones" in preview
        await pilot.press(*"failover drill", "enter")
        await until(lambda: len(amtool_silences(am_url)) == 2)
        matchers = sorted(
            sorted((m["name"], m["value"], m["isRegex"]) for m in s["matchers"])  # type: ignore[attr-defined]
            for s in amtool_silences(am_url)
        )
        assert matchers == [
            [
                ("alertname", "SvcDown", False),
                ("cluster", c, False),
                ("instance", i, False),
                ("severity", "critical", False),
            ]
            for c, i in (("c1", "web-1"), ("c2", "web-2"))
        ]
        # Alertmanager itself: the two unchosen alerts still notify
        await until(lambda: len(unsilenced(am_url, "SvcDown")) == 2, seconds=20)
        left = sorted((a["cluster"], a["instance"]) for a in unsilenced(am_url, "SvcDown"))
        assert left == [("c1", "web-2"), ("c2", "web-1")]

        # the Silences tab shows each whole on enter: every matcher and the comment
        await pilot.press("f5")
        await until(lambda: app.query("#silences-table") and view_rows(app) == 2)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, SilenceDetailScreen))
        detail = str(app.screen.query_one(Static).render())
        assert "failover drill" in detail and 'severity="critical"' in detail


async def test_edited_matchers_preview_the_unchosen_alerts_they_would_mute(
    tmp_path: Path, am_url: str
) -> None:
    async with console(tmp_path, am_url) as app, app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 34)
        view.table.move_cursor(row=view.table.get_row_index(row_of(view, instance="web-1")))
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, SilenceScreen))
        field = app.screen.query_one("#matchers", Input)
        field.value = 'alertname="SvcDown"'
        await pilot.pause()
        preview = str(app.screen.query_one("#silence-preview", Static).render())
        assert "Mutes 4 alert(s) now, 3 NOT chosen" in preview
        assert preview.count("✗ not chosen") == 3


async def test_acknowledging_a_storm_makes_one_grouped_silence(tmp_path: Path, am_url: str) -> None:
    async with (
        console(tmp_path, am_url, silence_on_ack=True) as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 34)
        await pilot.press("slash", *'alertname="Flood"', "enter")
        await until(lambda: view.table.row_count == 30)
        await pilot.press("asterisk", "a")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one(Static).render())
        assert "also silenced at am until they resolve" in question
        await pilot.press("enter")
        await until(lambda: len(amtool_silences(am_url)) >= 1)
        await pilot.pause(1.0)
        (silence,) = amtool_silences(am_url)
        by_name = {m["name"]: m for m in silence["matchers"]}  # type: ignore[attr-defined]
        assert by_name["instance"]["isRegex"] is True
        assert sorted(by_name["instance"]["value"].split("|")) == sorted(
            f"api-{n}" for n in range(30)
        )
        await until(lambda: not unsilenced(am_url, "Flood"), seconds=20)
        assert len(unsilenced(am_url, "SvcDown")) == 4  # nothing else muted


async def test_acknowledging_an_alert_already_silenced_makes_no_second_silence(
    tmp_path: Path, am_url: str
) -> None:
    """As found in the trial: an ack of a silenced alert added a duplicate silence."""
    async with (
        console(tmp_path, am_url, silence_on_ack=True) as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 34)
        key = row_of(view, cluster="c2", instance="web-2")
        view.table.focus()
        view.table.move_cursor(row=view.table.get_row_index(key))
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, SilenceScreen))
        await pilot.press(*"by hand", "enter")
        await until(lambda: len(amtool_silences(am_url)) == 1)
        await until(lambda: view.alerts[key].alert.state.value == "suppressed", seconds=20)
        view.table.move_cursor(row=view.table.get_row_index(key))
        await pilot.press("a")
        await until(lambda: view.alerts[key].acknowledged_by == "alice")
        await until(lambda: not app.pending_actions)
        assert len(amtool_silences(am_url)) == 1
