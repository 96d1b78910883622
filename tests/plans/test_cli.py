"""`warroom check` and `warroom simulate` as a responder runs them: real processes."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import clean_env, warroom

from warroom.model import Impact, IncidentStatus
from warroom.store import open_store

from .helpers import LOCATED, SHIPPED_PLANS, join_docs, locate, plan_doc, write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Nothing configured, all state under tmp_path."""
    return clean_env(tmp_path)


def config(tmp_path: Path, plans: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"plans: {plans}\nsources:\n  - name: demo\n    type: demo\n", encoding="utf-8")
    return path


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


DISK_CRITICAL = {
    "labels": {
        "alertname": "DiskFull",
        "severity": "critical",
        "cluster": "eu-1",
        "instance": "db-3:9100",
    },
    "annotations": {"summary": "97% used"},
}
DISK_WARNING = {
    "labels": {"alertname": "DiskAlmostFull", "severity": "warning", "cluster": "us-2"},
}
NOTHING = {"labels": {"alertname": "SomethingNobodyPlannedFor", "severity": "critical"}}
TARGET_DOWN = {"labels": {"alertname": "TargetDown", "job": "node"}}


# -- check --------------------------------------------------------------------------------------


def test_check_shipped_plans(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = config(tmp_path, SHIPPED_PLANS)
    result = warroom("--config", cfg, "check", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "0 error(s), 0 warning(s)" in result.stdout
    plans_section = result.stdout.split("plans, in the order")[1].split("on call now:")[0]
    listed = re.findall(r"^  (\S+) +(\S+)$", plans_section, re.MULTILINE)
    assert listed == [
        ("target-down", f"{SHIPPED_PLANS}/availability.yaml:4:1"),
        ("high-error-rate", f"{SHIPPED_PLANS}/availability.yaml:23:1"),
        ("disk-full", f"{SHIPPED_PLANS}/capacity.yaml:2:1"),
        ("queue-backlog", f"{SHIPPED_PLANS}/capacity.yaml:20:1"),
        ("cloudwatch-alarm", f"{SHIPPED_PLANS}/cloudwatch.yaml:2:1"),
        ("latency-slo", f"{SHIPPED_PLANS}/latency.yaml:1:1"),
    ]
    # the shipped schedules cover every hour: someone is on call whenever check runs
    on_call_now = re.findall(r"^  (\S+) +(.+)$", result.stdout.split("on call now:")[1], re.M)
    assert [name for name, _ in on_call_now] == ["primary", "secondary"]
    assert all(people != "nobody" for _, people in on_call_now)


def test_check_bad_plans_exits_1_with_located_errors(tmp_path: Path, env: dict[str, str]) -> None:
    plans = tmp_path / "plans"
    write(plans, "a.yaml", plan_doc("good"))
    b_text = join_docs(
        plan_doc("typo", extra="  impcat: 2\n"),
        plan_doc("fine"),
        plan_doc("tmpl").replace("{labels.instance}", "{labels.instance} {lables.job}"),
    )
    b = write(plans, "b.yaml", b_text)
    c_text = plan_doc("sourced").replace("match:\n", "match:\n  source: prometheus\n")
    c = write(plans, "c.yaml", c_text)
    d_text = plan_doc("good")
    d = write(plans, "d.yaml", d_text)  # a duplicate name
    cfg = config(tmp_path, plans)

    result = warroom("--config", cfg, "check", env=env)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    located = [line.split(": ", 1)[0] for line in lines]
    assert located == [
        f"{b}:{':'.join(map(str, locate(b_text, 'impcat')))}",
        f"{b}:{':'.join(map(str, locate(b_text, 'lables.job')))}",
        f"{c}:{':'.join(map(str, locate(c_text, 'prometheus')))}",
        f"{d}:{':'.join(map(str, locate(d_text, 'good')))}",  # at the name to change
    ]
    assert "unknown key 'impcat' in incident" in lines[0]
    assert "unknown template field {lables.job}" in lines[1]
    assert "no source named 'prometheus' in the config (known: demo)" in lines[2]
    first = ":".join(map(str, locate(plan_doc("good"), "good")))
    assert f"duplicate plan name 'good' (first at {plans / 'a.yaml'}:{first})" in lines[3]
    # the valid plans are still listed, in the order they are tried
    assert re.findall(r"^  (\S+) ", result.stdout, re.MULTILINE) == ["good", "fine"]
    assert "4 error(s)" in result.stdout


def test_check_warning_only_exits_0(tmp_path: Path, env: dict[str, str]) -> None:
    plans = tmp_path / "plans"
    a = write(plans, "a.yaml", plan_doc("first", "DiskFull"))
    b = write(plans, "b.yaml", plan_doc("second", "DiskFull"))
    result = warroom("--config", config(tmp_path, plans), "check", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {b}:1:1: plan 'second' overlaps 'first' ({a}:1:1);"
        " 'first' wins for alerts both match",
    ]


def test_check_yaml_syntax_error(tmp_path: Path, env: dict[str, str]) -> None:
    plans = tmp_path / "plans"
    bad = write(plans, "bad.yaml", "kind: response-plan\nname: x\n  oops: 1\n")
    result = warroom("--config", config(tmp_path, plans), "check", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:3:7: YAML syntax: mapping values are not allowed here"
    ]


def test_check_missing_plans_directory(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "no-such-plans"
    result = warroom("--config", config(tmp_path, missing), "check", env=env)
    assert result.returncode == 1
    assert f"{missing}: plans directory not found" in result.stderr


def test_check_bad_config(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"plans: {SHIPPED_PLANS}\nsourcez: []\n", encoding="utf-8")
    result = warroom("--config", cfg, "check", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{cfg}:2")
    assert "unknown key 'sourcez'" in result.stderr


# -- simulate ------------------------------------------------------------------------------------


def alerts_file(tmp_path: Path, payload: object, name: str = "alerts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def simulate(
    tmp_path: Path, env: dict[str, str], alerts: Path, *flags: str, plans: Path = SHIPPED_PLANS
) -> subprocess.CompletedProcess[str]:
    cfg = config(tmp_path, plans)
    return warroom(
        "--config", cfg, "--db", tmp_path / "sim.db", "simulate", alerts, *flags, env=env
    )


def test_simulate_json_disk_full(tmp_path: Path, env: dict[str, str]) -> None:
    result = simulate(tmp_path, env, alerts_file(tmp_path, DISK_CRITICAL), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (row,) = json_lines(result.stdout)
    pages = row.pop("pages")
    # the label the dry run needs is missing: refused before anything could run
    refusal = (
        "step 'dry-run', argument 1 ('{params.mountpoint}'): parameter 'mountpoint' has no value"
    )
    assert row == {
        "alert": "DiskFull",
        "plan": "disk-full",
        "title": "Disk filling on eu-1",
        "impact": int(Impact.MEDIUM),  # severity critical -> 3 in capacity.yaml
        "dedupe_key": "disk-full/eu-1",
        "outcome": "declares a new incident",
        "runbook": {
            "name": "disk-full-cleanup",
            "start": "auto",  # capacity.yaml starts it on declaring
            "commands": [
                {"step": "usage", "argv": ["df", "-h"]},
                {"step": "dry-run", "refused": refusal},
            ],
        },
    }
    # who is on call depends on the hour (follow-the-sun); the stages do not
    assert [(p["after"], p["stage"], p["target"]) for p in pages[:3]] == [
        ("0s", 1, "schedule:secondary"),
        ("0s", 1, "contact:ops-room"),
        ("10m", 2, "schedule:primary"),
    ]
    assert pages[1]["who"] == ["ops-room"]


HOSTILE = "$(touch /tmp/warroom-x); `id`"


def test_simulate_shows_each_command_steps_argv_with_hostile_labels_literal(
    tmp_path: Path, env: dict[str, str]
) -> None:
    hostile = {"labels": {**DISK_CRITICAL["labels"], "mountpoint": HOSTILE}}
    dashed = {"labels": {**DISK_CRITICAL["labels"], "mountpoint": "--delete"}}
    result = simulate(tmp_path, env, alerts_file(tmp_path, [hostile, dashed]), "--json")
    assert result.returncode == 0, result.stderr
    first, second = (row["runbook"]["commands"][1] for row in json_lines(result.stdout))
    assert first == {
        "step": "dry-run",
        "argv": [
            "find",
            HOSTILE,
            "-xdev",
            "-type",
            "f",
            "-size",
            "+100M",
            "-mtime",
            "+7",
            "-print",
        ],
    }
    assert second["refused"].endswith(
        "the value of parameter 'mountpoint' starts with '-', so the program would read it"
        " as an option"
    )
    table = simulate(tmp_path, env, alerts_file(tmp_path, [hostile, dashed])).stdout
    assert "ARGV" in table
    assert f"find '{HOSTILE}' -xdev" in table  # shown as one quoted argument
    assert "DiskFull: refused: step 'dry-run', argument 1" in table


def test_simulate_json_list(tmp_path: Path, env: dict[str, str]) -> None:
    payload = [DISK_CRITICAL, NOTHING, DISK_WARNING, TARGET_DOWN]
    result = simulate(tmp_path, env, alerts_file(tmp_path, payload), "--json")
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [(r["alert"], r["plan"]) for r in rows] == [
        ("DiskFull", "disk-full"),
        ("SomethingNobodyPlannedFor", None),
        ("DiskAlmostFull", "disk-full"),
        ("TargetDown", "target-down"),
    ]
    assert rows[1] == {
        "alert": "SomethingNobodyPlannedFor",
        "plan": None,
        "outcome": "unplanned: no plan matches",
    }
    assert rows[2]["impact"] == int(Impact.LOW)  # warning -> 4
    assert rows[2]["dedupe_key"] == "disk-full/us-2"
    # a missing label is a visible placeholder, not a crash
    assert rows[3]["title"] == "node target ‹labels.instance?› is down"
    assert rows[3]["dedupe_key"] == "target-down/node/‹labels.instance?›"
    assert rows[3]["impact"] == 4
    assert rows[3]["outcome"].startswith("declares a new incident once firing for 2m")
    # a runbook parameter the alert has no label for refuses the run, saying which
    assert rows[3]["runbook"]["refused"].startswith(
        "runbook 'target-down' needs a value for 'instance' (default {labels.instance})"
    )


def test_simulate_table(tmp_path: Path, env: dict[str, str]) -> None:
    payload = [DISK_CRITICAL, NOTHING]
    result = simulate(tmp_path, env, alerts_file(tmp_path, payload))
    assert result.returncode == 0, result.stderr
    table, paged, *_ = result.stdout.split("\n\n")  # then who is paged, then argv
    header, disk, nothing = table.splitlines()
    assert paged.splitlines()[0].split() == [
        "ALERT", "AFTER", "ENGAGEMENT", "STAGE", "TARGET", "PAGES"
    ]  # fmt: skip
    assert "DiskFull  0s     escalation-plan:storage" in paged
    assert header.split() == ["ALERT", "PLAN", "IMPACT", "DEDUPE", "KEY", "OUTCOME", "TITLE"]
    assert re.split(r"\s{2,}", disk) == [
        "DiskFull",
        "disk-full",
        "3",
        "disk-full/eu-1",
        "declares a new incident",
        "Disk filling on eu-1",
    ]
    assert re.split(r"\s{2,}", nothing) == [
        "SomethingNobodyPlannedFor",
        "-",
        "-",
        "-",
        "unplanned: no plan matches",
        "-",
    ]


def test_simulate_single_object_and_alertmanager_fields(
    tmp_path: Path, env: dict[str, str]
) -> None:
    alert = {
        **DISK_CRITICAL,
        "startsAt": "2026-01-01T12:00:00.123456789Z",
        "status": {"state": "active"},
        "fingerprint": "abc123",
        "generatorURL": "http://prom/graph",
    }
    result = simulate(tmp_path, env, alerts_file(tmp_path, alert), "--json")
    assert result.returncode == 0, result.stderr
    (row,) = json_lines(result.stdout)
    assert (row["plan"], row["dedupe_key"]) == ("disk-full", "disk-full/eu-1")


def test_simulate_joins_an_open_incident(tmp_path: Path, env: dict[str, str]) -> None:
    async def seed() -> int:
        store = await open_store(tmp_path / "sim.db")
        try:
            async with store.transaction() as tx:
                return await tx.create_incident(
                    "Disk filling on eu-1", Impact.MEDIUM, "test", dedupe_key="disk-full/eu-1"
                )
        finally:
            await store.close()

    incident_id = asyncio.run(seed())
    payload = [DISK_CRITICAL, {**DISK_WARNING, "labels": {**DISK_WARNING["labels"]}}]
    result = simulate(tmp_path, env, alerts_file(tmp_path, payload), "--json")
    assert result.returncode == 0, result.stderr
    first, second = json_lines(result.stdout)
    assert first["outcome"] == f"joins open incident #{incident_id}"
    assert second["outcome"] == "declares a new incident"  # us-2: another key


@pytest.mark.parametrize(("resolved_ago", "outcome"), [(10, "reopens"), (90, "declares")])
def test_simulate_predicts_a_reopen_within_reopen_within(
    tmp_path: Path, env: dict[str, str], resolved_ago: int, outcome: str
) -> None:
    """disk-full reopens an incident resolved within 1h; simulate used to say `declares`."""

    async def seed() -> int:
        store = await open_store(tmp_path / "sim.db")
        try:
            async with store.transaction() as tx:
                incident_id = await tx.create_incident(
                    "Disk filling on eu-1", Impact.MEDIUM, "test", dedupe_key="disk-full/eu-1"
                )
                await tx.update_incident(
                    incident_id,
                    status=IncidentStatus.RESOLVED,
                    resolved_at=datetime.now(UTC) - timedelta(minutes=resolved_ago),
                    resolved_by="test",
                )
            return incident_id
        finally:
            await store.close()

    incident_id = asyncio.run(seed())
    result = simulate(tmp_path, env, alerts_file(tmp_path, DISK_CRITICAL), "--json")
    assert result.returncode == 0, result.stderr
    (row,) = json_lines(result.stdout)
    assert (
        row["outcome"]
        == {
            "reopens": f"reopens resolved incident #{incident_id}",
            "declares": "declares a new incident",
        }[outcome]
    )


def test_simulate_with_bad_plans_still_simulates_the_good_ones(
    tmp_path: Path, env: dict[str, str]
) -> None:
    plans = tmp_path / "plans"
    write(plans, "a.yaml", plan_doc("disk", "DiskFull"))
    bad = write(plans, "b.yaml", plan_doc("broken", extra="  impact: 9\n"))
    result = simulate(tmp_path, env, alerts_file(tmp_path, DISK_CRITICAL), "--json", plans=plans)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{bad}:7:11: impact must be 1 to 5")
    (row,) = json_lines(result.stdout)
    assert (row["plan"], row["title"]) == ("disk", "db-3:9100 is unwell")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "Expecting property name", id="syntax"),
        pytest.param("", "Expecting value", id="empty"),
        pytest.param("42", "alert 0: expected an object, got int", id="number"),
        pytest.param('[{"annotations": {}}]', "alert 0: no labels", id="no-labels"),
        pytest.param('[{"labels": ["a"]}]', "alert 0: labels must be an object", id="labels-list"),
        pytest.param('[{"labels": {"a": [1]}}]', "alert 0: labels.a must be a string", id="label"),
        pytest.param(
            '[{"labels": {"alertname": "A"}, "startsAt": "yesterday"}]',
            "startsAt",
            id="bad-time",
        ),
    ],
)
def test_simulate_bad_file_is_a_clear_error(
    tmp_path: Path, env: dict[str, str], content: str, message: str
) -> None:
    path = tmp_path / "alerts.json"
    path.write_text(content, encoding="utf-8")
    result = simulate(tmp_path, env, path, "--json")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"warroom: {path}: ")
    assert message in result.stderr


def test_simulate_missing_file(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nope.json"
    result = simulate(tmp_path, env, missing)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"warroom: {missing}: ")
    assert "No such file" in result.stderr
