"""Timeline ids a reader can page by on PostgreSQL, where writers commit at once.

The Timeline tab reads only the events after the last id it shows
(`timeline_after`). Event ids come from an identity column, handed out at
INSERT, so with concurrent writers an event can take a lower id and commit
after a higher one was read; a reader that had passed it would never show it.
Numbering at commit, as the change feed does, would change an event's id after
`add_event` returned it (`warroom note --json` prints it). Instead every
transaction that appends to the timeline holds a shared advisory lock from
before its first id is taken until it ends, and a paging read takes the same
lock exclusively for its one SELECT: it waits for the writers under way, so
every id below the newest it can see is committed or never will be. Writers do
not wait for each other, only for a reader's SELECT; a writer stalled past
`READ_WAIT` makes the read fail as "locked", never return a gap.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from warroom.model import TimelineEvent
from warroom.store import rows
from warroom.store.pg_connection import translate_error

TIMELINE_LOCK = 0x57524D54  # "WRMT"
READ_WAIT = "10s"
SHARE = "SELECT pg_advisory_xact_lock_shared(?)"


class PgTimelinePages:
    """`timeline_after` for PostgreSQL (`store.timeline_pages` is SQLite's)."""

    _pool: asyncpg.Pool
    _location: str

    async def timeline_after(self, incident_id: int | None, after: int) -> list[TimelineEvent]:
        """Events of the incident (None: the console log) with an id above `after`,
        oldest first, none of them past an event still being written."""
        condition = "incident_id IS NULL" if incident_id is None else "incident_id = $2"
        params: list[Any] = [after] if incident_id is None else [after, incident_id]
        try:
            async with self._pool.acquire() as con, con.transaction():
                await con.execute(f"SET LOCAL lock_timeout = '{READ_WAIT}'")
                await con.execute("SELECT pg_advisory_xact_lock($1)", TIMELINE_LOCK)
                found = await con.fetch(
                    f"SELECT {rows.EVENT_COLUMNS} FROM timeline"
                    f" WHERE {condition} AND id > $1 ORDER BY id",
                    *params,
                )
        except Exception as exc:
            raise translate_error(exc, self._location) from exc
        return [rows.event(tuple(r)) for r in found]
