"""Helpers for tests that run warroom as real OS processes."""

from __future__ import annotations

import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a responder with nothing configured, all state under tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WARROOM_CONFIG", "SUDO_USER") and not k.startswith("PYTEST")
    }
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    return env


def warroom(
    *args: str, env: dict[str, str], timeout: float = 30, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m warroom ARGS`, as a script or a responder would run it."""
    return subprocess.run(
        [sys.executable, "-m", "warroom", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop(proc: subprocess.Popen[str]) -> None:
    """End a process we started (TERM, then KILL), and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


class LineReader:
    """Reads a pipe in a thread so the test can wait for a line with a timeout."""

    def __init__(self, stream: object) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def next(self, timeout: float) -> str | None:
        """The next line, or None at EOF; raises queue.Empty on timeout."""
        return self._lines.get(timeout=timeout)


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read the shared database as any other process would (read-only, WAL-aware)."""
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created / migrated yet
    finally:
        con.close()


def lease_holder(db: Path) -> tuple[str, float] | None:
    rows = query(db, "SELECT holder, expires_at FROM lease WHERE name = 'engine'")
    return (str(rows[0][0]), float(rows[0][1])) if rows else None  # type: ignore[arg-type]


def holder_pid(holder: str) -> int:
    """The pid in a lease holder's identity, `user@host:pid`."""
    return int(holder.rsplit(":", 1)[1])
