"""Source speed against a real Alertmanager holding N alerts (prints figures, asserts nothing).

    python tests/bench/bench_sources.py [--sizes 10000,50000] [--runs 5]

For each size: `warroom alerts --json` as a whole process vs `amtool alert query
-o json` (medians, the two run in turns), an httpx GET + json.loads in-process, and one engine poll
cycle (fetch, parse, normalise, diff, store) first and unchanged, with the ratio
to GET + parse, alert rows written, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count  # noqa: E402

from warroom.engine.poller import poll_once  # noqa: E402
from warroom.sources.alertmanager import AlertmanagerSource  # noqa: E402
from warroom.sources.base import SourceSpec  # noqa: E402
from warroom.store import open_store  # noqa: E402
from warroom.store.tx import DigestCache  # noqa: E402


def timed_processes(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command, run in turns: drift on a shared VM then
    weighs on all of them alike, not on whichever happened to run second."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            started = time.perf_counter()
            subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


async def engine_cycles(url: str, db: Path, runs: int) -> dict[str, float]:
    """One engine poll against an httpx GET + json.loads of the same response,
    in turns, so both see the same machine."""
    store = await open_store(db)
    source = AlertmanagerSource(
        SourceSpec("am", "alertmanager", url=url, options={"timeout": "120s"})
    )
    try:
        started = time.perf_counter()
        digests = DigestCache()  # as the engine keeps one per source
        first = await poll_once(store, source, digests=digests)
        first_s = time.perf_counter() - started
        assert first is not None
        polls, gets, written = [], [], 0
        async with httpx.AsyncClient(timeout=120) as client:
            for _ in range(runs):
                started = time.perf_counter()
                resp = await client.get(f"{url}/api/v2/alerts")
                json.loads(resp.content)
                gets.append(time.perf_counter() - started)
                started = time.perf_counter()
                again = await poll_once(store, source, digests=digests)
                polls.append(time.perf_counter() - started)
                assert again is not None
                written += again.rows_written
        return {
            "first": first_s,
            "first_rows": first.rows_written,
            "get_parse": statistics.median(gets),
            "again": statistics.median(polls),
            "again_rows": written,
        }
    finally:
        await source.close()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # As installed: pip compiles the package, but an editable install under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every run.
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    amtool = "amtool"
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp, alertmanager(Path(tmp) / "am") as url:
            alerts = [
                am_alert(
                    f"Bench{i % 50}",
                    ("critical", "warning", "info")[i % 3],
                    instance=f"host-{i}.example:9100",
                    cluster=f"c{i % 7}",
                    job="node",
                    team=f"team-{i % 13}",
                )
                for i in range(size)
            ]
            post_alerts(url, alerts)
            wait_alert_count(url, size, seconds=120)
            cfg = Path(tmp) / "config.yaml"
            cfg.write_text(
                f"sources:\n  - name: am\n    type: alertmanager\n    url: {url}\n"
                "    timeout: 120s\n"
            )
            env_db = ["--db", str(Path(tmp) / "cli.db")]
            medians = timed_processes(
                {
                    "amtool": [amtool, f"--alertmanager.url={url}", "alert", "query", "-o", "json"],
                    "warroom": [
                        sys.executable,
                        "-m",
                        "warroom",
                        "--config",
                        str(cfg),
                        *env_db,
                        "alerts",
                        "--json",
                    ],
                },
                args.runs,
            )
            am_s, wr_s = medians["amtool"], medians["warroom"]
            cycles = asyncio.run(engine_cycles(url, Path(tmp) / "engine.db", args.runs))
            gp_s, first_s, again_s = cycles["get_parse"], cycles["first"], cycles["again"]
            first_rows, again_rows = int(cycles["first_rows"]), int(cycles["again_rows"])
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"== {size:,} alerts in a real Alertmanager (medians of {args.runs})")
            print(f"amtool alert query -o json        {am_s:7.3f} s")
            print(f"warroom alerts --json (process)   {wr_s:7.3f} s   ({wr_s / am_s:.2f}x amtool)")
            print(f"httpx GET + json.loads            {gp_s:7.3f} s")
            print(
                f"engine poll, first pass           {first_s:7.3f} s   {first_rows:,} rows written"
            )
            print(
                f"engine poll, unchanged            {again_s:7.3f} s   {again_rows:,} rows written"
                f"   ({again_s / gp_s:.2f}x GET+parse)"
            )
            print(f"peak RSS of this process          {rss:7.1f} MiB")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
