"""The Timeline tab's read: only the events after those already on screen.

Timelines only grow (events are never changed or removed), so a screen that
shows the events up to id N needs only those after N when the feed says the
timeline changed, not the whole history again.
"""

from __future__ import annotations

import aiosqlite

from warroom.model import TimelineEvent
from warroom.store import rows


class TimelinePages:
    _reader: aiosqlite.Connection

    async def timeline_after(self, incident_id: int | None, after: int) -> list[TimelineEvent]:
        """Events of the incident (None: the console log) with an id above `after`,
        oldest first."""
        condition = "incident_id IS NULL" if incident_id is None else "incident_id = ?"
        params: tuple[object, ...] = (after,) if incident_id is None else (incident_id, after)
        async with self._reader.execute(
            f"SELECT {rows.EVENT_COLUMNS} FROM timeline WHERE {condition} AND id > ? ORDER BY id",
            params,
        ) as cursor:
            return [rows.event(r) for r in await cursor.fetchall()]
