"""A source that cannot be built, in the console: it fails with its reason, the rest works.

Config load rejects every option it can check; this is what still slips through
(a Config built in code, a host without a dependency). Before, the console
crashed while starting its engine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.support.waiting import until
from tests.tui.test_stale import am_and_demo, plain


async def test_a_source_that_cannot_be_built_fails_with_its_reason(tmp_path: Path) -> None:
    bad_filter = 'team=~"["'
    # before, the app died starting its engine and `ready` never came: fail, do not hang
    async with (
        asyncio.timeout(60),
        am_and_demo(tmp_path, "http://127.0.0.1:9", filter=bad_filter) as (
            app,
            pilot,
            view,
        ),
    ):
        await until(
            lambda: any(k.startswith("demo/") for k in view.table.row_keys())
        )  # the others go on
        await until(lambda: "am" in app.stale_sources)
        await pilot.press("f6")
        await until(lambda: bool(app.query("#sources-table")))
        sources: Any = app.query_one("#sources-table")
        await until(lambda: "misconfigured" in str(sources.get_cell("am", "error")))
        error = str(sources.get_cell("am", "error"))
        assert f"filter {bad_filter!r}: bad regex" in error
        assert "Traceback" not in error and "\n" not in error.strip()
        assert "✗ am" in plain(app, "#status-sources")
        assert app.is_running
