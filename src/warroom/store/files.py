"""The database's files on disk: its directory, the file, its -wal and -shm.

Everything here runs before SQLite sees the path, so a missing permission is
reported as the permission it is (which path, which bit), not as whatever
SQLite makes of it ("unable to open database file", "not a usable database").
Root passes every mode check, so these checks matter for ordinary users and
for read-only mounts, which stop root too.
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from pathlib import Path

from warroom.store.errors import StoreError, StoreMissing, StorePermission, StoreReadOnly

SQLITE_HEADER = b"SQLite format 3\x00"
CREATE_HINT = "start `warroom` or `warroom engine` to create it, or check --db"


def sidecars(path: Path) -> tuple[Path, Path]:
    """The WAL and shared-memory files SQLite keeps beside a WAL database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _can(path: Path, mode: int) -> bool:
    # the effective ids are the ones the kernel checks when SQLite opens the file
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _owner(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return ""
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    return f"; owner {owner}, mode {stat.S_IMODE(info.st_mode):04o}"


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _denied(path: Path, bits: str, why: str) -> StoreError:
    if "w" in bits and _read_only_mount(path):
        return StoreReadOnly(f"{path}: on a read-only filesystem; {why}")
    return StorePermission(f"permission denied: {path} (need {bits}{_owner(path)}); {why}")


def _reach(path: Path) -> None:
    """Every existing directory on the way needs search (x) permission."""
    for directory in reversed(path.parents):
        if not directory.exists():
            return
        if not directory.is_dir():
            raise StoreError(f"{directory}: not a directory (on the way to {path})")
        if not _can(directory, os.X_OK):
            raise _denied(directory, "x", f"cannot reach {path}")


def _missing_bits(path: Path, bits: str) -> str:
    modes = {"r": os.R_OK, "w": os.W_OK, "x": os.X_OK}
    return "".join(b for b in bits if not _can(path, modes[b]))


def prepare(path: Path, create: bool) -> Path:
    """The absolute path of a database we may open, creating it when asked.

    Absolute because SQLite's URI form (read-only opens) needs one, and because
    a message naming `./w.db` is useless in a log read from elsewhere.
    """
    path = Path(path).expanduser().absolute()
    directory = path.parent
    _reach(path)
    if not directory.exists():
        if not create:
            raise StoreMissing(f"no database at {path} ({CREATE_HINT})")
        _make_directory(directory)
    if not directory.is_dir():
        raise StoreError(f"{directory}: not a directory")
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a database file")
    if not path.exists():
        if not create:
            raise StoreMissing(f"no database at {path} ({CREATE_HINT})")
        _create_file(path)
    check_header(path)
    return path


def _make_directory(directory: Path) -> None:
    """Directory 0700: incident notes are nobody else's business.

    `exist_ok`: two first starts race to create it, and both must go on.
    """
    try:
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    except OSError as exc:
        parent = next((p for p in directory.parents if p.exists()), directory)
        raise _cannot_create(exc, directory, parent, "the state directory") from exc


def _cannot_create(exc: OSError, path: Path, parent: Path, what: str) -> StoreError:
    """The one mapping of a failed create to a store error: whose permission, or
    which filesystem, or what the OS said."""
    if isinstance(exc, PermissionError):
        return _denied(parent, "w", f"cannot create {what} {path}")
    if exc.errno == errno.EROFS:
        return StoreReadOnly(f"{path}: cannot create {what} on a read-only filesystem")
    return StoreError(f"{path}: cannot create {what}: {exc.strerror}")


def _shared_directory(directory: Path) -> bool:
    """A directory set up for a team: setgid, and the group may read, write and enter."""
    try:
        mode = directory.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID) and mode & stat.S_IRWXG == stat.S_IRWXG


def _create_file(path: Path) -> None:
    """File 0600, or 0660 in a team's setgid directory (README: several Unix users).

    Created exclusively, so that a racing process's file is never truncated; the
    mode is set after, so a umask of 022 cannot take the group's write away.
    """
    mode = 0o660 if _shared_directory(path.parent) else 0o600
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except FileExistsError:
        pass  # another process created it between our check and now
    except OSError as exc:
        raise _cannot_create(exc, path, path.parent, "the database") from exc


def check_header(path: Path) -> bytes:
    """The first 100 bytes, after refusing anything that is not SQLite at all."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except PermissionError as exc:
        raise _denied(path, "r", "cannot read the database") from exc
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the database: {exc.strerror}") from exc
    if header and not header.startswith(SQLITE_HEADER):
        raise StoreError(
            f"{path}: not a SQLite database (its first bytes are not a SQLite header);"
            " nothing was changed. Move it aside or pass --db with another path."
        )
    return header


def check_writable(path: Path) -> None:
    """Refuse, before any write, a database this process could only read.

    SQLite would open it read-only without a word and fail at the first write,
    once a second, for as long as the engine runs.
    """
    why = "warroom needs to write it (incidents only reads)"
    missing = _missing_bits(path, "rw")
    if missing:
        raise _denied(path, missing, why)
    wal, shm = sidecars(path)
    for sidecar in (wal, shm):
        if sidecar.exists() and (missing := _missing_bits(sidecar, "rw")):
            raise _denied(sidecar, missing, why)
    if not (wal.exists() and shm.exists()) and not _can(path.parent, os.W_OK | os.X_OK):
        raise _denied(
            path.parent,
            _missing_bits(path.parent, "wx"),
            f"cannot create {wal.name} and {shm.name} there; {why}",
        )


def directory_writable(path: Path) -> bool:
    """Whether SQLite could create the -wal and -shm files beside `path`."""
    return _can(path.parent, os.W_OK | os.X_OK) and not _read_only_mount(path.parent)
