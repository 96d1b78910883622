"""Run a program on a real pseudo-terminal and watch what it writes, for the benchmarks.

Shared by bench_startup.py and bench_idle_bytes.py. The child gets a pty of a
fixed size as its controlling terminal and stdin/stdout/stderr, like a program
started in a terminal window; the parent reads the raw byte stream with a
timestamp per read, so callers can time markers and count bytes.

Nothing here answers the terminal queries Textual sends at start (sync-output
and in-band resize support), as many terminals do not; Textual does not wait
for the answers. On a terminal that does support synchronized output, every
screen update costs 16 bytes more than measured here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

COLS = 80
ROWS = 24
READ_SIZE = 65536

# Escape sequences, so the text a program shows can be searched for.
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL or ST
    rb"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS / SOS / PM / APC ... ST
    rb"|\x1b[ -/]*[0-~]"  # two-byte escapes: ESC 7, ESC =, ESC ( B ...
)
# Cursor Position (CUP): ESC [ row ; col H -- how Textual starts every painted run.
_CUP = re.compile(rb"\x1b\[(\d*)(?:;(\d*))?H")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One read from the terminal: when it arrived (time.monotonic) and its bytes."""

    at: float
    data: bytes


@dataclass(slots=True)
class Transcript:
    """Everything read so far, in order."""

    chunks: list[Chunk] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    def total(self, start: float = float("-inf"), end: float = float("inf")) -> int:
        return sum(len(c.data) for c in self.chunks if start <= c.at < end)

    def between(self, start: float, end: float) -> bytes:
        return b"".join(c.data for c in self.chunks if start <= c.at < end)


def visible_text(data: bytes) -> str:
    """The printable text in a terminal byte stream, escape sequences removed."""
    return _ESCAPES.sub(b"", data).decode("utf-8", errors="replace")


def runs(data: bytes) -> list[tuple[int, bytes]]:
    """Split a stream at cursor moves: (row moved to, bytes from that move to the next).

    Textual paints each changed run of cells as `CUP row;col`, styles, text, so
    this says which screen rows an update rewrote. Bytes before the first move
    are under row 0 (mode switches, queries).
    """
    matches = list(_CUP.finditer(data))
    starts = [0, *(m.start() for m in matches)]
    ends = [*(m.start() for m in matches), len(data)]
    rows = [0, *(int(m.group(1) or 1) for m in matches)]
    return [(r, data[a:b]) for r, a, b in zip(rows, starts, ends, strict=True) if b > a]


def bytes_by_row(data: bytes) -> dict[int, int]:
    """Bytes written to each screen row (1-based).

    A move that writes nothing visible (Textual parks the cursor after every
    update) counts under row 0 with the other control bytes.
    """
    rows: dict[int, int] = {}
    for row, run in runs(data):
        key = row if visible_text(run) else 0
        rows[key] = rows.get(key, 0) + len(run)
    return rows


def text_by_row(data: bytes) -> dict[int, str]:
    """The visible text written to each screen row (1-based), whitespace squeezed.

    Separate runs on one row are joined with ' | '; a row written with nothing
    but blanks maps to ''.
    """
    rows: dict[int, list[str]] = {}
    for row, run in runs(data):
        if not row or not (text := visible_text(run)):
            continue
        parts = rows.setdefault(row, [])
        if squeezed := " ".join(text.split()):
            parts.append(squeezed)
    return {r: " | ".join(parts) for r, parts in rows.items()}


# Not in a responder's terminal. PYTHONDONTWRITEBYTECODE (set where the tests run)
# made every warroom run compile its ~130 modules from source, 0.6 s of CPU that
# an installed warroom (pip writes the byte-code) never spends, while Textual's
# byte-code, written at its install, was used: the start-up ratio was 1.5x off.
_NOT_IN_A_TERMINAL = ("COLUMNS", "LINES", "NO_COLOR", "TERM_PROGRAM", "PYTHONDONTWRITEBYTECODE")


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a program started in an xterm: TERM set, no size overrides,
    byte-code cached as an installed program's is."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_IN_A_TERMINAL and not k.startswith("TEXTUAL")
    }
    env["TERM"] = "xterm-256color"
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def _make_controlling_tty() -> None:  # runs in the child, after setsid and the dup2s
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """A child process on its own pty; use as a context manager so it is always stopped."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = COLS,
        rows: int = ROWS,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=dict(env) if env is not None else bench_env(),
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_make_controlling_tty,  # the parent has no threads: fork-safe
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        os.close(slave)
        self.master = master
        self.transcript = Transcript()
        self.eof = False

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def read_once(self, timeout: float) -> Chunk | None:
        """Wait up to `timeout` seconds for output; None on timeout or end of output."""
        if self.eof:
            return None
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return None
        try:
            data = os.read(self.master, READ_SIZE)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            self.eof = True
            return None
        chunk = Chunk(time.monotonic(), data)
        self.transcript.chunks.append(chunk)
        return chunk

    def read_for(self, seconds: float) -> None:
        """Keep reading (so the child never blocks on a full pty) for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not self.eof:
            self.read_once(left)
        if self.eof:
            time.sleep(max(0.0, deadline - time.monotonic()))

    def wait_for_text(self, marker: str, timeout: float) -> float | None:
        """Seconds from spawn until `marker` first shows on screen, or None on timeout.

        The whole stream so far is searched each time (startup output is a few
        tens of kilobytes), so a marker split across reads is still found.
        """
        return self.wait_for(lambda text: marker in text, timeout)

    def wait_for(self, found: Callable[[str], bool], timeout: float) -> float | None:
        """Seconds from spawn to the read after which `found(screen text)` first holds."""
        deadline = self.started + timeout
        buffer = bytearray()
        for seen in self.transcript.chunks:  # it may already be in what was read
            buffer += seen.data
            if found(visible_text(bytes(buffer))):
                return seen.at - self.started
        while (left := deadline - time.monotonic()) > 0:
            chunk = self.read_once(left)
            if chunk is None:
                if self.eof:
                    return None
                continue
            buffer += chunk.data
            if found(visible_text(bytes(buffer))):
                return chunk.at - self.started
        return None

    def stop(self, grace: float = 1.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; only ever our own child's group."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self.proc.poll() is None and time.monotonic() < deadline:
                self.read_once(0.05)  # drain, so a child writing on exit is not stuck
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
        code = self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.master)
        return code


def load_note() -> str:
    """The 1-minute load average against the CPU count: other work skews every timing."""
    one, _, _ = os.getloadavg()
    cpus = os.cpu_count() or 1
    busy = "  (busy machine: expect noisy figures)" if one > 0.5 * cpus else ""
    return f"load average {one:.2f} on {cpus} CPUs{busy}"


def per_second(chunks: Sequence[Chunk], start: float, seconds: int) -> list[int]:
    """Bytes read in each whole second of [start, start + seconds)."""
    buckets = [0] * seconds
    for chunk in chunks:
        index = int((chunk.at - start) // 1)
        if 0 <= index < seconds:
            buckets[index] += len(chunk.data)
    return buckets


def chunks_in(chunks: Sequence[Chunk], start: float, end: float) -> Iterator[Chunk]:
    return (c for c in chunks if start <= c.at < end)
