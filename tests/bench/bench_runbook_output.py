"""A command printing 100,000 lines, shown live on the Runbook tab (prints figures).

    python tests/bench/bench_runbook_output.py [--lines 100000] [--rounds 5] [--skip-pty]

The command is a real process (`python -c` printing numbered lines of ~60
characters as fast as it can), read in 64 KiB chunks as the runner reads it;
the tab reads the step's output the way it reads the store (`RunbookData.output`
after a position) and draws it with its bounded, batched log.

1. Headless (Textual's driver, 80x24): lines per second from the process's start
   until its last line is on screen; and, while it streams, the delay from a key
   (pageup / end on the output, scrolling back and returning) until the app
   painted the move: median, p99 (target <= 50 ms), worst.
2. On a real 80x24 pseudo-terminal (ptyrun): the bytes the console writes to the
   terminal per second while the output streams, and in total.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ptyrun import PtyProcess, load_note, per_second

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.model import runbook as rb
from warroom.model.runbook_steps import Command, Runbook, Step, StepKind
from warroom.tui.app import WarroomApp
from warroom.tui.footer import KeyFooter
from warroom.tui.run_output import HEAD_LINES, TAIL_LINES, RunOutput
from warroom.tui.runbook_data import OutputRead, ShownRun

P99_TARGET_MS = 50
PRINTER = (
    "import sys\n"
    "w = sys.stdout.write\n"
    "for i in range(1, {n} + 1):\n"
    "    w(f'line {{i:>7}} of {n}: the quick brown fox jumps over the lazy dog\\n')\n"
)


class PipedRun:
    """One run with one command step, its output read from a real process's pipe."""

    def __init__(self, lines: int, folder: str) -> None:
        script = Path(folder) / "printer.py"  # a file: argv elements are templates
        script.write_text(PRINTER.format(n=lines))
        step = Step("print", StepKind.COMMAND, Command((sys.executable, str(script))))
        self.runbook = Runbook("bench-print", (step,))
        now = datetime.now(UTC)
        self.run = rb.begin(
            rb.start(self.runbook, {}, "bench", now, incident_id=None), "print", 0, now
        )
        self.chunks: list[str] = []  # as read, like the store's output rows
        self.ends: list[int] = []  # the position after each chunk
        self.started = 0.0
        self.ended = 0.0

    async def feed(self) -> None:
        step = self.runbook.steps[0].spec
        assert isinstance(step, Command)
        self.started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *step.argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            self.chunks.append(chunk.decode("utf-8", errors="replace"))
            self.ends.append((self.ends[-1] if self.ends else 0) + len(self.chunks[-1]))
        code = await proc.wait()
        self.ended = time.monotonic()
        self.run = rb.result(self.run, "print", 1, rb.Outcome(exit_code=code), datetime.now(UTC))

    async def runs(self, incident_id: int | None) -> list[ShownRun]:
        return [ShownRun(1, self.run)]

    async def output(self, run_id: int, step: str, attempt: int, after: int) -> OutputRead:
        first = bisect.bisect_right(self.ends, after)
        start = self.ends[first - 1] if first else 0
        text = "".join(self.chunks[first:])[after - start :]
        return OutputRead(text, self.ends[-1] if self.ends else 0)

    async def start(self, incident_id: int, runbook: str, parameters: Mapping[str, str]) -> int:
        raise NotImplementedError

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: str, why: str = ""
    ) -> object:
        raise NotImplementedError


async def show(app: WarroomApp, piped: PipedRun) -> Any:
    from warroom.tui.runbook_view import RunbookView

    app.show_tab("runbook")
    while (view := app.view("runbook")) is None:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    assert isinstance(view, RunbookView)
    while not view.query("#runbook-title"):  # noqa: ASYNC110  (a lazy tab composes after mounting)
        await asyncio.sleep(0.01)
    view._data = piped
    await view.reload()
    return view


async def painted(app: WarroomApp) -> None:
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await asyncio.wait_for(done.wait(), 10)


async def settled(app: WarroomApp) -> None:
    """Until the footer's rebuild for the new focus (queued after a refresh) is on screen."""
    footer = app.query_one(KeyFooter)
    for _ in range(100):
        await painted(app)
        if not footer._pending:
            break
        await asyncio.sleep(0.01)
    await painted(app)


