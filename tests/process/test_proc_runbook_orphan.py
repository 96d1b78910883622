"""kill -9 of the lease holder right after it started a step's process and before it
recorded it (the engine kills itself there: `WARROOM_TEST_CRASH_AFTER_SPAWN`):
the next holder finds the process by its command line and re-attaches it, so the
step succeeds once; or, when the process died too, the step is interrupted and
never started again. No process is left running unwatched."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.cli import clean_env
from tests.support.waiting import wait_until

from warroom.engine.run_duty import CRASH_AFTER_SPAWN
from warroom.engine.step_process import find_wrapper
from warroom.model.runbook import RunStatus, StepState
from warroom.store import RunRecord

from .helpers import HERE, query, spawn, stop
from .test_proc_runbook_kill import _book, _read, _start


def _crash_after_spawn(tmp_path: Path) -> tuple[Path, int, Path, list[str], dict[str, str]]:
    db, marker, workdir = tmp_path / "w.db", tmp_path / "ran", tmp_path / "runs"
    run_id = asyncio.run(_start(db, _book(marker)))
    env = clean_env(tmp_path)
    engine = [sys.executable, str(HERE / "runbook_engine.py"), str(db), str(workdir)]
    first = spawn([*engine, "first"], {**env, CRASH_AFTER_SPAWN: "1"})
    try:
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        stop(first)
    wait_until(lambda: marker.exists(), 30, "the step's process to start")
    # the window this is about: the process runs, the store has no pid for it
    assert query(db, "SELECT pid FROM runbook_attempts WHERE pid IS NOT NULL") == []
    result = workdir / f"run-{run_id}" / "slow.1.result"
    return db, run_id, result, engine, env


def _settle(db: Path, run_id: int, engine: list[str], env: dict[str, str]) -> RunRecord:
    second = spawn([*engine, "second"], env)
    try:

        def settled() -> RunRecord | None:
            record, _ = asyncio.run(_read(db, run_id))
            return record if record.status is not RunStatus.RUNNING else None

        return wait_until(settled, 60, "the second holder to settle the step")
    finally:
        stop(second)


def test_a_process_started_but_not_recorded_is_re_attached(tmp_path: Path) -> None:
    db, run_id, result, engine, env = _crash_after_spawn(tmp_path)
    assert find_wrapper(result) is not None  # it outlived the engine
    record = _settle(db, run_id, engine, env)
    _, text = asyncio.run(_read(db, run_id))
    step = record.run.steps[0]
    assert step.state is StepState.SUCCEEDED and step.attempt == 1
    assert (tmp_path / "ran").read_text() == "ran\n"  # started once
    assert "started\n" in text and text.endswith("finished\n")
    assert find_wrapper(result) is None


def test_a_process_not_recorded_that_died_too_is_interrupted_not_rerun(tmp_path: Path) -> None:
    db, run_id, result, engine, env = _crash_after_spawn(tmp_path)
    found = find_wrapper(result)
    assert found is not None
    os.killpg(found[0], signal.SIGKILL)  # as when the machine goes down
    wait_until(lambda: find_wrapper(result) is None, 10, "the step's process to die")
    record = _settle(db, run_id, engine, env)
    step = record.run.steps[0]
    assert step.state is StepState.INTERRUPTED and record.status is RunStatus.WAITING
    assert step.attempt == 1 and (tmp_path / "ran").read_text() == "ran\n"
