"""kill -9 of the engine in the middle of a chunked poll: nothing firing is resolved,
no row is half-written, and the next poll finishes the job.

`WARROOM_CRASH_TRIALS` (default 3) sets how many kills; raise it to use this as a
benchmark of the invariant (each trial kills at a random point of the write).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from tests.support.cli import clean_env
from tests.support.waiting import wait_until

from warroom.model import Alert, AlertState, Severity
from warroom.model.clock import from_epoch
from warroom.store.rows import alert_digest

from .helpers import HERE, Db, LineReader, execute, query, spawn, stop

COUNT, KEEP = 1500, 1100  # the poll changes 1,100 alerts and drops 400
TRIALS = int(os.environ.get("WARROOM_CRASH_TRIALS", "3"))


def _write(db: Db, env: dict[str, str], revision: int, keep: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(HERE / "ingest_proc.py"), str(db), str(COUNT), str(revision)]
    return spawn([*cmd, str(keep)], env)


def _rows(db: Db) -> list[tuple[object, ...]]:
    return query(
        db,
        "SELECT fingerprint, name, state, severity, labels, annotations, starts_at, ends_at,"
        " url, digest FROM alerts WHERE source = 'crash'",
    )


def _whole(row: tuple[object, ...]) -> bool:
    """The row's columns are exactly those its digest was made from: old or new, not half."""
    fp, name, state, severity, labels, annotations, starts, ends, url, digest = row
    if state == "resolved":
        return digest == ""
    alert = Alert(
        source="crash",
        fingerprint=str(fp),
        name=str(name),
        state=AlertState(str(state)),
        severity=Severity(str(severity)),
        starts_at=from_epoch(starts),  # type: ignore[arg-type]
        labels=json.loads(str(labels)),
        annotations=json.loads(str(annotations)),
        ends_at=from_epoch(ends),  # type: ignore[arg-type]
        url=str(url),
    )
    return alert_digest(alert) == digest and alert.labels["rev"] in alert.annotations["summary"]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_mid_poll_resolves_nothing_and_leaves_no_half_row(
    tmp_path: Path, shared_db: Db, trial: int
) -> None:
    env = clean_env(tmp_path)
    db = shared_db
    seed = _write(db, env, revision=0, keep=COUNT)
    try:
        assert seed.wait(timeout=60) == 0, seed.stderr.read()  # type: ignore[union-attr]
    finally:
        stop(seed)
    assert query(db, "SELECT count(*) FROM alerts WHERE state != 'resolved'") == [(COUNT,)]

    # kill after a random share of the changed rows is committed (or mid-chunk)
    threshold = random.randint(1, KEEP - 60)
    victim = _write(db, env, revision=1, keep=KEEP)
    try:
        assert LineReader(victim.stdout).next(timeout=30) == "writing"
        rewritten = 'SELECT count(*) FROM alerts WHERE labels LIKE \'%"rev":"1"%\''
        wait_until(
            lambda: cast(int, query(db, rewritten)[0][0]) >= threshold,
            seconds=60,
            interval=0.005,
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        stop(victim)

    rows = _rows(db)
    assert len(rows) == COUNT
    resolved = [r for r in rows if r[2] == "resolved"]
    assert resolved == [], f"trial {trial}: a poll cut short resolved {len(resolved)} alerts"
    half = [r[0] for r in rows if not _whole(r)]
    assert half == [], f"trial {trial}: half-written rows {half[:5]}"
    new = sum(1 for r in rows if '"rev":"1"' in str(r[4]))
    assert threshold <= new < KEEP, f"killed after the whole write? ({new} of {KEEP})"
    if isinstance(db, Path):
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()

    # the next poll (once the dead holder's lease is gone) finishes the job
    execute(db, "DELETE FROM lease")
    again = _write(db, env, revision=1, keep=KEEP)
    try:
        assert again.wait(timeout=60) == 0, again.stderr.read()  # type: ignore[union-attr]
    finally:
        stop(again)
    rows = _rows(db)
    states = sorted(str(r[2]) for r in rows)
    assert states.count("resolved") == COUNT - KEEP
    assert all(_whole(r) for r in rows)
    assert sum(1 for r in rows if '"rev":"1"' in str(r[4]) and r[2] != "resolved") == KEEP
