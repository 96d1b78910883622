"""What `warroom runbook show` costs on a run with a lot of output (prints figures).

    python tests/bench/bench_runbook_show.py [--repeat 20]

Two runs in a fresh SQLite file, both fed 50 MB of output through the store the
way the run duty feeds it (1 MiB batches):
- one command attempt that wrote 50 MB (the store keeps its first and last
  256 Ki characters);
- a run of 100 attempts of 512 Ki characters each (50 MB kept).

For each it prints the median and worst time of `run_show` (the command's whole
work in process, its printing to /dev/null) and of its output read alone, both
the whole-output read `show` used to do and the tail read it does now.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from warroom.cli.runbooks import SHOWN_OUTPUT, run_show
from warroom.config import Config
from warroom.model import runbook as rb
from warroom.model.runbook_steps import Command, Runbook, Step, StepKind
from warroom.store import Store, open_store

MB = 1024 * 1024
BOOK = Runbook("big", (Step("go", StepKind.COMMAND, Command(("true",))),))
T0 = datetime(2026, 11, 27, tzinfo=UTC)


async def fill(store: Store, attempts: int, per_attempt: int) -> int:
    async with store.transaction(T0) as tx:
        run_id = await tx.start_runbook_run(rb.start(BOOK, {}, "alice", T0), "alice")
    line = ("x" * 79) + "\n"
    batch = line * (MB // len(line))
    for attempt in range(1, attempts + 1):
        left = per_attempt
        while left > 0:
            text = batch[: min(left, len(batch))]
            async with store.transaction(T0) as tx:
                await tx.append_runbook_output(run_id, "go", attempt, text)
            left -= len(text)
    return run_id


async def whole_read(store: Store, run_id: int) -> str:
    """What `show` did before: every kept chunk, then the end of it."""
    chunks, after = [], 0
    while page := await store.runbook_output(run_id, after=after):
        chunks += page
        after = page[-1].seq
    return "".join(c.text for c in chunks)[-SHOWN_OUTPUT:]


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


def line(what: str, times: list[float]) -> str:
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    return f"  {what:<34} median {median:8.2f} ms   worst {worst:8.2f} ms"


async def main(repeat: int) -> None:
    null = open(os.devnull, "w")  # noqa: ASYNC230, SIM115 -- once, before any await
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.db"
        store = await open_store(db)
        try:
            cases = {
                "one attempt wrote 50 MB": await fill(store, 1, 50 * MB),
                "100 attempts kept 50 MB": await fill(store, 100, 512 * 1024),
            }
            config = Config(database=db)
            for name, run_id in cases.items():
                kept = len(await whole_read(store, run_id))
                print(f"{name} (run #{run_id}, {kept} characters shown):")
                whole = await timed(partial(whole_read, store, run_id), repeat)
                tail = await timed(partial(store.runbook_output_tail, run_id, SHOWN_OUTPUT), repeat)
                print(line("output read, whole (before)", whole))
                print(line("output read, tail (now)", tail))
                with contextlib.redirect_stdout(null):
                    shown = await timed(partial(run_show, config, run_id, False), repeat)
                    as_json = await timed(partial(run_show, config, run_id, True), repeat)
                print(line("runbook show", shown))
                print(line("runbook show --json", as_json))
        finally:
            await store.close()
            null.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    asyncio.run(main(parser.parse_args().repeat))
