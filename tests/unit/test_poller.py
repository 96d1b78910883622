"""Polling: a source that is down never means "no alerts", and a broken source never
takes the engine down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from warroom.engine import Engine, Service, ingest
from warroom.engine import triage as triage_module
from warroom.engine.poller import next_delay, poll_forever, poll_once
from warroom.engine.triage import Triage
from warroom.model import Alert, AlertState, Severity
from warroom.model.clock import utcnow
from warroom.plans import load_plans
from warroom.sources.base import SourceError
from warroom.store import LeaseLost, SqliteStore, Store, StoreFull, open_store

from .helpers import make_alert


class FakeSource:
    """A source whose next answer the test decides: a list of alerts or an exception."""

    def __init__(self, name: str = "prom", interval: float = 15) -> None:
        self.name = name
        self.interval = timedelta(seconds=interval)
        self.answer: list[Alert] | BaseException = []
        self.fetches = 0
        self.closed = False

    async def fetch(self) -> list[Alert]:
        self.fetches += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return list(self.answer)

    async def close(self) -> None:
        self.closed = True


async def _health(store: Store, name: str):
    return {h.name: h for h in await store.source_health()}[name]


async def test_good_poll_writes_alerts_and_health(store: Store) -> None:
    source = FakeSource()
    source.answer = [make_alert("A"), make_alert("B")]
    result = await poll_once(store, source)
    assert result is not None and result.inserted == 2
    health = await _health(store, "prom")
    assert health.failures == 0
    assert health.last_error is None
    assert health.alert_count == 2
    assert health.interval == timedelta(seconds=15)
    assert health.last_success == health.last_attempt is not None


async def test_source_error_keeps_alerts_and_records_failure(store: Store) -> None:
    source = FakeSource()
    source.answer = [make_alert("A"), make_alert("B")]
    await poll_once(store, source)
    good = await _health(store, "prom")
    before = await store.active_alerts()

    source.answer = SourceError("prom", "connection refused")
    await asyncio.sleep(0.01)  # let the clock move so last_attempt can advance
    assert await poll_once(store, source) is None
    after = await store.active_alerts()
    assert after == before, "a source that is down must not resolve its alerts"
    assert all(t.alert.state is AlertState.FIRING for t in after)
    health = await _health(store, "prom")
    assert health.failures == 1
    assert health.last_error == "connection refused"
    assert health.last_success == good.last_success  # untouched
    assert health.last_attempt > good.last_attempt
    assert health.alert_count == 2  # still the last known count
    assert health.is_failing
    three_intervals = source.interval * 3 + timedelta(seconds=1)
    assert health.is_stale(good.last_success + three_intervals)

    assert await poll_once(store, source) is None
    assert (await _health(store, "prom")).failures == 2

    # recovery clears the error and the failure count
    source.answer = [make_alert("A")]
    result = await poll_once(store, source)
    assert result is not None and result.resolved == 1
    health = await _health(store, "prom")
    assert (health.failures, health.last_error, health.alert_count) == (0, None, 1)


async def test_first_poll_failing_creates_health_row(store: Store) -> None:
    source = FakeSource()
    source.answer = SourceError("prom", "timeout after 10s")
    assert await poll_once(store, source) is None
    health = await _health(store, "prom")
    assert (health.failures, health.last_error, health.last_success) == (
        1,
        "timeout after 10s",
        None,
    )
    assert health.last_attempt is not None
    assert await store.active_alerts() == []


async def test_unexpected_exception_is_recorded_and_survived(store: Store) -> None:
    source = FakeSource()
    source.answer = [make_alert("A")]
    await poll_once(store, source)
    source.answer = KeyError("labels")
    assert await poll_once(store, source) is None
    health = await _health(store, "prom")
    assert health.failures == 1
    assert health.last_error is not None
    assert "internal error" in health.last_error and "KeyError" in health.last_error
    assert [t.alert.name for t in await store.active_alerts()] == ["A"]


async def test_long_error_is_bounded(store: Store) -> None:
    source = FakeSource()
    source.answer = SourceError("prom", "x" * 5000)
    await poll_once(store, source)
    health = await _health(store, "prom")
    assert health.last_error is not None and len(health.last_error) <= 500


async def test_engine_run_once_survives_a_broken_source(store: Store) -> None:
    good, down, broken = FakeSource("good"), FakeSource("down"), FakeSource("broken")
    good.answer = [make_alert("A", source="good")]
    down.answer = SourceError("down", "503 Service Unavailable")
    broken.answer = ZeroDivisionError("oops")
    engine = Engine(store, [good, down, broken], holder="test")
    results = await engine.run_once()
    assert results["good"] is not None and results["good"].inserted == 1
    assert results["down"] is None and results["broken"] is None
    health = {h.name: h for h in await store.source_health()}
    assert (health["good"].failures, health["down"].failures, health["broken"].failures) == (
        0,
        1,
        1,
    )
    await engine.close()
    assert good.closed and down.closed and broken.closed


async def test_source_returning_bad_alerts_is_recorded_not_raised(store: Store) -> None:
    source = FakeSource()
    naive = Alert(
        source="prom",
        fingerprint="f1",
        name="A",
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        starts_at=datetime(2026, 1, 1, 12, 0),  # no zone
    )
    source.answer = [naive]
    assert await poll_once(store, source) is None
    health = await _health(store, "prom")
    assert health.failures == 1 and health.last_error


# ---------------------------------------------------------------- backoff


def test_next_delay_without_failures_is_the_interval() -> None:
    assert next_delay(timedelta(seconds=15), 0) == 15
    assert next_delay(timedelta(seconds=15), -1) == 15


def test_next_delay_backs_off_from_a_second_and_never_beyond_the_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As found: a failing source waited up to 5 minutes, so it was seen again long
    after it came back. Now the wait never exceeds the interval."""
    monkeypatch.setattr(random, "uniform", lambda a, b: b)  # no jitter: the upper bound
    interval = timedelta(seconds=15)
    delays = [next_delay(interval, n) for n in range(1, 8)]
    assert delays == [1, 2, 4, 8, 15, 15, 15]
    assert next_delay(interval, 10_000) == 15


