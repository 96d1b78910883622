"""What every source is to the engine: a name, an interval and `fetch()`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from warroom.model import Alert
from warroom.model.matchers import Matcher
from warroom.model.series import AlertRule
from warroom.model.silence import Silence


class SourceError(Exception):
    """A fetch that failed. Never to be read as "no alerts": the source is stale."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as configured; `options` holds the type-specific keys."""

    name: str
    type: str
    interval: timedelta = timedelta(seconds=15)
    url: str = ""
    options: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    name: str
    interval: timedelta

    async def fetch(self) -> list[Alert]:
        """Every alert the source reports now, or SourceError."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class EarlyPoll(Protocol):
    """A source whose poll is one GET that can go out before httpx loads (`early`)."""

    def send_early(self) -> None: ...


@runtime_checkable
class Silencer(Protocol):
    """A source that can silence at the source (Alertmanager)."""

    name: str
    silence_on_ack: bool

    async def create_silence(
        self,
        matchers: Sequence[Matcher],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str: ...

    async def silences(self) -> list[Silence]: ...

    async def expire_silence(self, silence_id: str) -> None: ...


@runtime_checkable
class RuleSource(Protocol):
    """A source that can list what could alert (Prometheus rules, CloudWatch alarms)."""

    name: str

    async def alert_rules(self) -> list[AlertRule]: ...
