"""Typed timeline events (issue #9 item 2): wording, versioned data, old rows, no secrets."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import clean_env, warroom

from warroom.cli.records import event_record
from warroom.engine import Service
from warroom.engine.timeline import append
from warroom.model import EventKind, Impact, TimelineEvent
from warroom.model import events as ev
from warroom.model.clock import utcnow
from warroom.model.secret import Secret
from warroom.store import Store, open_store
from warroom.tui.incident_view import declared_links, event_line
from warroom.tui.timeline_view import timeline_lines

A, B = "am/f1", "am/f2"

# every kind, each wording it has, every field away from its default somewhere
SAMPLES: list[tuple[ev.Event, str]] = [
    (
        ev.Declared(
            Impact.HIGH, (A, B), "disk-full", "disk/c1", (ev.Link("Disk", "https://g/d"),), True
        ),
        "Declared by plan disk-full with impact 2 high",
    ),
    (ev.Declared(Impact.LOW, plan="disk-full"), "Declared under plan disk-full with impact 4 low"),
    (ev.Declared(Impact.NO_IMPACT), "Declared with impact 5 no impact"),
    (ev.AlertsAdded((A,), ("DiskFull",), "disk-full"), "1 alert(s) joined: DiskFull"),
    (ev.AlertsAdded((A, B)), "2 alert(s) attached"),
    (ev.AlertsMoved((A, B), 4), "2 alert(s) moved to incident #4"),
    (ev.Acknowledged(), "Acknowledged"),
    (
        ev.Resolved("freed 40 GB", (A,), ("DiskFull",)),
        "Resolved with 1 alert(s) still firing (DiskFull): freed 40 GB",
    ),
    (
        ev.Resolved("", (A, B), tuple(f"N{i}" for i in range(7))),
        "Resolved with 2 alert(s) still firing (N0, N1, N2, N3, N4 and 2 more)",
    ),
    (ev.Resolved(plan="disk-full"), "Resolved: all its alerts resolved (plan disk-full)"),
    (
        ev.Reopened("disk-full", (A,), ("DiskFull",), timedelta(minutes=30), "alice"),
        "Reopened by plan disk-full: DiskFull fired again within 30m; alice had acknowledged it",
    ),
    (ev.Reopened(), "Reopened"),
    (ev.ImpactChanged(Impact.LOW, Impact.CRITICAL), "Impact 4 low → 1 critical"),
    (ev.Edited("title", "disk", "disk full"), "Title: 'disk' → 'disk full'"),
    (ev.Merged((A,), into=3, title="Storage"), "Merged into #3 (Storage); 1 alert(s) moved there"),
    (ev.Merged((A, B), merged_from=7, title="Disk"), "#7 (Disk) merged in; 2 alert(s) joined"),
    (ev.Note("checked du -sh /var\nnothing big"), "checked du -sh /var\nnothing big"),
    (ev.AlertsAcknowledged((A, B)), "Acknowledged 2 alert(s)"),
    (
        ev.Silenced("s1", "am", (A,), 'alertname="X"', until_resolved=True, alert_name="X"),
        "Silenced X on am until resolved",
    ),
    (
        ev.Silenced("s2", "am", (A, B), 'a="b"', until_resolved=True),
        "Silenced 2 alerts on am until resolved",
    ),
    (
        ev.Silenced("s3", "am", (A,), 'a="b"', duration=timedelta(hours=2), comment="maint"),
        'Silenced on am for 2h: a="b" — maint',
    ),
    (
        ev.SilenceExpired("s1", "am", (A,), alert_resolved=True),
        "Alert resolved; expired the silence of its acknowledgement",
    ),
    (ev.SilenceExpired("s2", "am"), "Expired silence s2 on am"),
    (ev.Engaged("escalation-plan:storage", 2), "Engaged escalation-plan:storage (2 stages)"),
    (
        ev.Paged("contact:bob", 0, 1, "contact:bob", ("bob",), 2),
        "Paged bob (contact:bob, stage 1 (round 2) of contact:bob) on 2 channels",
    ),
    (
        ev.EscalationSaid("p", 2, 0, "nobody to page (schedule:x): skipped"),
        "p, stage 3: nobody to page (schedule:x): skipped",
    ),
    (ev.Escalated("p", 0, to_stage=2), "Escalated p to stage 3 (was at stage 1)"),
    (ev.PageFailed("bob", "page", "404"), "Page to bob via page failed (trigger): 404"),
    (
        ev.PageFailed("bob", "room", "reset", possible_repeat=True),
        "Page to bob via room may have been sent twice: reset",
    ),
    (
        ev.OverrideAdded(
            3,
            "primary",
            "2026-11-26T15:00:00+00:00",
            "2026-11-26T17:00:00+00:00",
            "alice",
            "bob",
            "alice is flying",
        ),
        "bob takes primary from alice, 2026-11-26 15:00 → 17:00 UTC (override #3): alice is flying",
    ),
    (
        ev.OverrideAdded(
            4, "primary", "2026-11-26T15:00:00+00:00", "2026-11-27T09:00:00+00:00", "alice"
        ),
        "alice off primary, 2026-11-26 15:00 → 2026-11-27 09:00 UTC (override #4)",
    ),
    (
        ev.OverrideAdded(
            5, "primary", "2026-11-26T15:00:00+00:00", "2026-11-26T16:00:00+00:00", with_="carol"
        ),
        "carol joins primary on call, 2026-11-26 15:00 → 16:00 UTC (override #5)",
    ),
    (
        ev.OverrideCancelled(
            3, "primary", "2026-11-26T15:00:00+00:00", "2026-11-26T17:00:00+00:00", None, "bob"
        ),
        "Cancelled override #3 of primary (bob added, 2026-11-26 15:00 → 17:00 UTC)",
    ),
    (
        ev.RunbookStarted(4, "restart-api", 3, ("unit=api", "host=db1")),
        "Started runbook restart-api (run #4, 3 steps) with unit=api, host=db1",
    ),
    (
        ev.RunbookStepStarted(4, "restart-api", "restart", 2),
        "Runbook restart-api: step restart started (attempt 2)",
    ),
    (
        ev.RunbookStepResult(4, "restart-api", "restart", 1, "failed", exit_code=3, excerpt="boom"),
        "Runbook restart-api: step restart failed: exited 3",
    ),
    (
        ev.RunbookStepResult(4, "restart-api", "check", 1, "succeeded", status=204),
        "Runbook restart-api: step check succeeded: answered 204",
    ),
    (
        ev.RunbookConfirmed(4, "restart-api", "look", 1),
        "Runbook restart-api: step look confirmed done",
    ),
    (ev.RunbookApproved(4, "restart-api", "ok", 1), "Runbook restart-api: step ok approved"),
    (
        ev.RunbookRejected(4, "restart-api", "ok", 1, "not now"),
        "Runbook restart-api: step ok rejected: not now",
    ),
    (ev.RunbookSkipped(4, "restart-api", "look", 2), "Runbook restart-api: step look skipped"),
    (
        ev.RunbookRetried(4, "restart-api", "restart", 1),
        "Runbook restart-api: step restart retried",
    ),
    (
        ev.RunbookCancelled(4, "restart-api", "wrong host"),
        "Cancelled runbook restart-api (run #4): wrong host",
    ),
    (
        ev.AnalysisAnswered("detection", "an alert on p99"),
        "Analysis: answered detection: an alert on p99",
    ),
    (ev.AnalysisAnswered("prevention"), "Analysis: answered prevention (cleared)"),
    (ev.AnalysisMarked(12, "key"), "Analysis: event 12 marked key"),
    (ev.AnalysisMarked(12, "none"), "Analysis: event 12 unmarked"),
    (ev.ActionItemChanged(3, "Alert on disk growth"), "Action item 3 added: Alert on disk growth"),
    (
        ev.ActionItemChanged(3, "Alert on disk growth", ("owner", "status"), "done"),
        "Action item 3 changed owner, status (now done): Alert on disk growth",
    ),
    (ev.MetricsSnapshotTaken(2, "Disk used", 40), "Metrics snapshot 2: Disk used (40 points)"),
]


def test_every_kind_has_one_class_and_a_sample() -> None:
    assert set(ev.KINDS) == set(EventKind)
    assert {type(sample) for sample, _ in SAMPLES} == set(ev.KINDS.values())


@pytest.mark.parametrize(("event", "text"), SAMPLES, ids=lambda v: type(v).__name__)
def test_wording(event: ev.Event, text: str) -> None:
    assert event.text == text


async def test_every_kind_round_trips_through_the_store(store: Store) -> None:
    async with store.transaction() as tx:
        incident_id = await tx.create_incident("Disk", Impact.HIGH, "alice")
        for event, _ in SAMPLES:
            await append(tx, incident_id, "alice", event)
    stored = await store.timeline(incident_id)
    assert len(stored) == len(SAMPLES)
    for row, (event, text) in zip(stored, SAMPLES, strict=True):
        assert (row.kind, row.actor, row.text, row.version) == (event.KIND, "alice", text, 1)
        assert ev.read(row) == event
        # what an export writes is what the store holds: versioned, readable JSON
        exported = json.loads(json.dumps(event_record(row)))
        assert exported["data"] == event.stored() and exported["data"]["v"] == 1
        assert ev.KINDS[event.KIND].parse(exported["data"], exported["text"]) == event


# Rows as the code before typed events wrote them (copied from its call sites):
# no version, each writer's own keys. They must display and parse.
LEGACY: list[tuple[EventKind, str, dict[str, Any], ev.Event]] = [
    (
        EventKind.DECLARED,
        "Declared with impact 2 high",
        {"alerts": [A], "impact": 2, "plan": None, "links": []},
        ev.Declared(Impact.HIGH, (A,)),
    ),
    (
        EventKind.DECLARED,
        "Declared by plan disk-full with impact 3 medium",
        {
            "plan": "disk-full",
            "dedupe_key": "disk/c1",
            "alerts": [A],
            "links": [{"title": "Disk", "url": "https://g/d"}],
        },
        ev.Declared(None, (A,), "disk-full", "disk/c1", (ev.Link("Disk", "https://g/d"),)),
    ),
    (EventKind.ALERT_ADDED, "1 alert(s) attached", {"alerts": [A]}, ev.AlertsAdded((A,))),
    (
        EventKind.ALERT_ADDED,
        "1 alert(s) joined: DiskFull",
        {"plan": "disk-full", "alerts": [A]},
        ev.AlertsAdded((A,), plan="disk-full"),
    ),
    (
        EventKind.ALERT_MOVED,
        "1 alert(s) moved to incident #4",
        {"alerts": [A], "to": 4},
        ev.AlertsMoved((A,), 4),
    ),
    (EventKind.ACKNOWLEDGED, "Acknowledged", {}, ev.Acknowledged()),
    (
        EventKind.RESOLVED,
        "Resolved with 1 alert(s) still firing (DiskFull): fixed",
        {"still_firing": [A]},
        ev.Resolved(still_firing=(A,)),
    ),
    (
        EventKind.RESOLVED,
        "Resolved: all its alerts resolved (plan disk-full)",
        {"plan": "disk-full"},
        ev.Resolved(plan="disk-full"),
    ),
    (
        EventKind.REOPENED,
        "Reopened by plan disk-full: DiskFull fired again within 0:30:00",
        {"plan": "disk-full", "alerts": [A]},
        ev.Reopened("disk-full", (A,)),
    ),
    (
        EventKind.IMPACT,
        "Impact 4 low → 1 critical",
        {"from": 4, "to": 1},
        ev.ImpactChanged(Impact.LOW, Impact.CRITICAL),
    ),
    (
        EventKind.EDITED,
        "Title: 'a' → 'b'",
        {"field": "title", "from": "a", "to": "b"},
        ev.Edited("title", "a", "b"),
    ),
    (
        EventKind.MERGED,
        "Merged into #3 (Storage); 1 alert(s) moved there",
        {"into": 3, "alerts": [A]},
        ev.Merged((A,), into=3),
    ),
    (
        EventKind.MERGED,
        "#7 (Disk) merged in; 1 alert(s) joined",
        {"from": 7, "alerts": [A]},
        ev.Merged((A,), merged_from=7),
    ),
    (EventKind.NOTE, "handing over to bob", {}, ev.Note("handing over to bob")),
    (
        EventKind.ALERT_ACKNOWLEDGED,
        "Acknowledged 1 alert(s)",
        {"alerts": [A]},
        ev.AlertsAcknowledged((A,)),
    ),
    (
        EventKind.SILENCED,
        "Silenced DiskFull on am until resolved",
        {"silence_id": "s1", "source": "am", "alerts": [A], "matchers": 'a="b"'},
        ev.Silenced("s1", "am", (A,), 'a="b"'),
    ),
    (
        EventKind.SILENCE_EXPIRED,
        "Expired silence s2 on am",
        {"silence_id": "s2", "source": "am"},
        ev.SilenceExpired("s2", "am"),
    ),
    (
        EventKind.SILENCE_EXPIRED,
        "Alert resolved; expired the silence of its acknowledgement",
        {"silence_id": "s1", "alerts": [A]},
        ev.SilenceExpired("s1", alerts=(A,)),
    ),
]


async def _legacy_db(path: Path) -> int:
    store = await open_store(path)
    try:
        async with store.transaction() as tx:
            incident_id = await tx.create_incident("Disk", Impact.HIGH, "alice")
            for kind, text, data, _ in LEGACY:
                await tx.add_event(incident_id, kind, "alice", text, data or None)
        return incident_id
    finally:
        await store.close()


async def test_rows_written_before_versions_still_read_and_display(tmp_path: Path) -> None:
    incident_id = await _legacy_db(tmp_path / "w.db")
    store = await open_store(tmp_path / "w.db", read_only=True)
    try:
        rows = await store.timeline(incident_id)
    finally:
        await store.close()
    assert [(r.kind, r.text, dict(r.data), r.version) for r in rows] == [
        (kind, text, data, 0) for kind, text, data, _ in LEGACY
    ]
    assert [ev.read(r) for r in rows] == [typed for *_, typed in LEGACY]
    # the screens show the words stored with them
    shown = "\n".join(line.plain for line in timeline_lines(rows))
    for _, text, _, _ in LEGACY:
        assert text.splitlines()[0] in shown
        assert text in event_line(next(r for r in rows if r.text == text)).plain
    assert [event_record(r)["data"] for r in rows] == [data for _, _, data, _ in LEGACY]
    # an old declaration kept its links, an old one without them is said to predate them
    assert declared_links(rows) == []
    assert declared_links(rows[1:]) == [{"title": "Disk", "url": "https://g/d"}]
    no_links = TimelineEvent(1, 1, rows[0].at, EventKind.DECLARED, "a", "Declared", {"alerts": []})
    assert declared_links([no_links]) is None


async def test_old_rows_show_from_the_cli(tmp_path: Path) -> None:
    incident_id = await _legacy_db(tmp_path / "w.db")
    env = clean_env(tmp_path)
    shown = warroom("--db", tmp_path / "w.db", "show", str(incident_id), env=env)
    assert shown.returncode == 0, shown.stderr
    for _, text, _, _ in LEGACY:
        assert text in shown.stdout
    as_json = warroom("--db", tmp_path / "w.db", "show", str(incident_id), "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    timeline = json.loads(as_json.stdout)["timeline"]
    assert [e["data"] for e in timeline] == [data for _, _, data, _ in LEGACY]


def test_a_newer_shape_is_refused_by_name() -> None:
    row = TimelineEvent(1, 1, utcnow(), EventKind.IMPACT, "a", "Impact", {"from": 4}, version=2)
    with pytest.raises(ev.EventUnreadable, match="version 2, newer"):
        ev.read(row)
    broken = TimelineEvent(1, 1, utcnow(), EventKind.IMPACT, "a", "Impact", {"from": "x", "to": 1})
    with pytest.raises(ev.EventUnreadable, match=r"impact\.from: 'x'"):
        ev.read(broken)
    missing = TimelineEvent(1, 1, utcnow(), EventKind.ALERT_MOVED, "a", "moved", {"alerts": []})
    with pytest.raises(ev.EventUnreadable, match="without 'to'"):
        ev.read(missing)


# -- secrets ------------------------------------------------------------------------------

SECRET = "s3cr3t-planted-7f1c"


@pytest.mark.parametrize(
    "event",
    [
        ev.Note(Secret(SECRET)),  # type: ignore[arg-type]
        ev.Resolved(reason=Secret("${TOKEN}")),  # type: ignore[arg-type]
        ev.Silenced("s1", "am", comment=Secret(SECRET)),  # type: ignore[arg-type]
        ev.Declared(Impact.LOW, links=(ev.Link("x", Secret(SECRET)),)),  # type: ignore[arg-type]
        ev.Edited("title", "a", Secret(SECRET)),  # type: ignore[arg-type]
    ],
    ids=["note", "reason", "comment", "link", "edit"],
)
def test_a_secret_is_refused_before_it_is_written(event: ev.Event) -> None:
    with pytest.raises(TypeError, match="a secret never goes to the timeline"):
        event.stored()


async def test_a_password_in_a_link_never_reaches_the_database(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "w.db")
    try:
        link = {"title": "Grafana", "url": f"https://bot:{SECRET}@grafana.example/d/disk"}
        incident_id = await Service(store, "alice").declare_incident(
            [], "Disk", Impact.LOW, plan="disk-full", links=[link]
        )
        (declared,) = await store.timeline(incident_id)
        assert declared_links([declared]) == [
            {"title": "Grafana", "url": "https://grafana.example/d/disk"}
        ]
    finally:
        await store.close()
    assert _files_holding(tmp_path, SECRET) == []


def _files_holding(directory: Path, text: str) -> list[Path]:
    """The database, its WAL and anything else beside it."""
    return [p for p in directory.iterdir() if text.encode() in p.read_bytes()]
