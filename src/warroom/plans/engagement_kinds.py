"""Contacts, on-call schedules and escalation plans, declared (issue 10, item 1).

Each is a `Struct` for the one schema walker, so `warroom check` reports their
mistakes at `file:line:col` and `warroom schema plan` tells editors about them,
and a build function that makes the model's value. Mistakes that need more than
one document (a schedule naming a contact that does not exist) are found by
`engagement_check.py` once every file is read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from warroom.model.contact import ChannelType, Contact, DeclaredChannel, EngagementStep
from warroom.model.escalation import EmptyStage, EscalationPlan, Stage, Target, TargetKind
from warroom.model.oncall import MAX_MONTH_DAY, WEEKDAYS, Override, Rotation, Schedule, Unit, Window
from warroom.model.walltime import UnknownZone, instant, zone
from warroom.schema.types import (
    Duration,
    Enum,
    Field,
    Int,
    Invalid,
    ListOf,
    MapOf,
    Plain,
    Record,
    SecretIfReference,
    Struct,
    Text,
)

_NAME = re.compile(r"^[a-z0-9._-]+$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SPAN = re.compile(r"^\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$")
# Office 365 connectors are retired: only Workflows URLs still deliver
LEGACY_TEAMS = re.compile(r"https?://[^/]*\.webhook\.office\.com/webhookb2/", re.IGNORECASE)


def name(text: str) -> str:
    if not _NAME.match(text):
        raise Invalid(f"name {text!r}: use lower-case letters, digits, '-', '_' or '.'")
    return text


def timezone_name(text: str) -> str:
    try:
        zone(text)
    except UnknownZone as exc:
        raise Invalid(str(exc)) from exc
    return text


def clock(text: str) -> time:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise Invalid(f"time {text!r}: a 24-hour wall time such as 09:00")
    return time(int(match[1]), int(match[2]))


def day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"date {text!r}: a date such as 2026-03-02") from None


def moment(text: str) -> datetime:
    """A date and time, with an offset or (naive) in the schedule's zone."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"time {text!r}: a date and time such as 2026-12-24T17:00") from None


def days(text: str) -> tuple[int, ...]:
    """`mon`, `mon-fri` or `sat-sun` (wrapping `fri-mon` too): weekdays, Monday 0."""
    first, _, last = text.strip().lower().partition("-")
    ends = []
    for word in (first, last or first):
        if word not in WEEKDAYS:
            raise Invalid(f"day {word!r}: one of {', '.join(WEEKDAYS)}, or a range like mon-fri")
        ends.append(WEEKDAYS.index(word))
    start, end = ends
    return tuple((start + i) % 7 for i in range((end - start) % 7 + 1))


def window(text: str) -> Window:
    match = _SPAN.match(text)
    if match is None:
        raise Invalid(f"window {text!r}: from-to wall times such as 09:00-17:00")
    start, end = clock(match[1]), clock(match[2])
    return Window(start, end)


NAME = Text(convert=name, pattern=_NAME.pattern)
TIMEZONE = Text(convert=timezone_name)
NAME_DOC = "unique; lower-case letters, digits, '-', '_' or '.'"


def _kind(word: str, doc: str) -> Field:
    return Field("kind", Enum((word,), subject="kind"), doc, required=True)


# -- contact ------------------------------------------------------------------------------


def _channel(record: Record) -> DeclaredChannel:
    kind = ChannelType(record["type"])
    url = record.extra.get("url")
    if kind is ChannelType.TEAMS and isinstance(url, str) and LEGACY_TEAMS.match(url):
        raise Invalid(
            "a legacy Office 365 connector URL (retired by Microsoft): create a Workflows"
            " webhook in Teams and use its URL",
            at=("url",),
        )
    return DeclaredChannel(record["name"], kind, dict(record.extra))


CHANNEL = Struct(
    fields=(
        Field("name", NAME, "how the engagement steps name this channel", required=True),
        Field(
            "type",
            Enum(tuple(t.value for t in ChannelType), subject="channel type"),
            "how it is reached",
            required=True,
        ),
    ),
    noun="a channel",
    context=" in channel",
    extra=SecretIfReference(),
    extra_doc="the channel's own options (url, routing_key, to ...); secrets as ${ENV}",
    build=_channel,
)

STEP = Struct(
    fields=(
        Field("channel", NAME, "a channel of this contact", required=True),
        Field("after", Duration(), "how long after the contact is engaged", default="0s"),
        Field("retry_every", Duration(), "tried again this often until acknowledged"),
    ),
    noun="an engagement step",
    context=" in engagement",
    build=lambda r: EngagementStep(r["channel"], r["after"], r.get("retry_every")),
)


