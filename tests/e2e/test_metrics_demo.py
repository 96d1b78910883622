"""`warroom metrics ID` on a demo database, as a real process (#12 items 1 and 5): the
demo source answers the incident's rule with the same series the console draws."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import AlertKey, Impact
from warroom.model.clock import utcnow
from warroom.sources.base import SourceSpec
from warroom.sources.demo import DemoSource
from warroom.store import open_store

pytestmark = pytest.mark.e2e


async def test_metrics_of_a_demo_incident_prints_the_series_the_console_draws(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {db}\nsources:\n  - {{name: demo, type: demo}}\n")
    demo = DemoSource(SourceSpec("demo", "demo"))
    alerts = demo.snapshot(utcnow())
    crash = next(a for a in alerts if a.name == "KubePodCrashLooping")
    store = await open_store(db)
    try:
        async with store.transaction() as tx:
            await tx.apply_snapshot("demo", alerts)
        incident = await Service(store, "bob").declare_incident(
            [AlertKey("demo", crash.fingerprint)], "payments crash looping", Impact.HIGH
        )
    finally:
        await store.close()
    done = run("metrics", str(incident), "--json", "--config", config, env=clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    (chart,) = json.loads(done.stdout)["charts"]
    assert (chart["query"], chart["operator"], chart["threshold"], chart["stale"]) == (
        "increase(kube_pod_container_status_restarts_total[10m])",
        ">",
        3.0,
        None,
    )
    (series,) = chart["series"]
    assert series["labels"]["pod"] == crash.labels["pod"]
    # what a console with the same clock draws (another process, another DemoSource)
    end = datetime.fromisoformat(chart["end"])
    store = await open_store(db)
    try:
        service = Service(store, "bob", [DemoSource(SourceSpec("demo", "demo"))])
        (drawn,) = await service.metrics.charts(incident, now=end)
    finally:
        await store.close()
    assert [[at.isoformat(), v] for at, v in drawn.series[0].points] == [
        [datetime.fromisoformat(at).isoformat(), v] for at, v in series["points"]
    ]
    assert len(series["points"]) > 10
    text = run("metrics", str(incident), "--config", config, env=clean_env(tmp_path))
    assert text.returncode == 0 and "threshold > 3" in text.stdout, text.stdout
