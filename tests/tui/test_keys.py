"""Every key of the Alerts tab (and the incident keys on the Incident tab), end to end:
a key press through Pilot, the real service and store, and what the screen then shows.
"""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from warroom.model import AlertKey, EventKind, Impact, IncidentStatus, Severity
from warroom.tui.dialogs import (
    AlertDetailScreen,
    ConfirmScreen,
    DeclareScreen,
    HelpScreen,
    PromptScreen,
)


def alert_key(fingerprint: str) -> AlertKey:
    return AlertKey("demo", fingerprint)


async def seed_three(console, *, incident_on: tuple[str, ...] = ()) -> int | None:
    """disk (critical), cpu (warning, newer), cert (info): rows in that order."""
    await console.seed(
        [
            console.alert("disk", "DiskFull", Severity.CRITICAL, minutes_ago=30),
            console.alert(
                "cpu", "CpuHigh", Severity.WARNING, minutes_ago=5, labels={"team": "payments"}
            ),
            console.alert("cert", "CertExpiry", Severity.INFO, minutes_ago=60),
        ]
    )
    if incident_on:
        return await console.declare(list(incident_on), "Disk trouble", Impact.MEDIUM)
    return None


# -- a: acknowledge -----------------------------------------------------------------------


async def test_a_on_alert_without_incident_acknowledges_it_and_logs_to_console_log(console):
    await seed_three(console)
    async with console.start() as ui:
        assert ui.rows() == [console.key("disk"), console.key("cpu"), console.key("cert")]
        await ui.cursor_to(console.key("cpu"))
        await ui.press("a")

        async def acked():
            [tracked] = await ui.app.store.alerts_by_key([alert_key("cpu")])
            return tracked if tracked.acknowledged_by else None

        tracked = await ui.wait_for(acked, what="cpu acknowledged")
        assert tracked.acknowledged_by == console.ACTOR
        assert tracked.incident_id is None
        others = await ui.app.store.alerts_by_key([alert_key("disk"), alert_key("cert")])
        assert all(t.acknowledged_by is None for t in others)

        log = await ui.app.store.timeline(None)
        assert [(e.kind, e.actor) for e in log] == [(EventKind.ALERT_ACKNOWLEDGED, "alice")]
        assert log[0].data["alerts"] == [console.key("cpu")]
        assert await ui.app.store.incidents(include_resolved=True) == []

        await ui.wait_for(lambda: "acked" in ui.cell_texts(console.key("cpu"))[5])
        # the cursor stays on the alert it acted on
        assert ui.table.cursor_key == console.key("cpu")

        # a second `a` records nothing twice
        await ui.press("a")
        await ui.pilot.pause(0.3)
        assert len(await ui.app.store.timeline(None)) == 1


async def test_a_on_alert_in_incident_acknowledges_the_incident(console):
    incident_id = await seed_three(console, incident_on=("disk",))
    async with console.start() as ui:
        assert ui.cell_texts(console.key("disk"))[6].startswith(f"#{incident_id} ")
        await ui.cursor_to(console.key("disk"))
        await ui.press("a")

        async def acknowledged():
            incident = await ui.app.store.incident(incident_id)
            return incident if incident.status is IncidentStatus.ACKNOWLEDGED else None

        incident = await ui.wait_for(acknowledged, what="incident acknowledged")
        assert incident.acknowledged_by == "alice"
        events = await ui.app.store.timeline(incident_id)
        assert (events[-1].kind, events[-1].actor) == (EventKind.ACKNOWLEDGED, "alice")
        # nothing went to the console log: the incident took the acknowledgement
        assert await ui.app.store.timeline(None) == []

        await ui.press("a")
        await ui.pilot.pause(0.3)
        acks = [
            e for e in await ui.app.store.timeline(incident_id) if e.kind is EventKind.ACKNOWLEDGED
        ]
        assert len(acks) == 1


# -- r: resolve ---------------------------------------------------------------------------


