"""The engine: hold the lease, and while holding it, run the holder's duties.

The duties (poll each source, escalate due engagements, deliver the outbox,
run runbook steps, prune) start as tasks when the lease is won and are cancelled
when it is lost (`_start_duties`, `_stop_duties`). Runs inside each console and
in `warroom engine`; whichever process holds the lease does them, the others only
act on user input and watch the feed.

The pollers start at once; the other duties a moment later (`duties_delay`),
and their modules are imported only then. A console's first alerts wait for the
first poll alone: delivery and its channels, escalation and the runbook runner
used to be imported, and run their first passes, in the same second (issue 9).
Nothing is lost by the wait: their work is rows in the store (outbox,
engagements, runs), picked up by their first pass.

Whoever holds the lease renews it while it works -- `run` from its contention
loop, `run_once` from a task beside its one cycle -- and every holder-only
write carries the lease's token, so a holder that stalled past the TTL and
lost the lease can never commit what it fetched before (`LeaseLost`).

The fence stops writes; it cannot stop a holder cut off from the database (a
network partition: statements go out, nothing comes back) from going on with
work that needs no write -- a slow fetch, a page being sent, a runbook command.
So a renewal gets no longer than the lease has left, less `STOP_MARGIN`: when
none has answered by then the duties are stopped, before the lease can expire
and another process take over (`_acquire_within`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.engine.paging import Paging
from warroom.engine.poller import keep_in_memory, poll_forever, poll_once
from warroom.engine.store_failures import STORE_FAILURES, FailureLog, describe
from warroom.engine.triage import Triage
from warroom.model.clock import utcnow
from warroom.plans import ResponsePlan
from warroom.sources.base import Source, SourceSpec
from warroom.sources.registry import build_source
from warroom.store import LeaseLost, LeaseToken, SnapshotResult, Store, StoreUnreachable

if TYPE_CHECKING:
    from warroom.engine.delivery import Deliverer

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=10)
# Renew at a third of the TTL; contenders retry this often, so a released lease
# is taken over within about a second.
RENEW_SECONDS = 1.0
# While the store fails, renewals back off up to this (well inside the TTL).
MAX_RENEW_BACKOFF = 3.0
# A holder that cannot renew stops its duties this long before its lease could run
# out: room for the hosts' clocks to differ and for the duties to wind down.
STOP_MARGIN = 2.5
# How long stopping waits for a duty to wind down; one stuck on a silent connection
# is left to finish its cleanup on its own (it has been cancelled: it does no work).
STOP_WAIT = 1.0
PRUNE_SECONDS = 300.0  # the prune duty's period
KEEP_RESOLVED = timedelta(days=7)
KEEP_PAGES = timedelta(days=30)  # `warroom pages` answers "who was paged" this far back
# Seconds from winning the lease to starting the duties other than polling: the
# first poll of a console lands and shows first (escalation steps are minutes).
DUTIES_DELAY = 1.0


class NoAnswer(StoreUnreachable):
    """The lease renewal got no answer in the time the lease had left."""


class LeaseBusy(Exception):
    """Another process holds the lease: a one-off cycle must not poll beside it."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"{holder} holds the engine lease and polls; not polling beside it")