def test_next_delay_jitter_stays_in_bounds() -> None:
    interval = timedelta(seconds=15)
    for failures in (1, 3, 50):
        upper = min(15, 2 ** (failures - 1))
        for _ in range(200):
            delay = next_delay(interval, failures)
            # at the interval: exactly it (never more often than a healthy source)
            assert delay == 15 if upper == 15 else upper * 0.8 <= delay <= upper
    samples = {next_delay(interval, 4) for _ in range(50)}
    assert len(samples) > 1, "jitter spreads retries of many consoles"


def test_next_delay_never_above_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda a, b: b)
    fast = timedelta(seconds=2)  # shorter than the backoff would grow
    assert [next_delay(fast, n) for n in (1, 2, 3, 50)] == [1, 2, 2, 2]


# ---------------------------------------------------------------- chunked writes


def _storm(count: int, revision: int = 0, source: str = "prom") -> list[Alert]:
    return [
        make_alert("Storm", source=source, summary=f"rev {revision}", instance=f"host-{i}")
        for i in range(count)
    ]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 100 rows whatever the machine's speed, so a test poll spans many."""
    monkeypatch.setattr(ingest, "FIRST_CHUNK", 100)
    monkeypatch.setattr(ingest, "MIN_CHUNK", 100)  # a slow chunk (a loaded CI) shrank it
    monkeypatch.setattr(ingest, "MAX_CHUNK", 100)
    monkeypatch.setattr(ingest, "PAUSE", 0.0)


async def test_a_big_poll_is_written_in_several_short_transactions(
    store: Store, small_chunks: None
) -> None:
    source = FakeSource()
    source.answer = _storm(1000)
    first = await poll_once(store, source)
    assert first is not None
    assert (first.inserted, first.transactions) == (1000, 10)
    # 300 changed, 200 gone, 500 unchanged
    source.answer = _storm(300, revision=1) + _storm(800)[300:800]
    second = await poll_once(store, source)
    assert second is not None
    assert (second.updated, second.resolved, second.unchanged) == (300, 200, 500)
    assert second.transactions == 5
    active = await store.active_alerts()
    assert len(active) == 800
    summaries = {t.alert.labels["instance"]: t.alert.annotations["summary"] for t in active}
    assert summaries["host-0"] == "rev 1" and summaries["host-700"] == "rev 0"
    assert (await _health(store, "prom")).alert_count == 800


