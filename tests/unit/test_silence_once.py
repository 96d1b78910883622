"""Making a silence at a source that does not answer: one deadline, nothing sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.engine.silences import create_silence_once
from warroom.model.matchers import parse_matchers
from warroom.sources.base import SourceError

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class Unanswering:
    """A source whose every request runs into its deadline (a stopped Alertmanager)."""

    name = "am"

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def silences(self) -> list[object]:
        self.asked.append("list")
        raise SourceError("am", "no answer within 10s")

    async def create_silence(self, *args: object) -> str:
        self.asked.append("create")
        raise SourceError("am", "no answer within 10s")


async def test_a_source_that_does_not_answer_the_lookup_is_not_asked_to_create() -> None:
    """The #8 trial waited 32 s (lookup, create, lookup again: three deadlines) to hear
    that a stopped Alertmanager did not answer; nothing had been sent by the lookup."""
    source = Unanswering()
    with pytest.raises(SourceError, match="no answer"):
        await create_silence_once(
            source,  # type: ignore[arg-type]
            parse_matchers('alertname="X"'),
            T0,
            T0 + timedelta(hours=1),
            "alice",
            "maintenance",
        )
    assert source.asked == ["list"]
