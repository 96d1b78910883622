"""kill -9 of the engine while pages are claimed and sent: one PagerDuty alert per dedup
key, duplicates only where marked, and nothing paged after an acknowledgement.

On both backends (SQLite file, PostgreSQL database). `WARROOM_CRASH_TRIALS` (default 3)
sets how many kills; `tests/bench/bench_paging_kill.py`
runs the full hundred and prints figures. See `paging_kill.py` for one trial.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from .helpers import Db
from .paging_kill import check, run_trial

TRIALS = int(os.environ.get("WARROOM_CRASH_TRIALS", "3"))


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_while_paging_pages_once_and_nothing_after_ack(
    tmp_path: Path, shared_db: Db, trial: int
) -> None:
    seed = random.randrange(2**32)
    result = run_trial(tmp_path, random.Random(seed), shared_db)
    figures = check(result)
    backend = "postgresql" if isinstance(shared_db, str) else "sqlite"
    print(f"\n{backend} trial {trial} (seed {seed}): {figures}, took over {result.took_over:.2f}s")
