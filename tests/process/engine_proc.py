"""A real Engine in its own process, with a probe source that logs who polls and when.

Usage: python engine_proc.py DB POLL_LOG   (DB: a file or a postgresql:// URL)

Each fetch appends `PID EPOCH` to POLL_LOG (O_APPEND, one write per line, so several
processes may share the file). With PROBE_FETCH_SECONDS set, a fetch is that slow (a
big answer, a slow API) and appends such a line every 0.1 s while it lasts: the
log then shows when this process was polling, not only when it began to.
SIGTERM/SIGINT cancel the engine, as `warroom engine` does, so the lease is released
on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.engine import Engine, process_identity
from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.store import open_store


class ProbeSource:
    def __init__(self, log: Path) -> None:
        self.name = "probe"
        self.interval = timedelta(seconds=0.2)
        self._log = log

    def _mark(self) -> None:
        fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{os.getpid()} {time.time():.6f}\n".encode())
        finally:
            os.close(fd)

    async def fetch(self) -> list[Alert]:
        self._mark()
        slow = float(os.environ.get("PROBE_FETCH_SECONDS", "0"))
        until = time.monotonic() + slow
        while time.monotonic() < until:
            await asyncio.sleep(0.1)
            self._mark()
        labels = {"alertname": "Probe"}
        return [
            Alert(
                source=self.name,
                fingerprint=fingerprint_of(labels),
                name="Probe",
                state=AlertState.FIRING,
                severity=Severity.INFO,
                starts_at=datetime(2026, 1, 1, tzinfo=UTC),
                labels=labels,
            )
        ]

    async def close(self) -> None:
        return None


async def main(db: str, log: Path) -> int:
    store = await open_store(db)
    engine = Engine(store, [ProbeSource(log)], process_identity())
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: task.cancel() if task else None)
    print(f"ready {engine.holder}", flush=True)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await engine.run()
    finally:
        await engine.close()
        await store.close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], Path(sys.argv[2]))))
