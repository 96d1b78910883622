"""An alert storm served by a process of its own, for benchmarks that measure memory.

Served from a thread of the measured process, the storm's 20 MB answer (and the
list of 50,000 dicts it was built from) counted against the console's RSS, where
a real Alertmanager's never does.

    python tests/bench/storm_server.py COUNT     # prints its URL, then a line per GET
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StormServer:
    url: str
    gets: list[float] = field(default_factory=list)  # monotonic time of each GET, as seen here

    @property
    def polls(self) -> int:
        return len(self.gets)


@contextlib.contextmanager
def storm_server(count: int) -> Iterator[StormServer]:
    """A server answering every GET with `count` alerts in Alertmanager's format."""
    import time

    proc = subprocess.Popen(
        [sys.executable, __file__, str(count)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    try:
        server = StormServer(proc.stdout.readline().strip())
        if not server.url.startswith("http://"):
            raise RuntimeError(f"storm server did not start: {server.url!r}")

        def count_gets() -> None:
            assert proc.stdout is not None
            for _line in proc.stdout:
                server.gets.append(time.monotonic())

        threading.Thread(target=count_gets, daemon=True).start()
        yield server
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.e2e.loopback import Reply, Request, loopback
    from tests.e2e.storm import storm_body

    body = storm_body(int(sys.argv[1]))

    def handler(_request: Request) -> Reply:
        print("GET", flush=True)
        return Reply(200, body)

    with loopback(handler) as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
