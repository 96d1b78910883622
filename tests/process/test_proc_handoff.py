"""`warroom handoff` over a scripted shift, run as a real process (issue 12 item 4).

A real SQLite file is seeded through the service with a clock moved by hand:
incidents declared, acknowledged, resolved and noted before and during the
shift, alerts with and without a plan, and silences as the service records
them once their Alertmanager has accepted them (`engine.silences.record_silence`).
Each section of the hand-off must list exactly its items, in text and in JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.alerts import alert as make
from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.engine.silences import record_silence
from warroom.model import Alert, AlertState, Impact, events
from warroom.model.clock import utcnow
from warroom.store import open_store

PLANS = """\
kind: contact
name: alice
channels:
  - {name: log, type: log}
---
kind: contact
name: bob
channels:
  - {name: log, type: log}
---
kind: schedule
name: primary
timezone: UTC
rotations:
  - name: weekly
    members: [alice, bob]
    anchor: {date: "2026-01-05", handoff: "06:00"}
    every: {unit: week}
---
kind: escalation-plan
name: storage
ack_timeout: 30m
stages:
  - duration: 5m
    targets: [{schedule: primary}]
---
kind: response-plan
name: disk
match:
  alerts: 'alertname="DiskFull"'
incident:
  title: "Disk full on {labels.instance}"
  impact: 2
  dedupe: "disk/{labels.instance}"
