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
