"""What every source is to the engine: a name, an interval and `fetch()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from warroom.model import Alert


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