async def test_a_poll_cut_short_resolves_nothing_and_leaves_no_half_row(
    db_path: Path, small_chunks: None
) -> None:
    """The lease taken between chunks (as a crash would stop it): no firing alert is
    resolved, every row is wholly old or wholly new, the next holder finishes."""
    store = await open_store(db_path)
    other = await open_store(db_path)
    try:
        token = await store.acquire_lease("A", timedelta(seconds=10))
        assert token is not None
        source = FakeSource()
        source.answer = _storm(1000)
        assert await poll_once(store, source, lease=token) is not None
        # the next snapshot changes 600 and drops the last 400
        source.answer = _storm(600, revision=1)
        seen = await store.last_change()

        async def take_over_after_two_chunks() -> None:
            while len(await other.changes_since(seen)) < 2:  # noqa: ASYNC110 (another store)
                await asyncio.sleep(0)
            await other.acquire_lease("B", timedelta(seconds=10), now=utcnow() + timedelta(hours=1))

        thief = asyncio.create_task(take_over_after_two_chunks())
        ingest.PAUSE = 0.05  # room for the take-over between chunks
        with pytest.raises(LeaseLost):
            await poll_once(store, source, lease=token)
        await thief
        active = await other.active_alerts()
        assert len(active) == 1000, "a poll cut short must never resolve a firing alert"
        revisions = [t.alert.annotations["summary"] for t in active]
        written = revisions.count("rev 1")
        assert 0 < written < 600, "the poll should have been cut between chunks"
        assert set(revisions) == {"rev 0", "rev 1"}
        # the new holder's poll completes the snapshot
        new = await other.acquire_lease("B", timedelta(seconds=10), now=utcnow())
        result = await poll_once(other, source, lease=new)
        assert result is not None and result.resolved == 400
        assert result.updated == 600 - written
    finally:
        await store.close()
        await other.close()


async def test_a_storm_split_over_chunks_makes_one_incident(
    tmp_path: Path, store: Store, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(triage_module, "RETURN_GRACE", timedelta(0))  # resolves at once
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "p.yaml").write_text(
        "kind: response-plan\nname: storm\nmatch: {alerts: 'alertname=\"Storm\"'}\n"
        "incident: {title: storm, impact: 3, dedupe: storm}\n"
        "resolve: when-all-alerts-resolve\n"
    )
    planset = load_plans(plans)
    assert not planset.errors
    triage = Triage(planset.plans)
    source = FakeSource()
    source.answer = _storm(450)
    result = await poll_once(store, source, triage)
    assert result is not None and result.transactions > 1
    incidents = await store.incidents()
    assert [(i.title, i.alert_count) for i in incidents] == [("storm", 450)]
    assert all(t.incident_id == incidents[0].id for t in await store.active_alerts())
    source.answer = []
    await poll_once(store, source, triage)
    assert await store.incidents() == [], "resolved once all its alerts left, in the last chunk"


# ---------------------------------------------------------------- store failures


async def _fill_up(store: SqliteStore) -> None:
    """No page more for this connection: SQLite answers as on a full disk."""
    async with store._writer.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await store._writer.execute(f"PRAGMA max_page_count = {row[0]}")


async def test_a_full_disk_is_raised_and_health_says_why_polling_stopped(
    store: SqliteStore,
) -> None:
    source = FakeSource()
    source.answer = [make_alert("A")]
    assert await poll_once(store, source) is not None
    await _fill_up(store)
    source.answer = _storm(500)
    with pytest.raises(StoreFull):
        await poll_once(store, source)
    health = await _health(store, "prom")
    assert health.last_error is not None and "polling stopped" in health.last_error
    assert "no space left" in health.last_error
    assert health.is_failing


async def test_poll_forever_logs_a_failing_store_once_not_a_traceback_per_poll(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    await _fill_up(store)
    source = FakeSource(interval=0.01)
    source.answer = _storm(500)
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(poll_forever(store, source))
        while source.fetches < 4:  # noqa: ASYNC110 (a plain counter)
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is None, "a full disk is a message, not a traceback"
    assert "no space left" in errors[0].getMessage()


# ---------------------------------------------------------------- retry now


async def test_a_retry_request_polls_a_failing_source_at_once(store: Store) -> None:
    """A responder's "retry now" (from any console) reaches the engine that polls."""
    source = FakeSource(interval=60)
    source.answer = SourceError("prom", "connection refused")
    engine = Engine(store, [source], holder="engine", renew_seconds=0.1)
    task = asyncio.create_task(engine.run())
    try:
        while source.fetches < 3:  # noqa: ASYNC110 (a plain counter)
            await asyncio.sleep(0.01)
        # three failures: the next try is 3.2-4 s away
        source.answer = [make_alert("A")]
        asked = await Service(store, "alice").retry_sources(["prom", "never-polled"])
        assert asked == ["prom"]
        started = asyncio.get_running_loop().time()
        while source.fetches < 4:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert asyncio.get_running_loop().time() - started < 2.5  # well before the backoff
        health = await _health(store, "prom")
        while health.failures:  # the good poll lands
            await asyncio.sleep(0.01)
            health = await _health(store, "prom")
        assert await store.retry_requests() == {}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
