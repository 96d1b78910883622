"""Memory of the console in an alert storm, and how much is the engine's poll (prints figures).

    python tests/bench/bench_console_rss.py [--sizes 10000 50000]

Each measurement runs in a fresh process, so each peak is its own:

    bare          python with the console's modules imported: the floor
    console       the console (Textual's headless driver, 80x24) on a database that
                  already holds N alerts, not polling: the Alerts tab lists them,
                  `end` goes to the last, a filter counts them
    engine polls  three engine polls of N alerts in Alertmanager's format (GET, JSON
                  parse, normalise, diff, store), no screen: the first stores them all,
                  the others find them unchanged
    both          the console polling the storm itself, as `warroom` does when it
                  holds the lease: until N alerts are listed, then two more polls

The storm is served by a process of its own (`storm_server.py`), as Alertmanager
would be: its 20 MB answer is not the console's memory.

For each: peak RSS (VmHWM) and RSS at the end (VmRSS). The issue's target is the
console at 50,000 alerts within 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.storm_server import StormServer, storm_server  # noqa: E402
from tests.support.waiting import until  # noqa: E402

TARGET_MB = 150


def memory() -> dict[str, float]:
    """Peak and current resident size of this process, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0]) / 1024
    return {"peak": found["VmHWM"], "now": found["VmRSS"]}


def storm_alerts(count: int) -> list[object]:
    """The storm of tests/e2e/storm.py, as the normaliser makes it."""
    from tests.e2e.storm import storm_body

    from warroom.sources.alertmanager import normalise_alerts

    return list(normalise_alerts("am", json.loads(storm_body(count))))


def bare(_: int, __: Path) -> dict[str, float]:
    import warroom.tui.app  # noqa: F401  (the console's imports, nothing running)

    return memory()


def fill(count: int, db: Path) -> dict[str, float]:
    from warroom.store import open_store

    async def run() -> None:
        store = await open_store(db)
        async with store.transaction() as tx:
            await tx.apply_snapshot("am", storm_alerts(count))  # type: ignore[arg-type]
        await store.close()

    asyncio.run(run())
    return memory()


def console(count: int, db: Path) -> dict[str, float]:
    from warroom.cli.console import open_console
    from warroom.config import Config
    from warroom.sources.base import SourceSpec

    spec = SourceSpec("am", "alertmanager", url="http://127.0.0.1:9", interval=timedelta(hours=1))
    config = Config(database=db, sources=(spec,))
    extra: dict[str, float] = {}

    async def run() -> None:
        async with (
            open_console(config, run_engine=False, actor="bench") as app,
            app.run_test(size=(80, 24)) as pilot,
        ):
            await app.ready.wait()
            table = app.query_one("#alerts-table")
            started = time.monotonic()
            await until(lambda: table.row_count >= count, 300, "listed", interval=0.02)  # type: ignore[attr-defined]
            extra["listed_s"] = time.monotonic() - started
            extra["listed_mb"] = memory()["now"]
            table.focus()
            await pilot.press("end", "slash", *"storm1", "enter")
            view = app.query_one("#view-alerts")
            await until(lambda: view.query_one("#alerts-filter").border_title, 300, "counted")
            await pilot.pause(0.5)
            gc.collect()

    asyncio.run(run())
    return {**memory(), **extra}


def engine_poll(count: int, db: Path) -> dict[str, float]:
    from warroom.engine.poller import poll_once
    from warroom.sources.alertmanager import AlertmanagerSource
    from warroom.sources.base import SourceSpec
    from warroom.store import open_store
    from warroom.store.tx import DigestCache

    before = memory()["now"]
    held: dict[str, float] = {}

    async def run(url: str) -> None:
        store = await open_store(db)
        spec = SourceSpec("am", "alertmanager", url=url, options={"timeout": "120s"})
        source = AlertmanagerSource(spec)
        digests = DigestCache()  # as the engine keeps one per source
        await poll_once(store, source, digests=digests)
        gc.collect()
        # what the engine keeps between polls: the source's normalised alerts (to
        # reuse unchanged ones) and the digests
        held["held_mb"] = memory()["now"]
        held["first_peak_mb"] = memory()["peak"]
        for _ in range(2):  # polls that find every alert unchanged
            await poll_once(store, source, digests=digests)
        await source.close()
        await store.close()

    with storm_server(count) as server:
        asyncio.run(run(server.url))
    gc.collect()
    return {**memory(), **held, "before_mb": before}


def both(count: int, db: Path) -> dict[str, float]:
    from warroom.cli.console import open_console
    from warroom.config import Config
    from warroom.sources.base import SourceSpec

    extra: dict[str, float] = {}

    async def run(server: StormServer) -> None:
        spec = SourceSpec(
            "am",
            "alertmanager",
            url=server.url,
            interval=timedelta(seconds=3),
            options={"timeout": "60s"},
        )
        config = Config(database=db, sources=(spec,))
        async with open_console(config, actor="bench") as app, app.run_test(size=(80, 24)):
            await app.ready.wait()
            table = app.query_one("#alerts-table")
            await until(lambda: table.row_count >= count, 600, "listed")  # type: ignore[attr-defined]
            extra["listed_peak_mb"] = memory()["peak"]
            seen = server.polls
            # two more polls done, a third begun
            await until(lambda: server.polls >= seen + 3, 600, "two more polls")

    with storm_server(count) as server:
        asyncio.run(run(server))
    return {**memory(), **extra}


STEPS = {"bare": bare, "fill": fill, "console": console, "engine": engine_poll, "both": both}


def measure(step: str, count: int, db: Path) -> dict[str, float]:
    """Run one step in a fresh process; its figures."""
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, "--count", str(count), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(out.stderr[-2000:])
        raise SystemExit(f"{step} failed")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args.count, args.db)))
        return
    floor = measure("bare", 0, Path("/nonexistent"))
    print(f"python + the console's imports: {floor['now']:.0f} MB")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
            db = Path(tmp) / "w.db"
            measure("fill", size, db)
            shown = measure("console", size, db)
            engine = measure("engine", size, Path(tmp) / "engine.db")
            together = measure("both", size, Path(tmp) / "both.db")
        print(f"\n== {size:,} alerts (peak / at the end, MB; target console <= {TARGET_MB})")
        print(
            f"console, not polling      {shown['peak']:6.0f} / {shown['now']:4.0f}"
            f"   (listed in {shown['listed_s']:.2f} s at {shown['listed_mb']:.0f} MB)"
        )
        print(
            f"engine polls, no screen   {engine['peak']:6.0f} / {engine['now']:4.0f}"
            f"   ({engine['before_mb']:.0f} MB before the first poll, {engine['first_peak_mb']:.0f}"
            f" at its peak; {engine['held_mb']:.0f} MB after it, caches kept)"
        )
        print(
            f"console polling itself    {together['peak']:6.0f} / {together['now']:4.0f}"
            f"   (peak {together['listed_peak_mb']:.0f} MB until all were listed)"
        )


if __name__ == "__main__":
    main()
