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
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from warroom.model.text import replace_lone_surrogates

T = TypeVar("T")

OFFLOAD_ITEMS = 2000
OFFLOAD_BYTES = 512 * 1024


_interactive = False
_settle: Callable[[], object] | None = None

# How long a thread may hold the GIL while another waits for it, with a screen.
# CPython's 5 ms suits throughput; while a poll's bulk step runs in its thread,
# the loop waits up to that long each time it gives the GIL up (a select, a
# write to the terminal), several times per key. At 1 ms, key to screen during
# a 50,000-alert poll measured p99 38-44 ms against 52-57 ms at 5 ms, three runs
# each of `bench_responsive --polls 6`; the poll itself takes a little longer.
INTERACTIVE_SWITCH_INTERVAL = 0.001
_default_switch_interval = sys.getswitchinterval()


def set_interactive(value: bool, settle: Callable[[], object] | None = None) -> None:
    """A screen is drawing (or no longer); `settle` runs after each bulk step."""
    global _interactive, _settle
    _interactive = value
    _settle = settle if value else None
    sys.setswitchinterval(INTERACTIVE_SWITCH_INTERVAL if value else _default_switch_interval)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection while bulk work builds its objects.

    Parsing or normalising 50,000 alerts allocates about a million objects that
    all stay alive until the step ends; every full collection in between walks
    them all (50-300 ms, the console's thread included) and frees nothing.
    Concurrent steps, in threads too, share one pause.
    """
    _pause()
    try:
        yield
    finally:
        _resume()


def pause_for_start() -> None:
    """No cycle collection from here until `start_done()`: the console's start-up.

    Importing the console and building its first screen allocates several
    hundred thousand objects (modules, classes, widgets) that all live as long as
    the process; the collector ran some 180 times over them before the first
    alerts showed, a full pass among them, 0.1 s of CPU that freed nothing
    (issue 9). Shares the count of `collector_paused`, so a poll's step ending
    meanwhile does not wake the collector early. A second call before
    `start_done()` does nothing.
    """
    global _starting
    with _start_lock:
        if _starting:
            return
        _starting = True
        _pause()


def start_done() -> None:
    """The first screen with data is up: the collector resumes (after the survivors
    are frozen, in the console). Safe to call any number of times."""
    global _starting
    with _start_lock:
        if not _starting:
            return
        _starting = False
        _resume()


def _pause() -> None:
    global _pauses
    with _pause_lock:
        if _pauses == 0:
            gc.disable()
        _pauses += 1


def _resume() -> None:
    global _pauses
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
_start_lock = threading.Lock()
_starting = False  # paused for a start-up, not resumed yet


_MMAP_THRESHOLD = 128 * 1024  # glibc's own default, before it starts moving it
_tuned = False


def tune_allocator() -> None:
    """Large blocks straight from the OS and back to it, for a process that polls.

    glibc raises its mmap threshold to the size of any mapped block freed (up to
    32 MiB): after the first 20 MB answer, every later buffer, window and big
    dict table of a poll came from the heap, and what a poll freed there stayed in
    the console's RSS (20-30 MB at 50,000 alerts). Fixing the threshold keeps
    them mapped and returned. Elsewhere than glibc this does nothing.
    """
    global _tuned
    if _tuned:
        return
    _tuned = True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: its allocator is its own business
        return
    m_mmap_threshold = -3
    mallopt(ctypes.c_int(m_mmap_threshold), ctypes.c_int(_MMAP_THRESHOLD))


_malloc_trim: Callable[[int], object] | None = None


def release_freed() -> None:
    """Give the OS back what a large poll freed inside glibc's heap.

    Objects of up to 128 KiB (the answer's pieces as they arrive, rows, small
    tables) come from the heap, and what they free there stays in RSS, spread
    between blocks still in use where the heap's top cannot shrink: 20 MB a
    poll at 50,000 alerts, held until the next. `malloc_trim` hands those pages
    back (a few ms, GIL released). Elsewhere than glibc this does nothing.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = lambda _pad: None  # noqa: E731
        else:
            trim.argtypes = [ctypes.c_size_t]
            _malloc_trim = trim
    _malloc_trim(0)


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


def interactive() -> bool:
    """Whether a screen is drawing: bulk work then runs in a worker thread."""
    return _interactive


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread with the collector paused, whatever its size:
    for work that waits on the loop (a `PieceFeed`), which must never run inline."""
    import asyncio

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


def has_surrogate_escapes(body: bytes | Sequence[bytes]) -> bool:
    """Whether the answer (whole, or in pieces) spells a surrogate as an escape."""
    if isinstance(body, bytes):
        return b"\\ud" in body or b"\\uD" in body
    tail = b""
    for piece in body:
        if has_surrogate_escapes(tail + piece[:3]) or has_surrogate_escapes(piece):
            return True
        tail = piece[-3:]
    return False


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


class FeedAborted(Exception):
    """The answer stopped arriving (the request failed): its reader stops too."""


class PieceFeed:
    """An answer's pieces as they arrive on the event loop, read by a worker thread.

    The reader decodes (and drops) each piece while the next is on its way, so
    a 20 MB answer is never held whole: held whole, it was the largest part of a
    50,000-alert poll's peak. `pieces` only grows, and only the loop appends.
    A loopback answer arrives faster than it decodes, so the loop waits (`room`)
    while more than `AHEAD` bytes wait for the reader.
    """

    HEAD = 4096  # bytes kept to name an answer that is not JSON
    AHEAD = 2 * 1024 * 1024

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.head = b""
        self._ready = threading.Condition()
        self._closed = False
        self._aborted = False
        self._waiting = 0  # bytes arrived and not yet decoded
        self._bounded = True
        self._room: Any = None  # the loop's future while it waits for room
        self._loop: Any = None

    def put(self, piece: bytes) -> None:
        if len(self.head) < self.HEAD:
            self.head += piece[: self.HEAD - len(self.head)]
        with self._ready:
            self.pieces.append(piece)
            self._waiting += len(piece)
            self._ready.notify_all()

    async def room(self) -> float:
        """Wait (on the loop) until the reader has caught up; the seconds waited."""
        import asyncio

        with self._ready:
            if not self._bounded or self._waiting <= self.AHEAD:
                return 0.0
            self._loop = asyncio.get_running_loop()
            self._room = waiter = self._loop.create_future()
        started = self._loop.time()
        await waiter
        return float(self._loop.time() - started)

    def decoded(self, size: int) -> None:
        """The reader is done with a piece of this size."""
        with self._ready:
            self._waiting -= size
            if self._waiting <= self.AHEAD // 2:
                self._wake()

    def unbound(self) -> None:
        """The reader stopped, or reads the answer whole: the loop waits no more."""
        with self._ready:
            self._bounded = False
            self._wake()

    def _wake(self) -> None:
        waiter, self._room = self._room, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_resolve, waiter)

    def close(self) -> None:
        """The whole answer has arrived."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def abort(self) -> None:
        """The answer will not arrive: the reader raises FeedAborted."""
        with self._ready:
            self._aborted = self._closed = True
            self._bounded = False
            self._wake()
            self._ready.notify_all()

    def has(self, index: int) -> bool:
        """Whether piece `index` exists, waiting for it while the answer arrives."""
        with self._ready:
            while index >= len(self.pieces) and not self._closed:
                self._ready.wait()
            if self._aborted:
                raise FeedAborted
            return index < len(self.pieces)


def _resolve(waiter: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)


def array_items(
    body: bytes | list[bytes] | PieceFeed, window: int = WINDOW, fix_surrogates: bool = False
) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time.

    For a source's answer of 50,000 alerts, so that the caller can turn each into
    an alert and drop it: the decoded tree of the whole answer (about six times
    the size of its bytes) never exists at once, nor its text, which is decoded a
    window at a time (a single emoji makes `bytes.decode` of the whole answer four
    bytes a character). Given the answer as a list of pieces, each piece is
    released from that list once decoded: the caller must hold no other reference.

    Given a `PieceFeed`, pieces are read as they arrive (waiting for them): call
    from a worker thread, never the loop that feeds it.

    `fix_surrogates`: an element decoded after the answer spelled a surrogate as
    an escape (`\\uD8xx`) has its lone surrogates replaced (`replace_lone_surrogates`);
    other answers pay nothing for the walk.

    Valid JSON whose top level is not an array raises NotAnArray. Invalid JSON
    raises the JSONDecodeError json.loads raises (message, position, line and
    column); a UnicodeDecodeError names its position within the window.
    """
    if isinstance(body, PieceFeed):
        return _ArrayItems(body.pieces, window, fix_surrogates, body).items()
    pieces = [body] if isinstance(body, bytes) else body
    return _ArrayItems(pieces, window, fix_surrogates).items()


class _ArrayItems:
    """A window of text over the answer's pieces: `text[pos:]` is what is left of it."""

    def __init__(
        self,
        pieces: list[bytes],
        window: int,
        fix_surrogates: bool,
        feed: PieceFeed | None = None,
    ) -> None:
        self.pieces = pieces
        self.feed = feed
        self.has = feed.has if feed is not None else (lambda index: index < len(pieces))
        self.piece = 0  # the piece being decoded, and how far into it
        self.offset = 0
        head, index = b"", 0
        while len(head) < 4 and self.has(index):  # as json.detect_encoding would see it
            head += pieces[index][: 4 - len(head)]
            index += 1
        self.decoder = codecs.getincrementaldecoder(json.detect_encoding(head))()
        self.fix_surrogates = fix_surrogates
        self.escapes = False  # the text decoded so far spelled a surrogate as an escape
        self.window = window
        self.release = False  # pieces are dropped once the answer is known to be an array
        self.text = ""
        self.pos = 0
        # what was dropped from the front of the text: its length, its newlines and
        # where the last one was, so an error names its place in the whole answer
        self.base = 0
        self.lines = 0
        self.last_newline = -1

    @property
    def eof(self) -> bool:
        return not self.has(self.piece)

    def more(self, at_least: int = 0) -> bool:
        """Decode the next window (at least `at_least` bytes); False at the end."""
        if self.eof:
            return False
        size = max(self.window, at_least)
        taken: list[bytes] = []
        while size > 0 and not self.eof:
            piece = self.pieces[self.piece]
            chunk = piece[self.offset : self.offset + size]
            taken.append(chunk)
            size -= len(chunk)
            self.offset += len(chunk)
            if self.offset >= len(piece):
                if self.release:
                    self.pieces[self.piece] = b""
                if self.feed is not None:
                    self.feed.decoded(len(piece))
                self.piece += 1
                self.offset = 0
        dropped = self.text[: self.pos]
        newline = dropped.rfind("\n")
        if newline >= 0:
            self.lines += dropped.count("\n")
            self.last_newline = self.base + newline
        self.base += self.pos
        self.text = self.text[self.pos :] + self.decoder.decode(b"".join(taken), final=self.eof)
        self.pos = 0
        if self.fix_surrogates and not self.escapes:
            self.escapes = "\\ud" in self.text or "\\uD" in self.text
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
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise self.error(exc.msg, exc.pos) from None
            else:
                if end < len(self.text) or self.eof:
                    self.pos = end
                    return item
            # cut by the window's edge (or wrong: more text tells): grow geometrically,
            # so one huge element costs a few decodes of itself, not one per window
            wanted = max(wanted * 2, self.window)
            self.more(wanted)

    def error(self, msg: str, local: int) -> json.JSONDecodeError:
        """json.loads's error for a position in the window, placed in the whole answer."""
        pos = self.base + local
        newline = self.text.rfind("\n", 0, local)
        lineno = self.lines + self.text.count("\n", 0, local) + 1
        colno = pos - (self.base + newline if newline >= 0 else self.last_newline)
        exc = json.JSONDecodeError(msg, self.text, local)
        exc.args = (f"{msg}: line {lineno} column {colno} (char {pos})",)
        exc.pos, exc.lineno, exc.colno = pos, lineno, colno
        return exc

    def items(self) -> Iterator[Any]:
        if self.skip_space() != "[":  # not an array (or not JSON): decoded whole
            if self.feed is not None:
                self.feed.unbound()
            while self.has(len(self.pieces)):  # the whole answer, as it arrives
                pass
            raise NotAnArray(json.loads(b"".join(self.pieces)))
        self.release = True
        self.pos += 1
        if self.skip_space() == "]":
            self.pos += 1
        else:
            while True:
                item = self.value()
                yield replace_lone_surrogates(item) if self.escapes else item
                following = self.skip_space()
                if following == "]":
                    self.pos += 1
                    break
                if following != ",":
                    raise self.error("Expecting ',' delimiter", self.pos)
                self.pos += 1
                self.skip_space()
        if self.skip_space():
            raise self.error("Extra data", self.pos)
