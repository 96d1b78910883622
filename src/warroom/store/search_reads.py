"""The search across incidents and timelines, on both stores.

No index and no schema change: a substring can sit anywhere in a note, which no
B-tree index helps with, and a scan of `text LIKE` over 100,000 timeline rows
takes tens of milliseconds (tests/bench/bench_search.py). Two statements (the
incidents' own text, then the events') and one for the incidents the events
belong to, never one per incident.

SQLite's LIKE ignores case for ASCII, PostgreSQL's ILIKE (pg_connection's
rewrite) for all of Unicode; `lower(text) LIKE` would cost SQLite twice the scan.
"""

from __future__ import annotations

import aiosqlite

from warroom.model import EventKind, Incident
from warroom.model.clock import from_epoch
from warroom.model.search import SEARCH_LIMIT, SearchHit, best_hits, like_pattern
from warroom.store import rows

# Matching events read at most: enough for every incident of a search that is
# specific at all, bounded for one that matches everything (`e`).
EVENT_LIMIT = 5000


class SearchReads:
    _reader: aiosqlite.Connection

    async def search_incidents(self, text: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Incidents (resolved too) whose title, summary or timeline holds `text`,
        case-insensitive: one hit each, newest incident first."""
        needle = text.strip()
        if not needle:
            return []
        pattern = like_pattern(needle)
        hits: list[SearchHit] = []
        known: dict[int, Incident] = {}
        async with self._reader.execute(
            f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i"
            " WHERE i.title LIKE ? ESCAPE '\\' OR i.summary LIKE ? ESCAPE '\\'"
            " ORDER BY i.id DESC LIMIT ?",
            (pattern, pattern, limit),
        ) as cursor:
            for row in await cursor.fetchall():
                incident = rows.incident(row)
                known[incident.id] = incident
                in_title = needle.lower() in incident.title.lower()
                if in_title:
                    hits.append(SearchHit(incident, "title", incident.title, incident.created_at))
                if not in_title or needle.lower() in incident.summary.lower():
                    hits.append(
                        SearchHit(incident, "summary", incident.summary, incident.created_at)
                    )
        async with self._reader.execute(
            "SELECT incident_id, at, kind, text FROM timeline"
            " WHERE incident_id IS NOT NULL AND text LIKE ? ESCAPE '\\'"
            " ORDER BY id DESC LIMIT ?",
            (pattern, EVENT_LIMIT),
        ) as cursor:
            events = await cursor.fetchall()
        wanted = sorted({int(e[0]) for e in events} - known.keys())
        for start in range(0, len(wanted), rows.KEY_CHUNK):
            chunk = wanted[start : start + rows.KEY_CHUNK]
            marks = ",".join("?" for _ in chunk)
            async with self._reader.execute(
                f"SELECT {rows.INCIDENT_COLUMNS} FROM incidents i WHERE i.id IN ({marks})",
                chunk,
            ) as cursor:
                for row in await cursor.fetchall():
                    incident = rows.incident(row)
                    known[incident.id] = incident
        for incident_id, at, kind, body in events:
            owner = known.get(int(incident_id))
            if owner is None:
                continue
            field = "note" if kind == EventKind.NOTE.value else "timeline"
            when = from_epoch(at) or owner.created_at
            hits.append(SearchHit(owner, field, str(body), when, str(kind)))
        return best_hits(hits)[:limit]
