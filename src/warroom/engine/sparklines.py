"""One-row sparklines for the Alerts tab: each alert's series over the last hour.

The series is the one its Metrics tab would draw (`IncidentMetrics.alert_query`:
the rule's left side, the alarm's metric, the demo's line), asked for only for
the rows on screen. Alerts of one rule share one query, scoped per alert, so a
storm of one rule is one request. Answers live TTL seconds, at most MAX_ENTRIES
of them, and at most CONCURRENCY requests run at once, so scrolling a storm
cannot flood a Prometheus. A failed request keeps the last points and says
stale: a dead source never draws a calm line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from warroom.engine.metrics import IncidentMetrics, Query
from warroom.model.alert import TrackedAlert
from warroom.model.clock import utcnow
from warroom.model.series import Series, scoped
from warroom.model.text import safe_text
from warroom.model.value import Value
from warroom.sources.base import SourceError

POINTS = 12  # one block character each
STEP = timedelta(minutes=5)  # POINTS of them: the last hour
ALIGN = timedelta(minutes=1)  # where the last sample falls
TTL = 60.0  # seconds an answer is shown before it is asked again
MAX_ENTRIES = 512  # alerts and queries remembered, each
CONCURRENCY = 4  # requests at once, whatever is scrolled past

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")


class Spark(Value, frozen=True):
    """What one alert's sparkline shows: its last values, or why they are not current."""

    values: tuple[float, ...] = ()
    stale: str = ""  # the source's error; the values are the last ones known
    threshold: float | None = None  # the rule's: drawn to scale with it, so a line
    # hovering over its threshold reads high rather than as noise blown up


@dataclass(slots=True)
class _Answer:
    at: float  # monotonic
    series: list[Series]
    stale: str = ""


class Sparklines:
    def __init__(
        self,
        metrics: IncidentMetrics,
        clock: Callable[[], datetime] | None = None,
        *,
        ttl: float = TTL,
        max_entries: int = MAX_ENTRIES,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.metrics = metrics
        self.clock = clock or utcnow
        self.ttl = ttl
        self.max_entries = max_entries
        self._queries: OrderedDict[str, tuple[float, Query | None]] = OrderedDict()
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self._drawn: OrderedDict[str, tuple[_Answer, Spark]] = OrderedDict()
        self._gate = asyncio.Semaphore(concurrency)
        self._running: dict[str, asyncio.Task[None]] = {}
        self.requests = 0  # sent to sources: a test's (and a bench's) witness

    @property
    def available(self) -> bool:
        return self.metrics.available

    def peek(self, key: str, tracked: TrackedAlert) -> Spark | None:
        """The sparkline known for this alert, however old; None when nothing is known
        yet, a Spark with no values when it has no series to draw."""
        found = self._queries.get(key)
        if found is None:
            return None
        query = found[1]
        if query is None:
            return Spark()
        answer = self._answers.get(query.key)
        if answer is None:
            return None
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] is answer:
            return drawn[1]
        # scoped once per answer: a storm's rule answers a series per target
        values = _values(scoped(answer.series, dict(query.labels)))
        spark = Spark(values, answer.stale, query.threshold)
        _put(self._drawn, key, (answer, spark), self.max_entries)
        return spark

    def due(self, key: str) -> bool:
        """Whether this alert's sparkline should be asked for (again)."""
        found = self._queries.get(key)
        now = time.monotonic()
        if found is None or now - found[0] >= self.ttl:
            return True
        query = found[1]
        if query is None:
            return False
        answer = self._answers.get(query.key)
        return query.key not in self._running and (answer is None or now - answer.at >= self.ttl)

    async def fetch(self, alerts: Sequence[tuple[str, TrackedAlert]]) -> None:
        """Ask for the sparklines of these alerts (by key) that are due; one request per
        query however many alerts share it, and none already under way twice."""
        now = time.monotonic()
        wanted: dict[str, Query] = {}
        for key, tracked in alerts:
            found = self._queries.get(key)
            if found is None or now - found[0] >= self.ttl:
                found = (now, await self.metrics.alert_query(tracked))
                _put(self._queries, key, found, self.max_entries)
            query = found[1]
            if query is not None and self.due(key):
                wanted[query.key] = query
        for query in wanted.values():
            if query.key not in self._running:
                self._running[query.key] = asyncio.create_task(self._ask(query))
        tasks = [self._running[k] for k in wanted if k in self._running]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _ask(self, query: Query) -> None:
        try:
            await self._asked(query)
        finally:
            self._running.pop(query.key, None)

    async def _asked(self, query: Query) -> None:
        async with self._gate:
            end = self.clock()
            # whole minutes: the same samples come back within one, yet the newest
            # is at most a minute (plus the TTL) old -- an alert that fired just
            # now must not end its line on a calm point five minutes back
            grain = ALIGN.total_seconds()
            end = datetime.fromtimestamp(end.timestamp() // grain * grain, end.tzinfo)
            start = end - STEP * (POINTS - 1)
            self.requests += 1
            try:
                series = await self.metrics.fetch(query, start, end, STEP)
                answer = _Answer(time.monotonic(), series)
            except Exception as exc:  # a source's bug too: its line is stale, not calm
                if not isinstance(exc, SourceError):
                    log.exception("sparkline query %r failed", query.expr)
                last = self._answers.get(query.key)
                kept = last.series if last is not None else []
                reason = str(exc) if isinstance(exc, SourceError) else type(exc).__name__
                answer = _Answer(time.monotonic(), kept, safe_text(reason, 200) or "failed")
            _put(self._answers, query.key, answer, self.max_entries)


def _values(series: list[Series]) -> tuple[float, ...]:
    if not series:
        return ()
    return tuple(v for _, v in series[0].points[-POINTS:])


def _put(cache: OrderedDict[K, V], key: K, value: V, bound: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > bound:
        cache.popitem(last=False)
