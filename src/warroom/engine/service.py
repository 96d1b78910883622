"""The service API: every responder action, from a key, the palette or a script.

A thin facade over one object per aggregate, all sharing one `Context` (store,
actor, silencing sources, clock): `Incidents`, `AlertAcknowledgements` and
`SilenceActions` today; escalation, paging and runbooks join them the same
way. The console and the CLI keep calling `Service`, so every action is
recorded alike whichever way it came.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from warroom.engine import related as related_items
from warroom.engine.alert_acks import AckResult, AlertAcknowledgements
from warroom.engine.analysis import AnalysisActions
from warroom.engine.context import Context
from warroom.engine.errors import STILL_FIRING, ActionError, AlertsInIncident, Refused, StillFiring
from warroom.engine.incidents import Incidents
from warroom.engine.metrics import IncidentMetrics
from warroom.engine.overrides import OverrideActions, OverrideResult, Roster
from warroom.engine.paging import Paging
from warroom.engine.poller import request_retries
from warroom.engine.runbooks import RunbookActions, Verb
from warroom.engine.silence_actions import SilenceActions
from warroom.model import AlertKey, Impact
from warroom.model.matchers import Matcher
from warroom.model.related import RelatedItem
from warroom.model.runbook_steps import Runbook
from warroom.model.silence import Silence
from warroom.plans.plan import ResponsePlan
from warroom.sources.base import Silencer, Source
from warroom.store import OverrideRecord, RunRecord, Store

# what callers import from here, whichever module holds it now
__all__ = [
    "STILL_FIRING",
    "AckResult",
    "ActionError",
    "AlertsInIncident",
    "Refused",
    "Service",
    "StillFiring",
]


class Service:
    def __init__(
        self,
        store: Store,
        actor: str,
        sources: Sequence[Source] = (),
        clock: Callable[[], datetime] | None = None,
        paging: Paging | None = None,
        runbooks: Mapping[str, Runbook] | None = None,
        plans: Sequence[ResponsePlan] = (),
    ) -> None:
        silencers = {s.name: s for s in sources if isinstance(s, Silencer)}
        self.context = Context(store, actor, silencers, clock, paging or Paging())
        self.incidents = Incidents(self.context, {p.name: p for p in plans}, runbooks)
        self.alert_acks = AlertAcknowledgements(self.context)
        self.silencing = SilenceActions(self.context)
        self.overrides = OverrideActions(self.context)
        self.metrics = IncidentMetrics(store, sources, clock)  # the Metrics tab's series
        self.metrics.plans = {p.name: p for p in plans}
        self.runbooks = RunbookActions(self.context, runbooks)
        self.analysis = AnalysisActions(self.context)  # post-incident analysis (#12)

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def actor(self) -> str:
        return self.context.actor

    @property
    def silencers(self) -> Mapping[str, Silencer]:
        return self.context.silencers

    # -- incidents ------------------------------------------------------------------------------

    async def declare_incident(
        self,
        alerts: Sequence[AlertKey],
        title: str,
        impact: Impact,
        summary: str = "",
        plan: str | None = None,
        dedupe_key: str | None = None,
        move: bool = False,
        links: Sequence[Mapping[str, str]] = (),
    ) -> int:
        return await self.incidents.declare(
            alerts, title, impact, summary, plan, dedupe_key, move, links
        )

    async def acknowledge(self, incident_id: int) -> bool:
        return await self.incidents.acknowledge(incident_id)

    async def resolve(self, incident_id: int, reason: str = "", force: bool = False) -> bool:
        return await self.incidents.resolve(incident_id, reason, force)

    async def reopen(self, incident_id: int) -> bool:
        return await self.incidents.reopen(incident_id)

    async def set_impact(self, incident_id: int, impact: Impact) -> bool:
        return await self.incidents.set_impact(incident_id, impact)

    async def edit(
        self, incident_id: int, title: str | None = None, summary: str | None = None
    ) -> bool:
        return await self.incidents.edit(incident_id, title, summary)

    async def merge(self, incident_id: int, into: int) -> int:
        return await self.incidents.merge(incident_id, into)

    async def add_note(self, incident_id: int | None, text: str) -> int:
        return await self.incidents.add_note(incident_id, text)

    async def escalate(
        self,
        incident_id: int,
        seen: tuple[int, int] | None = None,
        to_stage: int | None = None,
        plan: str | None = None,
    ) -> str:
        return await self.incidents.escalate(incident_id, seen, to_stage, plan)

    # -- alerts outside incidents ---------------------------------------------------------------

    async def acknowledge_alerts(self, keys: Sequence[AlertKey]) -> AckResult:
        return await self.alert_acks.acknowledge(keys)

    # -- silences at the source -----------------------------------------------------------------

    async def silence(
        self,
        keys: Sequence[AlertKey],
        matchers: Sequence[Matcher],
        duration: timedelta,
        comment: str,
    ) -> list[str]:
        return await self.silencing.silence(keys, matchers, duration, comment)

    async def silence_alerts(
        self, keys: Sequence[AlertKey], duration: timedelta, comment: str
    ) -> list[str]:
        return await self.silencing.silence_alerts(keys, duration, comment)

    async def silence_matchers(
        self, source: str, matchers: Sequence[Matcher], duration: timedelta, comment: str
    ) -> str:
        return await self.silencing.silence_matchers(source, matchers, duration, comment)

    async def silences(self) -> tuple[list[Silence], list[str]]:
        return await self.silencing.silences()

    async def expire_silence(self, source: str, silence_id: str) -> None:
        await self.silencing.expire(source, silence_id)

    # -- sources --------------------------------------------------------------------------------

    async def retry_sources(self, names: Sequence[str]) -> list[str]:
        return await request_retries(self.context.store, names)

    # -- on-call overrides ----------------------------------------------------------------------

    async def add_override(
        self,
        roster: Roster,
        schedule: str,
        start: datetime,
        end: datetime,
        *,
        with_: str | None = None,
        replace: str | None = None,
        reason: str = "",
    ) -> OverrideResult:
        return await self.overrides.add(
            roster, schedule, start, end, with_=with_, replace_=replace, reason=reason
        )

    async def cancel_override(self, override_id: int) -> OverrideRecord:
        return await self.overrides.cancel(override_id)

    # -- runbooks -------------------------------------------------------------------------------

    # -- related items (#12) ----------------------------------------------------------------------

    async def related(self, incident_id: int) -> list[RelatedItem]:
        return await related_items.gather(self.context.store, incident_id)

    async def add_related(
        self, incident_id: int, target: str, title: str = ""
    ) -> related_items.Added:
        return await related_items.add(self.context, incident_id, target, title)

    async def add_metric_query(self, incident_id: int, expr: str) -> str:
        """Keep a PromQL query or a CloudWatch spec (`cloudwatch: {...}`, a plan's
        `metrics:` syntax) with the incident (a related item of kind metric), for
        every console's Metrics tab and `warroom metrics`; ValueError when unusable,
        ActionError when there is no such incident. Kept once."""
        return await related_items.add_metric(self.context, self.metrics, incident_id, expr)

    async def start_runbook(
        self, incident_id: int | None, name: str, params: Mapping[str, str] | None = None
    ) -> RunRecord:
        """Start a runbook of the loaded plans (parameters defaulted from the
        incident's alert labels) as this service's actor; RunbookInputError when it
        cannot mean anything."""
        return await self.runbooks.start(incident_id, name, params or {})

    async def signal_runbook(
        self, run_id: int, step: str, attempt: int, verb: Verb | str, reason: str = ""
    ) -> RunRecord:
        """confirm, approve, reject, retry, skip or cancel, naming the step and the
        attempt the responder saw: RunStale if another console acted first."""
        return await self.runbooks.signal(run_id, step, attempt, verb, reason)
