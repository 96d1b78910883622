"""Helpers for tests that run warroom as real OS processes."""

from __future__ import annotations

import queue
import sqlite3
import subprocess
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
    rows = query(db, "SELECT holder, expires_at FROM lease WHERE name = 'engine' AND holder != ''")
    return (str(rows[0][0]), float(rows[0][1])) if rows else None  # type: ignore[arg-type]


def holder_pid(holder: str) -> int:
    """The pid in a lease holder's identity, `user@host:pid`."""
    return int(holder.rsplit(":", 1)[1])
