"""Queries typed by hand on the Metrics tab: what is refused, and that each is kept once."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.engine.metrics import MAX_QUERY, IncidentMetrics
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import open_store


async def test_queries_by_hand_are_checked_and_kept_once(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "w.db")
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url="http://127.0.0.1:9"))
    try:
        metrics = IncidentMetrics(store, [prom])
        assert metrics.add_query(3, "  up == 0 ") == "up == 0"
        metrics.add_query(3, "up == 0")
        assert metrics.by_hand == {3: ["up == 0"]}
        with pytest.raises(ValueError, match="empty"):
            metrics.add_query(3, "   ")
        with pytest.raises(ValueError, match="at most"):
            metrics.add_query(3, "x" * (MAX_QUERY + 1))
        with pytest.raises(ValueError, match="no Prometheus source"):
            IncidentMetrics(store, []).add_query(3, "up")
        assert not IncidentMetrics(store, []).available
    finally:
        await prom.close()
        await store.close()
