"""Prometheus → Alertmanager → warroom, all real, on loopback."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from tests.e2e.servers import alertmanager, prometheus
from tests.support.waiting import until_awaited

from warroom.model import AlertState, Severity
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource

pytestmark = pytest.mark.e2e

T = TypeVar("T")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    base = tmp_path_factory.mktemp("stack")
    with alertmanager(base / "am") as am_url, prometheus(base / "prom", am_url) as prom_url:
        yield prom_url, am_url


async def poll_until(
    fetch: Callable[[], Awaitable[T]], predicate: Callable[[T], bool], seconds: float = 30.0
) -> T:
    """`fetch` again until `predicate` holds for its result; that result."""
    last: list[T] = []

    async def holds() -> bool:
        last[:] = [await fetch()]
        return predicate(last[0])

    await until_awaited(
        holds, seconds, lambda: f"the predicate; last fetched {last!r:.1000}", interval=0.25
    )
    return last[0]


async def test_prometheus_alerts_firing_and_pending(stack: tuple[str, str]) -> None:
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=stack[0]))
    try:
        alerts = await poll_until(prom.fetch, lambda a: len(a) >= 2)
    finally:
        await prom.close()
    by_name = {a.name: a for a in alerts}
    assert by_name["AlwaysFiring"].state is AlertState.FIRING
    assert by_name["AlwaysFiring"].severity is Severity.CRITICAL
    assert by_name["PendingForever"].state is AlertState.PENDING
    assert by_name["AlwaysFiring"].summary == "always firing, for the end-to-end test"


async def test_rules_and_query_range(stack: tuple[str, str]) -> None:
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=stack[0]))
    try:
        rules = await prom.alert_rules()
        assert {r.name for r in rules} == {"AlwaysFiring", "PendingForever"}
        assert next(r for r in rules if r.name == "AlwaysFiring").query == "vector(1)"
        now = datetime.now(UTC)
        series = await poll_until(
            lambda: prom.query_range(
                "up", now - timedelta(seconds=30), datetime.now(UTC), timedelta(seconds=1)
            ),
            lambda s: bool(s) and len(s[0].points) >= 2,
        )
        assert series[0].labels["job"] == "self"
        assert all(value == 1.0 for _, value in series[0].points)
    finally:
        await prom.close()


async def test_alert_reaches_warroom_through_alertmanager_within_30s(
    stack: tuple[str, str],
) -> None:
    am = AlertmanagerSource(SourceSpec("am", "alertmanager", url=stack[1]))
    started = time.monotonic()
    try:
        alerts = await poll_until(am.fetch, lambda a: any(x.name == "AlwaysFiring" for x in a))
    finally:
        await am.close()
    assert any(a.name == "AlwaysFiring" and a.labels["team"] == "e2e" for a in alerts)
    assert time.monotonic() - started < 30
    assert not any(a.name == "PendingForever" for a in alerts)  # pending never leaves Prometheus
