"""What views need from the app, as a protocol: views never import the app module."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.dom import DOMNode

from warroom.plans import PlanIndex, PlanSet
from warroom.store import Store

if TYPE_CHECKING:
    from warroom.engine.service import Service  # built on first use: not for the first frame


class Console(Protocol):
    store: Store
    service: Service
    current_incident: int | None
    ready: asyncio.Event
    source_names: list[str]
    chartable: bool  # some source answers series (Metrics tab, the Alerts tab's TREND)
    stale_sources: set[str]
    plan_index: PlanIndex
    planset: PlanSet  # the plan files: contacts and schedules (the On-call tab)
    actor: str  # who this console acts as
    alert_label: str  # the label the Alerts tab shows in a column of its own

    async def perform(self, action: Awaitable[Any], done: str | None = None) -> Any:
        """Run a service action; errors become a notification, not a crash."""
        ...

    def enqueue(self, what: str, work: Coroutine[Any, Any, Any]) -> None:
        """Run an action in the background, in key order; the keys stay live."""
        ...

    def hold_keys(self) -> None:
        """Call from a key that opens a field or dialog: the keys after it go there."""
        ...

    def hold_keys_for(self, work: Awaitable[object]) -> None:
        """The keys typed from now on wait for `work`, then go on in order."""
        ...

    def drop_keys(self) -> None:
        """The key that held keys was refused: drop them, and say so."""
        ...

    def open_dialog(self, work: Coroutine[Any, Any, Any]) -> None:
        """Hold the keys, then run `work`, which opens a dialog (or drops them)."""
        ...

    async def release_keys(self) -> None:
        """A dialog with nothing to focus is showing: the held keys go to it now."""
        ...

    def now(self) -> datetime:
        """The runtime's clock: what every age and countdown on screen counts from
        (a fixed one in tests, so screens can be compared cell for cell)."""
        ...

    def open_incident(self, incident_id: int, tab: str = "incident") -> None: ...

    def show_tab(self, tab: str) -> None: ...


def console(node: DOMNode) -> Console:
    return cast(Console, node.app)
