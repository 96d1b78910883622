"""Keys never wait on the network: an action runs in the background, the cursor moves on.

Alertmanager is real; a loopback proxy in front of it answers silence calls
after 3 s, as a loaded Alertmanager across a WAN does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.e2e.test_console_silences import amtool_silences
from tests.support.waiting import until
from textual.widgets import Static

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec
from warroom.tui.dialogs import SilenceScreen

pytestmark = pytest.mark.e2e

SLOW = 3.0


def pass_on(real: str, request: Request) -> httpx.Response:
    """The request as the proxy received it, sent on to the real Alertmanager."""
    return httpx.request(
        request.method,
        f"{real}{request.path}",
        params=dict(request.query),
        content=request.body,
        headers={"Content-Type": request.headers.get("content-type", "application/json")},
        timeout=30,
    )


@pytest.fixture
def slow_am(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the proxy's URL, the real Alertmanager's URL)."""
    with alertmanager(tmp_path / "am") as real:
        post_alerts(
            real, [am_alert("TargetDown", "warning", instance=f"web-{n}") for n in range(5)]
        )
        wait_alert_count(real, 5)

        def forward(request: Request) -> Reply:
            if "/silences" in request.path:
                time.sleep(SLOW)
            answer = pass_on(real, request)
            return Reply(answer.status_code, answer.content)

        with loopback(forward) as proxy:
            yield proxy.url, real


async def test_cursor_moves_while_a_silence_waits_on_alertmanager(
    tmp_path: Path, slow_am: tuple[str, str]
) -> None:
    proxy, real = slow_am
    spec = SourceSpec("am", "alertmanager", interval=timedelta(seconds=1), url=proxy, options={})
    config = Config(database=tmp_path / "w.db", sources=(spec,))
    async with open_console(config, actor="alice") as app, app.run_test(size=(100, 30)) as pilot:
        app.animation_level = "none"
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 5)
        view.table.focus()
        view.table.move_cursor(row=0)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, SilenceScreen))
        await pilot.press(*"rolling restart", "enter")
        await until(lambda: not isinstance(app.screen, SilenceScreen))
        for row in (1, 2, 3):
            await pilot.press("down")
            assert view.table.cursor_row == row
        # the silence is still on its way, and the screen says so
        assert app.pending_actions and app.pending_actions[0].startswith("Silencing")
        assert "⧗ Silencing 1 alert(s)" in str(app.query_one("#pending", Static).render())
        await until(lambda: len(amtool_silences(real)) == 1, seconds=15)
        await until(lambda: not app.pending_actions)
        assert not app.query_one("#pending", Static).display


@pytest.fixture
def late_am(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A proxy that passes the silence POST to Alertmanager, then answers too late."""
    with alertmanager(tmp_path / "am") as real:
        post_alerts(real, [am_alert("CertExpiring", "warning", instance="lb-1")])
        wait_alert_count(real, 1)

        def forward(request: Request) -> Reply:
            answer = pass_on(real, request)
            if request.method == "POST" and "/silences" in request.path:
                time.sleep(3)  # made at Alertmanager; the answer comes after warroom's timeout
            return Reply(answer.status_code, answer.content)

        with loopback(forward) as proxy:
            yield proxy.url, real


async def test_a_silence_whose_answer_timed_out_is_found_recorded_and_not_made_twice(
    tmp_path: Path, late_am: tuple[str, str]
) -> None:
    """As found: Alertmanager stopped, `s`, "no answer within 10s" -- yet the silence
    was made, with no trace in warroom, and a retry made a second one."""
    proxy, real = late_am
    spec = SourceSpec(
        "am", "alertmanager", interval=timedelta(seconds=1), url=proxy, options={"timeout": "1s"}
    )
    config = Config(database=tmp_path / "w.db", sources=(spec,))
    async with open_console(config, actor="alice") as app, app.run_test(size=(100, 30)) as pilot:
        app.animation_level = "none"
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: len(view.alerts) == 1)
        for attempt in range(2):  # the responder tries again
            view.table.focus()
            await pilot.press("s")
            await until(lambda: isinstance(app.screen, SilenceScreen))
            await pilot.press(*"cert renewal", "enter")
            await until(lambda: not app.pending_actions, seconds=15)
            if attempt == 0:  # found and recorded after the first, timed-out, try
                (made,) = amtool_silences(real)
                assert await app.store.silence_record("am", str(made["id"])) is not None
        (silence,) = amtool_silences(real)
        record = await app.store.silence_record("am", str(silence["id"]))
        assert record is not None and record.created_by == "alice"
        events = await app.store.timeline(None)
        silenced = [e for e in events if e.kind.value == "silenced"]
        assert silenced and all(e.data["silence_id"] == silence["id"] for e in silenced)