async def test_r_resolves_the_incident_of_the_alert(console):
    incident_id = await seed_three(console, incident_on=("disk",))
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("r")
        # its alert still fires: the console asks, and y resolves anyway
        await ui.wait_for(lambda: isinstance(ui.app.screen, ConfirmScreen), what="asked")
        await ui.press("y")

        async def resolved():
            incident = await ui.app.store.incident(incident_id)
            return incident if incident.status is IncidentStatus.RESOLVED else None

        incident = await ui.wait_for(resolved, what="incident resolved")
        assert incident.resolved_by == "alice"
        events = await ui.app.store.timeline(incident_id)
        assert (events[-1].kind, events[-1].actor) == (EventKind.RESOLVED, "alice")

        # o reopens it, from the same alert
        await ui.press("o")

        async def reopened():
            incident = await ui.app.store.incident(incident_id)
            return incident if incident.status is IncidentStatus.OPEN else None

        await ui.wait_for(reopened, what="incident reopened")
        events = await ui.app.store.timeline(incident_id)
        assert (events[-1].kind, events[-1].actor) == (EventKind.REOPENED, "alice")


async def test_a_on_alert_of_a_resolved_incident_says_the_incident_is_resolved(console):
    incident_id = await seed_three(console, incident_on=("disk",))
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("r")
        await ui.wait_for(lambda: isinstance(ui.app.screen, ConfirmScreen), what="asked")
        await ui.press("y")

        async def resolved():
            incident = await ui.app.store.incident(incident_id)
            return incident.status is IncidentStatus.RESOLVED

        await ui.wait_for(resolved)
        before = len(ui.notifications())
        await ui.press("a")
        await ui.wait_for(lambda: len(ui.notifications()) > before, what="a notification")
        said = " ".join(ui.notifications()[before:])
        assert "Already acknowledged" not in said
        assert "resolved" in said


