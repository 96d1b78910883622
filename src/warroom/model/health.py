"""How each source is doing, as the status bar and the engine see it."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.model.value import Value

# A source is stale once this many intervals have passed without a good poll.
STALE_AFTER_INTERVALS = 3


class SourceHealth(Value, frozen=True):
    name: str
    interval: timedelta
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    alert_count: int = 0

    @property
    def is_failing(self) -> bool:
        """The last poll failed; the reason is worth showing at once."""
        return self.failures > 0

    def is_stale(self, now: datetime) -> bool:
        """What we hold may be out of date: no good poll within three intervals, or
        none ever after trying. One failed poll alone is a hiccup, not staleness."""
        if self.last_success is None:
            return self.last_attempt is not None
        return now - self.last_success > self.interval * STALE_AFTER_INTERVALS

    def age(self, now: datetime) -> timedelta | None:
        return None if self.last_success is None else now - self.last_success


class LeaseInfo(Value, frozen=True):
    name: str
    holder: str
    expires_at: datetime

    def is_live(self, now: datetime) -> bool:
        return self.expires_at > now
