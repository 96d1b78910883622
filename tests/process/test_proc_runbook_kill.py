"""kill -9 of the lease holder while a 5 s command step runs, then a second holder:
the step is re-attached or adopted (its process survives the engine, in its own
session) or, when the process died too (every other trial kills it as well),
marked interrupted -- never started twice, as it is not idempotent.

`WARROOM_CRASH_TRIALS` (default 3) sets how many kills, each at a random moment
between the step's begin and its end.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from tests.support.cli import clean_env
from tests.support.waiting import wait_until

from warroom.model import runbook as rb
from warroom.model.runbook import RunStatus, StepState
from warroom.model.runbook_steps import Command, Runbook, Step, StepKind
from warroom.store import RunRecord, open_store

from .helpers import HERE, query, spawn, stop

TRIALS = int(os.environ.get("WARROOM_CRASH_TRIALS", "3"))


def _book(marker: Path) -> Runbook:
    script = (
        "import pathlib, sys, time\n"
        f"with open({str(marker)!r}, 'a') as f: f.write('ran\\n')\n"
        "print('started', flush=True)\n"
        "time.sleep(5)\n"
        "print('finished', flush=True)\n"
    )
    step = Step(
        "slow", StepKind.COMMAND, Command((sys.executable, "-c", script)),
        timeout=timedelta(seconds=60),
    )  # fmt: skip
    return Runbook("kill-trial", (step,))


async def _start(db: Path, runbook: Runbook) -> int:
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            run = rb.start(runbook, {}, "alice", datetime.now(UTC))
            return await tx.start_runbook_run(run, "alice")
    finally:
        await store.close()


async def _read(db: Path, run_id: int) -> tuple[RunRecord, str]:
    store = await open_store(db)
    try:
        record = await store.runbook_run(run_id)
        assert record is not None
        text = "".join(c.text for c in await store.runbook_output(run_id))
        return record, text
    finally:
        await store.close()


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_during_a_command_step_never_runs_it_twice(tmp_path: Path, trial: int) -> None:
    seed = random.randrange(2**32)
    pause = random.Random(seed).uniform(0, 4)
    db, marker, workdir = tmp_path / "w.db", tmp_path / "ran", tmp_path / "runs"
    run_id = asyncio.run(_start(db, _book(marker)))
    env = clean_env(tmp_path)
    engine = [sys.executable, str(HERE / "runbook_engine.py"), str(db), str(workdir)]
    first = spawn([*engine, "first"], env)
    try:
        wait_until(lambda: marker.exists(), 30, "the step's process to start")
        time.sleep(pause)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        if trial % 2:  # the step's process dies too, as when the machine goes down
            ((pid,),) = query(db, "SELECT pid FROM runbook_attempts WHERE pid IS NOT NULL")
            os.killpg(int(cast(int, pid)), signal.SIGKILL)
    finally:
        stop(first)
    second = spawn([*engine, "second"], env)
    try:

        def settled() -> RunRecord | None:
            record, _ = asyncio.run(_read(db, run_id))
            return record if record.status is not RunStatus.RUNNING else None

        record = wait_until(settled, 60, "the second holder to settle the step")
    finally:
        stop(second)
    _, text = asyncio.run(_read(db, run_id))
    step = record.run.steps[0]
    print(f"\ntrial {trial} (seed {seed}, killed after {pause:.1f}s): {step.state}")
    assert marker.read_text() == "ran\n"  # started once, whatever the kill interrupted
    assert step.attempt == 1
    if trial % 2:
        assert step.state is StepState.INTERRUPTED and record.status is RunStatus.WAITING
    elif step.state is StepState.SUCCEEDED:  # re-attached or adopted
        assert text.endswith("finished\n") and "started\n" in text
    else:
        assert step.state is StepState.INTERRUPTED and record.status is RunStatus.WAITING
