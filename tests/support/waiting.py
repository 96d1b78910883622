"""Polling until something holds, with a deadline and a failure that says what for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# What a failure names: a phrase, or a function that tells it when the time is up
# (to show the last state seen, a log's tail, ...).
What = str | Callable[[], str]


def _timed_out(seconds: float, what: What) -> AssertionError:
    told = what() if callable(what) else what
    return AssertionError(f"timed out after {seconds}s waiting for {told}")


async def until_awaited(
    predicate: Callable[[], Awaitable[T | None]],
    seconds: float = 15,
    what: What = "condition",
    *,
    interval: float = 0.05,
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Await `predicate()` until it gives something truthy; that value.

    Between calls, `pause(interval)` (a Textual pilot's `pause` also lets the app
    settle); past `seconds`, AssertionError naming `what`.
    """
    deadline = time.monotonic() + seconds
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise _timed_out(seconds, what)
        await pause(interval)


async def until(
    predicate: Callable[[], T | None],
    seconds: float = 15,
    what: What = "condition",
    *,
    interval: float = 0.05,
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """`until_awaited` for a plain `predicate`: the event loop runs between calls."""

    async def check() -> T | None:
        return predicate()

    return await until_awaited(check, seconds, what, interval=interval, pause=pause)


def wait_until(
    predicate: Callable[[], T | None],
    seconds: float = 15,
    what: What = "condition",
    *,
    interval: float = 0.05,
) -> T:
    """`until` for code without an event loop: blocks, sleeping `interval` between calls."""
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise _timed_out(seconds, what)
        time.sleep(interval)
