"""`warroom migrate` over a month of history, both ways (prints figures).

    python tests/bench/bench_migrate.py [--incidents 1000] [--events 100000]

Fills a SQLite file as bench_handoff.py does (1,000 incidents, 100,000
timeline events, 2,000 alerts), starts a real PostgreSQL in a temporary
directory (tests/support/postgres.py), and runs `warroom migrate` as a
separate process into it and back out into a new file, printing each run's
wall time and rows per second (the command's own figure and the whole
process's, start-up included).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_handoff import fill
from tests.support.cli import clean_env, warroom_command
from tests.support.postgres import running_postgres


def migrate(source: str, target: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        warroom_command("migrate", "--from", source, "--to", target),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"warroom migrate failed: {done.stderr.strip()}")
    return took, done.stdout.splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as server:
        path = Path(tmp) / "bench.db"
        fill(path, args.incidents, args.events, time.time())
        server.psql("CREATE DATABASE bench")
        env = clean_env(Path(tmp))
        url = server.url("bench")
        for label, source, target in (
            ("sqlite -> postgresql", f"sqlite:{path}", url),
            ("postgresql -> sqlite", url, f"sqlite:{Path(tmp) / 'back.db'}"),
        ):
            took, verified = migrate(source, target, env)
            rows = int(re.search(r"([\d,]+) rows in", verified)[1].replace(",", ""))  # type: ignore[index]
            inner = re.search(r"\(([\d,]+) rows/s\)", verified)[1]  # type: ignore[index]
            print(
                f"{label}: {rows:,} rows, {took:.2f} s for the process"
                f" ({rows / took:,.0f} rows/s), {inner} rows/s in the copy"
            )


if __name__ == "__main__":
    main()
