"""A config with one bad source option: the console starts, polls the others, names the mistake.

Before, the bad option refused the whole config (`warroom: config.yaml:7:...`, exit 2),
so a responder with one typo in one source had no console at all.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.support.waiting import until
from tests.tui.test_stale import plain

from warroom.cli.console import open_console
from warroom.cli.main import build_parser, resolve_config

CONFIG = """\
database: {database}
sources:
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9
    interval: 1s
    filter: 'team=~"["'
  - {{name: demo, type: demo, interval: 1s, scenario: steady}}
"""


async def test_console_starts_with_the_good_sources_and_names_the_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(database=tmp_path / "w.db"), encoding="utf-8")
    config = resolve_config(build_parser().parse_args(["--config", str(path)]))  # as `warroom`
    async with (
        asyncio.timeout(60),
        open_console(config, actor="alice") as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        view: Any = app.query_one("#view-alerts")
        await until(lambda: any(k.startswith("demo/") for k in view.table.row_keys()))
        await until(lambda: "am" in app.stale_sources)
        await pilot.press("f6")
        await until(lambda: bool(app.query("#sources-table")))
        sources: Any = app.query_one("#sources-table")
        await until(lambda: "misconfigured" in str(sources.get_cell("am", "error")))
        error = str(sources.get_cell("am", "error"))
        assert error.startswith("misconfigured: filter 'team=~\"[\"': bad regex '['")
        assert f"({path}:7:21)" in error  # where to fix it
        assert "\n" not in error.strip()
        assert "✗ am" in plain(app, "#status-sources")
        assert app.is_running
