"""`warroom analysis ID` over a scripted incident, run as a real process (issue 12 item 3).

A real SQLite file is seeded through the service with a fixed clock moved by
hand: an alert fires, the incident is declared with a plan's link, acknowledged,
noted (one note tries to forge a heading, a link and a table cell), a runbook is
run and confirmed, a silence made, the alert resolves, the incident is resolved;
then the analysis: events marked key, hidden and mitigation, questions answered,
action items added and changed, a chart snapshotted. The Markdown export must
match the golden file exactly (times in the responder's zone, New York); set
WARROOM_GOLDEN_UPDATE=1 to rewrite it after reading the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.alerts import alert as make
from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import AlertState, Impact, events
from warroom.model.analysis import ActionItem, ActionStatus, EventMark
from warroom.model.runbook_steps import Manual, Runbook, Step, StepKind
from warroom.model.series import Chart, Series
from warroom.model.value import replace
from warroom.store import open_store

GOLDEN = Path(__file__).parent / "golden" / "analysis.md"
T0 = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
BOOK = Runbook("restart-web", (Step("restart", StepKind.MANUAL, Manual("Restart web-1.")),))


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def to(self, minutes: float) -> None:
        self.at = T0 + timedelta(minutes=minutes)


@pytest.fixture
async def scripted(tmp_path: Path) -> dict[str, Any]:
    db = tmp_path / "shared.db"
    (tmp_path / "config.yaml").write_text(f"database: {db}\n")
    labels = {"instance": "web-1", "severity": "critical"}
    firing = make("HighErrorRate", source="am", starts_at=T0, labels=labels)
    resolved = replace(
        make("HighErrorRate", source="am", state=AlertState.RESOLVED, starts_at=T0, labels=labels),
        ends_at=T0 + timedelta(minutes=21),
    )
    store = await open_store(db)
    clock = Clock(T0)
    alice = Service(store, "alice", clock=clock, runbooks={"restart-web": BOOK})
    bob = Service(store, "bob", clock=clock, runbooks={"restart-web": BOOK})
    try:
        async with store.transaction(now=T0) as tx:
            await tx.apply_snapshot("am", [firing])
        clock.to(2)
        incident = await alice.declare_incident(
            [firing.key],
            "Checkout errors on web-1",
            Impact.HIGH,
            summary="Checkout returned 500s for 30 minutes after a bad config push.",
            links=[{"title": "Errors dashboard", "url": "https://grafana.example/d/errors"}],
        )
        clock.to(6)
        await bob.acknowledge(incident)
        clock.to(9)
        noise = await bob.add_note(incident, "looking")
        forged = await bob.add_note(
            incident, "# Root cause found [click](https://evil.example) | col"
        )
        clock.to(12)
        record = await bob.start_runbook(incident, "restart-web")
        clock.to(18)
        step = record.run.steps[0]
        await bob.signal_runbook(record.id, step.name, step.attempt, "confirm")
        restarted = await bob.add_note(incident, "restarted web-1; errors falling")
        clock.to(19)
        said = events.Silenced(
            "s-1", "am", events.keys([firing.key]), 'alertname="HighErrorRate"', comment="fixing"
        )
        async with store.transaction(now=clock.at) as tx:  # as engine/silences.py writes it
            await tx.record_silence(
                "am", "s-1", "manual", "bob", clock.at + timedelta(hours=2), incident, [firing.key]
            )
            await tx.add_event(incident, said.KIND, "bob", said.text, said.stored())
        clock.to(21)
        async with store.transaction(now=clock.at) as tx:
            await tx.apply_snapshot("am", [resolved])
        clock.to(32)
        await alice.resolve(incident, "config rolled back")
        # the analysis
        clock.to(60)
        await alice.analysis.mark(incident, noise, EventMark.HIDDEN)
        await alice.analysis.mark(incident, forged, EventMark.KEY)
        await alice.analysis.mark(incident, restarted, EventMark.MITIGATION)
        await alice.analysis.answer(
            incident,
            "detection",
            "The error-rate alert fired within 2 minutes.\n## Not a heading [x](y)",
        )
        await bob.analysis.answer(incident, "prevention", "Validate config before the push.")
        first = await alice.analysis.add_item(
            incident,
            ActionItem(
                "Lint the config in CI", "bob", date(2026, 3, 20), link="https://t.example/OPS-7"
            ),
        )
        await alice.analysis.add_item(incident, ActionItem("Alert on 5xx per instance"))
        clock.to(70)
        await bob.analysis.update_item(
            incident,
            first,
            ActionItem(
                "Lint the config in CI",
                "bob",
                date(2026, 3, 20),
                ActionStatus.DONE,
                "https://user:hunter2@t.example/OPS-7",
            ),
        )
        chart = Chart(
            "am:errors",
            "HighErrorRate",
            "rate(http_errors_total[5m])",
            "prom",
            T0 - timedelta(minutes=30),
            T0 + timedelta(minutes=45),
            (
                Series(
                    {"instance": "web-1"},
                    tuple(
                        (T0 + timedelta(minutes=m), v)
                        for m, v in ((-10, 0.1), (0, 5.0), (15, 7.5), (30, 0.2))
                    ),
                ),
            ),
            threshold=1.0,
            operator=">",
        )
        await alice.analysis.snapshot(incident, chart)
    finally:
        await store.close()
    env = {**clean_env(tmp_path), "TZ": "America/New_York"}
    return {"config": tmp_path / "config.yaml", "id": incident, "env": env}


def _analysis(scripted: dict[str, Any], *more: str) -> Any:
    return run(
        "--config", scripted["config"], "analysis", str(scripted["id"]), *more, env=scripted["env"]
    )


def test_the_markdown_export_matches_the_golden_file(scripted: dict[str, Any]) -> None:
    done = _analysis(scripted, "--markdown")
    assert done.returncode == 0, done.stderr
    if os.environ.get("WARROOM_GOLDEN_UPDATE"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(done.stdout)
    assert done.stdout == GOLDEN.read_text()
    # the forged heading and link are escaped text; the password never leaves the store
    assert "\n# Root" not in done.stdout and "[click](" not in done.stdout
    assert "hunter2" not in done.stdout


def test_the_json_export_is_utc_with_every_event_and_its_mark(scripted: dict[str, Any]) -> None:
    done = _analysis(scripted, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["incident"]["resolved_at"] == "2026-03-10T13:32:00+00:00"
    assert report["durations"] == {
        "time_to_acknowledge": 240.0,
        "time_to_mitigate": 960.0,
        "time_to_resolve": 1800.0,
        "mitigated_at": "2026-03-10T13:18:00+00:00",
        "mitigated_by": "mark",
    }
    marks = {e["text"]: e["mark"] for e in report["timeline"]}
    assert marks["looking"] == "hidden"  # hidden from the Markdown, kept here
    assert marks["restarted web-1; errors falling"] == "mitigation"
    assert not any(e["kind"].startswith("analysis") for e in report["timeline"])
    assert [q["id"] for q in report["questions"]] == [
        "detection", "diagnosis", "mitigation", "prevention"
    ]  # fmt: skip
    assert report["questions"][1]["answer"] is None
    assert [i["status"] for i in report["action_items"]] == ["done", "open"]
    assert report["action_items"][0]["link"] == "https://t.example/OPS-7"
    assert report["metrics"][0]["series"][0]["points"][0] == ["2026-03-10T12:50:00+00:00", 0.1]
    kinds = [r["kind"] for r in report["related_items"]]
    assert kinds == ["link", "runbook", "silence"]  # as `warroom related` lists them


def test_an_unknown_incident_is_one_line(scripted: dict[str, Any]) -> None:
    done = run("--config", scripted["config"], "analysis", "999", "--json", env=scripted["env"])
    assert done.returncode == 1
    assert done.stderr == "warroom: no incident #999\n"
