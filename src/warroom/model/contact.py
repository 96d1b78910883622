"""Contacts: a person or a team room, the channels that reach them, and in what order.

After Incident Manager: a contact has channels (email, PagerDuty, a Slack or
Teams room, a webhook) and an engagement plan saying which channel is tried
when after the contact is engaged, and how often it is retried until someone
acknowledges. A channel's options stay as written (secrets as `${ENV}`
references): the notify layer validates and uses them, the model only names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from warroom.model.value import Value, field


class ChannelType(StrEnum):
    PAGERDUTY = "pagerduty"
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"
    EMAIL = "email"
    LOG = "log"  # a local file: the demo pages into it and stays offline


class DeclaredChannel(Value, frozen=True):
    """A channel as the plan writes it; the notify layer checks its options (and
    names its mistakes at the place `PlanSet.channel_where` keeps) and sends."""

    name: str
    type: ChannelType
    options: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # options may hold secrets: never print them
        return f"DeclaredChannel({self.name!r}, {self.type.value!r})"


class EngagementStep(Value, frozen=True):
    """Try `channel` this long after the contact is engaged, then every `retry_every`
    (None: once) until the incident is acknowledged."""

    channel: str
    after: timedelta = timedelta(0)
    retry_every: timedelta | None = None


class Contact(Value, frozen=True):
    name: str
    channels: tuple[DeclaredChannel, ...]
    engagement: tuple[EngagementStep, ...]
    display_name: str = ""
    timezone: str | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name

    def channel(self, name: str) -> DeclaredChannel | None:
        return next((c for c in self.channels if c.name == name), None)
