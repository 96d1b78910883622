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

import codecs
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
    if has_surrogate_escapes(body):
        payload = replace_lone_surrogates(payload)
    return payload


def has_surrogate_escapes(body: bytes) -> bool:
    return b"\\ud" in body or b"\\uD" in body


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
WINDOW = 256 * 1024  # bytes decoded to text at a time


class NotAnArray(ValueError):
    """The JSON is valid but its top level is not an array; `value` is what it is."""

    def __init__(self, value: Any) -> None:
        super().__init__(f"expected an array, got {type(value).__name__}")
        self.value = value


def loads_yielding(body: bytes | str) -> Any:
    """`json.loads`, but a top-level array is decoded one element at a time.

    One `json.loads` of 20 MB is a single C call that holds the GIL for a third
    of a second even in a worker thread, freezing the console. Decoding element
    by element returns to Python between elements, so the event loop gets its
    turns. Same result and same JSONDecodeError (with position) as json.loads.
    """
    data = body.encode() if isinstance(body, str) else body
    try:
        return list(array_items(data))
    except NotAnArray as exc:
        return exc.value


def array_items(body: bytes, window: int = WINDOW) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time.

    For a source's answer of 50,000 alerts, so that the caller can turn each into
    an alert and drop it: the decoded tree of the whole answer (about six times
    the size of its bytes) never exists at once, nor its text, which is decoded a
    window at a time (a single emoji makes `bytes.decode` of the whole answer four
    bytes a character). Valid JSON whose top level is not an array raises
    NotAnArray; invalid JSON raises json.loads's own JSONDecodeError (message and
    position), found by decoding the whole answer again, once, on that path only.
    """
    return _ArrayItems(body, window).items()


class _ArrayItems:
    """A window of text over the answer's bytes: `text[pos:]` is what is left of it."""

    def __init__(self, body: bytes, window: int) -> None:
        self.body = body
        self.decoder = codecs.getincrementaldecoder(json.detect_encoding(body))()
        self.fed = 0  # bytes decoded so far
        self.window = window
        self.text = ""
        self.pos = 0

    @property
    def eof(self) -> bool:
        return self.fed >= len(self.body)

    def more(self, at_least: int = 0) -> bool:
        """Decode the next window (at least `at_least` bytes); False at the end."""
        if self.eof:
            return False
        size = max(self.window, at_least)
        chunk = self.body[self.fed : self.fed + size]
        self.fed += len(chunk)
        self.text = self.text[self.pos :] + self.decoder.decode(chunk, final=self.eof)
        self.pos = 0
        return True

    def skip_space(self) -> str:
        """Past whitespace; the next character, or "" at the end of the answer."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def value(self) -> Any:
        """The next value; a value that ends where the window ends is decoded again
        with more text (a number cut at the edge decodes as a smaller number)."""
        wanted = 0
        while True:
            try:
                item, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise
            else:
                if end < len(self.text) or self.eof:
                    self.pos = end
                    return item
            # cut by the window's edge (or wrong: more text tells): grow geometrically,
            # so one huge element costs a few decodes of itself, not one per window
            wanted = max(wanted * 2, self.window)
            self.more(wanted)

    def items(self) -> Iterator[Any]:
        try:
            if self.skip_space() != "[":
                raise _NotArray
            self.pos += 1
            if self.skip_space() == "]":
                self.pos += 1
            else:
                while True:
                    yield self.value()
                    following = self.skip_space()
                    self.pos += 1
                    if following == "]":
                        break
                    if following != ",":
                        raise _Invalid
                    self.skip_space()
            if self.skip_space():
                raise _Invalid
        except (json.JSONDecodeError, UnicodeDecodeError, _Invalid, _NotArray):
            # the exact error (or the value that is not an array), from the whole answer
            value = json.loads(self.body)
            raise NotAnArray(value) from None


class _Invalid(Exception):
    pass


class _NotArray(Exception):
    pass