async def one_round(lines: int) -> tuple[list[float], float]:
    """One command streamed to the tab: the key delays while it streamed, and lines/s."""
    last = f"line {lines:>7} of {lines}"
    with tempfile.TemporaryDirectory() as tmp:
        piped = PipedRun(lines, tmp)
        config = Config(database=Path(tmp) / "w.db")
        async with open_console(config, actor="bench") as app, app.run_test(size=(80, 24)):
            await app.ready.wait()
            view = await show(app, piped)
            out = view.query_one("#runbook-output", RunOutput)
            feeding = asyncio.create_task(piped.feed())
            samples: list[float] = []
            key = "pageup"
            # a few screens in: there is somewhere to scroll
            while out.max_scroll_y < 50:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            out.focus()
            await painted(app)
            await settled(app)  # the footer shows the output's keys: not a key's cost
            assert id(app.focused) == id(out), app.focused
            shown_at = None
            while shown_at is None:
                before = out.scroll_y
                started = time.monotonic()
                app.simulate_key(key)
                while out.scroll_y == before and time.monotonic() - started < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                await painted(app)
                if out.total < lines:  # still streaming
                    samples.append(time.monotonic() - started)
                key = "end" if key == "pageup" else "pageup"
                if key == "pageup" and any(last in row for row in out.rows()[-3:]):
                    await painted(app)
                    shown_at = time.monotonic()
                await asyncio.sleep(0.02)
            await feeding
            assert out.line_count == HEAD_LINES + TAIL_LINES, out.line_count
            assert out.dropped == lines - HEAD_LINES - TAIL_LINES, out.dropped
            return samples, lines / (shown_at - piped.started)


async def headless(lines: int, rounds: int) -> None:
    """`rounds` commands one after another: the key delays of all of them make the p99
    (one command of 100,000 lines streams for a second or two: a dozen presses)."""
    samples: list[float] = []
    rates: list[float] = []
    for _ in range(rounds):
        got, rate = await one_round(lines)
        samples.extend(got)
        rates.append(rate)
    print(f"== {lines:,} lines of ~60 characters, headless 80x24, {rounds} run(s); {load_note()}")
    print(
        f"last line on screen: {statistics.median(rates):,.0f} lines/s to the screen"
        f" (median of {rounds}; {min(rates):,.0f} .. {max(rates):,.0f})"
    )
    print(
        f"kept on screen: {HEAD_LINES + TAIL_LINES:,} lines (head and tail),"
        f" {lines - HEAD_LINES - TAIL_LINES:,} counted in the marker"
    )
    if len(samples) > 1:
        p99 = statistics.quantiles(samples, n=100, method="inclusive")[98] * 1000
        verdict = "within" if p99 <= P99_TARGET_MS else "OVER"
        print(
            f"key to screen while streaming ({len(samples)} presses, pageup/end):"
            f" median {statistics.median(samples) * 1000:.1f} ms  p99 {p99:.1f} ms"
            f" ({verdict} target {P99_TARGET_MS} ms)  worst {max(samples) * 1000:.1f} ms"
        )


async def child(lines: int, db: str) -> None:
    """The console on the pty: the Runbook tab streaming the command's output."""
    piped = PipedRun(lines, str(Path(db).parent))
    config = Config(database=Path(db))
    async with open_console(config, actor="bench") as app:

        async def drive() -> None:
            await app.ready.wait()
            view = await show(app, piped)
            await asyncio.sleep(0.5)
            await piped.feed()
            await asyncio.sleep(0.5)  # the output's last read
            await view.reload()  # as the change feed does on the step's result

        task = asyncio.get_running_loop().create_task(drive())
        await app.run_async()
        task.cancel()


def pty_bytes(lines: int, window: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, __file__, "--child", "--lines", str(lines), "--db", f"{tmp}/w.db"]
        with PtyProcess(argv) as proc:
            if proc.wait_for_text("bench-print", 30) is None:
                print("the console did not show the run within 30 s")
                return
            start = time.monotonic()
            # the run's result is drawn once its last output was read and drawn
            done = proc.wait_for(lambda text: "succeeded" in text, 120)
            end = time.monotonic()
            proc.read_for(window)
            chunks = list(proc.transcript.chunks)
    streaming = sum(len(c.data) for c in chunks if start <= c.at < end)
    seconds = max(end - start, 1e-9)
    print(f"== on an 80x24 pty (TERM=xterm-256color); {load_note()}")
    if done is None:
        print("WARNING: the run never showed as succeeded")
    print(
        f"while streaming: {streaming:,} bytes in {seconds:.2f} s ="
        f" {streaming / seconds:,.0f} bytes/s to the terminal"
    )
    after = per_second(chunks, end, int(window))
    print(f"after the last line, per second: {' '.join(str(n) for n in after)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-pty", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.lines, args.db))
        return
    asyncio.run(headless(args.lines, args.rounds))
    if not args.skip_pty:
        pty_bytes(args.lines, 3)


if __name__ == "__main__":
    main()
