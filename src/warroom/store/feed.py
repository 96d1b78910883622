"""The change feed: how every reader learns what any writer did.

Writers append (entity, id) rows to `changes` in the same transaction as the
change. Readers poll `PRAGMA data_version` -- a cheap in-memory check that moves
only when another connection committed -- and then fetch the rows past their
last sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import aiosqlite

from warroom.store.values import Change

# How often a reader checks for commits; bounds the cross-console delay.
POLL_SECONDS = 0.2


class FeedMixin:
    _reader: aiosqlite.Connection
    _committed: asyncio.Event

    async def last_change(self) -> int:
        async with self._reader.execute("SELECT coalesce(max(seq), 0) FROM changes") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def changes_since(self, seq: int) -> list[Change]:
        async with self._reader.execute(
            "SELECT seq, entity, entity_id FROM changes WHERE seq > ? ORDER BY seq", (seq,)
        ) as cursor:
            return [Change(*row) for row in await cursor.fetchall()]

    async def data_version(self) -> int:
        async with self._reader.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def watch(self, since: int | None = None) -> AsyncGenerator[list[Change], None]:
        """Yield batches of changes, forever; a batch per wake-up, never empty.

        Each watcher keeps its own baseline, taken before the starting sequence is
        read, so a commit in between is reported rather than lost.
        """
        version = await self.data_version()
        seq = await self.last_change() if since is None else since
        if since is not None:
            # committed after `since` but before our baseline: report it now, not
            # at some later commit
            batch = await self.changes_since(seq)
            if batch:
                seq = batch[-1].seq
                yield batch
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._committed.wait(), POLL_SECONDS)
            self._committed.clear()
            current = await self.data_version()
            if current == version:
                continue
            version = current
            batch = await self.changes_since(seq)
            if batch:
                seq = batch[-1].seq
                yield batch
