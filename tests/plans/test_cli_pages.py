"""`warroom pages`, `warroom escalate` and `warroom ack` as a script runs them: real
processes on one database, pages written by the real `log` channel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom

from .helpers import write

PLANS = """\
kind: contact
name: alice
channels: [{{name: log, type: log, path: "{log}"}}]
---
kind: contact
name: bob
channels: [{{name: log, type: log, path: "{log}"}}]
engagement:
  - {{channel: log, after: 10m}}
---
kind: escalation-plan
name: disk-pages
stages:
  - duration: 30m
    targets: [{{contact: alice}}]
  - duration: 30m
    targets: [{{contact: bob}}]
---
kind: response-plan
name: disk
match:
  alerts: 'alertname="NeverFiresInTheDemo"'
incident:
  title: "disk full"
engagements: [escalation-plan:disk-pages]
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    log = tmp_path / "pages.log"
    write(tmp_path / "plans", "disk.yaml", PLANS.format(log=log))
    config = tmp_path / "config.yaml"
    config.write_text(
        f"plans: {tmp_path / 'plans'}\ndatabase: {tmp_path / 'w.db'}\n"
        "sources:\n  - {name: demo, type: demo}\n"
    )
    env = clean_env(tmp_path)
    created = warroom("--config", config, "engine", "--once", env=env)  # the database
    assert created.returncode == 0, created.stderr
    return config, env, log


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_declare_pages_stage_one_escalate_pages_stage_two_ack_cancels_the_rest(
    setup: tuple[Path, dict[str, str], Path],
) -> None:
    config, env, log = setup
    declared = warroom(
        "--config", config, "declare", "--title", "disk full", "--impact", "2", "--plan", "disk",
        env=env,
    )  # fmt: skip
    assert declared.returncode == 0, declared.stderr
    engine = warroom("--config", config, "engine", "--once", env=env)
    assert engine.returncode == 0, engine.stderr
    assert [json.loads(line)["action"] for line in log.read_text().splitlines()] == ["trigger"]

    escalated = warroom("--config", config, "escalate", "1", env=env)
    assert escalated.returncode == 0, escalated.stderr
    assert "Escalated incident #1 (escalation-plan:disk-pages) to the next stage" in (
        escalated.stdout
    )
    pages = _json_lines(warroom("--config", config, "pages", "1", "--json", env=env).stdout)
    (engaged,) = [p for p in pages if p["type"] == "engagement"]
    assert engaged["stages_paged"] == 2 and engaged["status"] == "active"
    bob = [p for p in pages if p["type"] == "page" and p["contact"] == "bob"]
    assert [p["state"] for p in bob] == ["pending"]  # due 10 minutes after he is engaged

    acked = warroom("--config", config, "ack", "1", env=env)
    assert acked.returncode == 0, acked.stderr
    pages = _json_lines(warroom("--config", config, "pages", "1", "--json", env=env).stdout)
    (engaged,) = [p for p in pages if p["type"] == "engagement"]
    assert engaged["status"] == "acknowledged"  # its next stage will not page
    states = {(p["contact"], p["action"]): p["state"] for p in pages if p["type"] == "page"}
    assert states[("bob", "trigger")] == "cancelled"
    assert states[("alice", "acknowledge")] == "pending"  # alice was paged: she is told
    assert ("bob", "acknowledge") not in states  # bob never was
    warroom("--config", config, "engine", "--once", env=env)
    actions = [json.loads(line)["action"] for line in log.read_text().splitlines()]
    assert actions == ["trigger", "acknowledge"]

    table = warroom("--config", config, "pages", env=env)
    assert table.returncode == 0
    assert "escalation-plan:disk-pages" in table.stdout and "cancelled" in table.stdout


def test_escalate_refuses_what_it_cannot_do_in_one_line(
    setup: tuple[Path, dict[str, str], Path],
) -> None:
    config, env, _ = setup
    plain = warroom(
        "--config", config, "declare", "--title", "no plan", "--impact", "3", env=env
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    nobody = warroom("--config", config, "escalate", "1", env=env)
    assert nobody.returncode == 1
    assert "incident #1 engages nobody" in nobody.stdout + nobody.stderr
    warroom(
        "--config", config, "declare", "--title", "disk", "--impact", "2", "--plan", "disk",
        env=env,
    )  # fmt: skip
    beyond = warroom("--config", config, "escalate", "2", "--stage", "5", env=env)
    assert beyond.returncode == 1
    assert "stage 5: the plan has stages 1..2" in beyond.stdout + beyond.stderr
    missing = warroom("--config", config, "pages", "9", env=env)
    assert missing.returncode == 1 and "no incident #9" in missing.stdout
    for done in (plain, nobody, beyond, missing):
        assert "Traceback" not in done.stderr


def test_simulate_says_who_is_paged_when_if_nobody_acknowledges(
    setup: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    config, env, log = setup
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps([{"labels": {"alertname": "NeverFiresInTheDemo"}}]))
    done = warroom("--config", config, "simulate", alerts, "--json", env=env)
    assert done.returncode == 0, done.stderr
    (outcome,) = _json_lines(done.stdout)
    pages = [(p["after"], p["stage"], p["target"], p["who"]) for p in outcome["pages"]]  # type: ignore[attr-defined]
    assert pages == [
        ("0s", 1, "contact:alice", ["alice"]),
        ("30m", 2, "contact:bob", ["bob"]),
        ("1h", 2, "every stage paged, nobody acknowledged", []),
    ]
    assert not log.exists()  # a dry run pages nobody
    table = warroom("--config", config, "simulate", alerts, env=env)
    assert "30m    escalation-plan:disk-pages  2      contact:bob" in table.stdout