class Engine:
    def __init__(
        self,
        store: Store,
        sources: Sequence[Source],
        holder: str,
        lease_ttl: timedelta = LEASE_TTL,
        renew_seconds: float = RENEW_SECONDS,
        plans: Sequence[ResponsePlan] = (),
        paging: Paging | None = None,
        deliverer: Deliverer | None = None,
        clock: Callable[[], datetime] = utcnow,
        runbook_dir: Path | None = None,
        duties_delay: float = DUTIES_DELAY,
    ) -> None:
        self.store = store
        self.duties_delay = duties_delay
        # built on first use (`deliver_with`): a console's first alerts need no channel
        self._make_deliverer: Callable[[], Deliverer] | None = None
        # where command steps' output and result files live; None: runbooks are not run here
        self.runbook_dir = runbook_dir
        self.sources = list(sources)
        self.paging = paging or Paging()
        self.triage = Triage(plans, self.paging)
        # None: nobody is paged from this process (tests of polling alone)
        self._deliverer = deliverer
        self.clock = clock
        self.holder = holder
        self.lease_ttl = lease_ttl
        self.renew_seconds = renew_seconds
        self.token: LeaseToken | None = None
        self.store_log = FailureLog(log)
        self._pollers: list[asyncio.Task[None]] = []  # every duty's task, pollers first
        # cancelled tasks still unwinding on a silent connection (kept from the collector)
        self._abandoned: set[asyncio.Future[Any]] = set()
        # a responder's "poll now", per source, and the request each last answered
        self._wakes: dict[str, asyncio.Event] = {s.name: asyncio.Event() for s in self.sources}
        self._answered: dict[str, float] = {}

    @property
    def holding(self) -> bool:
        return self.token is not None

    @property
    def deliverer(self) -> Deliverer | None:
        """Who sends this process's pages; None: nobody is paged from here."""
        if self._deliverer is None and self._make_deliverer is not None:
            self._deliverer = self._make_deliverer()
        return self._deliverer

    def deliver_with(self, make: Callable[[], Deliverer]) -> None:
        """Page through the deliverer `make` builds, when it is first needed (its
        module and the channels' are imported then, not with the engine)."""
        self._deliverer = None
        self._make_deliverer = make

    @classmethod
    def from_specs(
        cls,
        store: Store,
        specs: Sequence[SourceSpec],
        holder: str,
        plans: Sequence[ResponsePlan] = (),
        paging: Paging | None = None,
        deliverer: Deliverer | None = None,
    ) -> Engine:
        """Build the configured sources; only their types' modules get imported."""
        sources = [build_source(spec) for spec in specs]
        return cls(store, sources, holder, plans=plans, paging=paging, deliverer=deliverer)

    async def run_once(self) -> dict[str, SnapshotResult | None]:
        """One cycle of every source under the lease, as `warroom engine --once` does.

        Raises LeaseBusy if another process holds it, LeaseLost if it was taken
        while this cycle ran (what was fetched is then not stored), and store
        failures as they are.
        """
        token = await self.store.acquire_lease(self.holder, self.lease_ttl)
        if token is None:
            lease = await self.store.lease()
            raise LeaseBusy(lease.holder if lease else "another process")
        renewer = asyncio.create_task(self._keep_renewing(token), name="lease-renewal")
        try:
            results = await asyncio.gather(
                *(poll_once(self.store, s, self.triage, lease=token) for s in self.sources),
                return_exceptions=True,
            )
            await self._page_once(token)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewer
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release_quietly())
        out: dict[str, SnapshotResult | None] = {}
        for source, result in zip(self.sources, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            out[source.name] = result
        return out

    async def _release_quietly(self) -> None:
        """Hand the lease on when stopping. Shielded from the cancellation that stops
        us, it may finish after its caller has gone (or after the store closed): a
        failure then is logged here, never left as a task exception printed at exit."""
        try:
            await self.store.release_lease(self.holder)
        except Exception as exc:  # the lease then lapses after its TTL instead
            log.debug("releasing the engine lease on stop: %s", exc)

    async def _page_once(self, token: LeaseToken) -> None:
        """One pass of the escalate and deliver duties (`warroom engine --once`)."""
        from warroom.engine.delivery import DeliverDuty
        from warroom.engine.escalate_duty import EscalateDuty

        await EscalateDuty(self.store, self.paging, token, self.clock).run_once()
        deliverer = self.deliverer
        if deliverer is not None:
            deliver = DeliverDuty(self.store, deliverer, token, self.clock)
            await deliver.start()
            await deliver.run_once()
            await deliver.drain()

    async def _keep_renewing(self, token: LeaseToken) -> None:
        """Renew this tenure while the work runs; stop once it has changed hands
        (the fenced writes then fail on their own)."""
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                if not await self.store.renew_lease(token, self.lease_ttl):
                    log.warning("the engine lease changed hands during this cycle")
                    return
            except STORE_FAILURES:
                # not worth a line of its own: the cycle's writes report the store,
                # and if the lease lapses meanwhile the fence refuses them
                continue

    async def run(self) -> None:
        """Contend for the lease forever; poll while holding it. Cancel to stop."""
        failures = 0
        loop = asyncio.get_running_loop()
        held_until: float | None = None  # loop time the lease runs out, as last renewed
        try:
            while True:
                asked = loop.time()
                try:
                    token = await self._acquire_within(self._budget(held_until, asked))
                    failures = 0
                except NoAnswer as exc:
                    # a state change, said once: the store's own failures (a lock, a
                    # refused connection) are named by the statements that meet them
                    if self.token is not None:
                        log.warning("engine duties stopped: %s", exc)
                        for source in self.sources:
                            keep_in_memory(self.store, source, f"polling stopped: {exc}")
                    else:
                        self.store_log.failed("renewing the engine lease", exc, self.store.location)
                    token = None
                    failures += 1
                except STORE_FAILURES as exc:
                    # not known to hold it: stop polling (fenced writes would fail anyway)
                    self.store_log.failed("renewing the engine lease", exc, self.store.location)
                    if self.token is not None:
                        why = f"polling stopped: {describe(exc, self.store.location)}"
                        log.warning("engine duties stopped: the lease could not be renewed")
                        for source in self.sources:
                            keep_in_memory(self.store, source, why)
                    token = None
                    failures += 1
                except Exception:
                    log.exception("lease renewal failed; polling stops until it succeeds")
                    token = None
                    failures += 1
                held_until = None if token is None else asked + self.lease_ttl.total_seconds()
                if token != self.token:
                    await self._stop_duties()
                    if token is not None:
                        self._start_duties(token)
                if token is not None:
                    await self._answer_retries()
                delay = min(self.renew_seconds * 2 ** min(failures, 5), MAX_RENEW_BACKOFF)
                await asyncio.sleep(max(self.renew_seconds, delay))
        finally:
            await self._stop_duties()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._release_quietly()), STOP_WAIT * 2)

    def _budget(self, held_until: float | None, now: float) -> float:
        """How long a renewal may take: while holding, until the duties must stop."""
        if held_until is None:
            return self.lease_ttl.total_seconds()
        return max(0.1, held_until - STOP_MARGIN - now)

    async def _acquire_within(self, seconds: float) -> LeaseToken | None:
        """`acquire_lease`, or NoAnswer once `seconds` pass without an answer.

        The attempt is cancelled and left to unwind by itself: over a silent
        connection even its cleanup waits, and the duties must stop now. Should it
        still commit later it only extends (or takes) this holder's own lease, which
        the next attempt then carries on with.
        """
        attempt = asyncio.ensure_future(self.store.acquire_lease(self.holder, self.lease_ttl))
        try:
            done, _ = await asyncio.wait({attempt}, timeout=seconds)
        except asyncio.CancelledError:
            attempt.cancel()
            raise
        if done:
            return attempt.result()
        attempt.cancel()
        self._abandon({attempt})
        raise NoAnswer(
            f"{self.store.location}: no answer to the lease renewal in {seconds:.1f}s"
            " (database unreachable, or stuck behind another writer)"
        )

    def _abandon(self, tasks: Iterable[asyncio.Future[Any]]) -> None:
        for task in tasks:
            self._abandoned.add(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # read, so it is never reported as lost at exit

    async def _answer_retries(self) -> None:
        """Wake the pollers of sources a responder asked to poll now (any console)."""
        try:
            requests = await self.store.retry_requests()
        except STORE_FAILURES:
            return  # the renewal that just succeeded will say if the store is failing
        for name, at in requests.items():
            if name in self._wakes and self._answered.get(name) != at:
                self._answered[name] = at
                self._wakes[name].set()

    async def _prune(self, token: LeaseToken) -> None:
        try:
            async with self.store.transaction() as tx:
                await tx.check_lease(token)
                await tx.prune_changes()
                await tx.prune_resolved_alerts(tx.now - KEEP_RESOLVED)
                await tx.prune_outbox(tx.now - KEEP_PAGES)
        except LeaseLost as exc:
            log.warning("pruning skipped: %s", exc)
        except STORE_FAILURES as exc:
            self.store_log.failed("pruning the change feed", exc, self.store.location)
        except Exception:
            log.exception("pruning the change feed failed")

    async def _prune_forever(self, token: LeaseToken) -> None:
        while True:
            await asyncio.sleep(PRUNE_SECONDS)
            await self._prune(token)

    def _start_duties(self, token: LeaseToken) -> None:
        """The lease was won: every duty of the holder starts under its token, each
        write of theirs checking it: the pollers now, the others (escalate, deliver,
        run, prune) `duties_delay` seconds later."""
        self.token = token
        self._pollers = [
            asyncio.create_task(
                poll_forever(
                    self.store, s, self.triage, token, self.store_log, self._wakes[s.name]
                ),
                name=f"poll:{s.name}",
            )
            for s in self.sources
        ]
        self._pollers.append(asyncio.create_task(self._start_later(token), name="duties"))

    async def _start_later(self, token: LeaseToken) -> None:
        """The duties other than polling, after `duties_delay`, if the lease is still ours.

        Cancelled with the pollers when the lease is lost; the tasks it starts join
        them in `_pollers` at once (no await in between), so they are stopped too.
        """
        await asyncio.sleep(self.duties_delay)
        if self.token is not token:
            return
        from warroom.engine.delivery import DeliverDuty
        from warroom.engine.escalate_duty import EscalateDuty
        from warroom.engine.run_duty import RunDuty

        started: list[asyncio.Task[None]] = []
        if self.paging.active:
            escalate = EscalateDuty(self.store, self.paging, token, self.clock, self.store_log)
            started.append(asyncio.create_task(escalate.forever(), name="escalate"))
        deliverer = self.deliverer
        if deliverer is not None:
            deliver = DeliverDuty(self.store, deliverer, token, self.clock, self.store_log)
            started.append(asyncio.create_task(deliver.forever(), name="deliver"))
        if self.runbook_dir is not None:
            runner = RunDuty(self.store, token, self.runbook_dir, self.clock, self.store_log)
            runner.paging = self.paging
            started.append(asyncio.create_task(runner.forever(), name="runbooks"))
        started.append(asyncio.create_task(self._prune_forever(token), name="prune"))
        self._pollers.extend(started)

    async def _stop_duties(self) -> None:
        """Cancel every duty; wait a moment for them, not for a silent database."""
        self.token = None
        for task in self._pollers:
            task.cancel()
        if self._pollers:
            _, stuck = await asyncio.wait(self._pollers, timeout=STOP_WAIT)
            for task in self._pollers:
                if task.done() and not task.cancelled():
                    task.exception()
            if stuck:
                log.warning("%d duties still unwinding after being stopped", len(stuck))
                self._abandon(stuck)
        self._pollers = []

    async def close(self) -> None:
        if self._deliverer is not None:  # never built: nothing to close
            await self._deliverer.close()
        for source in self.sources:
            with contextlib.suppress(Exception):
                await source.close()
