"""On-call overrides taken from the console or the CLI, and the schedules they make.

The plan files say who is on call; a responder covering a colleague at 03:00
cannot wait for a change to `plans/` to be reviewed and deployed. So overrides
are also rows in the store, made here (checked, with a timeline event in the
console log saying who took which shift and why), and merged into the plan
files' schedules by `effective_schedules`: the one function that answers "who
is on call" for the console, the CLI and the escalation that pages them.

Stored overrides apply after the file's own, in the order they were made, with
GoAlert's semantics (`model.oncall`): a replacement swaps a person only while
they are on call.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta

from warroom.engine.context import Context
from warroom.engine.errors import ActionError
from warroom.engine.paging import Paging
from warroom.engine.timeline import append
from warroom.model import events
from warroom.model.oncall import Override, Schedule, timeline
from warroom.model.value import Value, field, replace
from warroom.plans import PlanSet
from warroom.store import OverrideRecord, Store

# An override is a cover, not a new rotation: past this, change the plan files.
MAX_OVERRIDE = timedelta(days=90)
# "from now" as typed a moment ago: a start this little in the past is taken as now.
START_GRACE = timedelta(minutes=5)
REASON_LIMIT = 500


async def effective_schedules(
    store: Store, schedules: Mapping[str, Schedule], start: datetime, end: datetime
) -> dict[str, Schedule]:
    """The plan files' schedules with the stored overrides in force during
    [start, end) merged in (after the file's own, in the order they were made).

    Escalation calls this to decide who is paged: keep the signature.
    """
    if not schedules:
        return {}
    records = await store.overrides(ending_after=start, starting_before=end, cancelled=True)
    return merge_overrides(schedules, records)


# how far around now the overrides are read for paging: a stage due later is paged
# by a duty that refreshes again by then
PAGING_WINDOW = timedelta(days=1)
REFRESH_EVERY = timedelta(seconds=5)


async def refresh_paging(store: Store, paging: Paging, now: datetime, force: bool = False) -> None:
    """Give `paging` the schedules with the overrides in force around `now`, so a shift
    taken in the console pages its taker from the moment it commits (within a few
    seconds for the lease holder's duty; at once for a responder's own action)."""
    if not paging.file_schedules:
        return
    if not force and paging.refreshed_at and now - paging.refreshed_at < REFRESH_EVERY:
        return
    schedules = await effective_schedules(
        store, paging.file_schedules, now - PAGING_WINDOW, now + PAGING_WINDOW
    )
    paging.directory = replace(paging.directory, schedules=schedules)
    paging.refreshed_at = now


def merge_overrides(
    schedules: Mapping[str, Schedule], records: Collection[OverrideRecord]
) -> dict[str, Schedule]:
    """The schedules with these stored overrides appended. A cancelled one held until
    it was cancelled (who was on call before then stays true: the past is never
    rewritten); one of a schedule the plans no longer declare changes nothing."""
    extra: dict[str, list[Override]] = {}
    for record in records:
        override = record.override
        if record.cancelled_at is not None:
            if record.cancelled_at <= override.start:
                continue
            override = replace(override, end=min(override.end, record.cancelled_at))
        if record.schedule in schedules:
            extra.setdefault(record.schedule, []).append(override)
    return {
        name: replace(schedule, overrides=(*schedule.overrides, *extra[name]))
        if name in extra
        else schedule
        for name, schedule in schedules.items()
    }


class OverrideInputError(ActionError):
    """What was asked cannot mean anything (no such schedule or person, times the
    wrong way round): bad input, as opposed to a refusal of a sound request."""


class Roster(Value, frozen=True):
    """Who may be named in an override: the schedules and the contacts of the plans."""

    schedules: Mapping[str, Schedule]
    contacts: Collection[str]

    @classmethod
    def of(cls, planset: PlanSet) -> Roster:
        return cls(planset.schedules, frozenset(planset.contacts))

    def members(self, schedule: str) -> list[str]:
        """Everyone in the schedule's rotations and file overrides, in order, once."""
        found: list[str] = []
        plan = self.schedules[schedule]
        for rotation in plan.rotations:
            found += [m for m in rotation.members if m not in found]
        for override in plan.overrides:
            found += [p for p in (override.replace, override.with_) if p and p not in found]
        return found


class OverrideResult(Value, frozen=True):
    record: OverrideRecord
    warnings: list[str] = field(default_factory=list)


class OverrideActions:
    """Take a shift, put someone on or off call, cancel that: checked, then recorded."""

    def __init__(self, context: Context) -> None:
        self.context = context

    async def add(
        self,
        roster: Roster,
        schedule: str,
        start: datetime,
        end: datetime,
        *,
        with_: str | None = None,
        replace_: str | None = None,
        reason: str = "",
    ) -> OverrideResult:
        """Record the override; ActionError (nothing written) when it cannot mean
        what was asked. A replacement of someone who is never on call in that
        time is made, with a warning: it changes nothing unless the rota does."""
        override = checked_override(
            roster,
            schedule,
            start,
            end,
            with_=with_,
            replace_=replace_,
            reason=reason,
            author=self.context.actor,
            now=self.context.now(),
        )
        warnings = await self._warnings(roster, schedule, override)
        async with self.context.transaction() as tx:
            override_id = await tx.add_override(schedule, override)
            added = events.OverrideAdded(
                override_id,
                schedule,
                override.start.isoformat(),
                override.end.isoformat(),
                override.replace,
                override.with_,
                override.reason,
            )
            await append(tx, None, self.context.actor, added)
            record = OverrideRecord(override_id, schedule, override, tx.now)
        return OverrideResult(record, warnings)

    async def cancel(self, override_id: int) -> OverrideRecord:
        """Cancel it for good (it stays recorded, as cancelled by whom and when)."""
        actor = self.context.actor
        async with self.context.transaction() as tx:
            record = await tx.override(override_id)
            if record is None:
                raise OverrideInputError(f"no override #{override_id}")
            if record.cancelled:
                raise ActionError(
                    f"override #{override_id} was already cancelled by {record.cancelled_by}"
                    f" at {record.cancelled_at:%Y-%m-%d %H:%M} UTC"
                )
            if record.override.end <= tx.now:
                raise ActionError(
                    f"override #{override_id} is over (it ended"
                    f" {record.override.end:%Y-%m-%d %H:%M} UTC); the past stays as it was"
                )
            if not await tx.cancel_override(override_id, actor):
                raise ActionError(f"override #{override_id} was cancelled meanwhile")
            o = record.override
            cancelled = events.OverrideCancelled(
                override_id,
                record.schedule,
                o.start.isoformat(),
                o.end.isoformat(),
                o.replace,
                o.with_,
            )
            await append(tx, None, actor, cancelled)
            return replace(record, cancelled_at=tx.now, cancelled_by=actor)

    async def _warnings(self, roster: Roster, schedule: str, override: Override) -> list[str]:
        """What the override will not do, said before anyone relies on it."""
        current = await effective_schedules(
            self.context.store, {schedule: roster.schedules[schedule]}, override.start, override.end
        )
        plan = current[schedule]
        spans = timeline(plan, override.start, override.end)
        found = []
        if override.replace and not any(override.replace in people for _, _, people in spans):
            found.append(
                f"{override.replace} is not on call in {schedule} during that time:"
                " the override changes nothing unless the rota does"
            )
        if (
            override.with_
            and override.replace is None
            and all(override.with_ in people for _, _, people in spans)
        ):
            found.append(f"{override.with_} is already on call in {schedule} all that time")
        return found


def checked_override(
    roster: Roster,
    schedule: str,
    start: datetime,
    end: datetime,
    *,
    with_: str | None,
    replace_: str | None,
    reason: str,
    author: str,
    now: datetime,
) -> Override:
    """The override asked for, tidied (a start a moment ago becomes now), or
    OverrideInputError saying why it cannot mean anything. The console's dialog
    asks this too, so a mistake keeps the dialog open with what was typed."""
    with_ = (with_ or "").strip() or None
    replace_ = (replace_ or "").strip() or None
    reason = " ".join(reason.split())
    start = _checked_span(start, end, now).astimezone(UTC)  # aware UTC inside
    end = end.astimezone(UTC)
    _check_names(roster, schedule, with_, replace_)
    if not reason:
        raise OverrideInputError(
            "an override needs a reason: the console log tells the next responder why"
        )
    if len(reason) > REASON_LIMIT:
        raise OverrideInputError(f"the reason is {len(reason)} characters; at most {REASON_LIMIT}")
    return Override(start, end, replace_, with_, author, reason)


def _utc(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _checked_span(start: datetime, end: datetime, now: datetime) -> datetime:
    if start.tzinfo is None or end.tzinfo is None:
        raise OverrideInputError("an override's times need a zone")
    if end <= start:
        raise OverrideInputError(
            f"the override ends ({_utc(end)}) before it starts ({_utc(start)}):"
            " it must end after it starts"
        )
    if end <= now:
        raise OverrideInputError("the override ends in the past; the past stays as it was")
    if start < now - START_GRACE:
        raise OverrideInputError(
            f"the override starts in the past ({_utc(start)});"
            " the past stays as it was: start it now or later"
        )
    if end - start > MAX_OVERRIDE:
        raise OverrideInputError(
            f"an override lasts at most {MAX_OVERRIDE.days} days; for longer,"
            " change the schedule in plans/"
        )
    return max(start, now) if start < now else start


def _check_names(roster: Roster, schedule: str, with_: str | None, replace_: str | None) -> None:
    if schedule not in roster.schedules:
        known = ", ".join(sorted(roster.schedules)) or "none declared in plans/"
        raise OverrideInputError(f"no schedule named {schedule!r} (schedules: {known})")
    if with_ is None and replace_ is None:
        raise OverrideInputError(
            "say who: --with NAME takes the shift, --replace NAME alone takes them off"
        )
    if with_ is not None and with_ == replace_:
        raise OverrideInputError(f"{with_} would replace themself: name two people")
    members = roster.members(schedule)
    if with_ is not None and with_ not in roster.contacts and with_ not in members:
        known = ", ".join(sorted(roster.contacts)) or "none declared"
        raise OverrideInputError(
            f"{with_!r} is not a contact (contacts: {known}):"
            " only a contact can be paged, so only a contact can take a shift"
        )
    if replace_ is not None and replace_ not in members:
        raise OverrideInputError(
            f"{replace_!r} is not on the {schedule} rota (its people: {', '.join(members)}):"
            " replacing them would change nothing"
        )