async def test_r_on_alert_without_incident_changes_nothing_and_says_why(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("r")
        await ui.wait_for(
            lambda: any("resolve at their source" in n for n in ui.notifications()),
            what="a warning notification",
        )
        assert await ui.app.store.incidents(include_resolved=True) == []
        assert await ui.app.store.timeline(None) == []
        assert ui.rows() == [console.key("disk"), console.key("cpu"), console.key("cert")]


# -- n: note ------------------------------------------------------------------------------


async def test_n_adds_notes_that_show_on_the_incident_timeline_newest_last(console):
    incident_id = await seed_three(console, incident_on=("disk",))
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        for text in ("pod restarted", "rolled back"):
            await ui.press("n")
            assert isinstance(ui.app.screen, PromptScreen)
            assert ui.app.screen.query_one("#prompt", Input).has_focus
            await ui.pilot.press(*text)
            await ui.press("enter")
            await ui.wait_for(lambda t=text: _has_note(ui, incident_id, t), what=f"note {text!r}")
            assert not isinstance(ui.app.screen, PromptScreen)

        notes = [e for e in await ui.app.store.timeline(incident_id) if e.kind is EventKind.NOTE]
        assert [(e.text, e.actor) for e in notes] == [
            ("pod restarted", "alice"),
            ("rolled back", "alice"),
        ]

        # open the incident (enter), then its Timeline (t)
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident")
        await ui.press("t")
        await ui.wait_for(lambda: ui.active_tab == "timeline")
        await ui.wait_for(lambda: "rolled back" in ui.static("#timeline-body"))
        assert f"incident #{incident_id}" in ui.static("#timeline-title")
        body = ui.static("#timeline-body").rstrip("\n").splitlines()
        assert body[-1].strip() == "rolled back"
        assert body.index("    pod restarted") < body.index("    rolled back")
        # and on screen, at the bottom of the timeline
        assert "rolled back" in ui.screen()


async def _has_note(ui, incident_id, text) -> bool:
    return any(
        e.kind is EventKind.NOTE and e.text == text
        for e in await ui.app.store.timeline(incident_id)
    )


async def test_n_on_alert_without_incident_goes_to_console_log_and_escape_cancels(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("n")
        assert isinstance(ui.app.screen, PromptScreen)
        await ui.pilot.press(*"nah")
        await ui.press("escape")
        assert not isinstance(ui.top_screen(), PromptScreen)
        await ui.pilot.pause(0.3)
        assert await ui.app.store.timeline(None) == []

        await ui.press("n")
        await ui.pilot.press(*"benign")
        await ui.press("enter")
        await ui.wait_for(lambda: _has_note(ui, None, "benign"))
        [event] = await ui.app.store.timeline(None)
        assert event.actor == "alice"


# -- i: declare ---------------------------------------------------------------------------


async def test_i_declares_an_incident_from_the_alert_and_shows_it(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("i")
        assert isinstance(ui.app.screen, DeclareScreen)
        # prefilled so that enter alone declares: title from the summary, impact
        # from the severity (critical -> 2 high)
        assert ui.app.screen.query_one("#title", Input).value == "DiskFull summary"
        assert ui.app.screen.query_one("#impact", Input).value == "2"
        await ui.press("enter")

        incidents = await ui.wait_for(ui.app.store.incidents, what="an incident")
        [incident] = incidents
        assert (incident.title, incident.impact, incident.created_by) == (
            "DiskFull summary",
            Impact.HIGH,
            "alice",
        )
        attached = await ui.app.store.incident_alerts(incident.id)
        assert [str(t.key) for t in attached] == [console.key("disk")]
        events = await ui.app.store.timeline(incident.id)
        assert [(e.kind, e.actor) for e in events] == [
            (EventKind.DECLARED, "alice"),
            (EventKind.ALERT_ADDED, "alice"),
        ]

        # the Incident tab shows it
        await ui.wait_for(lambda: ui.active_tab == "incident")
        assert ui.app.current_incident == incident.id
        await ui.wait_for(
            lambda: f"#{incident.id} DiskFull summary" in ui.static("#incident-overview")
        )
        assert "2 high" in ui.static("#incident-overview")
        assert ui.rows("#incident-alerts") == [console.key("disk")]
        assert f"#{incident.id} DiskFull summary" in ui.screen()

        # and the Alerts tab marks the alert as part of it
        await ui.press("f1")
        await ui.wait_for(
            lambda: ui.cell_texts(console.key("disk"))[6].startswith(f"#{incident.id} ")
        )


async def test_i_dialog_takes_an_edited_title_and_impact(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("i")
        await ui.press("ctrl+u")  # clear the prefilled title
        await ui.pilot.press(*"Payments degraded")
        await ui.press("tab")
        assert ui.app.screen.query_one("#impact", Input).has_focus
        await ui.press("backspace", "1")
        await ui.press("enter")
        [incident] = await ui.wait_for(ui.app.store.incidents)
        assert (incident.title, incident.impact) == ("Payments degraded", Impact.CRITICAL)


async def test_i_dialog_escape_declares_nothing(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.press("i")
        assert isinstance(ui.app.screen, DeclareScreen)
        await ui.press("escape")
        assert not isinstance(ui.top_screen(), DeclareScreen)
        await ui.pilot.pause(0.3)
        assert await ui.app.store.incidents(include_resolved=True) == []
        assert ui.active_tab == "alerts"


# -- 1..5: impact -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
async def test_number_keys_set_impact_and_timeline_records_it(console, value):
    incident_id = await seed_three(console, incident_on=("disk",))  # declared at 3 medium
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press(str(value))

        if value == 3:
            await ui.pilot.pause(0.3)
            events = await ui.app.store.timeline(incident_id)
            assert not [e for e in events if e.kind is EventKind.IMPACT]
            return

        async def changed():
            incident = await ui.app.store.incident(incident_id)
            return incident if incident.impact == value else None

        await ui.wait_for(changed, what=f"impact {value}")
        [event] = [
            e for e in await ui.app.store.timeline(incident_id) if e.kind is EventKind.IMPACT
        ]
        assert event.actor == "alice"
        assert event.data == {"from": 3, "to": value}
        assert event.text == f"Impact 3 medium → {Impact(value).label}"


async def test_impact_key_on_the_incident_tab(console):
    incident_id = await seed_three(console, incident_on=("disk",))
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident")
        await ui.press("1")

        async def critical():
            return (await ui.app.store.incident(incident_id)).impact is Impact.CRITICAL

        await ui.wait_for(critical)
        await ui.wait_for(lambda: "1 critical" in ui.static("#incident-overview"))
        await ui.wait_for(lambda: "Impact 3 medium → 1 critical" in ui.static("#incident-events"))


async def test_impact_key_on_alert_without_incident_changes_nothing(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("1")
        await ui.wait_for(lambda: any("No incident here" in n for n in ui.notifications()))
        assert await ui.app.store.incidents(include_resolved=True) == []


# -- space: bulk selection ----------------------------------------------------------------


async def test_space_selects_two_alerts_and_i_attaches_both(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("space")
        # marked, and the cursor moved on so space-space-space selects a run
        assert ui.cell_texts(console.key("disk"))[0] == "●"
        assert ui.table.cursor_key == console.key("cpu")
        await ui.press("space")
        assert ui.cell_texts(console.key("cpu"))[0] == "●"
        assert ui.cell_texts(console.key("cert"))[0] == " "

        await ui.press("i")
        assert isinstance(ui.app.screen, DeclareScreen)
        assert "from 2 alert(s)" in ui.screen()
        await ui.press("enter")
        [incident] = await ui.wait_for(ui.app.store.incidents)
        attached = {str(t.key) for t in await ui.app.store.incident_alerts(incident.id)}
        assert attached == {console.key("disk"), console.key("cpu")}
        assert incident.alert_count == 2
        assert incident.title.endswith("(2 alerts)")
        # the worst severity picks the default impact (critical -> 2 high)
        assert incident.impact is Impact.HIGH

        await ui.press("f1")
        await ui.wait_for(lambda: ui.active_tab == "alerts")
        # the selection is spent
        assert [ui.cell_texts(k)[0] for k in ui.rows()] == [" ", " ", " "]


async def test_space_toggles_and_escape_clears_the_selection(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("disk"))
        await ui.press("space", "space")
        assert [ui.cell_texts(k)[0] for k in ui.rows()] == ["●", "●", " "]
        await ui.press("up", "space")  # unselect cpu again
        assert [ui.cell_texts(k)[0] for k in ui.rows()] == ["●", " ", " "]
        await ui.press("escape")
        assert [ui.cell_texts(k)[0] for k in ui.rows()] == [" ", " ", " "]


async def test_space_selection_then_a_acknowledges_every_selected_alert(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("space", "space")  # cpu, cert
        await ui.press("a")
        # more than one target: a preview says what will be touched, enter applies
        assert isinstance(ui.app.screen, ConfirmScreen)
        assert "Acknowledge 2 alert(s): 2 on their own" in ui.screen()
        await ui.press("enter")

        async def both():
            tracked = await ui.app.store.alerts_by_key([alert_key("cpu"), alert_key("cert")])
            return all(t.acknowledged_by == "alice" for t in tracked)

        await ui.wait_for(both)
        [disk] = await ui.app.store.alerts_by_key([alert_key("disk")])
        assert disk.acknowledged_by is None
        [event] = await ui.app.store.timeline(None)
        assert sorted(event.data["alerts"]) == sorted([console.key("cpu"), console.key("cert")])


# -- /: filter ----------------------------------------------------------------------------


async def test_slash_filters_by_free_text_and_escape_clears(console):
    await seed_three(console)
    async with console.start() as ui:
        everything = ui.rows()
        await ui.press("slash")
        field = ui.app.query_one("#alerts-filter", Input)
        assert field.display and field.has_focus

        await ui.pilot.press(*"cpuh")  # case-insensitive, on the name
        await ui.wait_for(lambda: ui.rows() == [console.key("cpu")])
        # keys typed into the filter are text, not actions
        assert await ui.app.store.timeline(None) == []

        await ui.press("escape")
        assert ui.rows() == everything
        assert not field.display
        assert field.value == ""
        assert ui.table.has_focus


async def test_slash_filter_matches_label_value_and_enter_keeps_it(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.press("slash")
        await ui.pilot.press(*"team=payments")
        await ui.press("enter")
        assert ui.rows() == [console.key("cpu")]
        assert ui.table.has_focus
        assert ui.table.cursor_key == console.key("cpu")
        # keys now act on what the filter left
        await ui.press("a")

        async def acked():
            [cpu] = await ui.app.store.alerts_by_key([alert_key("cpu")])
            return cpu.acknowledged_by == "alice"

        await ui.wait_for(acked)


async def test_slash_filter_with_no_match_shows_no_rows_and_keys_do_nothing(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.press("slash")
        await ui.pilot.press(*"nothing-like-this")
        await ui.press("enter")
        assert ui.rows() == []
        assert ui.table.cursor_key is None
        await ui.press("a", "i", "enter")
        await ui.pilot.pause(0.2)
        assert ui.app.screen.id == "_default"
        assert await ui.app.store.timeline(None) == []
        assert await ui.app.store.incidents() == []


async def test_keys_do_not_act_on_selected_alerts_the_filter_hides(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("space")
        await ui.press("slash", *"certexp", "enter")
        assert ui.rows() == [console.key("cert")]
        assert ui.table.cursor_key == console.key("cert")
        await ui.press("a")
        await ui.pilot.pause(0.3)
        cpu, cert = await ui.app.store.alerts_by_key([alert_key("cpu"), alert_key("cert")])
        assert cpu.acknowledged_by is None
        assert cert.acknowledged_by == "alice"


async def test_escape_on_the_table_clears_an_applied_filter(console):
    await seed_three(console)
    async with console.start() as ui:
        everything = ui.rows()
        await ui.press("slash")
        await ui.pilot.press(*"cpu")
        await ui.press("enter")
        assert ui.rows() == [console.key("cpu")]
        assert ui.table.has_focus
        await ui.press("escape")
        assert ui.rows() == everything


# -- enter: open --------------------------------------------------------------------------


async def test_enter_on_alert_in_incident_opens_the_incident_tab(console):
    incident_id = await seed_three(console, incident_on=("cpu",))
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("enter")
        await ui.wait_for(lambda: ui.active_tab == "incident")
        assert ui.app.current_incident == incident_id
        await ui.wait_for(lambda: f"#{incident_id} Disk trouble" in ui.static("#incident-overview"))
        assert "declared" in ui.static("#incident-overview")
        assert "by bob" in ui.static("#incident-overview")
        assert ui.rows("#incident-alerts") == [console.key("cpu")]


async def test_enter_on_alert_without_incident_shows_alert_detail(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cpu"))
        await ui.press("enter")
        assert isinstance(ui.app.screen, AlertDetailScreen)
        text = ui.screen()
        assert "CpuHigh" in text
        assert "team = payments" in text
        assert "summary = CpuHigh summary" in text
        assert ui.active_tab == "alerts"
        await ui.press("escape")
        assert not isinstance(ui.top_screen(), AlertDetailScreen)
        assert ui.table.has_focus


# -- ?: help, ctrl+p: palette, ctrl+q: quit -----------------------------------------------


async def test_question_mark_opens_help_listing_the_keys(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.press("question_mark")
        assert isinstance(ui.app.screen, HelpScreen)
        lines = [" ".join(line.split()) for line in ui.static("HelpScreen Static").splitlines()]
        # keys as typed (`/`, not `slash`), each with its full description
        for row in (
            "a acknowledge the incident (or the alert, when it has no incident)",
            "r resolve the incident",
            "n add a note to the incident's timeline (or the console log)",
            "1 set impact: 1 critical",
            "5 set impact: 5 no impact",
            "i declare an incident from the selected alerts",
            "space select the alert under the cursor for a bulk action",
            '/ filter: Alertmanager matchers and free text, e.g. alertname=~"Disk.*" db-3',
            "⏎ open the alert's incident, or the alert's details",
            "? every key of this tab",
            "^q quit the console (the engine lease passes to another process)",
            "^p Open the command palette",
        ):
            assert row in lines, row
        # it is longer than 80x24 allows: the dialog scrolls with the keyboard
        assert "set impact: 1 critical" in ui.screen()
        await ui.press("end")
        await ui.wait_for(lambda: "command palette" in ui.screen(), what="help scrolled")
        await ui.press("escape")
        assert not isinstance(ui.app.screen, HelpScreen)


async def test_help_rows_all_have_human_descriptions(console):
    async with console.start() as ui:
        await ui.press("question_mark")
        text = ui.static("HelpScreen Static")
        assert "help_quit" not in text
        assert "_" not in "".join(line.split()[-1] for line in text.splitlines() if line.strip())


async def test_ctrl_p_palette_lists_actions_and_runs_declare(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.cursor_to(console.key("cert"))
        await ui.press("ctrl+p")
        await ui.wait_for(lambda: isinstance(ui.app.screen, CommandPalette))

        def prompts() -> list[str]:
            options = ui.app.screen.query_one(CommandList).options
            return [str(o.prompt) for o in options]

        await ui.wait_for(lambda: any("Ack" in p for p in prompts()), what="palette commands")
        listed = "\n".join(prompts())
        for title in ("Ack", "Declare", "Filter", "Go to Incidents", "Help"):
            assert title in listed, title

        await ui.pilot.press(*"Declare")
        await ui.wait_for(lambda: prompts() and "Declare" in prompts()[0])
        await ui.press("enter")
        await ui.wait_for(lambda: isinstance(ui.app.screen, DeclareScreen), what="declare")
        await ui.press("enter")
        [incident] = await ui.wait_for(ui.app.store.incidents)
        attached = await ui.app.store.incident_alerts(incident.id)
        assert [str(t.key) for t in attached] == [console.key("cert")]


async def test_ctrl_q_quits_and_releases_the_lease(console):
    async with console.start(run_engine=True) as ui:

        async def polling():
            lease = await ui.app.store.lease()
            return lease is not None and lease.holder == ui.app.identity

        await ui.wait_for(polling, what="the engine lease")
        await ui.pilot.press("ctrl+q")
        await ui.wait_for(lambda: not ui.app.is_running, what="the app to exit")
    assert ui.app.return_code == 0
    async with console.store() as store:
        from warroom.model.clock import utcnow

        lease = await store.lease()
        assert lease is None or not lease.is_live(utcnow())


async def test_ctrl_q_quits_even_from_a_dialog(console):
    await seed_three(console)
    async with console.start() as ui:
        await ui.press("n")
        assert isinstance(ui.app.screen, PromptScreen)
        await ui.pilot.press("ctrl+q")
        await ui.wait_for(lambda: not ui.app.is_running, what="the app to exit")
    assert ui.app.return_code == 0


# -- every tab fills the screen ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "view", "header"),
    [
        ("f1", "alerts", "SUMMARY"),
        ("f2", "incidents", "IMPACT"),
        ("f4", "timeline", "Console log"),
        ("f5", "silences", "ENDS IN"),
        ("f6", "sources", "HEALTH"),
    ],
)
async def test_every_tab_is_drawn_over_the_whole_pane(console, key, view, header):
    """A view the stylesheet forgot got no height: a blank tab in a real terminal,
    while its table still held every row."""
    async with console.start() as ui:
        await ui.press(key)
        pane = await ui.wait_for(lambda: next(iter(ui.app.query(f"#view-{view}")), None), what=view)
        await ui.wait_for(lambda: header in ui.screen(), what=f"{header!r} on screen")
        width, height = ui.app.size
        # tabs and their underline above; status line, its margin and the footer below
        assert pane.region.height >= height - 5
        assert pane.region.width == width
