"""The deliver duty: the lease holder claims due outbox rows, sends them, records what
became of each.

Exactly-once as far as the providers allow:
- a row is claimed (state, epoch, attempt) in a transaction that checks the
  lease, and the claim commits before the request leaves;
- the outcome is recorded only while the row is still this epoch's claim;
- a row found claimed when a deliverer starts was being sent when its holder
  died: it goes out again, marked as a possible repeat. PagerDuty and webhooks
  drop the duplicate (dedup_key, webhook-id); Slack, Teams and email show "may
  repeat" in the message, and the timeline says it may have been sent twice;
- an acknowledgement cancels pending rows in its own transaction, so no row is
  claimed after it commits; a row claimed before it goes out (and the provider
  then gets the acknowledge right after it).
A channel never retries on its own; this duty owns attempts and backoff, and a
page that cannot work as configured is said on the timeline while the stage
timer goes on: escalation never waits on delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from warroom.engine.silence_outbox import (
    ACK_SILENCE_FOR,
    alert_keys,
    made_event,
    matchers_of,
)
from warroom.engine.silences import create_silence_once
from warroom.engine.store_failures import STORE_FAILURES, FailureLog
from warroom.engine.timeline import append
from warroom.model import IncidentStatus, events
from warroom.model.clock import utcnow
from warroom.model.contact import Contact
from warroom.model.incident import Impact
from warroom.model.paging import OutboxKind, OutboxRow, RowState, repeat_row
from warroom.model.runbook_notify import is_runbook_notify
from warroom.model.value import replace
from warroom.notify.channels import Channel, build_channel
from warroom.notify.declare import ChannelConfigError, SmtpRelay, declare_channel
from warroom.notify.message import Action, Attempt, Delivery, Notice, Outcome, backoff
from warroom.sources.base import Silencer, SourceError
from warroom.store import LeaseLost, LeaseToken, Store, Tx

log = logging.getLogger(__name__)

# what a row's record transaction also writes once the work is done (a silence made)
Finish = Callable[[Tx], Awaitable[None]]

ACTOR = "warroom"
TICK_SECONDS = 0.5  # how often due rows are looked for: a page waits at most this
MAX_IN_FLIGHT = 16  # sends under way at once (each under its channel's deadline)
MAX_ATTEMPTS = 12  # then a retrying page is failed, loudly (about 40 minutes of backoff)


@dataclass
class Deliverer:
    """Builds each contact's channels once and sends a row through the right one."""

    contacts: Mapping[str, Contact]
    smtp: SmtpRelay | None = None
    log_dir: Path | None = None
    # the sources that silence, for the silences acknowledgements queue
    silencers: Mapping[str, Silencer] = field(default_factory=dict)
    _channels: dict[tuple[str, str], Channel | str] = field(default_factory=dict)

    def channel(self, contact: str, name: str) -> Channel | str:
        """The channel, or one line saying why there is none."""
        key = (contact, name)
        if key not in self._channels:
            self._channels[key] = self._build(contact, name)
        return self._channels[key]

    def _build(self, contact: str, name: str) -> Channel | str:
        declared = self.contacts.get(contact)
        channel = None if declared is None else declared.channel(name)
        if declared is None or channel is None:
            return f"{contact}/{name}: no such contact channel in the plans any more"
        declaration: dict[str, Any] = {
            "name": channel.name,
            "type": channel.type.value,
            **channel.options,
        }
        try:
            return build_channel(declare_channel(declaration, contact), self.smtp, self.log_dir)
        except ChannelConfigError as exc:
            return f"{channel.type.value} {contact}/{name}: {exc}"

    async def send(self, row: OutboxRow, now: datetime) -> Delivery:
        channel = self.channel(row.target, row.channel)
        if isinstance(channel, str):
            return Delivery(Outcome.FAILED, f"{row.target}/{row.channel}", channel)
        action = Action(row.action)
        if action is Action.NOTIFY and is_runbook_notify(row) and action not in channel.actions:
            action = Action.TRIGGER  # a channel that only pages (PagerDuty): a runbook said send
        if action not in channel.actions:
            return Delivery(Outcome.SENT, channel.label, f"{channel.type} carries no {action}")
        payload = row.payload
        notice = Notice(
            key=row.key,
            incident_id=row.incident_id or 0,
            title=str(payload.get("title", "")) or f"incident #{row.incident_id}",
            action=action,
            impact=_impact(payload.get("impact")),
            summary=str(payload.get("summary", "")),
            thread=str(payload.get("thread", "")),
            repeat_of=row.key if row.possible_repeat else None,
            at=row.created_at,
        )
        try:
            return await channel.send(notice, Attempt(row.attempts, now))
        except Exception as exc:  # a channel bug must not stop every other page
            log.exception("sending %s", row.key)
            return Delivery(Outcome.RETRY, channel.label, f"internal error: {exc}")

    async def at_source(self, row: OutboxRow, now: datetime) -> tuple[Delivery, Finish | None]:
        """Make or expire a silence; what to write with the row's record when it worked."""
        silencer = self.silencers.get(row.target)
        if silencer is None:
            return Delivery(Outcome.FAILED, row.target, "no such silencing source now"), None
        if row.kind is OutboxKind.SILENCE:
            matchers = matchers_of(row)
            ends = _when(row.payload.get("ends_at")) or now + ACK_SILENCE_FOR
            actor = str(row.payload.get("actor") or ACTOR)
            try:
                silence_id = await create_silence_once(
                    silencer, matchers, now, ends, actor, str(row.payload.get("comment", ""))
                )
            except SourceError as exc:
                return Delivery(Outcome.RETRY, row.target, exc.reason), None

            async def made(tx: Tx) -> None:
                keys = alert_keys(row)
                await tx.record_silence(
                    row.target, silence_id, "ack", actor, ends, row.incident_id, keys
                )
                await append(tx, row.incident_id, actor, made_event(row, silence_id, matchers))

            return Delivery(Outcome.SENT, row.target, "silenced", silence_id), made
        silence_id = str(row.payload.get("silence_id", ""))
        try:
            await silencer.expire_silence(silence_id)
        except SourceError as exc:
            if "404" not in exc.reason and "already expired" not in exc.reason:
                return Delivery(Outcome.RETRY, row.target, exc.reason), None

        async def expired(tx: Tx) -> None:
            await tx.mark_silence_expired(row.target, silence_id)
            gone = events.SilenceExpired(
                silence_id, row.target, events.keys(alert_keys(row)), alert_resolved=True
            )
            await append(tx, row.incident_id, ACTOR, gone)

        return Delivery(Outcome.SENT, row.target, "expired", silence_id), expired

    def idempotent(self, row: OutboxRow) -> bool:
        if row.kind is not OutboxKind.PAGE:
            return True  # create_silence_once finds what an unanswered request made
        channel = self.channel(row.target, row.channel)
        return not isinstance(channel, str) and channel.idempotent

    async def close(self) -> None:
        for channel in self._channels.values():
            if not isinstance(channel, str):
                with contextlib.suppress(Exception):
                    await channel.close()
        self._channels.clear()


