"""A store that fails under a real engine: one line, never a traceback per second.

The failure is real: another process holds the database's write lock longer
than the busy timeout, as a stuck writer would.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.support.cli import alertmanager_config, clean_env, warroom, warroom_command
from tests.support.waiting import wait_until

from .helpers import query, spawn, stop

ALERTS = (
    b'[{"labels": {"alertname": "Held"}, "startsAt": "2026-01-01T00:00:00Z",'
    b' "fingerprint": "held", "status": {"state": "active"}}]'
)


def _config(tmp_path: Path, url: str) -> Path:
    return alertmanager_config(tmp_path, url, interval="1s", timeout="60s")


def _hold_write_lock(db: Path, seconds: float) -> None:
    con = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        con.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        con.execute("ROLLBACK")
    finally:
        con.close()


def test_once_with_a_locked_store_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "shared.db"
    asked = threading.Event()

    def handler(request: Request) -> Reply:
        asked.set()
        return Reply(200, ALERTS, hang_seconds=1.0)

    with loopback(handler) as server:
        config = _config(tmp_path, server.url)
        once = spawn(warroom_command("--config", config, "engine", "--once"), env)
        try:
            assert asked.wait(timeout=20)
            holder = threading.Thread(target=_hold_write_lock, args=(db, 12.0))
            holder.start()
            code = once.wait(timeout=60)
            holder.join()
            err = once.stderr.read()  # type: ignore[union-attr]
        finally:
            stop(once)
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if " httpx: " not in line]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "another process is writing" in lines[0] and str(db) in lines[0]


def test_engine_with_a_locked_store_logs_one_line_and_polls_again_after(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "shared.db"
    with loopback(lambda r: Reply(200, ALERTS)) as server:
        config = _config(tmp_path, server.url)
        engine = spawn(warroom_command("--config", config, "engine"), env)
        try:
            wait_until(
                lambda: query(db, "SELECT last_success FROM source_health WHERE name = 'am'"),
                seconds=20,
            )
            _hold_write_lock(db, 12.0)  # two renewals and several polls fail meanwhile
            released = time.time()
            wait_until(
                lambda: (
                    (r := query(db, "SELECT last_success FROM source_health WHERE name = 'am'"))
                    and float(r[0][0]) > released  # type: ignore[arg-type]
                    and r
                ),
                seconds=20,
            )
            engine.terminate()
            _, err = engine.communicate(timeout=10)
        finally:
            stop(engine)
    assert "Traceback" not in err, err
    failures = [line for line in err.splitlines() if "failed" in line]
    assert len(failures) == 1, err
    assert "another process is writing" in failures[0]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB file system of its own, to fill up (needs the right to mount)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _many_alerts(count: int) -> bytes:
    return json.dumps(
        [
            {
                "labels": {"alertname": "Filler", "instance": f"host-{i}"},
                "annotations": {"description": "x" * 400},
                "startsAt": "2026-01-01T00:00:00Z",
                "fingerprint": f"fill-{i}",
                "status": {"state": "active"},
            }
            for i in range(count)
        ]
    ).encode()


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    with contextlib.suppress(OSError):
        while True:
            os.write(fd, b"\0" * 4096)
    os.close(fd)


def test_once_on_a_full_disk_says_so_in_one_line_and_exits_2(
    tmp_path: Path, small_disk: Path
) -> None:
    """The disk fills while --once fetches (after it opened the database)."""
    env = clean_env(tmp_path)
    db = small_disk / "w.db"
    calls = []

    def handler(request: Request) -> Reply:
        calls.append(request)
        if len(calls) == 1:
            return Reply(200, ALERTS)
        _fill(small_disk)
        return Reply(200, _many_alerts(3000))

    with loopback(handler) as server:
        config = alertmanager_config(tmp_path, server.url, database=db)
        first = warroom("--config", config, "engine", "--once", env=env)
        assert first.returncode == 0, first.stderr
        full = warroom("--config", config, "engine", "--once", env=env)
    assert "Traceback" not in full.stderr, full.stderr
    lines = [line for line in full.stderr.strip().splitlines() if " httpx: " not in line]
    assert full.returncode == 2, full.stderr
    assert len(lines) == 1, full.stderr
    assert "no space left" in lines[0] and str(db) in lines[0]
