"""Queries typed by hand on the Metrics tab: what is refused, that each is kept once, and
that they live with the incident in the store (every console and `warroom metrics`
sees them), not in one process's memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.engine import Service
from warroom.engine.errors import ActionError
from warroom.engine.metrics import MAX_QUERY, IncidentMetrics
from warroom.model import Impact
from warroom.model.related import RelatedKind
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import open_store


async def test_queries_by_hand_are_checked_and_kept_once(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "w.db")
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url="http://127.0.0.1:9"))
    try:
        async with store.transaction() as tx:
            incident = await tx.create_incident("x", Impact.LOW, "alice")
        service = Service(store, "alice", [prom])
        assert await service.add_metric_query(incident, "  up == 0 ") == "up == 0"
        await service.add_metric_query(incident, "up == 0")
        (item,) = await store.related_items(incident)
        assert (item.kind, item.ref, item.source, item.actor) == (
            RelatedKind.METRIC,
            "up == 0",
            "prom",
            "alice",
        )
        with pytest.raises(ValueError, match="empty"):
            await service.add_metric_query(incident, "   ")
        with pytest.raises(ValueError, match="at most"):
            await service.add_metric_query(incident, "x" * (MAX_QUERY + 1))
        with pytest.raises(ActionError, match="no incident #99"):
            await service.add_metric_query(99, "up")
        with pytest.raises(ValueError, match="no Prometheus source"):
            await Service(store, "bob", []).add_metric_query(incident, "up")
        assert not IncidentMetrics(store, []).available
        # another process, with its own service, draws it
        other = await open_store(tmp_path / "w.db")
        try:
            queries = await IncidentMetrics(other, [prom]).queries(incident)
            assert [(q.expr, q.threshold, q.source) for q in queries] == [("up", 0.0, "prom")]
        finally:
            await other.close()
    finally:
        await prom.close()
        await store.close()
