"""Appending typed events: the one way the engine writes the timeline.

The store takes a kind, a line and a dict; the event's class (`model.events`)
decides all three, so no caller words an event or shapes its data itself.
"""

from __future__ import annotations

from warroom.model.events import Event
from warroom.store import Tx


async def append(tx: Tx, incident_id: int | None, actor: str, event: Event) -> int:
    """Append `event` in the caller's transaction; its id."""
    return await tx.add_event(incident_id, event.KIND, actor, event.text, event.stored())
