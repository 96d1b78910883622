"""Time to first frame of `warroom --demo` at 80x24, against a bare Textual app, same run.

    python tests/bench/bench_startup.py [--runs 7]

Each program is started as a real process on its own 80x24 pseudo-terminal
(TERM=xterm-256color) and its output read until a marker shows on screen:

    first frame   the tab label "Incidents": the console's first painted frame
    first alerts  "KubePodCrashLooping", the demo's always-firing alert: the
                  first frame with data (fresh database, so the engine must take
                  the lease, poll once and commit, and the change feed must wake)

The baseline (bare_app.py: four tabs, a DataTable of five rows, a Footer) shows
both markers in its first frame. warroom runs on a fresh temporary --db each
time. Runs alternate between the two programs after one unmeasured warm-up of
each, so page cache and CPU frequency affect both alike. The issue's target is
warroom within 2x of the bare app.

Both run from byte-code, as installed programs do (pip compiles at install):
warroom's package is compiled first, and PYTHONDONTWRITEBYTECODE is not passed
on (ptyrun.bench_env). Before that, a test environment with it set made every
warroom run compile its modules from source, some 0.6 s of the gap.

On a shared machine the wall times stretch with the load (and the ratio with
them: the longer program is preempted more), so each marker also gets the CPU
seconds the program had used when it showed (user + system, all threads, from
/proc): a figure the other processes on the machine hardly move.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ptyrun import PtyProcess, load_note

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 2.0
MARKERS = {"first frame": "Incidents", "first alerts": "KubePodCrashLooping"}


@dataclass(slots=True)
class Subject:
    name: str
    argv_for_run: tuple[str, ...]
    needs_db: bool
    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    first_byte: list[float] = field(default_factory=list)
    failures: int = 0

    def argv(self, tmp: Path) -> list[str]:
        extra = ["--db", str(tmp / "warroom.db")] if self.needs_db else []
        return [*self.argv_for_run, *extra]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a running process, all its threads (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def run_once(subject: Subject, timeout: float) -> dict[str, float] | None:
    """Seconds from spawn to each marker (and to the first byte), or None on timeout;
    `cpu <marker>` entries: the CPU seconds the program had used by then."""
    with (
        tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp,
        PtyProcess(subject.argv(Path(tmp))) as proc,
    ):
        found: dict[str, float] = {}
        for label, marker in MARKERS.items():
            elapsed = proc.wait_for_text(marker, timeout)
            if elapsed is None:
                tail = proc.transcript.data[-400:]
                print(f"  {subject.name}: no {marker!r} within {timeout}s; last bytes {tail!r}")
                return None
            found[label] = elapsed
            used = cpu_seconds(proc.proc.pid)
            if used is not None:
                found[f"cpu {label}"] = used
        found["first byte"] = proc.transcript.chunks[0].at - proc.started
    return found


def record(subject: Subject, timeout: float) -> None:
    result = run_once(subject, timeout)
    if result is None:
        subject.failures += 1
        return
    subject.first_byte.append(result.pop("first byte"))
    for label, seconds in result.items():
        if label.startswith("cpu "):
            subject.cpu.setdefault(label.removeprefix("cpu "), []).append(seconds)
        else:
            subject.times.setdefault(label, []).append(seconds)


def summary(values: Sequence[float]) -> str:
    if not values:
        return "no runs"
    return (
        f"median {statistics.median(values):.3f} s  min {min(values):.3f} s"
        f"  max {max(values):.3f} s  (n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each (default 7)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per marker")
    args = parser.parse_args(argv)

    warroom = Subject("warroom --demo", (sys.executable, "-m", "warroom", "--demo"), True)
    bare = Subject("bare textual", (sys.executable, str(HERE / "bare_app.py")), False)
    subjects = (warroom, bare)

    # as `pip install` does: the byte-code of every module, written beside it
    compileall.compile_dir(HERE.parents[1] / "src" / "warroom", quiet=1)
    print(f"80x24 pty, TERM=xterm-256color, {args.runs} runs each after one warm-up")
    print(f"before: {load_note()}")
    for subject in subjects:  # warm-up: .pyc files, page cache; not measured
        run_once(subject, args.timeout)
    for i in range(args.runs):
        for subject in subjects if i % 2 == 0 else reversed(subjects):
            record(subject, args.timeout)

    for subject in subjects:
        print(f"\n{subject.name}")
        print(f"  {'first byte':<13} {summary(subject.first_byte)}")
        for label, marker in MARKERS.items():
            print(f"  {label:<13} {summary(subject.times.get(label, []))}   [{marker!r}]")
        for label in MARKERS:
            print(f"  {'cpu, ' + label.split()[-1]:<13} {summary(subject.cpu.get(label, []))}")
        if subject.failures:
            print(f"  {subject.failures} run(s) timed out")

    print(f"\nafter: {load_note()}")
    print(f"ratio warroom / bare (target <= {TARGET_RATIO:.1f}x)")
    for label in MARKERS:
        ours, base = warroom.times.get(label, []), bare.times.get(label, [])
        if not ours or not base:
            print(f"  {label:<13} n/a")
            continue
        median_ratio = statistics.median(ours) / statistics.median(base)
        min_ratio = min(ours) / min(base)
        verdict = "within target" if median_ratio <= TARGET_RATIO else "OVER target"
        print(
            f"  {label:<13} median {median_ratio:.2f}x   min {min_ratio:.2f}x   {verdict}"
            f"   (+{statistics.median(ours) - statistics.median(base):.3f} s)"
        )
    print("ratio of CPU seconds used by then (load-independent)")
    for label in MARKERS:
        ours, base = warroom.cpu.get(label, []), bare.cpu.get(label, [])
        if ours and base:
            ratio = statistics.median(ours) / statistics.median(base)
            print(f"  {label:<13} median {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
