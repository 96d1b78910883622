"""Typed timeline events: one class per kind owns its wording and its data shape.

Every writer of the timeline (the service, triage, silences, and soon escalation,
runbooks and analysis) used to build its own `data` dict and its own sentence,
so the same kind of event came in several shapes and an export could not rely
on any of them. Here each kind is a frozen `Value`: `text` is the line a
responder reads, `stored()` the JSON written beside it, `{"v": 1, ...}`, and
`read()` turns a stored row back into the typed value, so export and analysis
parse events instead of guessing.

Rows written before these classes have no `"v"` (version 0). They keep their
stored text, which is what screens show, and `read()` fills what they lack with
the field's default: old and new rows display and parse alike.

Nothing secret is ever written: a `Secret` anywhere in an event is refused with
a TypeError before it reaches the database, and a link's `user:password@` is cut
from its URL.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

from warroom.model.clock import format_duration
from warroom.model.incident import Impact
from warroom.model.secret import Secret, redact_url
from warroom.model.timeline import EventKind, TimelineEvent
from warroom.model.value import FACTORY, REQUIRED, Value, field_defaults, force_setattr

VERSION = 1
NAMES_SHOWN = 5


class EventUnreadable(ValueError):
    """A stored event whose data does not fit its kind (a newer warroom, or damage)."""


def names_text(names: Sequence[str], most: int = NAMES_SHOWN) -> str:
    """`A, B, C and 2 more`: alert names as a timeline line can hold them."""
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


class Link(Value, frozen=True):
    """A plan's link as rendered when the incident was declared."""

    title: str
    url: str

    def __post_init__(self) -> None:
        if isinstance(self.url, str):  # anything else is refused when stored
            force_setattr(self, "url", redact_url(self.url))


class Event:
    """The base of every kind: how a kind becomes stored JSON and back.

    Fields map to JSON keys of the same name (`KEYS` renames the few that are
    Python words, such as `from`); a field at its default is left out, so an
    event stores only what it says.
    """

    __slots__ = ()
    KIND: ClassVar[EventKind]
    KEYS: ClassVar[Mapping[str, str]] = {}

    @property
    def text(self) -> str:
        raise NotImplementedError

    def stored(self) -> dict[str, Any]:
        """The versioned data written with the event: `{"v": 1, ...}`.

        TypeError for a secret in it, or as its text (a note is all text).
        """
        _encode(self.text, f"{self.KIND}.text")
        return {"v": VERSION, **self.payload()}

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, default in field_defaults(type(self)).items():  # type: ignore[arg-type]
            value = getattr(self, name)
            if default is not REQUIRED and default is not FACTORY and value == default:
                continue
            out[self.KEYS.get(name, name)] = _encode(value, f"{self.KIND}.{name}")
        return out

    @classmethod
    def parse(cls, data: Mapping[str, Any], text: str = "") -> Event:
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for name, default in field_defaults(cls).items():  # type: ignore[arg-type]
            key = cls.KEYS.get(name, name)
            if key in data:
                values[name] = _decode(data[key], hints[name], f"{cls.KIND}.{key}")
            elif default is REQUIRED or default is FACTORY:
                raise EventUnreadable(f"{cls.KIND} event without {key!r}")
        return cls(**values)


