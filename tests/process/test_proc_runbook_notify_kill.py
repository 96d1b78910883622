"""kill -9 of the lease holder between a notify step's queue and its send, then a
second holder: the queued row is sent once (not marked a repeat: it was never
claimed), and the step succeeds on the same attempt -- never interrupted, never
queued again. The first holder kills itself right after the queue commits
(`WARROOM_TEST_CRASH_AFTER_QUEUE`), so the moment is exact, not a race."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.cli import clean_env, warroom, warroom_command
from tests.support.waiting import wait_until

from warroom.config import SHIPPED_PLANS
from warroom.engine import Service
from warroom.model import Impact
from warroom.model import runbook as rb
from warroom.model.runbook import RunStatus, StepState
from warroom.model.runbook_steps import Notify, Runbook, Step, StepKind
from warroom.store import RunRecord, open_store

from .helpers import HERE, query, spawn, stop

BOOK = Runbook("tell", (Step("tell", StepKind.NOTIFY, Notify("contact:alice", "disk on fire")),))


async def _start(db: Path) -> int:
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            return await tx.start_runbook_run(rb.start(BOOK, {}, "alice", datetime.now(UTC)), "a")
    finally:
        await store.close()


async def _read(db: Path, run_id: int) -> RunRecord:
    store = await open_store(db)
    try:
        record = await store.runbook_run(run_id)
        assert record is not None
        return record
    finally:
        await store.close()


def test_kill_9_between_queue_and_send_delivers_the_notice_once(tmp_path: Path) -> None:
    db, log, workdir = tmp_path / "w.db", tmp_path / "pages.log", tmp_path / "runs"
    run_id = asyncio.run(_start(db))
    engine = [sys.executable, str(HERE / "runbook_engine.py"), str(db), str(workdir)]
    env = clean_env(tmp_path)
    first = spawn([*engine, "first", str(log)], {**env, "WARROOM_TEST_CRASH_AFTER_QUEUE": "1"})
    try:
        assert first.wait(timeout=60) == -signal.SIGKILL
    finally:
        stop(first)
    rows = query(db, "SELECT key, state, attempts FROM outbox")
    assert rows == [(f"run/{run_id}/tell/1/alice/log", "pending", 0)]
    assert not log.exists()
    second = spawn([*engine, "second", str(log)], env)
    try:

        def settled() -> RunRecord | None:
            record = asyncio.run(_read(db, run_id))
            return record if record.status is not RunStatus.RUNNING else None

        record = wait_until(settled, 60, "the second holder to settle the notify step")
    finally:
        stop(second)
    step = record.run.steps[0]
    assert (step.state, step.attempt, record.status) == (
        StepState.SUCCEEDED,
        1,
        RunStatus.SUCCEEDED,
    )
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(s["title"], s["repeat_of"]) for s in sent] == [("disk on fire", None)]
    assert query(db, "SELECT state, possible_repeat FROM outbox") == [("sent", 0)]


DEMO_CONFIG = """\
database: {database}
plans: {plans}
sources:
  - {{name: demo, type: demo, interval: 1s, scenario: steady}}
"""


async def _incident(path: Path) -> int:
    store = await open_store(path)
    try:
        return await Service(store, "alice").declare_incident([], "errors", Impact.HIGH)
    finally:
        await store.close()


def test_the_shipped_high_error_rate_runbook_tells_the_manager_on_the_demo(
    tmp_path: Path,
) -> None:
    """`warroom engine` with the shipped plans, as `warroom --demo` has them: the
    notify step reaches eng-manager through its `log` channel (pages.log in the
    state directory) and the run goes on to its wait."""
    db = tmp_path / "w.db"
    config = tmp_path / "config.yaml"
    config.write_text(DEMO_CONFIG.format(database=db, plans=SHIPPED_PLANS))
    env = clean_env(tmp_path)
    incident = asyncio.run(_incident(db))
    done = warroom(
        "--config", config, "runbook", "start", str(incident), "high-error-rate",
        "--param", "service=checkout", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run"]["id"]
    said = warroom(
        "--config", config, "runbook", "signal", str(run_id), "what-changed", "confirm", env=env
    )
    assert said.returncode == 0, said.stderr
    proc = spawn(warroom_command("--config", config, "engine"), env)
    try:

        def moved_on() -> dict[str, Any] | None:
            out = warroom("--config", config, "runbook", "show", str(run_id), "--json", env=env)
            assert out.returncode == 0, out.stderr
            shown: dict[str, Any] = json.loads(out.stdout)
            return shown if shown["current"] != "tell-manager" else None

        shown = wait_until(moved_on, 90, "the notify step to end")
        assert proc.poll() is None, "the engine must keep running"
    finally:
        stop(proc)
    steps = {s["name"]: s for s in shown["steps"]}
    assert steps["tell-manager"]["state"] == "succeeded", json.dumps(shown)
    assert shown["current"] == "errors-stop"
    log = tmp_path / "xdg-state" / "warroom" / "pages.log"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    notices = [s for s in lines if s["action"] == "notify"]  # the demo's own pages aside
    assert [(s["title"], s["incident"]) for s in notices] == [
        ("checkout is failing requests; a responder is on it in warroom.", incident)
    ]
