"""The Alerts tab's sparkline cache (#12 item 1): one request per rule however many
alerts share it, answers reused for the TTL, a bound on entries and on requests at
once, and a failed source marks the last points stale rather than dropping them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.engine.metrics import IncidentMetrics
from warroom.engine.sparklines import POINTS, Sparklines
from warroom.model.alert import TrackedAlert
from warroom.model.series import Series
from warroom.model.value import replace
from warroom.sources.base import SourceError, SourceSpec
from warroom.sources.demo import DemoSource
from warroom.sources.demo_series import METRICS
from warroom.store import open_store

NOW = datetime(2026, 11, 26, 3, 14, 0, tzinfo=UTC)


class SlowDemo(DemoSource):
    """The demo's series, answered after a pause; counts requests in flight."""

    def __init__(self) -> None:
        super().__init__(SourceSpec("demo", "demo"))
        self.flying = self.peak = self.asked = 0
        self.fail = False

    async def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        self.asked += 1
        self.flying += 1
        self.peak = max(self.peak, self.flying)
        try:
            await asyncio.sleep(0.05)
            if self.fail:
                raise SourceError("demo", "connection refused")
            return await super().query_range(query, start, end, step)
        finally:
            self.flying -= 1


def _alerts(demo: DemoSource) -> list[tuple[str, TrackedAlert]]:
    return [(f"demo/{a.fingerprint}", TrackedAlert(a, NOW)) for a in demo.snapshot(NOW)]


async def test_one_request_per_rule_reused_for_the_ttl_then_stale(tmp_path: Path) -> None:
    demo = SlowDemo()
    store = await open_store(tmp_path / "w.db")
    try:
        sparks = Sparklines(IncidentMetrics(store, [demo]), lambda: NOW, concurrency=2)
        alerts = _alerts(demo)
        assert all(sparks.due(k) and sparks.peek(k, t) is None for k, t in alerts)
        await sparks.fetch(alerts)
        queries = {m.expr for m in METRICS}
        names = {t.alert.name for _, t in alerts}
        # the two disks share one query; every other alert its own
        assert demo.asked == sparks.requests == len(names) <= len(queries)
        assert demo.peak == 2  # never more at once than allowed
        for key, tracked in alerts:
            spark = sparks.peek(key, tracked)
            assert spark is not None and len(spark.values) == POINTS and not spark.stale
            assert not sparks.due(key)
        await sparks.fetch(alerts)
        assert demo.asked == len(names)  # within the TTL: nothing asked again
        demo.fail, sparks.ttl = True, 0
        await sparks.fetch(alerts)
        for key, tracked in alerts:
            spark = sparks.peek(key, tracked)
            assert spark is not None and spark.stale == "demo: connection refused"
            assert len(spark.values) == POINTS  # the last points, kept and marked
    finally:
        await store.close()


async def test_the_cache_holds_at_most_its_bound(tmp_path: Path) -> None:
    demo = SlowDemo()
    store = await open_store(tmp_path / "w.db")
    try:
        sparks = Sparklines(IncidentMetrics(store, [demo]), lambda: NOW, max_entries=3)
        alerts = _alerts(demo)
        await sparks.fetch(alerts)
        assert len(sparks._queries) <= 3 and len(sparks._answers) <= 3
        assert sum(sparks.peek(k, t) is not None for k, t in alerts) <= 3
    finally:
        await store.close()


async def test_an_alert_no_source_knows_is_blank_and_not_asked_again(tmp_path: Path) -> None:
    demo = SlowDemo()
    store = await open_store(tmp_path / "w.db")
    try:
        sparks = Sparklines(IncidentMetrics(store, [demo]), lambda: NOW)
        _, tracked = _alerts(demo)[0]
        unknown = replace(
            tracked.alert, source="am", name="NoRule", labels={"alertname": "NoRule"}
        )
        other = TrackedAlert(unknown, NOW)
        await sparks.fetch([("am/x", other)])
        spark = sparks.peek("am/x", other)
        assert spark is not None and spark.values == () and not spark.stale
        assert demo.asked == 0 and not sparks.due("am/x")
    finally:
        await store.close()


async def test_an_alert_that_fired_a_minute_ago_ends_its_line_over_the_threshold(
    tmp_path: Path,
) -> None:
    """The newest point is recent: a line ending calm beside a firing alert would lie.
    At 03:04:10 the replica's lag alert is 50 s old; 03:00 was calm."""
    at = datetime(2026, 11, 26, 3, 4, 10, tzinfo=UTC)
    demo = SlowDemo()
    store = await open_store(tmp_path / "w.db")
    try:
        sparks = Sparklines(IncidentMetrics(store, [demo]), lambda: at)
        (lag,) = [a for a in demo.snapshot(at) if a.name == "ReplicationLagHigh"]
        assert at - lag.starts_at == timedelta(seconds=50)
        tracked = TrackedAlert(lag, at)
        await sparks.fetch([("demo/lag", tracked)])
        spark = sparks.peek("demo/lag", tracked)
        assert spark is not None and spark.threshold is not None
        assert spark.values[-1] > spark.threshold, spark.values
    finally:
        await store.close()
