"""The kill -9 paging suite at full size (prints figures; exit 1 if any trial broke a promise).

    python tests/bench/bench_paging_kill.py [--trials 100] [--seed N] [--backend postgresql]

Each trial is `tests/process/paging_kill.py`'s: two `warroom engine` processes, slow
loopback PagerDuty and Slack, four incidents acknowledged at random moments, the
lease holder killed with SIGKILL at a random moment after its first claim. Printed:
how many kills landed with sends in flight, what became of those rows, the
duplicates each channel saw, triggers that arrived after an acknowledgement (only
sends under way when it committed may), and the takeover time.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.process.conftest import new_database  # noqa: E402
from tests.process.paging_kill import check, run_trial  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_postgres()) if args.backend != "sqlite" else None
        return _run(args, lambda: None if server is None else new_database(server))


def _run(args: argparse.Namespace, database: Callable[[], str | None]) -> int:
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    totals: Counter[str] = Counter()
    landed = 0
    killed_after: list[float] = []
    took_over: list[float] = []
    broken: list[str] = []
    started = time.perf_counter()
    for n in range(args.trials):
        trial_seed = rng.randrange(2**32)
        with tempfile.TemporaryDirectory(prefix="warroom-kill-") as tmp:
            try:
                trial = run_trial(Path(tmp), random.Random(trial_seed), database())
                figures = check(trial)
            except AssertionError as exc:
                line = str(exc).splitlines()[0] if str(exc) else traceback.format_exc(limit=1)
                broken.append(f"trial {n} (seed {trial_seed}): {line}")
                print(f"trial {n}: BROKEN {line}", flush=True)
                continue
        totals.update(figures)
        landed += figures.get("in flight at the kill", 0) > 0
        killed_after.append(trial.killed_after)
        took_over.append(trial.took_over)
        print(f"trial {n}: {figures.get('in flight at the kill', 0)} in flight", flush=True)
    elapsed = time.perf_counter() - started
    done = len(killed_after)
    print(
        f"\n{args.backend}: {args.trials} trials (seed {seed}) in {elapsed:.0f} s;"
        f" {done} held every promise"
    )
    print(f"kills with sends in flight (between claim and record): {landed}/{done}")
    for name, value in sorted(totals.items()):
        print(f"  {name}: {value}")
    if killed_after:
        print(
            f"kill after the first claim: median {statistics.median(killed_after):.2f} s;"
            f" lease expired -> dead holder's rows taken back: median"
            f" {statistics.median(took_over):.2f} s, max {max(took_over):.2f} s"
        )
    for line in broken:
        print(line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
