"""The service API: every responder action, from a key, the palette or a script.

Each action changes state and appends its timeline event, with actor and time,
in one transaction, so the story of an incident can never miss a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from warroom.engine.silences import (
    create_silence_once,
    keys_by_source,
    record_silence,
    silence_acknowledged,
)
from warroom.engine.timeline import append
from warroom.model import AlertKey, AlertState, Impact, TrackedAlert, events, lifecycle
from warroom.model.clock import utcnow
from warroom.model.incident import Incident
from warroom.model.lifecycle import Move, Transition
from warroom.model.matchers import Matcher
from warroom.model.silence import Silence
from warroom.model.silencing import exact_silences
from warroom.sources.base import Silencer, Source, SourceError
from warroom.store import Store, Tx

MAX_TITLE = 200
MAX_NOTE = 10_000
MAX_SILENCE = timedelta(days=30)


def _check_silence(duration: timedelta, comment: str) -> str:
    comment = comment.strip()
    if not comment:
        raise ActionError("a silence needs a comment: say why")
    if not timedelta(minutes=1) <= duration <= MAX_SILENCE:
        raise ActionError("a silence lasts from 1m to 30d")
    return comment


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ActionError("an incident needs a title")
    if len(title) > MAX_TITLE:
        raise ActionError(f"title is longer than {MAX_TITLE} characters")
    return title


class ActionError(Exception):
    """An action that cannot be done as asked; the message says why, for the responder."""


# Alerts that would make the next poll declare again: silenced ones still fire behind it.
STILL_FIRING = frozenset({AlertState.FIRING, AlertState.SUPPRESSED})


def _names(alerts: Sequence[TrackedAlert]) -> str:
    return events.names_text(sorted({t.alert.name for t in alerts}))


class Refused(ActionError):
    """The lifecycle does not allow this move from the incident's state."""

    def __init__(self, refusal: lifecycle.Refused) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class StillFiring(ActionError):
    """Resolving would leave firing alerts to declare a new incident at the next poll."""

    def __init__(self, incident_id: int, alerts: Sequence[TrackedAlert]) -> None:
        self.incident_id = incident_id
        self.alerts = tuple(alerts)
        super().__init__(
            f"incident #{incident_id} has {len(alerts)} alert(s) still firing: {_names(alerts)}"
        )


class AlertsInIncident(ActionError):
    """Declaring would take alerts out of open incidents; moving them needs `move=True`."""

    def __init__(self, holders: Sequence[tuple[Incident, int]]) -> None:
        self.holders = list(holders)
        parts = [
            f"{describe_holder(incident)} holds {count} of them" for incident, count in holders
        ]
        super().__init__("; ".join(parts) + ": open it, or move them explicitly")


def describe_holder(incident: Incident) -> str:
    """`#27 (acknowledged by alice)`: enough to decide between opening and moving."""
    who = f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""
    return f"#{incident.id} {incident.title!r} ({incident.status.value}{who})"


@dataclass(frozen=True, slots=True)
class AckResult:
    acknowledged: int
    silenced: int = 0
    failures: tuple[str, ...] = ()


