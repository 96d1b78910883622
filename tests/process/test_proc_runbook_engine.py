"""`warroom engine` runs a runbook's command step started from the CLI (issue 11 item 4):
the lease holder of a real process, as systemd would start it, takes the step, runs the
argv with the hostile parameter as one literal argument, keeps its output and moves
the run on to the manual step, which the CLI then confirms."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from tests.support.cli import clean_env, warroom, warroom_command

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import open_store

from .helpers import spawn, stop

CONFIG = """\
database: {database}
plans: {plans}
sources:
  - {{name: demo, type: demo, interval: 1s, scenario: steady}}
"""

PLANS = """\
kind: runbook
name: say
parameters:
  - name: what
steps:
  - name: echo
    kind: command
    argv: [printf, '%s|\\033[2J', "{params.what}", done]
    timeout: 20s
  - name: look
    kind: manual
    instructions: look
"""

HOSTILE = "$(touch /tmp/warroom-pwned); `id` ; x"


async def _incident(path: Path) -> int:
    store = await open_store(path)
    try:
        return await Service(store, "alice").declare_incident([], "x", Impact.LOW)
    finally:
        await store.close()


def test_the_engine_runs_the_command_step_and_the_cli_confirms_the_next(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "r.yaml").write_text(PLANS)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(database=db, plans=tmp_path / "plans"))
    env = clean_env(tmp_path)
    incident = asyncio.run(_incident(db))
    done = warroom(
        "--config", config, "runbook", "start", str(incident), "say",
        "--param", f"what={HOSTILE}", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run"]["id"]

    proc = spawn(warroom_command("--config", config, "engine"), env)
    try:
        deadline = time.monotonic() + 90
        shown: dict[str, object] = {}
        while time.monotonic() < deadline:
            out = warroom("--config", config, "runbook", "show", str(run_id), "--json", env=env)
            assert out.returncode == 0, out.stderr
            shown = json.loads(out.stdout)
            if shown["current"] == "look" or shown["status"] == "failed":
                break
            time.sleep(0.5)
        assert proc.poll() is None, "the engine must keep running"
    finally:
        stop(proc)
    steps = {s["name"]: s for s in shown["steps"]}  # type: ignore[attr-defined]
    assert steps["echo"]["state"] == "succeeded", json.dumps(shown)
    assert steps["echo"]["exit_code"] == 0
    assert steps["look"]["state"] == "waiting-confirmation"
    # one literal argument, never a shell; the escape printf wrote stripped before kept
    output = str(shown["output"])
    assert "\x1b" not in output
    assert output.startswith(f"{HOSTILE}|") and "done|" in output
    assert not Path("/tmp/warroom-pwned").exists()

    confirmed = warroom(
        "--config", config, "runbook", "signal", str(run_id), "look", "confirm", env=env
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert "succeeded" in confirmed.stdout
