"""What `warroom --demo` loads before its first frame (issue 9: first alerts within 2x
of a bare Textual app).

An import-graph check, not a timing: the console opens its runtime and shows
its first screen as `warroom` does, in a fresh interpreter, and none of the wire
libraries, channel modules, other sources or hidden tabs may have been loaded
by then. Each of these costs the responder start-up time for something the
first screen does not show; they load when a page is sent, a source of that
type polls, or the tab is first shown. bench_startup.py measures the time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The engine's parts its first poll does not use: loaded when the duties start
# (a moment after the lease is won) or on a responder's first action.
LATER_DUTIES = (
    "warroom.engine.delivery",
    "warroom.engine.escalate_duty",
    "warroom.engine.run_duty",
    "warroom.engine.service",
    "warroom.engine.alert_acks",
    "warroom.engine.overrides",
    "warroom.notify.channels",
    "warroom.notify.declare",
)

# Loaded on first use, never for the first frame of the demo console.
NOT_BEFORE_FIRST_FRAME = (
    "httpx",
    "aiosmtplib",
    "botocore",
    "jsonschema",
    "warroom.notify.http",
    "warroom.notify.smtp",
    "warroom.notify.slack",
    "warroom.notify.pagerduty",
    "warroom.notify.teams",
    "warroom.notify.webhook",
    "warroom.sources.alertmanager",
    "warroom.sources.prometheus",
    "warroom.sources.cloudwatch",
    "warroom.sources.httpjson",
    "warroom.tui.incidents_view",
    "warroom.tui.incident_view",
    "warroom.tui.timeline_view",
    "warroom.tui.oncall_view",
    "warroom.tui.silences_view",
    "warroom.tui.sources_view",
    *LATER_DUTIES,
)

_CODE = """
import asyncio, sys
from pathlib import Path
from warroom.config import demo_config
from warroom.cli.console import open_console

async def main():
    async with open_console(demo_config(Path(sys.argv[1])), run_engine=False) as app:
        async with app.run_test(size=(80, 24)):
            await asyncio.wait_for(app.ready.wait(), 60)
            loaded = sorted(m for m in sys.argv[2:] if m in sys.modules)
    assert loaded == [], f"loaded before the first frame: {loaded}"
    # the scan sees what the first frame does use
    assert "warroom.tui.alerts_view" in sys.modules and "warroom.sources.demo" in sys.modules

asyncio.run(main())
"""


def test_the_demo_console_loads_nothing_its_first_frame_does_not_show(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-c", _CODE, str(tmp_path / "warroom.db"), *NOT_BEFORE_FIRST_FRAME],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# The console with its engine: the first alerts shown, then the duties' work done.
_ENGINE_CODE = """
import asyncio, sys
from pathlib import Path
from warroom.config import demo_config
from warroom.cli.console import open_console
from warroom.model.paging import RowState

DUTIES = {"escalate", "deliver", "runbooks", "prune"}

def duties():
    return sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name() in DUTIES)

async def main():
    async with open_console(demo_config(Path(sys.argv[1]))) as app:
        async with app.run_test(size=(80, 24)):
            await asyncio.wait_for(app.ready.wait(), 60)
            table = app.view("alerts").table
            async with asyncio.timeout(60):
                while not table.row_count:
                    await asyncio.sleep(0.01)
            loaded = sorted(m for m in sys.argv[2:] if m in sys.modules)
            assert loaded == [], f"loaded before the first alerts: {loaded}"
            assert duties() == [], f"started before the first alerts: {duties()}"
            now = app.now()
            due = {p.id for p in await app.store.outbox() if p.due_at <= now}
            assert due, "the demo's first poll pages somebody at once"
            # nothing lost by starting later: the duties come, and send what was due
            async with asyncio.timeout(60):
                while duties() != sorted(DUTIES):
                    await asyncio.sleep(0.05)
                while any(p.state.open for p in await app.store.outbox() if p.id in due):
                    await asyncio.sleep(0.05)
            sent = {p.id: p.state for p in await app.store.outbox() if p.id in due}
            assert set(sent.values()) == {RowState.SENT}, sent
            assert all(m in sys.modules for m in sys.argv[2:5]), "the duties' modules"

asyncio.run(main())
"""


def test_the_demo_consoles_first_alerts_wait_for_its_first_poll_alone(tmp_path: Path) -> None:
    """Delivery, escalation, the runbook runner and the service's aggregates are
    neither imported nor running when the first alerts show (issue 9); the
    duties start a moment later and deliver the pages the first poll queued."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-c", _ENGINE_CODE, str(tmp_path / "warroom.db"), *LATER_DUTIES],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
