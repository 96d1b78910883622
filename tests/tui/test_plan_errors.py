"""A malformed plan file never stops the console: valid plans run, rejected files are named."""

from __future__ import annotations

from pathlib import Path

from warroom.cli.console import open_console
from warroom.config import Config

GOOD = """kind: response-plan
name: good
match: {alerts: 'alertname="Good"'}
incident: {title: good}
"""
BAD = """kind: response-plan
name: broken
match: {alerts: 'alertname=~"(unclosed"'}
incident: {title: broken}
"""


async def test_console_starts_with_valid_plans_and_names_rejected_files(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "good.yaml").write_text(GOOD)
    (plans / "bad.yaml").write_text(BAD)
    config = Config(database=tmp_path / "w.db", plans=plans)
    async with (
        open_console(config, run_engine=False) as app,
        app.run_test(size=(100, 30)) as pilot,
    ):
        await app.ready.wait()
        await pilot.pause()
        assert [p.name for p in app.plan_index.plans] == ["good"]
        messages = [n.message for n in app._notifications]
        assert any("bad.yaml" in m and "error(s) in plan files" in m for m in messages), messages
        assert any(f"{plans / 'bad.yaml'}:3:" in m for m in messages)  # file:line of the first