def _contact_checks(record: Record) -> None:
    channels = record.get("channels")
    if "channels" in record.failed or channels is None:
        return
    if not channels:
        raise Invalid(
            "a contact needs at least one channel: nobody could reach them", ("channels",)
        )
    names = [c.name for c in channels]
    for i, channel_name in enumerate(names):
        if channel_name in names[:i]:
            raise Invalid(f"duplicate channel name {channel_name!r}", ("channels", i, "name"))
    for i, step in enumerate(record.get("engagement") or ()):
        if step.channel not in names:
            raise Invalid(
                f"no channel {step.channel!r} in this contact (channels: {', '.join(names)})",
                ("engagement", i, "channel"),
            )


def contact(record: Record) -> Contact:
    channels = tuple(record["channels"])
    steps = record.get("engagement") or [EngagementStep(c.name) for c in channels]
    return Contact(
        name=record["name"],
        channels=channels,
        engagement=tuple(steps),
        display_name=record.get("display_name", ""),
        timezone=record.get("timezone"),
    )


CONTACT = Struct(
    fields=(
        _kind("contact", "a person or a team room, and the channels that reach them"),
        Field("name", NAME, NAME_DOC + "; referenced as contact:NAME", required=True),
        Field("display_name", Text(), "the name shown on screen"),
        Field("timezone", TIMEZONE, "their IANA zone, to show their local time"),
        Field(
            "channels",
            ListOf(CHANNEL),
            "how to reach them",
            required=True,
            missing="a contact needs 'channels': nobody could reach them",
        ),
        Field(
            "engagement",
            ListOf(STEP),
            "which channel when, once engaged (default: every channel at once)",
        ),
    ),
    noun="a contact",
    context=" in contact",
    doc="A person or team room: its channels and the order they are tried in",
    checks=(_contact_checks,),
)

# -- schedule -----------------------------------------------------------------------------

ANCHOR = Struct(
    fields=(
        Field("date", Text(convert=day), "the date of the first hand-off", required=True),
        Field("handoff", Text(convert=clock), "the wall time of every hand-off", default="09:00"),
    ),
    noun="an anchor",
    context=" in anchor",
)

EVERY = Struct(
    fields=(
        Field(
            "unit",
            Enum(tuple(u.value for u in Unit), subject="unit", convert=Unit),
            "hour, day, week or month",
            required=True,
        ),
        Field("count", Int(minimum=1), "how many units a turn lasts", default=1),
    ),
    noun="every",
    context=" in every",
)


def _rotation_checks(record: Record) -> None:
    members = record.get("members")
    if members is not None and not members:
        raise Invalid("a rotation needs members", ("members",))
    if members and record.get("on_call", 1) > len(members):
        raise Invalid(
            f"on_call {record['on_call']} is more than the {len(members)} members", ("on_call",)
        )
    for spec in record.get("coverage") or {}:
        try:
            days(spec)
        except Invalid as exc:  # at the windows of the day written wrong
            raise Invalid(str(exc), ("coverage", spec)) from None
    anchor, every = record.get("anchor") or {}, record.get("every") or {}
    first: date | None = anchor.get("date")
    if every.get("unit") is Unit.MONTH and first is not None and first.day > MAX_MONTH_DAY:
        raise Invalid(
            f"a monthly hand-off on day {first.day} does not happen every month"
            f" (use 1..{MAX_MONTH_DAY})",
            ("anchor", "date"),
        )


ROTATION = Struct(
    fields=(
        Field("name", NAME, "the rotation's name, shown with its shifts", required=True),
        Field("members", ListOf(NAME), "contacts, in turn order", required=True),
        Field("anchor", ANCHOR, "when the first turn starts", required=True),
        Field("every", EVERY, "how long a turn lasts", required=True),
        Field("on_call", Int(minimum=1), "how many members are on call at once", default=1),
        Field(
            "coverage",
            MapOf(ListOf(Text(convert=window))),
            "when it covers: day or range (mon-fri) to windows (09:00-17:00); omit for 24x7",
        ),
        Field("timezone", TIMEZONE, "its own zone (follow-the-sun); default the schedule's"),
        Field(
            "effective_from", Text(convert=moment), "it applies from then (edits spare the past)"
        ),
        Field("until", Text(convert=moment), "it applies until then"),
    ),
    noun="a rotation",
    context=" in rotation",
    checks=(_rotation_checks,),
)

OVERRIDE = Struct(
    fields=(
        Field(
            "from", Text(convert=moment), "start (wall time in the schedule's zone)", required=True
        ),
        Field("to", Text(convert=moment), "end", required=True),
        Field("replace", NAME, "who is taken off (only while on call)"),
        Field("with", NAME, "who is put on"),
        Field("author", Text(), "who arranged it"),
        Field("reason", Text(), "why"),
    ),
    noun="an override",
    context=" in override",
)


def _schedule_checks(record: Record) -> None:
    for i, override in enumerate(record.get("overrides") or ()):
        if "replace" not in override and "with" not in override:
            raise Invalid("an override needs 'replace', 'with' or both", ("overrides", i))
        if "from" in override and "to" in override and override["to"] <= override["from"]:
            raise Invalid("an override must end after it starts", ("overrides", i, "to"))


