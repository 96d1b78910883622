"""A real PostgreSQL server for tests, in a temporary directory, on a loopback port.

Debian's `postgresql` package puts the server binaries in
/usr/lib/postgresql/<major>/bin, outside PATH, so they are looked for there
(newest major first) and then on PATH. Missing binaries skip the tests with
the package to install -- unless WARROOM_REQUIRE_REAL=1, where they fail.

initdb and postgres refuse to run as root. As root the cluster is created and
run as an unprivileged account through `runuser -u ACCOUNT --` (util-linux,
always present on Debian): the package's own `postgres` account when it
exists, else `nobody`. The data directory lives under a fresh 0755 directory in
the system temp dir (pytest's own tmp is 0700 root, which that account could
not enter), owned by the account. The server trusts local connections (it
listens only on 127.0.0.1 and on a socket in its own directory), so tests
connect as the superuser `warroom` without a password.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "install postgresql (Debian package postgresql)"
SUPERUSER = "warroom"


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, newest major first."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if all(os.access(Path(directory, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return Path(directory)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl", path=str(Path(initdb).parent)):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _account() -> str | None:
    """Who runs the server: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no unprivileged account (postgres, nobody) exists")


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    account: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.account, "--"] if self.account else []
        return subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, check=check, timeout=120
        )

    def start(self) -> None:
        self.root.chmod(0o755)
        if self.account:
            entry = pwd.getpwnam(self.account)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        done = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        self._start_server()

    @property
    def _options(self) -> str:
        return (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c shared_buffers=32MB"
        )

    def restart(self, down_seconds: float = 0.0) -> None:
        """Restart as an operator does (`-m fast`: every session ended, transactions
        in flight rolled back, committed ones kept -- an immediate stop would lose
        acknowledged commits here, where synchronous_commit is off for speed), stay
        down `down_seconds`, and start again on the same port."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        time.sleep(down_seconds)
        self._start_server()

    def _start_server(self) -> None:
        options = self._options
        started = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if started.returncode:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()}\n{log}")

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "stop",
            check=False,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser through the server's own psql."""
        done = self._run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        )
        return done.stdout.strip()


def require_real() -> bool:
    return os.environ.get("WARROOM_REQUIRE_REAL") == "1"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and removed afterwards; skips (or fails) without one."""
    bindir = find_bindir()
    if bindir is None:
        if require_real():
            pytest.fail(f"PostgreSQL not found (WARROOM_REQUIRE_REAL=1): {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
    server = PostgresServer(bindir, root, _free_port(), _account())
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError):
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()
        deadline = time.monotonic() + 10
        while (root / "data" / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)
