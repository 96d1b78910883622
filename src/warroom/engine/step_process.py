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

# run by `python -I -c`: argv[1] the result file, argv[2:] the command
_WRAPPER = """
import json, os, subprocess, sys
result, argv = sys.argv[1], sys.argv[2:]
try:
    code = subprocess.call(argv, stdin=subprocess.DEVNULL, close_fds=True)
    out = {"exit_code": code}
except OSError as exc:
    out = {"error": "could not start %r: %s" % (argv[0], exc.strerror or exc)}
tmp = result + ".tmp"
with open(tmp, "w") as f:
    json.dump(out, f)
    f.flush()
    os.fsync(f.fileno())
os.replace(tmp, result)
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


def alive(pid: int, started: str) -> bool:
    return process_start(pid) == started


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class Launched:
    pid: int
    started: str
    process: asyncio.subprocess.Process | None  # None once re-attached by another engine


async def launch(
    argv: tuple[str, ...], env: dict[str, str], cwd: str | None, output: Path, result: Path
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
    """Reads what the process wrote since `offset`, 64 KiB at a time, decoded and
    cleaned; never a line at a time (a line may be gigabytes)."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, most: int = 16 * READ_BYTES) -> str:
        parts: list[str] = []
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                taken = 0
                while taken < most:
                    data = f.read(READ_BYTES)
                    if not data:
                        break
                    taken += len(data)
                    self.offset += len(data)
                    parts.append(self._decoder.decode(data))
        except FileNotFoundError:
            return ""
        return clean_output("".join(parts))
