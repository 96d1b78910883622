"""A source whose snapshot a test sets: triage and lifecycle tests poll it like a real one."""

from __future__ import annotations

from datetime import timedelta

from warroom.model import Alert


class Scripted:
    """A source whose snapshot the test sets."""

    def __init__(self) -> None:
        self.name = "am"
        self.interval = timedelta(seconds=15)
        self.alerts: list[Alert] = []

    async def fetch(self) -> list[Alert]:
        return list(self.alerts)

    async def close(self) -> None:
        return None
