"""Building a channel from its declaration, and sending a test message through it.

`build_channel` is what the engine's outbox calls for each row's channel;
`send_test` is what `warroom test-channel CONTACT/CHANNEL` and the console's
"test this contact" call: a real message, marked as a test, through the real
provider, so a responder finds a revoked webhook before the night it matters.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from warroom.model.clock import utcnow
from warroom.model.incident import Impact
from warroom.notify.declare import (
    ChannelConfigError,
    ChannelSpec,
    SmtpRelay,
    declare_channel,
)
from warroom.notify.message import Action, Attempt, Delivery, Notice, Outcome
from warroom.notify.options import ChannelOptionError


class Channel(Protocol):
    name: str
    type: str
    label: str  # `slack alice/room`: how every line about it names it
    # a resend after an `unknown` outcome is deduplicated by the provider (PagerDuty's
    # dedup_key, webhook-id); others resend once with `repeat_of` set
    idempotent: bool
    actions: frozenset[Action]  # what it can carry; PagerDuty takes no plain notice

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        """One attempt, under the channel's deadline; never raises for a delivery problem."""
        ...

    async def close(self) -> None: ...


_FACTORIES = {
    "pagerduty": ("warroom.notify.pagerduty", "PagerDutyChannel"),
    "slack": ("warroom.notify.slack", "SlackChannel"),
    "teams": ("warroom.notify.teams", "TeamsChannel"),
    "webhook": ("warroom.notify.webhook", "WebhookChannel"),
}


def build_channel(
    spec: ChannelSpec, smtp: SmtpRelay | None = None, log_dir: Path | None = None
) -> Channel:
    """The channel for a checked spec; email needs the config's relay (ChannelConfigError);
    a `log` channel without a path writes into `log_dir` (the state directory)."""
    if spec.type == "log":
        from warroom.notify.logfile import LogChannel

        return LogChannel(spec, log_dir)
    if spec.type == "email":
        if smtp is None:
            raise ChannelConfigError(
                [ChannelOptionError(f"{spec.label}: email needs an smtp: relay in the config")]
            )
        from warroom.notify.smtp import EmailChannel

        return EmailChannel(spec, smtp)
    module, name = _FACTORIES[spec.type]
    factory: Any = getattr(importlib.import_module(module), name)
    channel: Channel = factory(spec)
    return channel


def open_channel(
    declaration: Mapping[str, Any],
    smtp: SmtpRelay | None = None,
    contact: str = "",
    log_dir: Path | None = None,
) -> Channel:
    """Check a declaration and build its channel; ChannelConfigError lists what is wrong."""
    return build_channel(declare_channel(declaration, contact), smtp, log_dir)


def test_notice(channel: Channel, now: datetime) -> Notice:
    """A notice that says it is a test, keyed so it never joins a real incident's alert."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return Notice(
        key=f"warroom-test/{channel.label}/{stamp}",
        incident_id=0,
        title="warroom test message: no action needed",
        action=Action.TRIGGER if Action.NOTIFY not in channel.actions else Action.NOTIFY,
        impact=Impact.NO_IMPACT,
        summary=f"Sent by `warroom test-channel` at {now.isoformat()} to check {channel.label}.",
        thread=f"warroom-test/{channel.label}/{stamp}",
        source="warroom test-channel",
        at=now,
    )


async def send_test(
    declaration: Mapping[str, Any],
    smtp: SmtpRelay | None = None,
    contact: str = "",
    now: datetime | None = None,
    log_dir: Path | None = None,
) -> Delivery:
    """Send a real test message through a declared channel and say what became of it.

    ChannelConfigError for a declaration that cannot work (say it and exit 2);
    every delivery problem is in the returned Delivery. A channel that can only
    page (PagerDuty) gets a trigger and, at once, its resolve: the test shows in
    PagerDuty's history without leaving an open alert.
    """
    channel = open_channel(declaration, smtp, contact, log_dir)
    at = now or utcnow()
    try:
        notice = test_notice(channel, at)
        delivery = await channel.send(notice, Attempt(1, at))
        if notice.action is Action.TRIGGER and delivery.outcome is Outcome.SENT:
            done = await channel.send(
                Notice(
                    key=notice.key + "/resolve",
                    incident_id=0,
                    title=notice.title,
                    action=Action.RESOLVE,
                    thread=notice.thread,
                    at=at,
                ),
                Attempt(1, at),
            )
            if done.outcome is not Outcome.SENT:
                detail = (
                    f"{delivery.detail}; but the resolve after it: {done.outcome}: {done.detail}"
                )
                delivery = Delivery(delivery.outcome, delivery.channel, detail, delivery.reference)
        return delivery
    finally:
        await channel.close()
