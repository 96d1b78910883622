"""What every part of the service acts with: the store, who acts, what can
silence, and the clock.

Each aggregate (incidents, alert acknowledgements, silences, and next
escalation, paging and runbooks) takes this one value, so a new one needs no
new wiring, and a test can give them all one fixed clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from warroom.engine.paging import Paging
from warroom.model.clock import utcnow
from warroom.model.value import Value, field
from warroom.sources.base import Silencer
from warroom.store import Store, Tx


class Context(Value, frozen=True):
    store: Store
    actor: str
    silencers: Mapping[str, Silencer] = field(default_factory=dict)
    # None: each transaction's time is read once its write lock is held, so an
    # action queued behind a poll is stamped when it happened, not when it was asked
    clock: Callable[[], datetime] | None = None
    # who gets paged: the moves that start or stop paging write to the outbox with it
    paging: Paging = field(default_factory=Paging)

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else utcnow()

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self.store.transaction(now=self.clock() if self.clock is not None else None)
