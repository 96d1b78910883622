"""Issue #10's "done when", with real parts: a real Alertmanager, `warroom engine` as a
real process, a loopback PagerDuty with its dedup semantics, and `warroom ack` as a
separate process.

An alert fires; the plan's escalation pages alice (stage 1) once, bob (stage 2)
after stage 1's duration; `warroom ack` stops it, PagerDuty gets the acknowledge
for both, and nothing is triggered afterwards, not even the round the plan's
`repeat` would have started.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from tests.e2e.loopback import loopback
from tests.e2e.servers import alertmanager, am_alert, post_alerts
from tests.process.helpers import lease_holder, query, spawn, stop
from tests.support.cli import clean_env, warroom, warroom_command
from tests.support.paging import (
    ROUTING_KEY,
    contact,
    pagerduty_channel,
    pagerduty_wire,
    triggers,
    write_config,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

STAGE_1 = 4.0  # seconds: alice, then bob
STAGE_2 = 8.0  # then, without an acknowledgement, alice again (repeat: 1)
POLL = 1.0  # the Alertmanager source's interval


def plans(pd_url: str) -> str:
    return "---\n".join(
        [
            contact("alice", [pagerduty_channel(pd_url)]),
            contact("bob", [pagerduty_channel(pd_url)]),
            f"""\
kind: escalation-plan
name: disk-pages
repeat: 1
stages:
  - duration: {STAGE_1:g}s
    targets: [{{contact: alice, essential: true}}]
  - duration: {STAGE_2:g}s
    targets: [{{contact: bob, essential: true}}]
""",
            """\
kind: response-plan
name: disk
match:
  alerts: 'alertname="DiskFull"'
incident:
  title: "disk full on {labels.instance}"
  impact: 2
engagements: [escalation-plan:disk-pages]
""",
        ]
    )


def dedup(incident: int, who: str) -> str:
    return f"warroom/incident/{incident}/{who}/page"


def one_incident(db: Path) -> tuple[int, float] | None:
    rows = query(db, "SELECT id, created_at FROM incidents")
    return (cast(int, rows[0][0]), cast(float, rows[0][1])) if rows else None


@pytest.fixture
def am_url(tmp_path: Path) -> Iterator[str]:
    with alertmanager(tmp_path / "am") as url:
        yield url


def test_alert_pages_stage_1_once_stage_2_after_its_duration_and_nothing_after_ack(
    tmp_path: Path, am_url: str
) -> None:
    pd, wire = pagerduty_wire()
    with loopback(wire) as server:
        db = tmp_path / "w.db"
        source = f"{{name: am, type: alertmanager, url: '{am_url}', interval: {POLL:g}s}}"
        config = write_config(tmp_path, plans(server.url), [source], db)
        env = {**clean_env(tmp_path), "PD_KEY": ROUTING_KEY}
        checked = warroom("--config", config, "check", env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr

        engine = spawn(warroom_command("--config", config, "engine"), env)
        try:
            wait_until(lambda: lease_holder(db), 30, "the engine to take the lease")
            post_alerts(am_url, [am_alert("DiskFull", "critical", instance="db-1")])
            incident, created = wait_until(lambda: one_incident(db), 15, "the incident")
            alice, bob = dedup(incident, "alice"), dedup(incident, "bob")

            wait_until(lambda: triggers(wire, alice), 10, "stage 1 to page alice")
            paged_bob = wait_until(
                lambda: triggers(wire, bob), STAGE_1 + 10, lambda: f"bob's page: {pd.events}"
            )
            assert paged_bob[0].at >= created + STAGE_1, "stage 2 paged before its duration"
            # stage 1 paged once: one trigger, one open alert for alice's key
            assert len(triggers(wire, alice)) == 1, pd.events
            assert [a["dedup_key"] for a in pd.alerts] == [alice, bob]
            assert all(a["status"] == "triggered" for a in pd.alerts)

            acked = warroom("--config", config, "ack", str(incident), "--json", env=env)
            assert acked.returncode == 0, acked.stderr
            assert json.loads(acked.stdout)["done"] is True
            (ack_at,) = query(db, "SELECT acknowledged_at FROM incidents WHERE id = ?", (incident,))
            acknowledged = cast(float, ack_at[0])

            wait_until(
                lambda: all(a["status"] == "acknowledged" for a in pd.alerts),
                10,
                lambda: f"PagerDuty to get both acknowledges: {pd.alerts}",
            )
            # past when the plan's second round would have paged alice again
            time.sleep(max(0.0, created + STAGE_1 + STAGE_2 + 3 - time.time()))
            assert engine.poll() is None, engine.stderr.read()  # type: ignore[union-attr]
        finally:
            stop(engine)

    after = [r.body["dedup_key"] for r in triggers(wire) if r.at >= acknowledged]
    assert after == [], f"triggered after the acknowledgement committed: {after}"
    actions = [(e["event_action"], e["dedup_key"]) for e in pd.events]
    assert sorted(actions) == sorted(
        [("trigger", alice), ("trigger", bob), ("acknowledge", alice), ("acknowledge", bob)]
    ), actions
    assert len(pd.alerts) == 2  # one alert per dedup key, never a second
    states = query(db, "SELECT action, state FROM outbox WHERE incident_id = ?", (incident,))
    assert {s for _, s in states} == {"sent"}, states
    assert query(db, "SELECT status, next_at FROM engagements") == [("acknowledged", None)]
