"""Polling: a source that is down never means "no alerts", and a broken source never
takes the engine down."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest

from warroom.engine import Engine
from warroom.engine.poller import MAX_BACKOFF, next_delay, poll_once
from warroom.model import Alert, AlertState, Severity
from warroom.sources.base import SourceError
from warroom.store import Store

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


async def _health(store: Store, name: str):  # type: ignore[no-untyped-def]
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


def test_next_delay_backs_off_exponentially_and_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda a, b: b)  # no jitter: the upper bound
    interval = timedelta(seconds=15)
    delays = [next_delay(interval, n) for n in range(1, 9)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays[4:] == [MAX_BACKOFF.total_seconds()] * 4
    assert next_delay(interval, 10_000) == MAX_BACKOFF.total_seconds()


def test_next_delay_jitter_stays_in_bounds() -> None:
    interval = timedelta(seconds=15)
    for failures in (1, 3, 50):
        upper = min(15 * 2**failures, MAX_BACKOFF.total_seconds())
        for _ in range(200):
            delay = next_delay(interval, failures)
            assert max(15, upper / 2) <= delay <= upper
    samples = {next_delay(interval, 4) for _ in range(50)}
    assert len(samples) > 1, "jitter spreads retries of many consoles"


def test_next_delay_never_below_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda a, b: a)
    assert next_delay(timedelta(seconds=15), 1) == 15
    slow = timedelta(minutes=10)  # longer than the backoff cap
    assert next_delay(slow, 3) == slow.total_seconds()