def _encode(value: object, where: str) -> Any:
    if isinstance(value, Secret):
        raise TypeError(f"{where}: a secret never goes to the timeline")
    if isinstance(value, Impact):
        return int(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Link):
        return {"title": _encode(value.title, where), "url": _encode(value.url, where)}
    if isinstance(value, tuple | list):
        return [_encode(v, where) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{where}: {type(value).__name__} is not timeline data")


def _decode(value: Any, hint: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (hint,) = [a for a in get_args(hint) if a is not type(None)]
        origin = get_origin(hint)
    try:
        if origin is tuple:
            (item, _) = get_args(hint)
            if not isinstance(value, list):
                raise TypeError("a list")
            return tuple(_decode(v, item, where) for v in value)
        if hint is Link:
            if not isinstance(value, Mapping):
                raise TypeError("a title and a url")
            return Link(str(value.get("title", "")), str(value.get("url", "")))
        if hint is Impact:
            return Impact(value)
        if hint is timedelta:
            return timedelta(seconds=float(value))
        if hint is bool and isinstance(value, bool):
            return value
        if hint is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if hint is str and isinstance(value, str):
            return value
        raise TypeError(hint.__name__)
    except (TypeError, ValueError) as exc:
        raise EventUnreadable(f"{where}: {value!r} is not {exc}") from exc


Alerts = tuple[str, ...]  # alert keys as `source/fingerprint`


def keys(alerts: Iterable[object]) -> Alerts:
    return tuple(str(k) for k in alerts)


class Declared(Value, Event, frozen=True):
    KIND = EventKind.DECLARED

    impact: Impact | None = None  # rows of triage before version 1 lack it
    alerts: Alerts = ()
    plan: str | None = None
    dedupe_key: str | None = None
    links: tuple[Link, ...] = ()
    by_plan: bool = False  # declared by triage, not by a responder

    @property
    def text(self) -> str:
        impact = f" with impact {self.impact.label}" if self.impact else ""
        if self.by_plan:
            return f"Declared by plan {self.plan}{impact}"
        under = f" under plan {self.plan}" if self.plan else ""
        return f"Declared{under}{impact}"


class AlertsAdded(Value, Event, frozen=True):
    KIND = EventKind.ALERT_ADDED

    alerts: Alerts
    names: tuple[str, ...] = ()  # set when they joined by a plan
    plan: str | None = None

    @property
    def text(self) -> str:
        if self.names:
            return f"{len(self.alerts)} alert(s) joined: {', '.join(self.names)}"
        return f"{len(self.alerts)} alert(s) attached"


class AlertsMoved(Value, Event, frozen=True):
    KIND = EventKind.ALERT_MOVED

    alerts: Alerts
    to: int

    @property
    def text(self) -> str:
        return f"{len(self.alerts)} alert(s) moved to incident #{self.to}"


class Acknowledged(Value, Event, frozen=True):
    KIND = EventKind.ACKNOWLEDGED

    @property
    def text(self) -> str:
        return "Acknowledged"


class Resolved(Value, Event, frozen=True):
    KIND = EventKind.RESOLVED

    reason: str = ""
    still_firing: Alerts = ()  # resolved by force while these fired
    names: tuple[str, ...] = ()  # their names, sorted
    plan: str | None = None  # resolved by the plan: all its alerts resolved

    @property
    def text(self) -> str:
        if self.plan:
            return f"Resolved: all its alerts resolved (plan {self.plan})"
        text = "Resolved"
        if self.still_firing:
            text += f" with {len(self.still_firing)} alert(s) still firing"
            text += f" ({names_text(self.names)})"
        if self.reason:
            text += f": {self.reason}"
        return text


class Reopened(Value, Event, frozen=True):
    KIND = EventKind.REOPENED

    plan: str | None = None  # reopened by the plan: its alerts fired again
    alerts: Alerts = ()
    names: tuple[str, ...] = ()
    within: timedelta | None = None
    acknowledged_by: str | None = None  # who owned it before; the reopen cleared that

    @property
    def text(self) -> str:
        text = "Reopened"
        if self.plan:
            within = f" within {format_duration(self.within)}" if self.within else ""
            text += f" by plan {self.plan}: {', '.join(self.names)} fired again{within}"
        if self.acknowledged_by:
            text += f"; {self.acknowledged_by} had acknowledged it"
        return text


class ImpactChanged(Value, Event, frozen=True):
    KIND = EventKind.IMPACT
    KEYS: ClassVar[Mapping[str, str]] = {"before": "from", "after": "to"}

    before: Impact
    after: Impact

    @property
    def text(self) -> str:
        return f"Impact {self.before.label} → {self.after.label}"


class Edited(Value, Event, frozen=True):
    KIND = EventKind.EDITED
    KEYS: ClassVar[Mapping[str, str]] = {"before": "from", "after": "to"}

    field: str
    before: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.field.capitalize()}: {self.before!r} → {self.after!r}"


class Merged(Value, Event, frozen=True):
    """Written twice, once on each side: `into` on the merged incident, `merged_from`
    on the one that took it in."""

    KIND = EventKind.MERGED
    KEYS: ClassVar[Mapping[str, str]] = {"merged_from": "from"}

    alerts: Alerts = ()
    into: int | None = None
    merged_from: int | None = None
    title: str = ""  # the other incident's

    @property
    def text(self) -> str:
        count = len(self.alerts)
        if self.into is not None:
            return f"Merged into #{self.into} ({self.title}); {count} alert(s) moved there"
        return f"#{self.merged_from} ({self.title}) merged in; {count} alert(s) joined"


class Note(Value, Event, frozen=True):
    """The note is the event's text; its data holds only the version."""

    KIND = EventKind.NOTE

    note: str = ""

    @property
    def text(self) -> str:
        return self.note

    def payload(self) -> dict[str, Any]:
        return {}

    @classmethod
    def parse(cls, data: Mapping[str, Any], text: str = "") -> Event:
        return cls(text)


class AlertsAcknowledged(Value, Event, frozen=True):
    KIND = EventKind.ALERT_ACKNOWLEDGED

    alerts: Alerts

    @property
    def text(self) -> str:
        return f"Acknowledged {len(self.alerts)} alert(s)"


class Silenced(Value, Event, frozen=True):
    """A silence warroom made at the source: by hand (`duration`, `comment`), or for
    an acknowledgement, until the alerts resolve (`until_resolved`)."""

    KIND = EventKind.SILENCED

    silence_id: str
    source: str
    alerts: Alerts = ()
    matchers: str = ""
    until_resolved: bool = False
    alert_name: str = ""  # the one alert's name, when it silences one
    duration: timedelta | None = None
    comment: str = ""

    @property
    def text(self) -> str:
        if self.until_resolved:
            what = self.alert_name if len(self.alerts) == 1 else f"{len(self.alerts)} alerts"
            return f"Silenced {what} on {self.source} until resolved"
        duration = f" for {format_duration(self.duration)}" if self.duration else ""
        return f"Silenced on {self.source}{duration}: {self.matchers} — {self.comment}"


class SilenceExpired(Value, Event, frozen=True):
    KIND = EventKind.SILENCE_EXPIRED

    silence_id: str
    source: str | None = None
    alerts: Alerts = ()
    alert_resolved: bool = False  # expired by the lease holder once its alerts resolved

    @property
    def text(self) -> str:
        if self.alert_resolved:
            return "Alert resolved; expired the silence of its acknowledgement"
        return f"Expired silence {self.silence_id} on {self.source}"


def _stage(stage: int, loop: int) -> str:
    return f"stage {stage + 1}" + (f" (round {loop + 1})" if loop else "")


class Engaged(Value, Event, frozen=True):
    """An incident started working through an escalation plan (`escalation-plan:x`,
    or a contact or schedule engaged directly, as a one-stage plan of that name)."""

    KIND = EventKind.ENGAGED

    plan: str
    stages: int = 1

    @property
    def text(self) -> str:
        return f"Engaged {self.plan} ({self.stages} stage{'s' if self.stages != 1 else ''})"


class Paged(Value, Event, frozen=True):
    """A stage paged a target: the people it reached then, and on how many channels."""

    KIND = EventKind.PAGED

    plan: str
    stage: int
    loop: int
    target: str
    people: tuple[str, ...] = ()
    channels: int = 0

    @property
    def text(self) -> str:
        who = names_text(self.people) or "nobody"
        return (
            f"Paged {who} ({self.target}, {_stage(self.stage, self.loop)} of {self.plan}) "
            f"on {self.channels} channel{'s' if self.channels != 1 else ''}"
        )


class EscalationSaid(Value, Event, frozen=True):
    """What a stage could not do, said loudly: nobody to page, a plan exhausted, an
    acknowledgement that timed out, someone on call who is not a contact."""

    KIND = EventKind.ESCALATION

    plan: str
    stage: int
    loop: int
    said: str

    @property
    def text(self) -> str:
        return f"{self.plan}, {_stage(self.stage, self.loop)}: {self.said}"


class Escalated(Value, Event, frozen=True):
    """A responder escalated by hand, having seen `seen_stage` (counted from 0)."""

    KIND = EventKind.ESCALATED

    plan: str
    seen_stage: int
    seen_loop: int = 0
    to_stage: int | None = None

    @property
    def text(self) -> str:
        to = "the next stage" if self.to_stage is None else f"stage {self.to_stage + 1}"
        return f"Escalated {self.plan} to {to} (was at {_stage(self.seen_stage, self.seen_loop)})"


class PageFailed(Value, Event, frozen=True):
    """A page that will not arrive as configured (or may have arrived twice): loud, so
    nobody believes a person was reached who was not."""

    KIND = EventKind.PAGE_FAILED

    contact: str
    channel: str
    detail: str
    action: str = "trigger"
    possible_repeat: bool = False

    @property
    def text(self) -> str:
        if self.possible_repeat:
            return (
                f"Page to {self.contact} via {self.channel} may have been sent twice: "
                + self.detail
            )
        return f"Page to {self.contact} via {self.channel} failed ({self.action}): {self.detail}"


def _span(start: str, end: str) -> str:
    """`2026-11-26 15:00 → 17:00 UTC`: the shift in the zone every responder shares."""
    try:
        since = datetime.fromisoformat(start).astimezone(UTC)
        until = datetime.fromisoformat(end).astimezone(UTC)
    except ValueError:
        return f"{start} → {end}"
    shown = until.strftime("%H:%M" if until.date() == since.date() else "%Y-%m-%d %H:%M")
    return f"{since.strftime('%Y-%m-%d %H:%M')} → {shown} UTC"


def _who(replace: str | None, with_: str | None) -> str:
    if replace and with_:
        return f"{with_} for {replace}"
    if with_:
        return f"{with_} added"
    return f"{replace} off"


class OverrideAdded(Value, Event, frozen=True):
    """Someone took a shift (or put someone on or off one) from the console or the
    CLI. In the console log (no incident): who took which shift, and why. Times are
    ISO 8601 in UTC."""

    KIND = EventKind.OVERRIDE_ADDED
    KEYS: ClassVar[Mapping[str, str]] = {"with_": "with"}

    override_id: int
    schedule: str
    start: str
    end: str
    replace: str | None = None
    with_: str | None = None
    reason: str = ""

    @property
    def text(self) -> str:
        span = _span(self.start, self.end)
        if self.replace and self.with_:
            text = f"{self.with_} takes {self.schedule} from {self.replace}, {span}"
        elif self.with_:
            text = f"{self.with_} joins {self.schedule} on call, {span}"
        else:
            text = f"{self.replace} off {self.schedule}, {span}"
        text += f" (override #{self.override_id})"
        return f"{text}: {self.reason}" if self.reason else text


class OverrideCancelled(Value, Event, frozen=True):
    KIND = EventKind.OVERRIDE_CANCELLED
    KEYS: ClassVar[Mapping[str, str]] = {"with_": "with"}

    override_id: int
    schedule: str
    start: str
    end: str
    replace: str | None = None
    with_: str | None = None

    @property
    def text(self) -> str:
        who = _who(self.replace, self.with_)
        return (
            f"Cancelled override #{self.override_id} of {self.schedule}"
            f" ({who}, {_span(self.start, self.end)})"
        )


EXCERPT_CHARS = 500


def excerpt(text: str, most: int = EXCERPT_CHARS) -> str:
    """The end of a step's output, as much as a timeline line holds: the last lines
    are where a command says what went wrong."""
    return text if len(text) <= most else "…" + text[-(most - 1) :]


class RunbookStarted(Value, Event, frozen=True):
    """A runbook run began on the incident; parameters as `name=value`."""

    KIND = EventKind.RUNBOOK_STARTED

    run_id: int
    runbook: str
    steps: int = 0
    parameters: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        given = f" with {names_text(self.parameters, 3)}" if self.parameters else ""
        return f"Started runbook {self.runbook} (run #{self.run_id}, {self.steps} steps){given}"


class RunbookStepStarted(Value, Event, frozen=True):
    """The engine began an automated step (written before its process started)."""

    KIND = EventKind.RUNBOOK_STEP_STARTED

    run_id: int
    runbook: str
    step: str
    attempt: int = 1

    @property
    def text(self) -> str:
        again = f" (attempt {self.attempt})" if self.attempt > 1 else ""
        return f"Runbook {self.runbook}: step {self.step} started{again}"


class RunbookStepResult(Value, Event, frozen=True):
    """An attempt of an automated step ended, with the end of its output (stripped of
    escapes, bounded) so the timeline tells what happened without the output pane."""

    KIND = EventKind.RUNBOOK_STEP_RESULT

    run_id: int
    runbook: str
    step: str
    attempt: int
    state: str
    exit_code: int | None = None
    status: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def text(self) -> str:
        said = ""
        if self.error:
            said = f": {self.error}"
        elif self.status is not None:
            said = f": answered {self.status}"
        elif self.exit_code is not None:
            said = f": exited {self.exit_code}"
        return f"Runbook {self.runbook}: step {self.step} {self.state}{said}"


class _RunbookSignal(Value, Event, frozen=True):
    run_id: int
    runbook: str
    step: str
    attempt: int
    reason: str = ""

    VERB: ClassVar[str] = ""

    @property
    def text(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"Runbook {self.runbook}: step {self.step} {self.VERB}{why}"


class RunbookConfirmed(_RunbookSignal, frozen=True):
    KIND = EventKind.RUNBOOK_CONFIRMED
    VERB = "confirmed done"


class RunbookApproved(_RunbookSignal, frozen=True):
    KIND = EventKind.RUNBOOK_APPROVED
    VERB = "approved"


class RunbookRejected(_RunbookSignal, frozen=True):
    KIND = EventKind.RUNBOOK_REJECTED
    VERB = "rejected"


class RunbookSkipped(_RunbookSignal, frozen=True):
    KIND = EventKind.RUNBOOK_SKIPPED
    VERB = "skipped"


class RunbookRetried(_RunbookSignal, frozen=True):
    KIND = EventKind.RUNBOOK_RETRIED
    VERB = "retried"


class RunbookCancelled(Value, Event, frozen=True):
    KIND = EventKind.RUNBOOK_CANCELLED

    run_id: int
    runbook: str
    reason: str = ""

    @property
    def text(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"Cancelled runbook {self.runbook} (run #{self.run_id}){why}"


class AnalysisAnswered(Value, Event, frozen=True):
    """The answer is stored whole in the analysis; the event keeps its first line."""

    KIND = EventKind.ANALYSIS_ANSWERED

    question: str
    excerpt: str = ""

    @property
    def text(self) -> str:
        said = f": {self.excerpt}" if self.excerpt else " (cleared)"
        return f"Analysis: answered {self.question}{said}"


class AnalysisMarked(Value, Event, frozen=True):
    """A timeline event marked key, hidden or mitigation (`none` clears); the event
    itself is never changed."""

    KIND = EventKind.ANALYSIS_MARKED

    event_id: int
    mark: str

    @property
    def text(self) -> str:
        if self.mark == "none":
            return f"Analysis: event {self.event_id} unmarked"
        return f"Analysis: event {self.event_id} marked {self.mark}"


class ActionItemChanged(Value, Event, frozen=True):
    """An action item added (`changed` empty) or the fields that changed."""

    KIND = EventKind.ACTION_ITEM

    item_id: int
    title: str
    changed: tuple[str, ...] = ()
    status: str = ""

    @property
    def text(self) -> str:
        if not self.changed:
            return f"Action item {self.item_id} added: {self.title}"
        status = f" (now {self.status})" if "status" in self.changed else ""
        return f"Action item {self.item_id} changed {', '.join(self.changed)}{status}: {self.title}"


class MetricsSnapshotTaken(Value, Event, frozen=True):
    KIND = EventKind.METRICS_SNAPSHOT

    snapshot_id: int
    title: str
    points: int = 0

    @property
    def text(self) -> str:
        return f"Metrics snapshot {self.snapshot_id}: {self.title} ({self.points} points)"


KINDS: dict[EventKind, type[Event]] = {
    cls.KIND: cls
    for cls in (
        Declared,
        AlertsAdded,
        AlertsMoved,
        Acknowledged,
        Resolved,
        Reopened,
        ImpactChanged,
        Edited,
        Merged,
        Note,
        AlertsAcknowledged,
        Silenced,
        SilenceExpired,
        Engaged,
        Paged,
        EscalationSaid,
        Escalated,
        PageFailed,
        OverrideAdded,
        OverrideCancelled,
        RunbookStarted,
        RunbookStepStarted,
        RunbookStepResult,
        RunbookConfirmed,
        RunbookApproved,
        RunbookRejected,
        RunbookSkipped,
        RunbookRetried,
        RunbookCancelled,
        AnalysisAnswered,
        AnalysisMarked,
        ActionItemChanged,
        MetricsSnapshotTaken,
    )
}


def unpack(stored: Any) -> tuple[int, dict[str, Any]]:
    """(version, data) of a stored event's JSON; rows from before versions are 0."""
    if not isinstance(stored, dict):
        return 0, {}
    data = dict(stored)
    version = data.pop("v", 0)
    return (version if isinstance(version, int) else 0), data


def envelope(event: TimelineEvent) -> dict[str, Any]:
    """The event's data as stored, with its version: what an export writes."""
    return {"v": event.version, **event.data} if event.version else dict(event.data)


def read(event: TimelineEvent) -> Event:
    """The typed value of a stored event, whatever version wrote it.

    EventUnreadable for data this warroom cannot read (a newer version's).
    """
    if event.version > VERSION:
        raise EventUnreadable(f"{event.kind} event of version {event.version}, newer than this")
    return KINDS[event.kind].parse(event.data, event.text)
