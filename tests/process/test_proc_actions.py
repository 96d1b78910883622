"""Actions from scripts: `warroom ack|resolve|reopen|note|impact|declare|show` as real processes.

A real SQLite file is seeded through the service API; each command runs as a
separate process, as a responder's script would run it. Checked: exit codes
(0 done, 1 refused with the reason, 2 usage/config/database), stdout and
stderr, the JSON shape, and the actor the timeline records ($SUDO_USER under
sudo, as the console records it).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.alerts import alert as make
from tests.support.cli import ROOT, clean_env, warroom_command
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import Alert, AlertState, EventKind, Impact, IncidentStatus
from warroom.store import open_store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

INCIDENT_KEYS = {
    "id",
    "title",
    "summary",
    "impact",
    "status",
    "plan",
    "dedupe_key",
    "alert_count",
    "created_at",
    "created_by",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "merged_into",
}


def _alert(name: str, instance: str, state: AlertState = AlertState.FIRING) -> Alert:
    return make(
        name,
        source="am",
        state=state,
        starts_at=T0,
        labels={"instance": instance, "severity": "critical"},
        annotations={"summary": f"{name} on {instance}"},
    )


DISK = _alert("DiskFull", "db-1")
DOWN = _alert("SvcDown", "web-1")
GONE = _alert("SvcDown", "web-2", AlertState.RESOLVED)


def key(alert: Alert) -> str:
    return f"{alert.source}:{alert.fingerprint}"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**clean_env(tmp_path), "SUDO_USER": "alice"}


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """Incident #1 (DiskFull firing, acknowledged by carol), #2 (no alerts, open)."""
    path = tmp_path / "shared" / "warroom.db"
    store = await open_store(path)
    try:
        async with store.transaction(now=T0) as tx:
            await tx.apply_snapshot("am", [DISK, DOWN, GONE])
        carol = Service(store, "carol")
        first = await carol.declare_incident([DISK.key], "Disk full on db-1", Impact.HIGH)
        await carol.acknowledge(first)
        second = await carol.declare_incident([], "Checkout slow", Impact.LOW)
        assert (first, second) == (1, 2)
    finally:
        await store.close()
    return path


async def _read(db: Path, incident_id: int) -> tuple[Any, list[Any]]:
    store = await open_store(db)
    try:
        return await store.incident(incident_id), await store.timeline(incident_id)
    finally:
        await store.close()


