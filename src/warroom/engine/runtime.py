"""The engine: hold the lease, and while holding it, poll every source.

Runs inside each console and in `warroom engine`; whichever process holds the
lease does the polling, the others only act on user input and watch the feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from warroom.engine.poller import poll_forever, poll_once
from warroom.engine.triage import Triage
from warroom.plans import ResponsePlan
from warroom.sources.base import Source, SourceSpec
from warroom.sources.registry import build_source
from warroom.store import SnapshotResult, Store

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=10)
# Renew at a third of the TTL; contenders retry this often, so a released lease
# is taken over within about a second.
RENEW_SECONDS = 1.0
PRUNE_EVERY_RENEWALS = 300
KEEP_RESOLVED = timedelta(days=7)


class Engine:
    def __init__(
        self,
        store: Store,
        sources: Sequence[Source],
        holder: str,
        lease_ttl: timedelta = LEASE_TTL,
        renew_seconds: float = RENEW_SECONDS,
        plans: Sequence[ResponsePlan] = (),
    ) -> None:
        self.store = store
        self.sources = list(sources)
        self.triage = Triage(plans)
        self.holder = holder
        self.lease_ttl = lease_ttl
        self.renew_seconds = renew_seconds
        self.holding = False
        self._pollers: list[asyncio.Task[None]] = []

    @classmethod
    def from_specs(
        cls,
        store: Store,
        specs: Sequence[SourceSpec],
        holder: str,
        plans: Sequence[ResponsePlan] = (),
    ) -> Engine:
        """Build the configured sources; only their types' modules get imported."""
        return cls(store, [build_source(spec) for spec in specs], holder, plans=plans)

    async def run_once(self) -> dict[str, SnapshotResult | None]:
        """One cycle of every source, as `warroom engine --once` does."""
        results = await asyncio.gather(
            *(poll_once(self.store, s, self.triage) for s in self.sources)
        )
        return {s.name: r for s, r in zip(self.sources, results, strict=True)}

    async def run(self) -> None:
        """Contend for the lease forever; poll while holding it. Cancel to stop."""
        renewals = 0
        try:
            while True:
                held = await self._renew()
                if held and not self.holding:
                    self._start_polling()
                elif not held and self.holding:
                    await self._stop_polling()
                if held:
                    renewals += 1
                    if renewals % PRUNE_EVERY_RENEWALS == 0:
                        await self._prune()
                await asyncio.sleep(self.renew_seconds)
        finally:
            await self._stop_polling()
            with contextlib.suppress(Exception):
                await asyncio.shield(self.store.release_lease(self.holder))

    async def _renew(self) -> bool:
        try:
            return await self.store.try_acquire_lease(self.holder, self.lease_ttl)
        except Exception:
            log.exception("lease renewal failed; polling stops until it succeeds")
            return False

    async def _prune(self) -> None:
        try:
            async with self.store.transaction() as tx:
                await tx.prune_changes()
                await tx.prune_resolved_alerts(tx.now - KEEP_RESOLVED)
        except Exception:
            log.exception("pruning the change feed failed")

    def _start_polling(self) -> None:
        self.holding = True
        self._pollers = [
            asyncio.create_task(poll_forever(self.store, s, self.triage), name=f"poll:{s.name}")
            for s in self.sources
        ]

    async def _stop_polling(self) -> None:
        self.holding = False
        for task in self._pollers:
            task.cancel()
        for task in self._pollers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._pollers = []

    async def close(self) -> None:
        for source in self.sources:
            with contextlib.suppress(Exception):
                await source.close()
