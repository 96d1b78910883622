"""The timeline: the story of an incident, one event per thing that happened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from warroom.model.value import Value, field


class EventKind(StrEnum):
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    IMPACT = "impact"
    NOTE = "note"
    ALERT_ADDED = "alert-added"
    ALERT_MOVED = "alert-moved"
    MERGED = "merged"
    EDITED = "edited"
    ALERT_ACKNOWLEDGED = "alert-acknowledged"
    SILENCED = "silenced"
    SILENCE_EXPIRED = "silence-expired"
    # engagement (#10): a plan started, a stage paged, what a stage could not do,
    # a responder's escalate, a page that could not be delivered
    ENGAGED = "engaged"
    PAGED = "paged"
    ESCALATION = "escalation"
    ESCALATED = "escalated"
    PAGE_FAILED = "page-failed"
    OVERRIDE_ADDED = "override-added"
    OVERRIDE_CANCELLED = "override-cancelled"
    # runbooks (#11): a run started, a step began or came to a result, a responder's
    # confirm, approve, reject, skip or retry, a run cancelled
    RUNBOOK_STARTED = "runbook-started"
    RUNBOOK_STEP_STARTED = "runbook-step-started"
    RUNBOOK_STEP_RESULT = "runbook-step-result"
    RUNBOOK_CONFIRMED = "runbook-confirmed"
    RUNBOOK_APPROVED = "runbook-approved"
    RUNBOOK_REJECTED = "runbook-rejected"
    RUNBOOK_SKIPPED = "runbook-skipped"
    RUNBOOK_RETRIED = "runbook-retried"
    RUNBOOK_CANCELLED = "runbook-cancelled"
    # post-incident analysis (#12): a question answered, a timeline event marked,
    # an action item added or changed, a chart's series frozen into the analysis
    ANALYSIS_ANSWERED = "analysis-answered"
    ANALYSIS_MARKED = "analysis-marked"
    ACTION_ITEM = "action-item"
    METRICS_SNAPSHOT = "metrics-snapshot"


class TimelineEvent(Value, frozen=True):
    """`incident` is None for actions on alerts that belong to no incident yet.

    `data` is the kind's payload and `version` its shape's version (0 for rows
    written before shapes were versioned); `model.events.read` makes the typed
    value of it.
    """

    id: int
    incident: int | None
    at: datetime
    kind: EventKind
    actor: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
