"""`open_store`: the one way in, from what the config or `--db` says to a `contract.Store`.

A plain filesystem path, as the config and the CLI give today, and
`sqlite:///abs/path` are SQLite; `postgresql://` (or `postgres://`) URLs are
PostgreSQL (issue 13), with libpq's usual password sources (PGPASSWORD,
~/.pgpass) or a `${ENV}` reference as the URL's password
(`postgresql://warroom:${PGPASS}@host/db`): the reference travels as written
and is resolved only when a connection is made (`PgAddress`), so no config,
message or log line holds the value. Any other scheme is refused in one line
before anything is opened or created. The
backend's module is imported here, on open, so a command that never opens
the database never loads a driver.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from warroom.model.secret import Secret, SecretUnset, substitute
from warroom.model.value import Value
from warroom.store.contract import Store
from warroom.store.errors import StoreError

# `scheme://...`, or `scheme:/...` once pathlib has folded the double slash
# (`--db` and the config hand over Path objects).
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):/")


def redacted(url: str) -> str:
    """The URL without a password, fit for a message or a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


def server_location(url: str) -> str:
    """A PostgreSQL URL as messages name it: no password, and no user either (the
    server's own errors name the user where it matters)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


def postgres_url(target: str | os.PathLike[str]) -> str | None:
    """The PostgreSQL URL a location names (unfolding pathlib's `postgresql:/h/db`),
    or None when it names no PostgreSQL database."""
    text = os.fspath(target)
    match = _URL.match(text)
    if match is None or match["scheme"].lower() not in ("postgresql", "postgres"):
        return None
    if not text.startswith("//", match.end() - 1):
        text = f"{match['scheme']}://{text[match.end() :]}"
    return text


class PgAddress(Value, frozen=True):
    """A PostgreSQL URL split where the secret is: `dsn` without a password (its
    other `${ENV}` references resolved), and the password as written, a `Secret`
    whose repr is redacted, resolved by `connect_args` each time one connects."""

    dsn: str
    password: Secret | None = None

    @property
    def location(self) -> str:
        return server_location(self.dsn)

    def connect_args(self) -> dict[str, Any]:
        """asyncpg's `dsn` and `password`; without one, libpq's PGPASSWORD and ~/.pgpass."""
        if self.password is None:
            return {"dsn": self.dsn}
        try:
            return {"dsn": self.dsn, "password": self.password.resolve()}
        except SecretUnset as exc:
            raise StoreError(
                f"{self.location}: the password in the URL is {exc.variable},"
                f" which is not set; export {exc.variable} (or use PGPASSWORD or ~/.pgpass)"
            ) from None


def pg_address(url: str) -> PgAddress:
    """Split a PostgreSQL URL (`postgres_url`'s) into a `PgAddress`; StoreError in
    one line, without the password, for a reference elsewhere that is not set."""
    parts = urlsplit(url)
    password = parts.password
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username is not None:
        netloc = f"{parts.username}@{netloc}"
    dsn = urlunsplit(parts._replace(netloc=netloc))
    try:
        dsn = substitute(dsn)
    except SecretUnset as exc:
        location = server_location(dsn)
        raise StoreError(f"{location}: environment variable {exc.variable} is not set") from None
    return PgAddress(dsn, None if password is None else Secret(unquote(password)))


def sqlite_path(target: str | os.PathLike[str]) -> Path:
    """The file a location names; StoreError, in one line, for one it cannot be."""
    text = os.fspath(target)
    match = _URL.match(text)
    if match is None:
        return Path(text)
    scheme = match["scheme"].lower()
    if not text.startswith("//", match.end() - 1):
        # folded by pathlib: `sqlite:///abs` became `sqlite:/abs`, `postgresql://h/db`
        # became `postgresql:/h/db`
        rest = text[match.end() - 1 :]
        text = f"{match['scheme']}:{'//' if scheme == 'sqlite' else '/'}{rest}"
    if scheme != "sqlite":
        raise StoreError(
            f"{redacted(text)}: {scheme!r} stores are not supported yet;"
            " give a file path, sqlite:///ABSOLUTE/PATH or postgresql://USER@HOST/DATABASE"
        )
    parts = urlsplit(text)
    if parts.netloc or not parts.path.startswith("/"):
        raise StoreError(
            f"{redacted(text)}: a sqlite URL names a file by its absolute path,"
            " as in sqlite:///var/lib/warroom/warroom.db"
        )
    return Path(unquote(parts.path))


async def open_store(
    target: str | os.PathLike[str], *, read_only: bool = False, create: bool = True
) -> Store:
    """Open the store at `target`, refusing anything not ours to change.

    `read_only` is for commands that only look: they never create a store, never
    wait for a writer, and any transaction or lease call raises StoreReadOnly.
    `create=False` is for actions: a typo in `--db` is StoreMissing, not a new,
    empty store to act on.
    """
    url = postgres_url(target)
    if url is not None:
        from warroom.store.pg_database import PgStore

        address = pg_address(url)
        return await PgStore.open(address, read_only=read_only, create=create)
    path = sqlite_path(target)
    from warroom.store.database import SqliteStore

    return await SqliteStore.open(path, read_only=read_only, create=create)
