"""Every bad answer of the source suite, as a responder sees it in the console.

For each: the console stays up and keys still act, the source's alerts stay on
screen marked stale (never resolved), the status bar gives the one-line reason,
and the other source goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.test_bad_sources import CASES
from tests.support.waiting import until
from tests.tui.test_stale import am_and_demo, body, plain

REFUSED = "refused"


@pytest.mark.parametrize("case", [*sorted(CASES), REFUSED])
async def test_bad_answer_in_the_console(tmp_path: Path, case: str) -> None:
    handler, reason = CASES.get(case, (None, "connection refused"))
    answer: list[Callable[[Request], Reply]] = [lambda r: Reply(200, body())]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(loopback(lambda r: answer[0](r)))
        console = am_and_demo(tmp_path, server.url, timeout="500ms", max_bytes=4096)
        async with console as (app, pilot, view):
            table = view.table

            def state_of(key: str) -> str:
                return str(table.get_cell(key, "state"))

            await until(lambda: {"am/apidown", "am/dbdown"} <= set(view.table.row_keys()))
            await until(lambda: state_of("am/apidown") == "firing")

            if handler is None:
                stack.close()  # the server goes away: connection refused
            else:
                answer[0] = handler
            await until(lambda: "am" in app.stale_sources)
            await until(lambda: state_of("am/apidown") == "? stale")
            assert state_of("am/dbdown") == "? stale"
            assert {"am/apidown", "am/dbdown"} <= set(view.table.row_keys())  # kept, not resolved

            # the other source goes on
            demo_keys = [k for k in view.table.row_keys() if k.startswith("demo/")]
            assert demo_keys and all(state_of(k) != "? stale" for k in demo_keys)

            # still answering keys while the source keeps failing
            table.focus()
            before = table.cursor_row
            await pilot.press("down")
            await until(lambda: table.cursor_row == before + 1)

            # the Sources view gives the whole reason, the status bar its start
            await pilot.press("f6")
            await until(lambda: bool(app.query("#sources-table")))
            sources: Any = app.query_one("#sources-table")
            await until(lambda: reason in str(sources.get_cell("am", "error")))
            error = str(sources.get_cell("am", "error"))
            status = plain(app, "#status-sources")
            assert f"✗ am now {error[:16]}" in status
            for text in (error, status):
                assert "\n" not in text.strip() and "Traceback" not in text
