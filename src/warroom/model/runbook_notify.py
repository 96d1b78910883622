"""A runbook's `notify` step as outbox rows, and the step's outcome from those rows.

A notify step goes through the same outbox and channels as a page (issue 7), so
it gets their claim-before-send, backoff and crash rules for free. Its rows are
pages of action `notify` (no paging state: an acknowledgement never cancels
them, nothing repeats them) keyed by run, step and attempt: the engine writes
them in the transaction that begins the attempt, so a replay writes nothing new
and only a new attempt -- a responder's retry, or `max_attempts` after a
delivery that failed -- sends again.

The payload holds the rendered text and where it came from, never a secret
(channel options stay in the plan files).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from warroom.model.argv import render_text
from warroom.model.escalation import Target, TargetKind
from warroom.model.paging import Directory, OutboxItem, OutboxKind, OutboxRow, RowState
from warroom.model.runbook import Outcome
from warroom.model.runbook_steps import Notify
from warroom.model.value import Value

ACTION = "notify"
TEXT_MAX = 2000  # characters of the rendered message kept in the row


def key_prefix(run_id: int, step: str, attempt: int) -> str:
    """What every row of one attempt's key starts with (ends with `/`, so attempt 1
    never matches attempt 10's rows)."""
    return f"run/{run_id}/{step}/{attempt}/"


def is_runbook_notify(row: OutboxRow) -> bool:
    return row.action == ACTION and row.key.startswith("run/")


class Rows(Value, frozen=True):
    rows: list[OutboxItem]
    problem: str  # why nothing can be sent ("" when rows were made)


def notify_rows(
    run_id: int,
    incident_id: int | None,
    runbook: str,
    step: str,
    attempt: int,
    spec: Notify,
    params: Mapping[str, str | None],
    directory: Directory,
    at: datetime,
) -> Rows:
    """One row per channel that reaches the step's contact, or whoever its schedule
    has on call at `at` (as a page to that schedule would): the contact's engagement
    channels in order, else every channel it declares."""
    kind, _, name = spec.to.partition(":")
    try:
        target = Target(TargetKind(kind), name)
    except ValueError:
        return Rows([], f"notify to {spec.to!r}: write contact:NAME or schedule:NAME")
    if target.kind is TargetKind.SCHEDULE and name not in directory.schedules:
        return Rows([], f"no schedule {name!r} in the plans any more")
    if target.kind is TargetKind.CONTACT and name not in directory.contacts:
        return Rows([], f"no contact {name!r} in the plans any more")
    people = directory.reach(target, at)
    if not people:
        return Rows([], f"nobody is on call for {spec.to} now")
    text = render_text(spec.text, params)[:TEXT_MAX]
    rows: list[OutboxItem] = []
    for person in people:
        contact = directory.contacts[person]
        channels = _unique([s.channel for s in contact.engagement]) or [
            c.name for c in contact.channels
        ]
        for channel in channels:
            payload = {
                "title": text,
                "summary": f"runbook {runbook}, step {step} (run #{run_id}, attempt {attempt})",
                "thread": f"warroom/run/{run_id}/{step}/{attempt}/{person}/{channel}",
                "impact": 4,
                "run_id": run_id,
                "step": step,
                "attempt": attempt,
                "to": spec.to,
            }
            rows.append(
                OutboxItem(
                    key_prefix(run_id, step, attempt) + f"{person}/{channel}",
                    incident_id,
                    OutboxKind.PAGE,
                    ACTION,
                    person,
                    channel,
                    at,
                    payload,
                )
            )
    if not rows:
        return Rows([], f"{spec.to}: {', '.join(people)} declare no channel")
    return Rows(rows, "")


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def outcome(rows: Sequence[OutboxRow]) -> Outcome | None:
    """The step's outcome once every row is done (None while one is still open):
    it succeeded if any channel took the message; else it failed with the first
    channel's one-line reason."""
    if not rows:
        return Outcome(error="no notification was queued for this attempt")
    if any(r.state.open for r in rows):
        return None
    sent = [r for r in rows if r.state is RowState.SENT]
    lines = [f"{r.target}/{r.channel}: {r.state}: {r.detail}" for r in rows]
    if sent:
        return Outcome(output="\n".join(lines))
    first = rows[0]
    return Outcome(
        output="\n".join(lines),
        error=f"not delivered: {first.target}/{first.channel}: {first.state}: {first.detail}",
    )
