"""Full garbage collections kept off the responder's keys.

With 50,000 alerts the console holds about a million long-lived objects, and
CPython's full collection walks every one of them: 100-300 ms with the screen
frozen, every poll or two, and it finds almost nothing (alert data holds no
reference cycles). So what has survived is frozen every few seconds
(`gc.freeze`: never walked again, still freed by reference counting the moment
it is dropped), and the cycles that freezing may hide, such as a closed
dialog's widgets, are reclaimed by one full collection when the responder has
not touched a key for a while -- or, however busy the keyboard, after half an
hour, so nothing piles up for good.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

TIDY_SECONDS = 5.0
FULL_EVERY = 600.0  # a full collection at most this often, and only when idle...
IDLE_FOR = 5.0  # ...for this long
FULL_AT_LEAST = 1800.0  # and at least this often, idle or not


class HeapKeeper:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_input = clock()
        self._last_full = clock()

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def tidy(self) -> bool:
        """Freeze what survived; collect everything first when it is time. True if it did."""
        now = self._clock()
        since_full = now - self._last_full
        idle = now - self._last_input >= IDLE_FOR
        full = (since_full >= FULL_EVERY and idle) or since_full >= FULL_AT_LEAST
        if full:
            gc.unfreeze()
            gc.collect()
            self._last_full = now
        gc.freeze()
        return full

    def release(self) -> None:
        """Hand everything back to the collector (the console is closing)."""
        gc.unfreeze()
