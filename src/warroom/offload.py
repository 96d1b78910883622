"""CPU-heavy steps off the event loop, so the console stays responsive.

The console runs the engine in its own event loop: parsing, normalising and
diffing 50,000 alerts there would freeze keys and drawing for seconds. Large
work goes to a thread (the GIL still switches every few milliseconds, so the
loop keeps turning); small work stays inline, where a thread hop costs more.

Only a process with a screen pays for that: `warroom engine` and `warroom
alerts` have nothing to keep drawing, so they run everything inline with the
fastest parser. The console calls `set_interactive(True)` when it starts.

Every such step also runs with the cycle collector paused, and in the console
its survivors are then frozen (the `settle` hook, `tui.heap`): the GIL hands the loop
its turns, but a full collection walking a million objects does not.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from warroom.model.text import replace_lone_surrogates

T = TypeVar("T")

OFFLOAD_ITEMS = 2000
OFFLOAD_BYTES = 512 * 1024


_interactive = False
_settle: Callable[[], object] | None = None


def set_interactive(value: bool, settle: Callable[[], object] | None = None) -> None:
    """A screen is drawing (or no longer); `settle` runs after each bulk step."""
    global _interactive, _settle
    _interactive = value
    _settle = settle if value else None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection while bulk work builds its objects.

    Parsing or normalising 50,000 alerts allocates about a million objects that
    all stay alive until the step ends; every full collection in between walks
    them all (50-300 ms, the console's thread included) and frees nothing.
    Concurrent steps, in threads too, share one pause.
    """
    global _pauses
    with _pause_lock:
        if _pauses == 0:
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0:
                # In the console, the survivors are frozen (`tui.heap`) before the
                # collector wakes: else its first young pass walks everything the
                # pause let pile up, and later full passes walk it again.
                if _settle is not None:
                    _settle()
                gc.enable()


_pause_lock = threading.Lock()
_pauses = 0


def _paused(fn: Callable[..., T], *args: Any) -> T:
    with collector_paused():
        return fn(*args)


async def off_loop(size: int, threshold: int, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` with the collector paused: in a worker thread when a screen must
    keep drawing and `size` is over `threshold`, inline otherwise."""
    if not _interactive or size <= threshold:
        return _paused(fn, *args)
    import asyncio  # only a screen gets here; `warroom alerts` sends before importing it

    return await asyncio.to_thread(_paused, fn, *args)


def loads(body: bytes) -> Any:
    """JSON for a source's answer: yielding in the console, plain json.loads elsewhere.

    Lone surrogates can only come from `\\uD8xx`-style escapes (raw ones are
    invalid UTF-8 and fail the decode), so only an answer that has such an
    escape pays for the walk that replaces them.
    """
    payload = loads_yielding(body) if _interactive else json.loads(body)
    if b"\\ud" in body or b"\\uD" in body:
        payload = replace_lone_surrogates(payload)
    return payload


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def loads_yielding(body: bytes | str) -> Any:
    """`json.loads`, but a top-level array is decoded one element at a time.

    One `json.loads` of 20 MB is a single C call that holds the GIL for a third
    of a second even in a worker thread, freezing the console. Decoding element
    by element returns to Python between elements, so the event loop gets its
    turns. Same result and same JSONDecodeError (with position) as json.loads.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", start):
        return json.loads(text)
    items: list[Any] = []
    index = _SPACE.match(text, start + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", index):
        index += 1
    else:
        while True:
            item, index = _DECODER.raw_decode(text, index)
            items.append(item)
            index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
            if text.startswith(",", index):
                index = _SPACE.match(text, index + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", index):
                index += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
    end = _SPACE.match(text, index).end()  # type: ignore[union-attr]
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return items
