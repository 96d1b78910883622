"""`warroom metrics ID` against a real Prometheus, as a real process (#12 items 1 and 5).

A query added by hand on one "console" (a service of its own) is kept with the
incident, and the command, another process, draws it: its series with UTC times
in JSON, a sparkline in text. With Prometheus stopped the chart is stale with
the reason and the exit status says so.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from tests.e2e.servers import prometheus
from tests.support.cli import clean_env
from tests.support.cli import warroom as run
from tests.support.waiting import until

from warroom.engine import Service
from warroom.model import Impact
from warroom.sources.base import SourceSpec
from warroom.sources.prometheus import PrometheusSource
from warroom.store import open_store

pytestmark = pytest.mark.e2e


async def _incident_with_query(db: Path, prom_url: str) -> int:
    store = await open_store(db)
    prom = PrometheusSource(SourceSpec("prom", "prometheus", url=prom_url))
    try:
        service = Service(store, "alice", [prom])
        incident = await service.declare_incident([], "slow", Impact.HIGH)
        await service.add_metric_query(incident, 'up{job="self"} < 1')
        return incident
    finally:
        await prom.close()
        await store.close()


async def test_metrics_draws_the_kept_query_then_says_stale(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    env = clean_env(tmp_path)
    config = tmp_path / "config.yaml"
    with prometheus(tmp_path / "prom") as prom_url:
        config.write_text(
            f"database: {db}\nsources:\n  - {{name: prom, type: prometheus, url: {prom_url}}}\n"
        )
        incident = await _incident_with_query(db, prom_url)

        def drawn() -> bool:
            done = run("metrics", str(incident), "--json", "--config", config, env=env)
            charts = json.loads(done.stdout)["charts"] if done.returncode == 0 else []
            return bool(charts and charts[0]["series"] and charts[0]["series"][0]["points"])

        # a point comes at the first step boundary (30 s apart) after the first scrape
        await until(drawn, 90, "Prometheus to have a sample of up")
        done = run("metrics", str(incident), "--json", "--config", config, env=env)
        assert done.returncode == 0, done.stderr
        (chart,) = json.loads(done.stdout)["charts"]
        assert (chart["query"], chart["operator"], chart["threshold"], chart["stale"]) == (
            'up{job="self"}',
            "<",
            1.0,
            None,
        )
        (series,) = chart["series"]
        assert series["labels"]["job"] == "self"
        at, value = series["points"][-1]
        assert value == 1.0
        assert datetime.fromisoformat(at).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert chart["marks"][0]["kind"] == "declared"
        text = run("metrics", str(incident), "--config", config, env=env)
        assert text.returncode == 0, text.stderr
        assert 'up{job="self"}' in text.stdout and "threshold < 1" in text.stdout
        assert "▄" in text.stdout  # a flat line of 1s: the middle block
    down = run("metrics", str(incident), "--json", "--config", config, env=env)
    assert down.returncode == 1
    (stale,) = json.loads(down.stdout)["charts"]
    assert stale["stale"].startswith("prom: "), stale["stale"]
    assert "stale" in down.stderr and len(down.stderr.splitlines()) == 1
    missing = run("metrics", "99", "--config", config, env=env)
    assert missing.returncode == 1 and "no incident #99" in missing.stderr
