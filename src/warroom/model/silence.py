"""Silences as Alertmanager keeps them: matchers, a time window, who and why."""

from __future__ import annotations

from datetime import datetime

from warroom.model.matchers import Matcher
from warroom.model.value import Value


class Silence(Value, frozen=True):
    id: str
    source: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str  # active | pending | expired

    @property
    def matcher_text(self) -> str:
        return ", ".join(str(m) for m in self.matchers)
