"""One process put together: its store, plans, engine and service, built once by the CLI.

The console used to open the store and build the engine itself, so tests
could not hand it a fixed clock or a prepared store, and each new part
(escalation, runbooks, metrics) would have been wired a second time inside
the screen. Now the CLI opens a `Runtime` and hands it over; whoever opened it
closes it, after the screen has gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from warroom.config import Config, state_dir
from warroom.engine.actor import current_actor, process_identity
from warroom.engine.paging import Paging
from warroom.engine.runtime import Engine
from warroom.model.clock import utcnow
from warroom.model.paging import Directory
from warroom.plans import PlanIndex, PlanSet, load_plans
from warroom.sources.base import Silencer
from warroom.store import Store, open_store

if TYPE_CHECKING:
    from warroom.engine.delivery import Deliverer
    from warroom.engine.service import Service
    from warroom.notify.declare import SmtpRelay

Clock = Callable[[], datetime]


@dataclass(slots=True, repr=False)
class Runtime:
    """What a process acts with. `run_engine`: it contends for the lease and polls
    while holding it; otherwise it only acts for its user (tests, a second console)."""

    config: Config
    store: Store
    planset: PlanSet
    engine: Engine
    actor: str  # who the timeline names for this process's actions
    identity: str  # user@host:pid, the lease holder's name
    clock: Clock
    run_engine: bool = True
    _closed: bool = field(default=False, init=False)
    _service: Service | None = field(default=None, init=False)

    def __repr__(self) -> str:
        # the config holds source credentials: never in a repr
        return f"Runtime({self.identity}, actor={self.actor!r}, db={self.store.location!r})"

    @property
    def service(self) -> Service:
        """Every user action's way in; built (its aggregates imported) on first use,
        which the console's first frame and first alerts do not need (issue 9)."""
        if self._service is None:
            from warroom.engine.service import Service

            self._service = Service(
                self.store,
                self.actor,
                self.engine.sources,
                paging=self.engine.paging,
                runbooks=self.planset.runbooks,
                plans=self.planset.plans,
            )
        return self._service

    @property
    def plan_index(self) -> PlanIndex:
        return self.engine.triage.index

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self.config.sources]

    async def close(self) -> None:
        """Hand the lease on at once (not after its TTL), close the sources, then the store."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.run_engine:
                with contextlib.suppress(Exception):
                    await self.store.release_lease(self.identity)
            await self.engine.close()
        finally:
            await self.store.close()


def paging_of(planset: PlanSet) -> Paging:
    """Who the plans page: their contacts, schedules and escalation plans, and which
    response plan engages which."""
    directory = Directory(planset.contacts, planset.schedules, planset.escalation_plans)
    engaged = {p.name: p.engagements for p in planset.plans if p.engagements}
    return Paging(directory, engaged)


def smtp_relay(config: Config) -> SmtpRelay | None:
    """The config's relay; None when there is none or it cannot work (`warroom check`
    says why, and each email page then fails saying it needs one)."""
    if not config.smtp:
        return None
    from warroom.notify.declare import ChannelConfigError, declare_smtp

    try:
        return declare_smtp(config.smtp)
    except ChannelConfigError:
        return None


def build_engine(store: Store, config: Config, planset: PlanSet, identity: str) -> Engine:
    """The engine of this process: its sources, its plans, and who it pages how
    (a `log` channel without a path writes into the state directory)."""
    paging = paging_of(planset)
    engine = Engine.from_specs(store, config.sources, identity, planset.plans, paging)

    def deliverer() -> Deliverer:
        from warroom.engine.delivery import Deliverer

        made = Deliverer(planset.contacts, smtp_relay(config), log_dir=state_dir())
        made.silencers = {s.name: s for s in engine.sources if isinstance(s, Silencer)}
        return made

    engine.deliver_with(deliverer)
    engine.triage.runbooks = planset.runbooks
    # the lease holder runs automated runbook steps; their output and exit status
    # go to files here first, so a restarted engine can adopt what finished
    engine.runbook_dir = state_dir() / "runbooks"
    return engine


async def open_runtime(
    config: Config,
    *,
    actor: str | None = None,
    run_engine: bool = True,
    clock: Clock = utcnow,
) -> Runtime:
    """Open (and migrate) the store, load the plans, build the sources and the engine.

    A store that cannot be used raises its StoreError here, before any screen
    exists, so the CLI says it in one line. Sources are built in every process,
    polling or not: silences and other actions at a source work from any
    console; only the lease holder polls.
    """
    store = await open_store(config.database)
    try:
        planset = load_plans(config.plans, {s.name for s in config.sources})
        identity = process_identity()
        engine = build_engine(store, config, planset, identity)
        engine.clock = clock
    except BaseException:
        await store.close()
        raise
    return Runtime(
        config=config,
        store=store,
        planset=planset,
        engine=engine,
        actor=actor or current_actor(),
        identity=identity,
        clock=clock,
        run_engine=run_engine,
    )