def _when(value: object) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _impact(value: object) -> Impact:
    try:
        return Impact(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return Impact.MEDIUM


def judge(
    row: OutboxRow, delivery: Delivery, now: datetime, idempotent: bool
) -> tuple[RowState, datetime | None, bool]:
    """(state to record, when to try again, whether to say it on the timeline)."""
    if delivery.outcome is Outcome.SENT:
        return RowState.SENT, None, False
    if delivery.outcome is Outcome.FAILED:
        return RowState.FAILED, None, True
    if delivery.outcome is Outcome.UNKNOWN and not idempotent:
        # the provider may have it: send once more marked as a possible repeat, then stop
        if row.possible_repeat:
            return RowState.UNKNOWN, None, True
        return RowState.PENDING, now, True
    if row.attempts >= MAX_ATTEMPTS:
        return RowState.FAILED, None, True
    wait = delivery.retry_after or backoff(row.attempts, row.key)
    return RowState.PENDING, now + wait, False


async def _superseded(tx: Tx, row: OutboxRow) -> bool:
    """A trigger whose incident was acknowledged or resolved after it was written (a
    re-armed engagement's later pages are not)."""
    if row.action != "trigger" or row.incident_id is None:
        return False
    incident = await tx.incident(row.incident_id)
    if incident is None or incident.status is IncidentStatus.RESOLVED:
        return True
    acked = incident.acknowledged_at
    return incident.status is IncidentStatus.ACKNOWLEDGED and (
        acked is None or acked >= row.created_at
    )


@dataclass
class DeliverDuty:
    store: Store
    deliverer: Deliverer
    token: LeaseToken
    clock: Callable[[], datetime] = utcnow
    failures: FailureLog = field(default_factory=lambda: FailureLog(log))
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        """Rows left claimed by a holder that died: back in the queue, marked."""
        async with self.store.transaction() as tx:
            await tx.check_lease(self.token)
            for row in await tx.reclaim_claimed():
                if row.incident_id is None:
                    continue
                if row.state is RowState.UNKNOWN:  # acknowledged since: not sent again
                    said = events.PageFailed(row.target, row.channel, row.detail, row.action)
                    await append(tx, row.incident_id, ACTOR, said)
                elif not self.deliverer.idempotent(row):
                    said = events.PageFailed(
                        row.target,
                        row.channel,
                        "the engine stopped while sending it; sent again, marked as a possible"
                        " repeat",
                        row.action,
                        possible_repeat=True,
                    )
                    await append(tx, row.incident_id, ACTOR, said)

    async def run_once(self) -> int:
        """Claim what is due and start sending it; how many were claimed."""
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if room <= 0:
            return 0
        due = await self.store.outbox_due_at()
        if due is None or due > self.clock():
            return 0
        async with self.store.transaction(now=self.clock()) as tx:
            await tx.check_lease(self.token)
            rows = await tx.claim_due(tx.now, self.token.epoch, room)
        for row in rows:
            task = asyncio.create_task(self._deliver(row), name=f"deliver:{row.key}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(rows)

    async def drain(self) -> None:
        """Wait for the sends under way (`warroom engine --once`, tests)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def forever(self, tick: float = TICK_SECONDS) -> None:
        started = False
        try:
            while True:
                try:
                    if not started:
                        await self.start()
                        started = True
                    await self.run_once()
                except LeaseLost:
                    return
                except STORE_FAILURES as exc:
                    self.failures.failed("claiming pages", exc, self.store.location)
                except Exception:  # never die quietly: the next tick tries again
                    log.exception("delivering failed; trying again")
                await asyncio.sleep(tick)
        finally:
            for task in list(self._in_flight):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _deliver(self, row: OutboxRow) -> None:
        finish: Finish | None = None
        if row.kind is OutboxKind.PAGE:
            delivery = await self.deliverer.send(row, self.clock())
        else:
            delivery, finish = await self.deliverer.at_source(row, self.clock())
        idempotent = self.deliverer.idempotent(row)
        for attempt in range(3):  # the store may be briefly busy; the claim keeps the row
            try:
                await self._record(row, delivery, idempotent, finish)
                return
            except STORE_FAILURES as exc:
                self.failures.failed("recording a page", exc, self.store.location)
                await asyncio.sleep(0.2 * (attempt + 1))

    async def _record(
        self, row: OutboxRow, delivery: Delivery, idempotent: bool, finish: Finish | None = None
    ) -> None:
        async with self.store.transaction(now=self.clock()) as tx:
            state, again, loud = judge(row, delivery, tx.now, idempotent)
            if state is RowState.PENDING and await _superseded(tx, row):
                # acknowledged while it was in flight: trying again would page after it
                state = (
                    RowState.UNKNOWN if delivery.outcome is Outcome.UNKNOWN else RowState.CANCELLED
                )
                delivery = replace(
                    delivery, detail=f"{delivery.detail}; not tried again: acknowledged meanwhile"
                )
                again, loud = None, state is RowState.UNKNOWN
            detail = delivery.detail if state is not RowState.PENDING else delivery.line
            resend = state is RowState.PENDING and delivery.outcome is Outcome.UNKNOWN
            if not await tx.record(
                row.id, self.token.epoch, state, detail, delivery.reference, again, resend
            ):
                return  # another holder took it over: its record stands
            if finish is not None and state is RowState.SENT:
                await finish(tx)
            if row.incident_id is None and row.kind is OutboxKind.PAGE:
                return
            if is_runbook_notify(row):
                return  # its step's result event says what became of it (engine.run_duty)
            if loud and row.kind is not OutboxKind.PAGE:
                said = f"{row.kind} at {row.target} failed: {delivery.detail}"
                await append(tx, row.incident_id, ACTOR, events.Note(said))
            elif loud and row.incident_id is not None:
                failed = events.PageFailed(
                    row.target,
                    row.channel,
                    delivery.detail,
                    row.action,
                    possible_repeat=state is RowState.PENDING or state is RowState.UNKNOWN,
                )
                await append(tx, row.incident_id, ACTOR, failed)
            if state is RowState.SENT and row.action == "trigger" and row.incident_id:
                incident = await tx.incident(row.incident_id)
                follow = repeat_row(row, tx.now)
                if follow is not None and incident and incident.status is IncidentStatus.OPEN:
                    await tx.enqueue([follow])