class Service:
    def __init__(self, store: Store, actor: str, sources: Sequence[Source] = ()) -> None:
        self.store = store
        self.actor = actor
        self.silencers = {s.name: s for s in sources if isinstance(s, Silencer)}

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
        """Declare by hand, ad hoc or under a plan (its name and dedupe key recorded,
        so later alerts of that plan join this incident).

        An alert already in an open incident stays there unless `move` says to
        take it: a quiet move once turned an acknowledged incident's alert into a
        fresh, unacknowledged duplicate.
        """
        title = _clean_title(title)
        async with self.store.transaction() as tx:
            if not move:
                await self._refuse_taken(tx, alerts)
            incident_id = await tx.create_incident(
                title, Impact(impact), self.actor, summary, dedupe_key, plan
            )
            declared = events.Declared(
                Impact(impact),
                events.keys(alerts),
                plan,
                links=tuple(events.Link(k.get("title", ""), k.get("url", "")) for k in links),
            )
            await append(tx, incident_id, self.actor, declared)
            if alerts:
                moved = await tx.attach_alerts(incident_id, alerts)
                await append(tx, incident_id, self.actor, events.AlertsAdded(events.keys(alerts)))
                for previous, keys in moved.items():
                    await append(
                        tx, previous, self.actor, events.AlertsMoved(events.keys(keys), incident_id)
                    )
        return incident_id

    async def acknowledge(self, incident_id: int) -> bool:
        """False when already acknowledged: nothing to record twice."""
        async with self.store.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            if await self._move(tx, incident, Move.ACKNOWLEDGE) is None:
                return False
            await append(tx, incident_id, self.actor, events.Acknowledged())
        return True

    async def resolve(self, incident_id: int, reason: str = "", force: bool = False) -> bool:
        """Refused (StillFiring) while its alerts fire, unless `force`: the next poll
        would declare a new incident for them and the acknowledgement and notes
        would stay behind on this one. Forced, the timeline says what still fired."""
        async with self.store.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            transition = self._decide(tx, incident, Move.RESOLVE)
            if transition is None:
                return False
            firing = [
                t
                for t in await self.store.incident_alerts(incident_id)
                if t.alert.state in STILL_FIRING
            ]
            if firing and not force:
                raise StillFiring(incident_id, firing)
            await tx.update_incident(incident_id, **transition.changes)
            resolved = events.Resolved(
                reason,
                events.keys(t.key for t in firing),
                tuple(sorted({t.alert.name for t in firing})),
            )
            await append(tx, incident_id, self.actor, resolved)
        return True

    async def reopen(self, incident_id: int) -> bool:
        """Back to open and unowned (see `model.lifecycle`); False when not resolved."""
        async with self.store.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            transition = await self._move(tx, incident, Move.REOPEN)
            if transition is None:
                return False
            reopened = events.Reopened(acknowledged_by=transition.acknowledged_by)
            await append(tx, incident_id, self.actor, reopened)
        return True

    async def set_impact(self, incident_id: int, impact: Impact) -> bool:
        impact = Impact(impact)
        async with self.store.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            if incident.impact is impact:
                return False
            await tx.update_incident(incident_id, impact=impact)
            changed = events.ImpactChanged(incident.impact, impact)
            await append(tx, incident_id, self.actor, changed)
        return True

    async def edit(
        self, incident_id: int, title: str | None = None, summary: str | None = None
    ) -> bool:
        """Change title and/or summary; the timeline keeps the old words."""
        async with self.store.transaction() as tx:
            incident = await self._incident(tx, incident_id)
            changes: dict[str, str] = {}
            if title is not None and title.strip() != incident.title:
                changes["title"] = _clean_title(title)
            if summary is not None and summary.strip() != incident.summary:
                changes["summary"] = summary.strip()
            if not changes:
                return False
            await tx.update_incident(incident_id, **changes)
            for field, new in changes.items():
                old = getattr(incident, field)
                await append(tx, incident_id, self.actor, events.Edited(field, old, new))
        return True

    async def merge(self, incident_id: int, into: int) -> int:
        """Merge an incident into another: its alerts move, it resolves, both say so.

        Returns how many alerts moved.
        """
        if incident_id == into:
            raise ActionError("an incident cannot be merged into itself")
        async with self.store.transaction() as tx:
            child = await self._incident(tx, incident_id)
            parent = await self._incident(tx, into)
            await self._move(tx, child, Move.MERGE, into=parent)
            keys = [t.key for t in await self.store.incident_alerts(incident_id)]
            if keys:
                await tx.attach_alerts(into, keys)
            moved = events.keys(keys)
            merged = events.Merged(moved, into=into, title=parent.title)
            await append(tx, incident_id, self.actor, merged)
            took = events.Merged(moved, merged_from=incident_id, title=child.title)
            await append(tx, into, self.actor, took)
        return len(keys)

    async def add_note(self, incident_id: int | None, text: str) -> int:
        """A note on an incident, or on the console log when `incident_id` is None."""
        text = text.strip()
        if not text:
            raise ActionError("an empty note says nothing")
        if len(text) > MAX_NOTE:
            raise ActionError(f"note is longer than {MAX_NOTE} characters")
        async with self.store.transaction() as tx:
            if incident_id is not None:
                await self._incident(tx, incident_id)
            return await append(tx, incident_id, self.actor, events.Note(text))

    async def acknowledge_alerts(self, keys: Sequence[AlertKey]) -> AckResult:
        """Acknowledge alerts that belong to no incident.

        Where the source is set to `silence_on_ack`, each newly acknowledged alert
        is also silenced there until it resolves.
        """
        if not keys:
            return AckResult(0)
        async with self.store.transaction() as tx:
            fresh = await tx.acknowledge_alerts(keys, self.actor)
            if fresh:
                acked = events.AlertsAcknowledged(events.keys(fresh))
                await append(tx, None, self.actor, acked)
        count = len(fresh)
        silenced, failures = 0, []
        for source, group in keys_by_source(fresh).items():
            silencer = self.silencers.get(source)
            if silencer is None or not silencer.silence_on_ack:
                continue
            tracked = await self.store.alerts_by_key(group)
            done, failed = await silence_acknowledged(self.store, silencer, tracked, self.actor)
            silenced += done
            failures += failed
        return AckResult(count, silenced, tuple(failures))

    # -- silences at the source ---------------------------------------------------------------

    async def silence(
        self,
        keys: Sequence[AlertKey],
        matchers: Sequence[Matcher],
        duration: timedelta,
        comment: str,
    ) -> list[str]:
        """One silence with the responder's own matchers, at each selected alert's source."""
        if not matchers:
            raise ActionError("a silence needs at least one matcher")
        comment = _check_silence(duration, comment)
        grouped = await self._silenceable(keys)
        return [
            await self._create_silence(source, group, list(matchers), duration, comment)
            for source, group in grouped.items()
        ]

    async def silence_alerts(
        self, keys: Sequence[AlertKey], duration: timedelta, comment: str
    ) -> list[str]:
        """Silence exactly these alerts: no alert nobody chose is muted.

        One silence per group of alerts that differ in a single label
        (`exact_silences`), so a storm is a few silences, not hundreds.
        """
        comment = _check_silence(duration, comment)
        grouped = await self._silenceable(keys)
        present = await self.store.active_alerts()
        ids = []
        for source, group in grouped.items():
            others = [t.alert.labels for t in present if t.alert.source == source]
            for matchers, members in exact_silences([t.alert.labels for t in group], others):
                chosen = [group[i] for i in members]
                try:
                    ids.append(
                        await self._create_silence(source, chosen, matchers, duration, comment)
                    )
                except ActionError as exc:
                    if not ids:
                        raise
                    raise ActionError(f"{exc} ({len(ids)} silence(s) made before it)") from exc
        return ids

    async def _silenceable(self, keys: Sequence[AlertKey]) -> dict[str, list[TrackedAlert]]:
        alerts = await self.store.alerts_by_key(keys)
        if not alerts:
            raise ActionError("no alerts to silence")
        grouped: dict[str, list[TrackedAlert]] = {}
        for tracked in alerts:
            grouped.setdefault(tracked.key.source, []).append(tracked)
        for source in grouped:
            if source not in self.silencers:
                raise ActionError(f"source {source!r} cannot silence (only Alertmanager can)")
        return grouped

    async def _create_silence(
        self,
        source: str,
        group: list[TrackedAlert],
        matchers: list[Matcher],
        duration: timedelta,
        comment: str,
    ) -> str:
        now = utcnow()
        try:
            silence_id = await create_silence_once(
                self.silencers[source], matchers, now, now + duration, self.actor, comment
            )
        except SourceError as exc:
            raise ActionError(f"{source}: {exc.reason}") from exc
        silenced = events.Silenced(
            silence_id,
            source,
            events.keys(t.key for t in group),
            ", ".join(str(m) for m in matchers),
            duration=duration,
            comment=comment,
        )
        await record_silence(
            self.store, source, silence_id, "manual", self.actor, now + duration, group, silenced
        )
        return silence_id

    async def silences(self) -> tuple[list[Silence], list[str]]:
        """Every silence of every silencing source, and one line per source that failed."""
        found: list[Silence] = []
        errors: list[str] = []
        for silencer in self.silencers.values():
            try:
                found += await silencer.silences()
            except SourceError as exc:
                errors.append(str(exc))
        return found, errors

    async def expire_silence(self, source: str, silence_id: str) -> None:
        silencer = self.silencers.get(source)
        if silencer is None:
            raise ActionError(f"source {source!r} cannot silence")
        try:
            await silencer.expire_silence(silence_id)
        except SourceError as exc:
            raise ActionError(f"{source}: {exc.reason}") from exc
        kept = await self.store.silence_record(source, silence_id)
        async with self.store.transaction() as tx:
            await tx.mark_silence_expired(source, silence_id)
            expired = events.SilenceExpired(silence_id, source)
            await append(tx, kept.incident_id if kept else None, self.actor, expired)

    async def _refuse_taken(self, tx: Tx, keys: Sequence[AlertKey]) -> None:
        counts: dict[int, int] = {}
        for tracked in await self.store.alerts_by_key(keys):
            if tracked.incident_id is not None:
                counts[tracked.incident_id] = counts.get(tracked.incident_id, 0) + 1
        holders = []
        for incident_id, count in sorted(counts.items()):
            incident = await tx.incident(incident_id)
            if incident is not None and lifecycle.state_of(incident).is_active:
                holders.append((incident, count))
        if holders:
            raise AlertsInIncident(holders)

    async def retry_sources(self, names: Sequence[str]) -> list[str]:
        """Ask whichever process polls to poll these sources now; the ones asked.

        A source that was never polled has nothing to retry: its first poll is
        already on its way.
        """
        asked = []
        async with self.store.transaction() as tx:
            for name in names:
                if await tx.request_retry(name):
                    asked.append(name)
        return asked

    def _decide(
        self, tx: Tx, incident: Incident, move: Move, into: Incident | None = None
    ) -> Transition | None:
        try:
            return lifecycle.apply(incident, move, self.actor, tx.now, into=into)
        except lifecycle.Refused as exc:
            raise Refused(exc) from exc

    async def _move(
        self, tx: Tx, incident: Incident, move: Move, into: Incident | None = None
    ) -> Transition | None:
        """Ask the lifecycle, then write what it says, in the caller's transaction."""
        transition = self._decide(tx, incident, move, into)
        if transition is not None:
            await tx.update_incident(incident.id, **transition.changes)
        return transition

    @staticmethod
    async def _incident(tx: Tx, incident_id: int) -> Incident:
        incident = await tx.incident(incident_id)
        if incident is None:
            raise ActionError(f"no incident #{incident_id}")
        return incident

    # -- for the CLI ----------------------------------------------------------------------------

    async def silence_matchers(
        self, source: str, matchers: Sequence[Matcher], duration: timedelta, comment: str
    ) -> str:
        """Silence by matchers alone at one source: for alerts not firing yet (maintenance)."""
        if not matchers:
            raise ActionError("a silence needs at least one matcher")
        comment = _check_silence(duration, comment)
        if source not in self.silencers:
            raise ActionError(f"source {source!r} cannot silence (only Alertmanager can)")
        return await self._create_silence(source, [], list(matchers), duration, comment)
