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

from tests.support.cli import clean_env
from tests.support.waiting import wait_until

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
