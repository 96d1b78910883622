"""The console's collector policy: bulk work pauses it, survivors are frozen,
and cycles hidden by freezing are reclaimed when the responder is idle."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom import offload
from warroom.cli.console import open_console
from warroom.config import demo_config
from warroom.tui.alerts_view import AlertsView
from warroom.tui.heap import FULL_AT_LEAST, FULL_EVERY, IDLE_FOR, HeapKeeper


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Node:
    """A reference cycle: only the cycle collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def clean_gc() -> Iterator[None]:
    gc.unfreeze()
    yield
    offload.start_done()
    gc.unfreeze()
    gc.enable()
    offload.set_interactive(False)


def dropped_cycle() -> weakref.ref[Node]:
    node = Node()
    ref = weakref.ref(node)
    del node
    return ref


def test_tidy_freezes_and_keeps_frozen_cycles_until_the_responder_is_idle() -> None:
    clock = Clock()
    keeper = HeapKeeper(clock)
    gc.collect()
    cycle = dropped_cycle()
    assert keeper.tidy() is False
    assert gc.get_freeze_count() > 0
    gc.collect()  # a frozen object is never walked, so its cycle stays
    assert cycle() is not None

    clock.now += FULL_EVERY
    keeper.input_seen()  # keys just now: no full collection under the responder's fingers
    assert keeper.tidy() is False
    assert cycle() is not None

    clock.now += IDLE_FOR
    assert keeper.tidy() is True
    assert cycle() is None
    assert gc.get_freeze_count() > 0  # what survived is frozen again


def test_a_full_collection_comes_at_least_every_half_hour_however_busy() -> None:
    clock = Clock()
    keeper = HeapKeeper(clock)
    keeper.tidy()
    cycle = dropped_cycle()
    keeper.tidy()
    for _ in range(int(FULL_AT_LEAST // 60) - 1):
        clock.now += 60
        keeper.input_seen()
        assert keeper.tidy() is False
    clock.now += 60
    keeper.input_seen()
    assert keeper.tidy() is True
    assert cycle() is None


def test_release_hands_everything_back() -> None:
    keeper = HeapKeeper(Clock())
    keeper.tidy()
    assert gc.get_freeze_count() > 0
    keeper.release()
    assert gc.get_freeze_count() == 0


def test_bulk_steps_pause_the_collector_and_settle_once_when_the_last_ends() -> None:
    settled: list[bool] = []
    offload.set_interactive(True, settle=lambda: settled.append(gc.isenabled()))
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, bool] = {}

    def step(name: str) -> None:
        with offload.collector_paused():
            seen[name] = gc.isenabled()
            inside.set()
            release.wait(5)

    other = threading.Thread(target=step, args=("thread",))
    other.start()
    assert inside.wait(5)
    with offload.collector_paused():  # a second, overlapping step
        assert not gc.isenabled()
    assert not gc.isenabled() and settled == []  # the thread's step still runs
    release.set()
    other.join(5)
    assert seen == {"thread": False}
    assert gc.isenabled()
    assert settled == [False]  # once, and before the collector woke


async def test_off_loop_runs_with_the_collector_paused_inline_and_in_a_thread() -> None:
    offload.set_interactive(True)
    small = await offload.off_loop(1, 10, gc.isenabled)
    large = await offload.off_loop(100, 10, gc.isenabled)
    assert (small, large) == (False, False)
    assert gc.isenabled()
    offload.set_interactive(False)
    assert await offload.off_loop(100, 10, gc.isenabled) is False
    assert gc.isenabled()
    await asyncio.sleep(0)


def test_the_start_up_pause_outlasts_bulk_steps_and_ends_once_settled() -> None:
    """`warroom` pauses the collector for its whole start-up (issue 9): a poll's
    bulk step ending meanwhile must not wake it; `start_done` does, once."""
    settled: list[bool] = []
    offload.set_interactive(True, settle=lambda: settled.append(gc.isenabled()))
    offload.pause_for_start()
    offload.pause_for_start()  # a second call adds no pause of its own
    assert not gc.isenabled()
    with offload.collector_paused():
        pass
    assert not gc.isenabled() and settled == []
    offload.start_done()
    assert gc.isenabled() and settled == [False]
    offload.start_done()  # again: nothing
    assert gc.isenabled() and settled == [False]


async def test_the_console_ends_the_start_up_pause_once_its_first_alerts_show(
    tmp_path: Path,
) -> None:
    """Paused by `warroom` before the console is built; resumed by the console once
    the first poll's alerts are on screen, with what the start-up built frozen."""
    offload.pause_for_start()
    config = demo_config(tmp_path / "w.db", plans=None)
    async with open_console(config) as app, app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 10)
        table = app.query_one("#view-alerts", AlertsView).table
        async with asyncio.timeout(10):
            while not table.row_count:
                await pilot.pause(0.01)
            while not gc.isenabled():
                await pilot.pause(0.01)
        assert gc.get_freeze_count() > 0


async def test_settling_after_the_screen_is_gone_still_ends_the_start_up_pause(
    tmp_path: Path,
) -> None:
    """A slow start that meets the exit settles with no screen left: it used to raise
    IndexError from the timer (seen under load), and the collector stayed paused."""
    offload.pause_for_start()
    config = demo_config(tmp_path / "w.db", plans=None)
    async with open_console(config) as app:
        assert not app.screen_stack  # not running: no screen, as after the exit
        app._settle()
        assert gc.isenabled()


def test_a_screen_hands_the_gil_round_every_millisecond_and_gives_the_default_back() -> None:
    """With a screen, a bulk step's thread holds the GIL at most 1 ms while the loop
    waits (key to screen during a 50,000-alert poll, issue 9); without one, the
    process keeps CPython's default, which favours throughput."""
    offload.set_interactive(False)
    default = sys.getswitchinterval()
    assert default == pytest.approx(0.005)  # CPython's
    try:
        offload.set_interactive(True)
        assert sys.getswitchinterval() == pytest.approx(0.001)
        offload.set_interactive(False)
        assert sys.getswitchinterval() == pytest.approx(default)
    finally:
        offload.set_interactive(False)
