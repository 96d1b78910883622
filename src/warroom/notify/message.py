"""What the outbox hands a channel, and what a channel hands back.

A channel sends one message once and says what became of it; it never retries on
its own. The caller (the outbox) owns attempts, backoff timers and the record, so
a crash can never leave a channel looping in the background, and an
acknowledgement that cancels a pending row stops the next attempt for sure.

The four outcomes are the ones the outbox must tell apart:
- `sent`: the provider took it (its reference kept for the record);
- `retry`: nothing was delivered, try again after `retry_after` (the provider's
  Retry-After when it said one, else a backoff from the attempt number);
- `failed`: it never will work as configured; one line naming the channel and
  what to fix, and the escalation goes on without it;
- `unknown`: the request left but the answer was lost (a reset or a deadline
  after the body was sent). Resending may duplicate: fine for PagerDuty and
  webhooks (their keys dedupe), marked `repeat_of` for the others.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from warroom.model.clock import utcnow
from warroom.model.incident import Impact
from warroom.model.value import Value, field


class Action(StrEnum):
    TRIGGER = "trigger"  # page: someone must act
    ACKNOWLEDGE = "acknowledge"  # someone is on it: stop paging where the provider can
    RESOLVE = "resolve"  # over: close it where the provider can
    NOTIFY = "notify"  # a notice, no paging state (a test message, a status note)


class Link(Value, frozen=True):
    title: str
    url: str


class Notice(Value, frozen=True):
    """One message about one incident to one channel.

    Every text field is untrusted (alert labels flow into titles and summaries):
    channels render it literally, never as markup. `key` is the outbox row's key,
    the same on every attempt: it is the webhook-id and the Message-ID, so a
    resend is recognisable. `thread` is shared by every message of the incident
    on this channel (trigger, acknowledge, resolve): PagerDuty's dedup_key and the
    mail thread. `repeat_of` is set when this may duplicate a send whose outcome
    was lost in a crash; channels without an idempotency key say so in the text.
    """

    key: str
    incident_id: int
    title: str
    action: Action = Action.TRIGGER
    impact: Impact = Impact.MEDIUM
    summary: str = ""
    links: tuple[Link, ...] = ()
    thread: str = ""
    source: str = "warroom"  # PagerDuty's required `source`: where it happened
    url: str = ""  # where a responder sees the incident, if anywhere
    repeat_of: str | None = None
    at: datetime | None = None  # when it happened (aware); None: when sent

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a notice needs its idempotency key")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("naive datetime: warroom keeps every time zone-aware")

    @property
    def dedup_key(self) -> str:
        """Stable for the incident on this channel; at most 255 characters (PagerDuty)."""
        text = self.thread or f"warroom/incident/{self.incident_id}"
        if len(text) <= 255:
            return text
        return text[:190] + "/" + hashlib.sha256(text.encode()).hexdigest()


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Delivery(Value, frozen=True):
    """What became of one attempt. `detail` is one line, fit for the timeline:
    it names the channel and never holds a secret."""

    outcome: Outcome
    channel: str
    detail: str
    reference: str = ""  # the provider's id of what it took (sent only)
    retry_after: timedelta | None = None  # retry only
    told_when: bool = False  # retry_after came from the provider (Retry-After)

    @property
    def line(self) -> str:
        return f"{self.channel}: {self.outcome}: {self.detail}"


def sent(channel: str, reference: str, detail: str = "") -> Delivery:
    return Delivery(Outcome.SENT, channel, detail or "sent", reference=reference)


def failed(channel: str, reason: str) -> Delivery:
    return Delivery(Outcome.FAILED, channel, reason)


def unknown(channel: str, reason: str) -> Delivery:
    return Delivery(Outcome.UNKNOWN, channel, reason)


def retry(channel: str, reason: str, after: timedelta, told: bool = False) -> Delivery:
    return Delivery(Outcome.RETRY, channel, reason, retry_after=after, told_when=told)


# Backoff when the provider names no time: doubling from BASE, at most CAP, with a
# jitter fixed by the key so retries of many pages spread out yet tests can pin them.
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=5)
RETRY_AFTER_CAP = timedelta(hours=1)


def backoff(attempt: int, key: str, base: timedelta = BACKOFF_BASE) -> timedelta:
    """The wait before attempt `attempt + 1`; `attempt` counts from 1."""
    exponent = min(max(attempt, 1) - 1, 20)
    seconds = min(base.total_seconds() * 2**exponent, BACKOFF_CAP.total_seconds())
    digest = hashlib.sha256(f"{key}/{attempt}".encode()).digest()
    spread = 0.75 + 0.5 * (digest[0] / 255)  # 75%..125%
    return timedelta(seconds=min(seconds * spread, BACKOFF_CAP.total_seconds()))


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait; None if absent or garbage.

    Capped at an hour: a provider saying "a day" should not park a page that long
    silently; the outbox asks again and the timeline shows each refusal.
    """
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        wait = timedelta(seconds=int(text))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = max(when - now, timedelta(0))
    return min(wait, RETRY_AFTER_CAP)


class Attempt(Value, frozen=True):
    """How this send stands among its tries: the backoff reads `number`, and `now`
    is the send time (webhook-timestamp, Date, Retry-After dates)."""

    number: int = 1
    now: datetime = field(default_factory=utcnow)
