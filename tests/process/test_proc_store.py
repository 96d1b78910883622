"""Opening the database from the command line: locks, permissions, races, missing files.

Real processes, real files, real locks. Root passes every permission check, so
the permission tests run `warroom` as `nobody` through setpriv (skipped, with
the reason, where that is impossible).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cli import ROOT, clean_env, warroom_command
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import open_store

from .helpers import HERE

NOBODY = 65534


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


async def _database_with_an_incident(db: Path, title: str = "Checkout 5xx") -> int:
    store = await open_store(db)
    try:
        return await Service(store, "alice").declare_incident([], title, Impact.HIGH)
    finally:
        await store.close()


def _one_clean_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _hold_lock(db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "lock_holder.py"), str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


# ---------------------------------------------------------------- item 7: locks


async def test_incidents_while_another_process_holds_the_write_lock(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db = tmp_path / "w.db"
    incident_id = await _database_with_an_incident(db)
    holder = _hold_lock(db)
    try:
        started = time.monotonic()
        result = run("--db", db, "incidents", "--json", env=env)
        elapsed = time.monotonic() - started
    finally:
        _release(holder)
    assert result.returncode == 0, result.stderr
    assert f'"id":{incident_id}' in result.stdout.replace(" ", "")
    # reading never waits for the lock; 5 s would be the busy timeout
    assert elapsed < 4.5, f"incidents waited {elapsed:.1f} s behind a writer"


async def test_a_held_lock_is_reported_as_a_lock(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "w.db"
    await _database_with_an_incident(db)
    holder = _hold_lock(db)
    try:
        result = run("--demo", "--db", db, "engine", "--once", env=env)
    finally:
        _release(holder)
    assert result.returncode == 2, result.stderr
    line = _one_clean_line(result.stderr)
    assert f"another process is writing to {db}; waited 5 s" in line
    assert "not a usable" not in line


# ------------------------------------------ item 12: no database, strangers' files


def test_incidents_never_creates_a_database(tmp_path: Path, env: dict[str, str]) -> None:
    for args in (("incidents",), ("incidents", "--json"), ("coverage",)):
        result = run("--db", "typo.db", *args, env=env, cwd=tmp_path)
        if args == ("coverage",):
            assert result.returncode == 0, result.stderr  # rules only: no alert seen yet
        else:
            assert result.returncode == 2, result.stderr
            line = _one_clean_line(result.stderr)
            assert line == (
                f"warroom: no database at {tmp_path / 'typo.db'} (start `warroom` or"
                " `warroom engine` to create it, or check --db)"
            )
            assert result.stdout == ""
    result = run("--db", tmp_path / "no" / "such" / "dir" / "w.db", "incidents", env=env)
    assert result.returncode == 2
    assert "no database at" in _one_clean_line(result.stderr)
    assert not (tmp_path / "typo.db").exists()
    assert not (tmp_path / "no").exists()


def _foreign(path: Path) -> bytes:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('not yours')")
    con.commit()
    con.close()
    return path.read_bytes()


def test_relative_db_to_another_programs_file(tmp_path: Path, env: dict[str, str]) -> None:
    before = _foreign(tmp_path / "other.db")
    for args in (("incidents",), ("--demo", "engine", "--once")):
        result = run("--db", "other.db", *args, env=env, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        line = _one_clean_line(result.stderr)
        assert f"{tmp_path / 'other.db'}: a SQLite database of another program" in line
    assert (tmp_path / "other.db").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("other.db-")]


# ---------------------------------------------------------------- item 9: racing first starts


def test_first_starts_racing_to_create_the_state_directory(tmp_path: Path) -> None:
    """Eight first starts at once on a fresh path, five times: every one goes on."""
    env = clean_env(tmp_path)
    for attempt in range(5):
        db = (
            tmp_path / f"try{attempt}" / "home" / "oncall" / ".local" / "state" / "warroom" / "w.db"
        )
        args = ["--demo", "--db", str(db), "engine", "--once"]
        gate, go = os.pipe()
        try:
            procs = [
                subprocess.Popen(
                    [sys.executable, str(HERE / "start_together.py"), str(gate), *args],
                    env=env,
                    pass_fds=(gate,),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(8)
            ]
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready"
        finally:
            os.close(go)  # the end of file starts them all at once
            os.close(gate)
        results = []
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            results.append((proc.returncode, err))
        for code, err in results:
            assert "File exists" not in err, err
            assert "Traceback" not in err, err
            # 0: polled; 1: another of the eight held the lease and polled
            assert code in (0, 1), err
            if code == 1:
                assert "holds the engine lease" in err, err
        assert any(code == 0 for code, _ in results)
        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()


# ---------------------------------------------------------------- items 8 and 12 as another user


def _setpriv_works() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run warroom as another user"
    if shutil.which("setpriv") is None:
        return "setpriv is not installed"
    probe = subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            sys.executable,
            "-c",
            "import warroom",
        ],
        capture_output=True,
        cwd=ROOT,
    )
    if probe.returncode != 0:
        return "nobody cannot run this checkout's Python"
    return None


def _as_nobody(
    *args: str | os.PathLike[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            *warroom_command(*args),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory `nobody` can reach (pytest's own tmp is root's 0700)."""
    reason = _setpriv_works()
    if reason:
        pytest.skip(reason)
    path = Path(tempfile.mkdtemp(prefix="warroom-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _nobody_env(shared: Path) -> dict[str, str]:
    env = clean_env(shared)
    env["HOME"] = str(shared)
    return env


async def test_read_only_database_file(shared_dir: Path) -> None:
    state = shared_dir / "state"
    state.mkdir()
    db = state / "w.db"
    incident_id = await _database_with_an_incident(db)
    os.chown(state, NOBODY, NOBODY)
    os.chown(db, NOBODY, NOBODY)
    db.chmod(0o444)
    before = db.read_bytes()
    env = _nobody_env(shared_dir)
    # the console checks its database before the screen starts
    for args in (("--demo", "engine", "--once"), ("--demo", "engine"), ("--demo",)):
        result = _as_nobody("--db", db, *args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        line = _one_clean_line(result.stderr)
        assert f"permission denied: {db} (need w; owner nobody, mode 0444)" in line, line
        assert "needs to write" in line
    listed = _as_nobody("--db", db, "incidents", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f'"id":{incident_id}' in listed.stdout.replace(" ", "")
    assert db.read_bytes() == before


async def test_read_only_directory(shared_dir: Path) -> None:
    state = shared_dir / "state"
    state.mkdir(mode=0o755)
    db = state / "w.db"
    incident_id = await _database_with_an_incident(db)
    os.chown(db, NOBODY, NOBODY)  # the file is nobody's; the directory is not
    env = _nobody_env(shared_dir)
    for args in (("--demo", "engine", "--once"), ("--demo", "engine")):
        result = _as_nobody("--db", db, *args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        line = _one_clean_line(result.stderr)
        assert f"permission denied: {state} (need w; owner root, mode 0755)" in line, line
        assert "w.db-wal" in line
    listed = _as_nobody("--db", db, "incidents", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f'"id":{incident_id}' in listed.stdout.replace(" ", "")
    assert sorted(p.name for p in state.iterdir()) == ["w.db"]


async def test_database_under_another_users_private_directory(shared_dir: Path) -> None:
    private = shared_dir / "private"
    private.mkdir(mode=0o700)
    db = private / "w.db"
    await _database_with_an_incident(db)
    env = _nobody_env(shared_dir)
    cases = [
        (db, ("incidents",)),
        (db, ("--demo", "engine", "--once")),
        (private / "new" / "w.db", ("--demo", "engine", "--once")),
    ]
    for path, args in cases:
        result = _as_nobody("--db", path, *args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        line = _one_clean_line(result.stderr)
        assert f"permission denied: {private} (need x; owner root, mode 0700)" in line, line


def _as_user(
    uid: int, groups: int, *args: str | os.PathLike[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            f"--groups={groups}",
            *warroom_command(*args),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o022),  # a usual umask: it must not matter
    )


def test_two_users_share_a_database_in_a_setgid_group_directory(shared_dir: Path) -> None:
    """README's recipe: one `install -d -m 2770 -g oncall` and nothing more.

    As found: warroom created the file 0600, so only its creator could open it.
    """
    alice, bob, oncall = 60001, 60002, 60100
    team = shared_dir / "team"
    team.mkdir()
    os.chown(team, 0, oncall)
    team.chmod(0o2770)
    db = team / "warroom.db"
    env = _nobody_env(shared_dir)
    first = _as_user(alice, oncall, "--demo", "--db", db, "engine", "--once", env=env)
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o660
    assert db.stat().st_gid == oncall
    second = _as_user(bob, oncall, "--demo", "--db", db, "engine", "--once", env=env)
    assert second.returncode == 0, second.stderr
    listed = _as_user(bob, oncall, "--db", db, "incidents", "--json", env=env)
    assert listed.returncode == 0, listed.stderr


def test_a_private_directory_still_gets_a_private_database(tmp_path: Path) -> None:
    db = tmp_path / "mine" / "w.db"
    result = subprocess.run(
        [*warroom_command("--demo", "--db", db, "engine", "--once")],
        env=clean_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
