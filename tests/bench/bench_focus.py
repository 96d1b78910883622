"""What a focus move costs, the footer's keys updated in place or recomposed (prints figures).

    python tests/bench/bench_focus.py [--moves 40]

Starts the console (the test harness's `open_console`, 80x24, headless) on a
database of 20 alerts and moves the focus with Tab between the tab bar (three
keys in the footer) and the Alerts table (thirteen), as a responder does. Each
move is timed from the key press to the last frame sent to the terminal once
the footer shows the focused widget's keys, in wall time and in CPU time of the
process (CPU hardly moves with other load on the machine). Both ways run in the
same process, alternating: `in place` (KeyFooter now) and `recompose` (what
Textual's Footer does, every key widget removed and mounted anew; issue 9
measured 100-190 ms a move).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ptyrun import load_note
from tests.tui.conftest import Harness, make_alert
from textual.widgets._footer import FooterKey

from warroom.tui.footer import KeyFooter


def _shown(footer: KeyFooter) -> list[tuple[str, str]]:
    return [(k.key, k.description) for k in footer.query(FooterKey) if k.display]


def _expected(app: Any) -> list[tuple[str, str]]:
    by_action: dict[str, tuple[str, str]] = {}
    for _n, b, _e, _t in app.screen.active_bindings.values():
        if b.show and b.action not in by_action:
            by_action[b.action] = (b.key, b.description)
    palette = app.screen.active_bindings[app.COMMAND_PALETTE_BINDING][1]
    return [*by_action.values(), (palette.key, palette.description)]


async def moves(recompose: bool, count: int, key: str = "tab") -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of each focus move (or, with `key` one nothing is bound to,
    of the harness alone: pressing, waiting and idling cost something too)."""
    with tempfile.TemporaryDirectory() as tmp:
        harness = Harness(Path(tmp))
        await harness.seed([make_alert(f"a{n}") for n in range(20)])
        async with harness.start() as ui:
            app = ui.app
            footer = app.query_one(KeyFooter)
            if recompose:

                async def never() -> bool:
                    return False

                footer._update_in_place = never  # type: ignore[method-assign]
            frames: list[float] = []
            display = app._display

            def counted(screen: Any, renderable: Any) -> None:
                display(screen, renderable)
                frames.append(time.perf_counter())

            app._display = counted  # type: ignore[method-assign]
            await ui.wait_for(lambda: _shown(footer) == _expected(app), what="the keys")
            await ui.pilot.pause(0.2)
            walls, cpus = [], []
            for _ in range(count):
                start, cpu = time.perf_counter(), time.process_time()
                await ui.pilot.press(key)
                await ui.wait_for(lambda: _shown(footer) == _expected(app), what="the keys")
                await ui.pilot.pause(0.05)  # the frames of this move are all out
                end = max((f for f in frames if f > start), default=time.perf_counter())
                walls.append((end - start) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def row(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"  {label:22} median {statistics.median(values):6.1f} ms   p90 {p90:6.1f} ms"


async def main_async(count: int) -> None:
    print(load_note())
    results: dict[str, tuple[list[float], list[float]]] = {
        "in place": ([], []),
        "recompose": ([], []),
        "no focus move (harness)": ([], []),
    }
    for _round in range(2):
        for label in results:
            key = "f12" if label.startswith("no focus") else "tab"
            walls, cpus = await moves(label == "recompose", count // 2, key)
            results[label][0].extend(walls)
            results[label][1].extend(cpus)
    for label, (walls, cpus) in results.items():
        print(f"{label} ({len(walls)} key presses):")
        print(row("key to screen (wall)", walls))
        print(row("CPU (incl. 50 ms idle)", cpus))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=40)
    asyncio.run(main_async(parser.parse_args().moves))


if __name__ == "__main__":
    main()