def _run_with_stdin(
    stdin: str, *args: str | Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        warroom_command(*args),
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_json(stdout: str) -> dict[str, Any]:
    [line] = stdout.splitlines()
    obj: dict[str, Any] = json.loads(line)
    return obj


# -- global options -----------------------------------------------------------------------


async def test_global_options_before_or_after_the_command(db: Path, env: dict[str, str]) -> None:
    before = run("--db", db, "incidents", "--json", env=env)
    after = run("incidents", "--json", "--db", db, env=env)
    assert (before.returncode, after.returncode) == (0, 0), before.stderr + after.stderr
    assert before.stdout == after.stdout and len(before.stdout.splitlines()) == 2
    # given before, not clobbered by the subcommand's own (absent) option
    shown = run("--db", db, "show", "2", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Incident #2: Checkout slow")
    demo = run("alerts", "--json", "--demo", env=env)
    assert demo.returncode == 0, demo.stderr
    assert {json.loads(line)["source"] for line in demo.stdout.splitlines()} == {"demo"}
    config = db.parent / "config.yaml"
    config.write_text(f"database: {db}\n")
    for args in (("--config", config, "show", "2"), ("show", "2", "--config", config)):
        result = run(*args, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Incident #2: Checkout slow")


# -- ack ----------------------------------------------------------------------------------


async def test_ack_records_the_sudo_user_and_refuses_what_is_done(
    db: Path, env: dict[str, str]
) -> None:
    result = run("--db", db, "ack", "2", "--json", env=env)
    assert result.returncode == 0, result.stderr
    obj = _one_json(result.stdout)
    assert (obj["action"], obj["done"], obj["actor"]) == ("acknowledge", True, "alice")
    assert set(obj["incident"]) == INCIDENT_KEYS
    assert obj["incident"]["status"] == "acknowledged"
    assert obj["incident"]["acknowledged_by"] == "alice"
    assert datetime.fromisoformat(obj["incident"]["acknowledged_at"]).utcoffset() == timedelta(0)
    incident, events = await _read(db, 2)
    assert (incident.status, incident.acknowledged_by) == (IncidentStatus.ACKNOWLEDGED, "alice")
    assert (events[-1].kind, events[-1].actor) == (EventKind.ACKNOWLEDGED, "alice")

    # several at once: #1 was acknowledged by carol, #9 does not exist; #2 is now alice's
    first, _ = await _read(db, 1)
    at = {i.id: i.acknowledged_at.astimezone(UTC).strftime("%H:%M UTC") for i in (first, incident)}
    again = run("--db", db, "ack", "1", "#2", "9", env={**env, "SUDO_USER": "bob"})
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.splitlines() == [
        f"warroom: incident #1 is already acknowledged by carol at {at[1]}",
        f"warroom: incident #2 is already acknowledged by alice at {at[2]}",
        "warroom: no incident #9",
    ]
    _, after = await _read(db, 1)
    assert [e.actor for e in after if e.kind is EventKind.ACKNOWLEDGED] == ["carol"]


async def test_ack_of_a_resolved_incident_says_reopen_first(db: Path, env: dict[str, str]) -> None:
    assert run("--db", db, "resolve", "2", env=env).returncode == 0
    result = run("--db", db, "ack", "2", env=env)
    assert result.returncode == 1
    assert "incident #2 is resolved by alice at " in result.stderr
    assert "`warroom reopen 2` first" in result.stderr


# -- resolve, reopen ----------------------------------------------------------------------


async def test_resolve_refuses_while_alerts_fire_unless_forced(
    db: Path, env: dict[str, str]
) -> None:
    refused = run("--db", db, "resolve", "1", "--json", env=env)
    assert refused.returncode == 1
    obj = _one_json(refused.stdout)
    assert (obj["action"], obj["done"]) == ("resolve", False)
    assert obj["still_firing"] == [{"alert": key(DISK), "name": "DiskFull"}]
    assert obj["incident"]["status"] == "acknowledged"
    assert "incident #1 has 1 alert(s) still firing: DiskFull" in refused.stderr
    assert "--force" in refused.stderr
    incident, events = await _read(db, 1)
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    assert EventKind.RESOLVED not in {e.kind for e in events}

    forced = run("--db", db, "resolve", "1", "--force", "--reason", "disk swapped", env=env)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == "Resolved incident #1\n"
    incident, events = await _read(db, 1)
    assert (incident.status, incident.resolved_by) == (IncidentStatus.RESOLVED, "alice")
    assert (events[-1].kind, events[-1].actor, events[-1].text) == (
        EventKind.RESOLVED,
        "alice",
        "Resolved with 1 alert(s) still firing (DiskFull): disk swapped",
    )
    # twice: refused, and says by whom
    again = run("--db", db, "resolve", "1", env=env)
    assert again.returncode == 1
    assert "incident #1 is already resolved by alice at " in again.stderr


async def test_reopen(db: Path, env: dict[str, str]) -> None:
    not_resolved = run("--db", db, "reopen", "2", env=env)
    assert not_resolved.returncode == 1
    assert not_resolved.stderr == "warroom: incident #2 is not resolved (open, not acknowledged)\n"
    assert run("--db", db, "resolve", "2", env=env).returncode == 0
    result = run("--db", db, "reopen", "2", "--json", env={**env, "SUDO_USER": "bob"})
    assert result.returncode == 0, result.stderr
    obj = _one_json(result.stdout)
    assert (obj["done"], obj["actor"], obj["incident"]["status"]) == (True, "bob", "open")
    _, events = await _read(db, 2)
    assert [(e.kind, e.actor) for e in events[-2:]] == [
        (EventKind.RESOLVED, "alice"),
        (EventKind.REOPENED, "bob"),
    ]


# -- note, impact -------------------------------------------------------------------------


async def test_note_from_arguments_and_from_stdin(db: Path, env: dict[str, str]) -> None:
    words = run("--db", db, "note", "2", "restarted", "the", "pool", env=env)
    assert words.returncode == 0, words.stderr
    assert words.stdout == "Note added to incident #2\n"
    piped = _run_with_stdin(
        "handover:\n db-3 is \x1b[2Jstill degraded\n",
        "--db",
        db,
        "note",
        "2",
        "-",
        "--json",
        env=env,
    )
    assert piped.returncode == 0, piped.stderr
    obj = _one_json(piped.stdout)
    assert (obj["action"], obj["done"], obj["incident"]["id"]) == ("note", True, 2)
    _, events = await _read(db, 2)
    notes = [(e.actor, e.text) for e in events if e.kind is EventKind.NOTE]
    # typed text keeps its lines, loses its control characters
    assert notes == [
        ("alice", "restarted the pool"),
        ("alice", "handover:\n db-3 is [2Jstill degraded"),
    ]
    assert obj["event_id"] == events[-1].id

    empty = run("--db", db, "note", "2", "   ", env=env)
    assert empty.returncode == 1
    assert empty.stderr == "warroom: an empty note says nothing\n"


async def test_impact(db: Path, env: dict[str, str]) -> None:
    result = run("--db", db, "impact", "2", "1", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert _one_json(result.stdout)["incident"]["impact"] == 1
    _, events = await _read(db, 2)
    assert (events[-1].kind, events[-1].actor, events[-1].data) == (
        EventKind.IMPACT,
        "alice",
        {"from": 4, "to": 1},
    )
    same = run("--db", db, "impact", "2", "1", env=env)
    assert same.returncode == 1
    assert same.stderr == "warroom: incident #2 already has impact 1 critical\n"
    bad = run("--db", db, "impact", "2", "6", env=env)
    assert bad.returncode == 2
    assert "invalid choice: 6" in bad.stderr


# -- declare ------------------------------------------------------------------------------


async def test_declare_refuses_an_alert_of_an_open_incident_unless_moved(
    db: Path, env: dict[str, str]
) -> None:
    args = ("--db", db, "declare", "--title", "DB host", "--impact", "2")
    refused = run(*args, "--alert", key(DISK), "--alert", key(DOWN), env=env)
    assert refused.returncode == 1
    first, _ = await _read(db, 1)
    at = first.acknowledged_at.astimezone(UTC).strftime("%H:%M UTC")
    assert refused.stderr == (
        f"warroom: alert {key(DISK)} (DiskFull) is in incident #1"
        f" (acknowledged by carol at {at}); --move declares anyway and moves it to the"
        " new incident\n"
    )
    assert (await _read(db, 3))[0] is None, "nothing declared"
    as_json = run(*args, "--alert", key(DISK), "--json", env=env)
    assert as_json.returncode == 1
    obj = _one_json(as_json.stdout)
    assert (obj["done"], obj["incident"]) == (False, None)
    [held] = obj["held_by"]
    assert held["alert"] == key(DISK)
    assert (held["incident"]["id"], held["incident"]["acknowledged_by"]) == (1, "carol")

    moved = run(*args, "--alert", key(DISK), "--alert", key(DOWN), "--move", "--json", env=env)
    assert moved.returncode == 0, moved.stderr
    obj = _one_json(moved.stdout)
    assert (obj["action"], obj["done"], obj["actor"]) == ("declare", True, "alice")
    incident = obj["incident"]
    assert (incident["id"], incident["title"], incident["impact"]) == (3, "DB host", 2)
    assert (incident["alert_count"], incident["created_by"]) == (2, "alice")
    _, old = await _read(db, 1)
    assert (old[-1].kind, old[-1].actor) == (EventKind.ALERT_MOVED, "alice")
    _, new = await _read(db, 3)
    assert [(e.kind, e.actor) for e in new] == [
        (EventKind.DECLARED, "alice"),
        (EventKind.ALERT_ADDED, "alice"),
    ]


async def test_declare_under_a_plan_and_refusals(db: Path, env: dict[str, str]) -> None:
    plans = db.parent / "plans"
    plans.mkdir()
    (plans / "web.yaml").write_text(
        "kind: response-plan\nname: web-down\nmatch: {alerts: 'alertname=\"SvcDown\"'}\n"
        'incident: {title: "Web down", impact: 2, dedupe: "web/{labels.instance}"}\n'
    )
    config = db.parent / "config.yaml"
    config.write_text(f"database: {db}\nplans: {plans}\n")
    base = ("declare", "--config", config, "--title", "Web", "--impact", "3")
    result = run(*base, "--plan", "web-down", "--alert", key(DOWN), "--json", env=env)
    assert result.returncode == 0, result.stderr
    incident = _one_json(result.stdout)["incident"]
    assert (incident["plan"], incident["dedupe_key"]) == ("web-down", "web/web-1")
    assert incident["summary"] == "SvcDown on web-1"

    unknown_plan = run(*base, "--plan", "nope", env=env)
    assert unknown_plan.returncode == 1
    assert "no plan named 'nope'" in unknown_plan.stderr
    unknown_alert = run(*base, "--alert", "am:0123456789abcdef", env=env)
    assert unknown_alert.returncode == 1
    assert "no such alert in the database: am:0123456789abcdef" in unknown_alert.stderr
    no_title = run("--db", db, "declare", "--impact", "3", env=env)
    assert no_title.returncode == 2
    assert "--title" in no_title.stderr
    bad_key = run(
        "--db", db, "declare", "--title", "x", "--impact", "3", "--alert", "nokey", env=env
    )
    assert bad_key.returncode == 2
    assert "not an alert (SOURCE:FINGERPRINT): 'nokey'" in bad_key.stderr


# -- show ---------------------------------------------------------------------------------


async def test_show_text_in_the_local_zone_and_json_in_utc(db: Path, env: dict[str, str]) -> None:
    store = await open_store(db)
    try:
        await Service(store, "mallory").add_note(1, "first line\nsecond \x1b]0;pwn\x07 line")
    finally:
        await store.close()
    incident, events = await _read(db, 1)

    text = run("--db", db, "show", "1", env={**env, "TZ": "Asia/Kolkata"})
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "\x1b" not in out and "\x07" not in out
    assert out.startswith("Incident #1: Disk full on db-1\n")
    # the child's zone, not this process's: India is UTC+05:30 all year
    kolkata = (incident.created_at + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    assert f"declared     {kolkata} IST by carol" in out, out
    assert "Alerts (1)\n" in out and key(DISK) in out and "DiskFull on db-1" in out
    assert f"Timeline ({len(events)})\n" in out
    lines = out.splitlines()
    note = next(i for i, line in enumerate(lines) if "mallory" in line)
    assert lines[note].endswith("note          first line")
    assert lines[note + 1] == "    second ␛]0;pwn␇ line"

    result = run("show", "1", "--json", "--db", db, env=env)
    assert result.returncode == 0, result.stderr
    obj = _one_json(result.stdout)
    assert set(obj) == {"incident", "alerts", "timeline"}
    assert set(obj["incident"]) == INCIDENT_KEYS
    assert obj["incident"]["acknowledged_by"] == "carol"
    [alert] = obj["alerts"]
    assert (alert["source"], alert["fingerprint"], alert["incident_id"]) == (
        "am",
        DISK.fingerprint,
        1,
    )
    assert alert["labels"] == dict(DISK.labels)
    assert [(e["kind"], e["actor"]) for e in obj["timeline"]] == [
        (e.kind.value, e.actor) for e in events
    ]
    assert obj["timeline"][-1]["text"] == "first line\nsecond \x1b]0;pwn\x07 line"
    for event in obj["timeline"]:
        assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(0)

    missing = run("--db", db, "show", "7", env=env)
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        "warroom: no incident #7\n",
    )


# -- errors: exit 2 -----------------------------------------------------------------------


async def test_database_and_config_errors_exit_2_and_create_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    typo = tmp_path / "typo.db"
    for args in (("show", "1"), ("ack", "1"), ("declare", "--title", "x", "--impact", "3")):
        result = run("--db", typo, *args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith(f"warroom: no database at {typo} (start `warroom`")
        assert "Traceback" not in result.stderr
    assert not typo.exists()
    broken = tmp_path / "config.yaml"
    broken.write_text("sources: [\n")
    result = run("ack", "1", "--config", broken, env=env)
    assert result.returncode == 2
    assert str(broken) in result.stderr and "Traceback" not in result.stderr
