"""`warroom runbook start|show|signal` (issue 11 item 3): real processes on a real SQLite
file; refusals are one line (exit 1, or 2 for input that cannot mean anything), never a
traceback, and hostile text in a run is shown inert."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.support.alerts import alert
from tests.support.cli import clean_env, warroom

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.clock import utcnow
from warroom.store import open_store

from .helpers import write

PLANS = """\
kind: runbook
name: disk
parameters:
  - name: instance
    default: "{labels.instance}"
steps:
  - name: look
    kind: manual
    instructions: look at {params.instance}
  - name: ok
    kind: approve
    message: go?
  - name: usage
    kind: command
    argv: [df, -h]
"""

HOSTILE = "db-3\x1b[2J\x1b]52;c;cHduZWQ=\x07[bold]x[/bold]"


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        write(tmp_path / "plans", "runbooks.yaml", PLANS)
        self.db = tmp_path / "shared.db"
        self.config = tmp_path / "config.yaml"
        self.config.write_text(f"database: {self.db}\nplans: {tmp_path / 'plans'}\n")
        self.env = clean_env(tmp_path)
        self.incident = asyncio.run(_incident(self.db))

    def run(self, *args: str, as_user: str = "alice") -> tuple[int, str, str]:
        done = warroom("--config", self.config, *args, env={**self.env, "SUDO_USER": as_user})
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, done.stdout, done.stderr


async def _incident(path: Path) -> int:
    store = await open_store(path)
    try:
        firing = alert(
            "DiskAlmostFull", source="am", starts_at=utcnow(), labels={"instance": HOSTILE}
        )
        async with store.transaction() as tx:
            await tx.apply_snapshot("am", [firing])
        return await Service(store, "alice").declare_incident([firing.key], "disk", Impact.HIGH)
    finally:
        await store.close()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_start_confirm_approve_and_show(setup: Setup) -> None:
    code, out, err = setup.run("runbook", "start", str(setup.incident), "disk", "--json")
    assert code == 0, err
    started = json.loads(out)
    run_id = started["run"]["id"]
    assert started["done"] is True and started["run"]["parameters"] == {"instance": HOSTILE}
    assert started["run"]["current"] == "look" and started["run"]["status"] == "waiting"

    code, out, err = setup.run("runbook", "signal", str(run_id), "look", "confirm", as_user="bob")
    assert code == 0, err
    assert out.startswith(f"confirm: run #{run_id} of runbook disk on incident #{setup.incident}")
    # a second console confirming the same step: one line saying who did, exit 1
    code, out, err = setup.run("runbook", "signal", str(run_id), "look", "confirm")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "already confirmed by bob" in err
    # the starter may not approve
    code, _, err = setup.run("runbook", "signal", f"#{run_id}", "ok", "approve")
    assert code == 1 and "alice started this run and cannot approve" in err
    code, out, err = setup.run("runbook", "signal", str(run_id), "ok", "approve", as_user="carol")
    assert code == 0, err

    code, out, err = setup.run("runbook", "show", str(run_id))
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "␛[2J" in out  # the escape shown as text, not obeyed
    rows = {line.split()[0]: line.split()[1:4] for line in out.splitlines() if line.strip()}
    assert rows["look"] == ["manual", "succeeded", "1"] and "confirmed by bob" in out
    assert rows["usage"] == ["command", "pending", "-"]
    assert "approved by carol" in out

    code, out, err = setup.run("runbook", "show", str(run_id), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert [s["state"] for s in shown["steps"]] == ["succeeded", "succeeded", "pending"]
    assert shown["version"] == 3 and shown["started_by"] == "alice"


def test_bad_input_is_one_line_and_exit_2(setup: Setup) -> None:
    incident = str(setup.incident)
    for args, said in (
        (("runbook", "start", incident, "nope"), "no runbook named 'nope' (known: disk)"),
        (("runbook", "start", incident, "disk", "--param", "colour"), "give it as NAME=VALUE"),
        (("runbook", "start", incident, "disk", "--param", "x=1"), "has no parameter 'x'"),
        (("runbook", "start", "99", "disk"), "no incident #99"),
        (("runbook", "signal", "7", "look", "confirm"), "no runbook run #7"),
    ):
        code, out, err = setup.run(*args)
        assert (code, out, err.count("\n")) == (2, "", 1), (args, err)
        assert said in err, (args, err)
    code, out, err = setup.run("runbook", "start", incident, "disk", "--param", "instance=db-4")
    assert code == 0, err
    run_id = out.split("#", 2)[1].split()[0]
    code, _, err = setup.run("runbook", "signal", run_id, "nope", "confirm")
    assert code == 2 and "has no step 'nope'" in err
    code, _, err = setup.run("runbook", "show", "42")
    assert code == 1 and err == "warroom: no runbook run #42\n"
    code, _, err = setup.run("runbook", "signal", run_id, "look", "launch")
    assert code == 2 and "invalid choice: 'launch'" in err


AUTO_PLAN = """\
kind: response-plan
name: disk-full
match: {alerts: 'alertname="DiskFull"'}
incident: {title: "Disk full on {labels.instance}", impact: 3, dedupe: "disk/{labels.cluster}"}
runbook: {name: disk, start: auto}
"""


async def _stored(path: Path) -> str:
    store = await open_store(path)
    try:
        firing = alert("DiskFull", source="am", starts_at=utcnow(), labels={"instance": "db-7"})
        async with store.transaction() as tx:
            await tx.apply_snapshot("am", [firing])
        return f"am:{firing.fingerprint}"
    finally:
        await store.close()


async def _runs(path: Path, incident_id: int) -> list[tuple[str, str, dict[str, str | None]]]:
    store = await open_store(path)
    try:
        records = await store.runbook_runs(incident_id)
        return [(r.name, r.started_by, dict(r.run.parameters)) for r in records]
    finally:
        await store.close()


def test_declare_under_a_plan_with_an_auto_runbook_starts_it(setup: Setup, tmp_path: Path) -> None:
    """`warroom declare --plan` starts the plan's `start: auto` runbook as triage would."""
    write(tmp_path / "plans", "plan.yaml", AUTO_PLAN)
    key = asyncio.run(_stored(setup.db))
    code, out, err = setup.run(
        "declare", "--title", "disk", "--impact", "3", "--plan", "disk-full", "--alert", key,
        "--json",
    )  # fmt: skip
    assert code == 0, err
    incident_id = json.loads(out)["incident"]["id"]
    assert asyncio.run(_runs(setup.db, incident_id)) == [("disk", "alice", {"instance": "db-7"})]
    code, out, err = setup.run("declare", "--title", "ad hoc", "--impact", "3", "--json")
    assert code == 0, err
    assert asyncio.run(_runs(setup.db, json.loads(out)["incident"]["id"])) == []
