"""`open_store`: the one way in, from what the config or `--db` says to a `contract.Store`.

A plain filesystem path, as the config and the CLI give today, and
`sqlite:///abs/path` are SQLite; `postgresql://` (or `postgres://`) URLs are
PostgreSQL (issue 13), with libpq's usual password sources (PGPASSWORD,
~/.pgpass). Any other scheme is refused in one line before anything is
opened or created. The
backend's module is imported here, on open, so a command that never opens
the database never loads a driver.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

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

        return await PgStore.open(url, server_location(url), read_only=read_only, create=create)
    path = sqlite_path(target)
    from warroom.store.database import SqliteStore

    return await SqliteStore.open(path, read_only=read_only, create=create)