engagements: [escalation-plan:storage]
"""


def _alert(name: str, instance: str, starts_at: datetime, state: AlertState) -> Alert:
    return make(
        name,
        source="am",
        state=state,
        starts_at=starts_at,
        labels={"instance": instance, "severity": "critical"},
        annotations={"summary": f"{name} on {instance}"},
    )


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**clean_env(tmp_path), "TZ": "UTC"}


@pytest.fixture
async def shift(tmp_path: Path) -> dict[str, Any]:
    """The shift is the last 12 h before now."""
    now = utcnow()
    ago = lambda hours: now - timedelta(hours=hours)  # noqa: E731
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "plans.yaml").write_text(PLANS)
    db = tmp_path / "shared.db"
    (tmp_path / "config.yaml").write_text(f"database: {db}\nplans: {plans}\n")
    disk = _alert("DiskFull", "db-1", ago(20), AlertState.FIRING)
    flaps = [_alert("Flappy", f"web-{n}", ago(n), AlertState.FIRING) for n in (1, 2, 3)]
    quiet = _alert("OldQuiet", "db-9", ago(40), AlertState.RESOLVED)
    store = await open_store(db)
    clock = Clock(ago(30))
    carol = Service(store, "carol", clock=clock)
    try:
        async with store.transaction(now=ago(30)) as tx:
            await tx.apply_snapshot("am", [disk, *flaps, quiet])
        old = await carol.declare_incident([], "Old and done", Impact.LOW)
        clock.at = ago(25)
        await carol.resolve(old, "fixed long ago")
        clock.at = ago(20)
        stale = await carol.declare_incident(
            [disk.key], "Disk full on db-1", Impact.HIGH, plan="disk"
        )
        clock.at = ago(5)
        gone = await carol.declare_incident([], "Checkout slow", Impact.MEDIUM)
        clock.at = ago(3)
        cache = await carol.declare_incident([], "Cache cold", Impact.LOW)
        await carol.add_note(cache, "warming by hand, nothing to hand over")
        clock.at = ago(2)
        await carol.acknowledge(stale)
        clock.at = ago(1)
        await carol.resolve(gone, "rolled back")
        await carol.add_note(stale, "db-1 at 97%: watch the 02:00 backup #handoff")
        expiring = events.Silenced("s-soon", "am", events.keys([flaps[0].key]), comment="flap")
        quiet_tracked = await store.alerts_by_key([quiet.key, flaps[0].key])
        await record_silence(
            store,
            "am",
            "s-soon",
            "manual",
            "carol",
            now + timedelta(hours=2),
            [t for t in quiet_tracked if t.key == flaps[0].key],
            expiring,
        )
        idle = events.Silenced("s-idle", "am", events.keys([quiet.key]), comment="quiet")
        await record_silence(
            store,
            "am",
            "s-idle",
            "manual",
            "carol",
            now + timedelta(days=3),
            [t for t in quiet_tracked if t.key == quiet.key],
            idle,
        )
    finally:
        await store.close()
    return {
        "config": tmp_path / "config.yaml",
        "ids": {"old": old, "stale": stale, "gone": gone, "cache": cache},
    }


def _handoff(shift: dict[str, Any], env: dict[str, str], *more: str) -> Any:
    return run("--config", shift["config"], "handoff", *more, env=env)


async def test_each_section_lists_its_items_in_json(
    shift: dict[str, Any], env: dict[str, str]
) -> None:
    done = _handoff(shift, env, "--json")
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    report = json.loads(line)
    ids = shift["ids"]
    assert [o["incident"]["id"] for o in report["open"]] == [ids["stale"], ids["cache"]]
    changes = {o["incident"]["id"]: [c["kind"] for c in o["changes"]] for o in report["open"]}
    # declared 20 h ago: only what happened in the shift
    assert changes[ids["stale"]] == ["acknowledged", "note"]
    assert changes[ids["cache"]] == ["declared", "note"]
    assert [i["id"] for i in report["resolved"]] == [ids["gone"]]
    [stale] = report["stale_acks"]
    assert stale["incident"]["id"] == ids["stale"]
    assert stale["ack_timeout_seconds"] == 1800
    assert 5300 < stale["overdue_seconds"] < 5500  # acked 2 h ago, due 1 h 30 m ago
    assert [s["id"] for s in report["expiring_silences"]] == ["s-soon"]
    assert [s["id"] for s in report["idle_silences"]] == ["s-idle"]
    assert report["unplanned"] == [{"source": "am", "name": "Flappy", "count": 3, "firing": 3}]
    assert report["noisy"] == [
        {"source": "am", "name": "Flappy", "count": 3, "firing": 3},
        {"source": "am", "name": "DiskFull", "count": 1, "firing": 1},
    ]
    assert [(n["incident"], n["text"]) for n in report["notes"]] == [
        (ids["stale"], "db-1 at 97%: watch the 02:00 backup #handoff")
    ]
    assert {s["schedule"] for s in report["on_call"]} == {"primary"}
    assert all(s["on_call"] in (["alice"], ["bob"]) for s in report["on_call"])
    assert report["remarks"] == []


async def test_each_section_in_text_and_markdown(
    shift: dict[str, Any], env: dict[str, str]
) -> None:
    done = _handoff(shift, env)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    ids = shift["ids"]
    assert text.startswith("Shift hand-off (12h): ")
    assert "Open incidents (2)\n" in text
    assert f"  #{ids['stale']} Disk full on db-1: acknowledged by carol, 2 high" in text
    assert "Resolved in the shift (1)\n" in text
    assert f"  #{ids['gone']} Checkout slow: resolved " in text
    assert "by carol, after 4h" in text
    assert "Acknowledged past ack_timeout (1)\n" in text
    assert "ack_timeout 30m, overdue 1h30m" in text
    assert "  am:s-soon ends " in text and "  am:s-idle ends " in text
    assert "Alerts that fired with no plan (1)\n  am/Flappy: 3 fired, 3 firing\n" in text
    assert "Noisiest alerts\n  3 x am/Flappy (3 firing)\n  1 x am/DiskFull (1 firing)\n" in text
    assert f"carol on #{ids['stale']}: db-1 at 97%: watch the 02:00 backup #handoff" in text
    assert "Old and done" not in text  # resolved before the shift
    assert " UTC" in text  # the responder's zone (TZ=UTC here)
    md = _handoff(shift, env, "--markdown")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Shift hand-off (12h)")
    assert "\n## Alerts that fired with no plan (1)\n\n- am/Flappy: 3 fired, 3 firing\n" in (
        md.stdout
    )
    assert "\\#handoff" in md.stdout  # a note's markup is escaped, never a heading
    assert "\n  - " in md.stdout  # an incident's changes nest under it


async def test_an_empty_shift_says_none(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "empty.db"
    store = await open_store(db)
    await store.close()
    done = run("--db", db, "handoff", env=env)
    assert done.returncode == 0, done.stderr
    assert "Open incidents (0)\n  none\n" in done.stdout
    assert "Noisiest alerts\n  none\n" in done.stdout
    as_json = run("--db", db, "handoff", "--json", env=env)
    report = json.loads(as_json.stdout)
    assert report["open"] == report["resolved"] == report["notes"] == []


@pytest.mark.parametrize(
    ("since", "said"),
    [("twelve", "--since: not a duration: 'twelve'"), ("0s", "--since: '0s' is no time at all")],
)
def test_a_bad_since_is_one_line(
    tmp_path: Path, env: dict[str, str], since: str, said: str
) -> None:
    done = run("--db", tmp_path / "x.db", "handoff", "--since", since, env=env)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("warroom: ") and said in line
    assert done.stdout == ""


def test_no_database_is_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    done = run("--db", tmp_path / "missing.db", "handoff", env=env)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "missing.db" in line and "Traceback" not in done.stderr
