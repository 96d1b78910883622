"""The escalate duty: the lease holder advances every engagement whose next stage is due.

Each pass is one transaction that checks the lease, so a holder that lost it
cannot page a stage the next holder pages too; the stage's rows are keyed, so
even a pass replayed after a crash writes them once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from warroom.engine.overrides import refresh_paging
from warroom.engine.paging import Paging
from warroom.engine.store_failures import STORE_FAILURES, FailureLog
from warroom.model.clock import utcnow
from warroom.store import LeaseLost, LeaseToken, Store

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0  # a stage is paged at most this late


@dataclass
class EscalateDuty:
    store: Store
    paging: Paging
    token: LeaseToken
    clock: Callable[[], datetime] = utcnow
    failures: FailureLog = field(default_factory=lambda: FailureLog(log))

    async def run_once(self) -> int:
        """Advance what is due now; how many engagements moved."""
        # triage pages with the same directory: keep its schedules' overrides fresh
        await refresh_paging(self.store, self.paging, self.clock())
        due = await self.store.engagement_due_at()
        if due is None or due > self.clock():
            return 0  # no write transaction while nothing is due
        async with self.store.transaction(now=self.clock()) as tx:
            await tx.check_lease(self.token)
            return await self.paging.due(tx, tx.now)

    async def forever(self, tick: float = TICK_SECONDS) -> None:
        while True:
            try:
                await self.run_once()
            except LeaseLost:
                return
            except STORE_FAILURES as exc:
                self.failures.failed("escalating", exc, self.store.location)
            except Exception:
                log.exception("escalating failed; trying again")
            await asyncio.sleep(tick)
