"""Engagement in the console: the Incident tab says who was paged and how it went,
and `e` shows who the next stage pages before paging anyone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from warroom.engine import Service
from warroom.engine.wiring import paging_of
from warroom.model import Impact
from warroom.model.value import replace
from warroom.plans import load_plans
from warroom.tui.escalate_dialog import EscalateScreen

PLANS = """\
kind: contact
name: alice
channels: [{{name: log, type: log, path: "{log}"}}]
---
kind: contact
name: bob
channels: [{{name: log, type: log, path: "{log}"}}]
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
  alerts: 'alertname="NeverInTheseTests"'
incident:
  title: "disk full"
engagements: [escalation-plan:disk-pages]
"""


async def _engaged(console, tmp_path: Path) -> int:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "disk.yaml").write_text(PLANS.format(log=tmp_path / "pages.log"))
    console.config = replace(console.config, plans=plans)
    paging = paging_of(load_plans(plans, {"demo"}))
    async with console.store() as store:
        service = Service(store, "bob", paging=paging)
        return await service.declare_incident([], "disk full", Impact.HIGH, plan="disk")


async def test_the_incident_tab_shows_the_engagement_and_each_page(console, tmp_path) -> None:
    incident_id = await _engaged(console, tmp_path)
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "disk-pages"), what="engaged")
        text = ui.static("#incident-engagement")
        assert "stage 1/2, active, next in 29m" in text or "next in 30m" in text
        assert "alice via log pending" in text


async def test_e_previews_who_the_next_stage_pages_and_only_y_pages(console, tmp_path) -> None:
    incident_id = await _engaged(console, tmp_path)
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "disk-pages"), what="engaged")
        await ui.press("e")
        await ui.wait_for(lambda: isinstance(ui.top_screen(), EscalateScreen), what="preview")
        question = ui.top_screen().query(Static).first()
        shown = str(question.render())
        assert "stage 2 of 2: pages bob (contact:bob)" in shown
        await ui.press("enter")  # typed out of habit: not a yes
        await ui.wait_for(lambda: not isinstance(ui.top_screen(), EscalateScreen), what="closed")
        async with console.store() as store:
            ((_, state),) = await store.engagements(incident_id)
        assert state.stage == 1
        await ui.press("e", "y")  # one burst: the y answers the preview
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "stage 2/2"), what="shown")
        assert "bob via log" in ui.static("#incident-engagement")


async def test_a_digit_pages_that_stage_of_the_plan(console, tmp_path) -> None:
    """`e2` in one burst: stage 2 (bob) now, skipping the wait; `e1` then pages alice
    again, in a new round, so her page is a new one and not swallowed as a repeat."""
    incident_id = await _engaged(console, tmp_path)
    async with console.start() as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "disk-pages"), what="engaged")
        await ui.press("e", "2")
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "stage 2/2"), what="stage 2")
        await ui.press("e", "1")
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "round 2"), what="again")
        async with console.store() as store:
            rows = await store.outbox(incident_id)
        assert [(r.target, r.key.split("/")[3]) for r in rows] == [
            ("alice", "l0"),
            ("bob", "l0"),
            ("alice", "l1"),
        ]


async def test_every_age_and_countdown_counts_from_the_runtime_clock(console, tmp_path) -> None:
    """A console given a clock (a test's, frozen) shows ages and countdowns from it,
    never from the wall: the first step to comparing screens cell for cell."""
    incident_id = await _engaged(console, tmp_path)
    async with console.store() as store:
        incident = await store.incident(incident_id)
    assert incident is not None
    later = incident.created_at + timedelta(minutes=17)
    async with console.start(clock=lambda: later) as ui:
        ui.app.open_incident(incident_id)
        await ui.wait_for(lambda: ui.shows("#incident-engagement", "disk-pages"), what="engaged")
        assert "for 17m" in ui.static("#incident-overview")
        assert "next in 13m" in ui.static("#incident-engagement")
        clock = later.strftime("%H:%M:%SZ")
        await ui.wait_for(lambda: clock in ui.screen(), what="the status bar's clock")
