"""What every source is to the engine: a name, an interval and `fetch()`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from warroom.model import Alert
from warroom.model.matchers import Matcher
from warroom.model.secret import Secret, redact_url
from warroom.model.series import AlertRule
from warroom.model.silence import Silence
from warroom.model.value import Value, field


class SourceError(Exception):
    """A fetch that failed. Never to be read as "no alerts": the source is stale."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourceSpec(Value, frozen=True):
    """A source as configured; `options` holds the type-specific keys."""

    name: str
    type: str
    interval: timedelta = timedelta(seconds=15)
    url: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    # a config mistake that leaves this source unusable (`file:line:col` in it): the
    # source fails every poll with it while the others go on
    problem: str = ""

    def __repr__(self) -> str:
        # a spec is printed by tracebacks, logs and debuggers: never with a credential in it
        return (
            f"SourceSpec(name={self.name!r}, type={self.type!r}, interval={self.interval!r},"
            f" url={redact_url(self.url)!r}, options={redacted_options(self.options)!r}"
            + (f", problem={self.problem!r})" if self.problem else ")")
        )

    __str__ = __repr__


# options that are credentials even when a caller passes them as plain text
SECRET_OPTIONS = frozenset({"bearer_token", "password"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def redacted_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options fit to show: credentials as `Secret(...)`, which prints no value."""
    shown: dict[str, Any] = {}
    for key, value in options.items():
        if key in SECRET_OPTIONS and not isinstance(value, Secret):
            value = Secret(str(value))
        elif key == "headers" and isinstance(value, dict):
            value = {
                k: Secret(str(v))
                if str(k).lower() in _SECRET_HEADERS and not isinstance(v, Secret)
                else v
                for k, v in value.items()
            }
        shown[key] = value
    return shown


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
