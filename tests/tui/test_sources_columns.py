"""The Sources tab at 80x24: its columns never run together.

Found in the #8 acceptance trial with a real Alertmanager killed: the row read
`am        ⚠ failingnow      500` -- the health word was as wide as its column,
so it ran into the age of the last good poll (the friction #8 names for the
Alerts tab, `16h49mfiring`, on another tab).
"""

from __future__ import annotations

import re

from tests.tui.conftest import Harness


def source_line(screen: str, name: str) -> str:
    return next(line for line in screen.splitlines() if line.strip().startswith(name))


async def test_a_failing_source_reads_apart_from_its_last_good_poll(console: Harness) -> None:
    async with console.store() as store, store.transaction() as tx:
        await tx.record_poll("demo", 15, ok=True, alert_count=500)
        await tx.record_poll("demo", 15, ok=False, error="connection refused")
    async with console.start() as ui:
        await ui.press("f6")
        await ui.wait_for(lambda: "failing" in ui.screen(), what="the failing source")
        line = source_line(ui.screen(), "demo")
        assert re.search(r"⚠ failing +now +500 +15s +connection refused", line), line


async def test_a_source_never_polled_reads_apart_from_its_dashes(console: Harness) -> None:
    async with console.start() as ui:
        await ui.press("f6")
        await ui.wait_for(lambda: "waiting" in ui.screen(), what="the unpolled source")
        line = source_line(ui.screen(), "demo")
        assert re.search(r"… waiting +- +- +- ", line), line
