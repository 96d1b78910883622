"""Channels that carry pages out: PagerDuty, Slack, Teams, signed webhooks and email.

This layer knows the model and the wire (httpx, aiosmtplib) and nothing of the
store, the engine or the screen: the engine's outbox decides what to send and
when, and records what a channel answers. A channel sends once per call and
returns a `Delivery` (sent, retry after, failed for good, outcome unknown); it
never retries by itself and never raises for a delivery problem. Importing this
package imports neither httpx nor aiosmtplib: a channel's module loads when the
channel is built.
"""

from warroom.notify.channels import Channel, build_channel, open_channel, send_test
from warroom.notify.declare import (
    CHANNEL_TYPES,
    ChannelConfigError,
    ChannelSpec,
    SmtpRelay,
    check_channel,
    check_smtp,
    declare_channel,
    declare_smtp,
)
from warroom.notify.message import Action, Attempt, Delivery, Link, Notice, Outcome
from warroom.notify.options import ChannelOptionError

__all__ = [
    "CHANNEL_TYPES",
    "Action",
    "Attempt",
    "Channel",
    "ChannelConfigError",
    "ChannelOptionError",
    "ChannelSpec",
    "Delivery",
    "Link",
    "Notice",
    "Outcome",
    "SmtpRelay",
    "build_channel",
    "check_channel",
    "check_smtp",
    "declare_channel",
    "declare_smtp",
    "open_channel",
    "send_test",
]
