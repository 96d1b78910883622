"""The service API: every responder action, from a key, the palette or a script.

Each action changes state and appends its timeline event, with actor and time,
in one transaction, so the story of an incident can never miss a step.
"""

from __future__ import annotations

from collections.abc import Sequence

from warroom.model import AlertKey, EventKind, Impact, IncidentStatus
from warroom.model.incident import Incident
from warroom.store import Store

MAX_TITLE = 200
MAX_NOTE = 10_000


class ActionError(Exception):
    """An action that cannot be done as asked; the message says why, for the responder."""


class Service:
    def __init__(self, store: Store, actor: str) -> None:
        self.store = store
        self.actor = actor

    async def declare_incident(
        self,
        alerts: Sequence[AlertKey],
        title: str,
        impact: Impact,
        summary: str = "",
    ) -> int:
        title = title.strip()
        if not title:
            raise ActionError("an incident needs a title")
        if len(title) > MAX_TITLE:
            raise ActionError(f"title is longer than {MAX_TITLE} characters")
        async with self.store.transaction() as tx:
            incident_id = await tx.create_incident(title, Impact(impact), self.actor, summary)
            await tx.add_event(
                incident_id,
                EventKind.DECLARED,
                self.actor,
                f"Declared with impact {Impact(impact).label}",
                {"alerts": [str(k) for k in alerts], "impact": int(impact)},
            )
            if alerts:
                await tx.attach_alerts(incident_id, alerts)
                await tx.add_event(
                    incident_id,
                    EventKind.ALERT_ADDED,
                    self.actor,
                    f"{len(alerts)} alert(s) attached",
                    {"alerts": [str(k) for k in alerts]},
                )
        return incident_id

    async def acknowledge(self, incident_id: int) -> bool:
        """False when already acknowledged (or resolved): nothing to record twice."""
        incident = await self._incident(incident_id)
        if incident.status is not IncidentStatus.OPEN:
            return False
        async with self.store.transaction() as tx:
            await tx.update_incident(
                incident_id,
                status=IncidentStatus.ACKNOWLEDGED,
                acknowledged_at=tx.now,
                acknowledged_by=self.actor,
            )
            await tx.add_event(incident_id, EventKind.ACKNOWLEDGED, self.actor, "Acknowledged")
        return True

    async def resolve(self, incident_id: int, reason: str = "") -> bool:
        incident = await self._incident(incident_id)
        if incident.status is IncidentStatus.RESOLVED:
            return False
        async with self.store.transaction() as tx:
            await tx.update_incident(
                incident_id,
                status=IncidentStatus.RESOLVED,
                resolved_at=tx.now,
                resolved_by=self.actor,
            )
            text = f"Resolved: {reason}" if reason else "Resolved"
            await tx.add_event(incident_id, EventKind.RESOLVED, self.actor, text)
        return True

    async def reopen(self, incident_id: int) -> bool:
        incident = await self._incident(incident_id)
        if incident.status is not IncidentStatus.RESOLVED:
            return False
        status = IncidentStatus.ACKNOWLEDGED if incident.acknowledged_at else IncidentStatus.OPEN
        async with self.store.transaction() as tx:
            await tx.update_incident(incident_id, status=status, resolved_at=None, resolved_by=None)
            await tx.add_event(incident_id, EventKind.REOPENED, self.actor, "Reopened")
        return True

    async def set_impact(self, incident_id: int, impact: Impact) -> bool:
        incident = await self._incident(incident_id)
        impact = Impact(impact)
        if incident.impact is impact:
            return False
        async with self.store.transaction() as tx:
            await tx.update_incident(incident_id, impact=impact)
            await tx.add_event(
                incident_id,
                EventKind.IMPACT,
                self.actor,
                f"Impact {incident.impact.label} → {impact.label}",
                {"from": int(incident.impact), "to": int(impact)},
            )
        return True

    async def add_note(self, incident_id: int | None, text: str) -> int:
        """A note on an incident, or on the console log when `incident_id` is None."""
        text = text.strip()
        if not text:
            raise ActionError("an empty note says nothing")
        if len(text) > MAX_NOTE:
            raise ActionError(f"note is longer than {MAX_NOTE} characters")
        if incident_id is not None:
            await self._incident(incident_id)
        async with self.store.transaction() as tx:
            return await tx.add_event(incident_id, EventKind.NOTE, self.actor, text)

    async def acknowledge_alerts(self, keys: Sequence[AlertKey]) -> int:
        """Acknowledge alerts that belong to no incident; returns how many changed."""
        if not keys:
            return 0
        async with self.store.transaction() as tx:
            count = await tx.acknowledge_alerts(keys, self.actor)
            if count:
                await tx.add_event(
                    None,
                    EventKind.ALERT_ACKNOWLEDGED,
                    self.actor,
                    f"Acknowledged {count} alert(s)",
                    {"alerts": [str(k) for k in keys]},
                )
        return count

    async def _incident(self, incident_id: int) -> Incident:
        incident = await self.store.incident(incident_id)
        if incident is None:
            raise ActionError(f"no incident #{incident_id}")
        return incident
