"""A command step's process, started so that a restarted engine can find it again.

The engine does not hold the command's pipes: a small wrapper (the same Python,
isolated, no shell) runs the argv with stdout and stderr going to a file, and
writes the exit status to a result file when the command ends. The wrapper leads
its own session, so a timeout kills the whole process group. If the engine dies,
the command goes on; the next lease holder finds it by pid and the start time
the OS gave it (a reused pid has another), tails the same output file from where
the store left off, and reads its result -- or, if it already finished, adopts the
result file. Nothing here ever passes through a shell.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from warroom.model.text import safe_text

READ_BYTES = 65536
HOLD_BYTES = 4096  # an unfinished escape sequence held back for the next read, at most

OUTPUT_FILE_MAX = 100 * 1024 * 1024  # bytes a step may write before it is stopped

# run by `python -I -c`: argv[1] the result file, argv[2] the most bytes of output,
# argv[3:] the command. It pumps the command's output into the file it was given as
# stdout: a command writing without end is stopped at the limit, the result saying
# so, rather than fill the disk the console and its database live on.
_WRAPPER = """
import json, os, select, signal, subprocess, sys
result, most, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def finish(out):
    tmp = result + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, result)
try:
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, close_fds=True)
except OSError as exc:
    finish({"error": "could not start %r: %s" % (argv[0], exc.strerror or exc)})
    sys.exit(0)
pipe, written = child.stdout.fileno(), 0
while True:
    if not select.select([pipe], [], [], 0.2)[0]:
        if child.poll() is not None:
            break  # ended; what a process it left behind writes later is not waited for
        continue
    data = os.read(pipe, 65536)
    if not data:
        break
    over = written + len(data) > most
    data = data[: most - written]
    written += len(data)
    while data:
        data = data[os.write(1, data):]
    if over:  # what it wrote up to the limit is in the file before the result says so
        size = "%d MiB" % (most >> 20) if most >= 1 << 20 else "%d bytes" % most
        finish({"error": "output over %s: the command was stopped" % size, "over": most})
        os.killpg(0, signal.SIGKILL)  # the command, what it started, and this wrapper
finish({"exit_code": child.wait()})
"""

# whole escape sequences first (CSI, OSC, two-character ESC x), then any control
# character left (a sequence cut by a chunk boundary) becomes a visible stand-in
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
)


def clean_output(text: str) -> str:
    """Output as a responder may read it: lines kept, escape sequences removed,
    every other control or bidi character shown as a stand-in."""
    if text.isascii() and text.replace("\n", "").isprintable():
        return text  # the usual case, checked at C speed: nothing to clean
    text = _SEQUENCES.sub("", text.replace("\r\n", "\n"))
    return "\n".join(safe_text(line) for line in text.split("\n"))


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc), which a reused pid
    does not share; None when there is no such process or it is a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if not fields or fields[0] == "Z":
        return None
    return fields[19]  # field 22 of stat; 3 fields precede what follows ')'


def find_wrapper(result: Path) -> tuple[int, str] | None:
    """(pid, start) of the wrapper started for `result`, if it still runs.

    An engine killed between starting a step's process and recording it left no
    pid in the store; the wrapper is found by its command line instead (its result
    file, which names the run, the step and the attempt, is its fourth argument)."""
    want = os.fsencode(str(result))
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            args = Path(entry.path, "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(args) > 5 and args[1:3] == [b"-I", b"-c"] and args[4] == want:
            started = process_start(int(entry.name))
            if started is not None:
                return int(entry.name), started
    return None


def alive(pid: int, started: str) -> bool:
    return process_start(pid) == started


def kill_group(pid: int) -> None:
    if pid <= 1:  # 0 is this process's own group, -1 everything: never a step's
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class Launched:
    pid: int
    started: str
    process: asyncio.subprocess.Process | None  # None once re-attached by another engine


async def launch(
    argv: tuple[str, ...],
    env: dict[str, str],
    cwd: str | None,
    output: Path,
    result: Path,
    most: int = OUTPUT_FILE_MAX,
) -> Launched:
    """Start the wrapper running `argv`; OSError if even the wrapper cannot start."""
    output.parent.mkdir(parents=True, exist_ok=True)
    # private to this user: a command may print what only its operator should read
    sink = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            _WRAPPER,
            str(result),
            str(most),
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        os.close(sink)
    started = process_start(process.pid) or ""
    return Launched(process.pid, started, process)


def read_result(result: Path) -> dict[str, object] | None:
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class OutputTail:
    """Reads what the process wrote since `offset`, a bounded read at a time, decoded
    and cleaned; never a line at a time (a line may be gigabytes)."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, most: int = 4 * READ_BYTES, final: bool = False) -> str:
        """At most `most` bytes (then the caller yields to the event loop: in the
        console's process, a responder's keys wait while this runs).

        An escape sequence the read may have cut in two is left for the next read,
        so it is removed whole instead of half of it shown as text; `final` (the
        process has ended) takes everything up to the end of the file."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(most)
        except FileNotFoundError:
            return ""
        if not final or len(data) == most:
            cut = max(data.rfind(b"\x1b"), data.rfind(b"\xc2\x9b"))
            if cut >= 0 and len(data) - cut < HOLD_BYTES and b"\n" not in data[cut:]:
                data = data[:cut]
        self.offset += len(data)
        return clean_output(self._decoder.decode(data))