SCHEDULE = Struct(
    fields=(
        _kind("schedule", "who is on call when: rotations, their cover, overrides"),
        Field("name", NAME, NAME_DOC + "; referenced as schedule:NAME", required=True),
        Field("display_name", Text(), "the name shown on screen"),
        Field(
            "timezone",
            TIMEZONE,
            "the IANA zone every wall time is in",
            required=True,
            missing="a schedule needs 'timezone' (an IANA name such as Europe/London)",
        ),
        Field("rotations", ListOf(ROTATION), "turns of duty; several are a union", required=True),
        Field("overrides", ListOf(OVERRIDE), "planned changes", default=[]),
    ),
    noun="a schedule",
    context=" in schedule",
    doc="An on-call schedule: who is on call at any instant",
    checks=(_schedule_checks,),
)

# -- escalation plan ----------------------------------------------------------------------


def _target(record: Record) -> Target:
    given = [k for k in ("contact", "schedule") if k in record]
    if len(given) != 1:
        raise Invalid("a target names one contact or one schedule")
    kind = TargetKind(given[0])
    return Target(kind, record[given[0]], record.get("essential", False))


TARGET = Struct(
    fields=(
        Field("contact", NAME, "a contact to engage"),
        Field("schedule", NAME, "a schedule whose on-call people are engaged"),
        Field("essential", Plain((bool,)), "its acknowledgement stops the plan", default=False),
    ),
    noun="a target",
    context=" in target",
    build=_target,
)


def _stage(record: Record) -> Stage:
    if record["duration"] == timedelta(0) and not record["targets"]:
        raise Invalid("a 0-minute stage needs targets: it would page nobody and wait no time")
    return Stage(record["duration"], tuple(record["targets"]))


STAGE = Struct(
    fields=(
        Field("duration", Duration(), "how long to wait before the next stage", required=True),
        Field("targets", ListOf(TARGET), "who is paged at this stage", default=[]),
    ),
    noun="a stage",
    context=" in stage",
    build=_stage,
)


def _plan_checks(record: Record) -> None:
    if record.get("stages") == [] and "stages" not in record.failed:
        raise Invalid("an escalation plan needs at least one stage", ("stages",))


ESCALATION_PLAN = Struct(
    fields=(
        _kind("escalation-plan", "stages of who is paged, until someone acknowledges"),
        Field("name", NAME, NAME_DOC + "; referenced as escalation-plan:NAME", required=True),
        Field("display_name", Text(), "the name shown on screen"),
        Field("stages", ListOf(STAGE), "paged in order", required=True),
        Field("repeat", Int(minimum=0), "times to go round again after the last stage", default=0),
        Field(
            "empty_stage",
            Enum(tuple(e.value for e in EmptyStage), subject="empty_stage", convert=EmptyStage),
            "a stage that reaches nobody: wait its duration, or skip it at once",
            default="wait",
        ),
        Field(
            "ack_timeout", Duration(), "an acknowledged incident unresolved this long re-engages"
        ),
    ),
    noun="an escalation plan",
    context=" in escalation-plan",
    doc="Who is paged, in stages, until an essential target acknowledges",
    checks=(_plan_checks,),
)


def escalation_plan(record: Record) -> EscalationPlan:
    return EscalationPlan(
        name=record["name"],
        stages=tuple(record["stages"]),
        repeat=record["repeat"],
        empty_stage=record["empty_stage"],
        ack_timeout=record.get("ack_timeout"),
    )


def rotation(record: Record, default_zone: str) -> Rotation:
    anchor = record["anchor"]
    tz = zone(record.get("timezone", default_zone))
    coverage: dict[int, tuple[Window, ...]] | None = None
    if "coverage" in record:
        coverage = {}
        for spec, windows in record["coverage"].items():
            for weekday in days(spec):
                coverage[weekday] = coverage.get(weekday, ()) + tuple(windows)
    return Rotation(
        name=record["name"],
        members=tuple(record["members"]),
        anchor=datetime.combine(anchor["date"], anchor["handoff"]),
        unit=record["every"]["unit"],
        count=record["every"]["count"],
        on_call=record["on_call"],
        coverage=coverage,
        effective_from=_aware(record.get("effective_from"), tz),
        until=_aware(record.get("until"), tz),
        tz=zone(record["timezone"]) if "timezone" in record else None,
    )


def _aware(value: datetime | None, tz: tzinfo) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return instant(value, tz)


def schedule(record: Record) -> Schedule:
    tz = zone(record["timezone"])
    overrides = tuple(
        Override(
            start=_aware(o["from"], tz) or o["from"],
            end=_aware(o["to"], tz) or o["to"],
            replace=o.get("replace"),
            with_=o.get("with"),
            author=o.get("author", ""),
            reason=o.get("reason", ""),
        )
        for o in record["overrides"]
    )
    rotations = tuple(rotation(r, record["timezone"]) for r in record["rotations"])
    return Schedule(record["name"], tz, rotations, overrides)
