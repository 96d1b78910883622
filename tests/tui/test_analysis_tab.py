"""The Analysis tab (F10, issue 12 item 3): a resolved incident's analysis at 80x24,
marks and action items by keyboard, and keys typed in one breath landing in the
field the first of them opened."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.tui.readability import invisible_text
from tests.tui.test_snapshots import (
    NOW,
    _seed,
    colour_mode,
    compare,
    fresh_process,
    screen_bytes,
    settled_shot,
    utc,
)
from tests.tui.test_typeahead import burst

from warroom.engine import Service
from warroom.model import EventKind, Impact
from warroom.model.analysis import ActionItem, EventMark
from warroom.tui.analysis_view import AnalysisView
from warroom.tui.tabs import TABS

__all__ = ["fresh_process", "utc"]  # fixtures, used by name


async def _analysed(console, tmp_path: Path) -> int:
    """The snapshots' incident, resolved, with an answer, a mark and an action item."""
    incident = await _seed(console, tmp_path)
    async with console.store() as store:
        service = Service(store, "alice", clock=lambda: NOW - timedelta(minutes=2))
        await service.resolve(incident, "rolled back", force=True)
        note = next(e for e in await store.timeline(incident) if e.kind is EventKind.NOTE)
        await service.analysis.mark(incident, note.id, EventMark.MITIGATION)
        await service.analysis.answer(incident, "detection", "The 5xx alert fired in 1 minute.")
        await service.analysis.add_item(incident, ActionItem("Canary the deploy", "bob"))
    return incident


async def _on_tab(ui, incident: int) -> AnalysisView:
    ui.app.open_incident(incident, tab="analysis")
    view = await ui.wait_for(
        lambda: next(iter(ui.app.query(AnalysisView)), None), what="the Analysis tab"
    )
    await ui.wait_for(lambda: view.analysis is not None, what="the analysis loaded")
    view.table.focus()
    await ui.pilot.pause()
    return view


def test_ten_tabs_fit_80_columns() -> None:
    """One space before each label (warroom.tcss): the bar must not scroll."""
    assert len(TABS) == 10 and TABS["analysis"].key == "f10"
    assert sum(len(t.label) + 1 for t in TABS) <= 80


@pytest.mark.parametrize("mode", ["256", "16", "NO_COLOR"])
async def test_the_analysis_tab_at_80x24(
    fresh_process: bool, console, utc, monkeypatch, tmp_path: Path, mode: str
) -> None:
    if not fresh_process:
        return
    colour_mode(monkeypatch, mode)
    incident = await _analysed(console, tmp_path)
    system = "256" if mode == "256" else "standard"  # 16 colours: Rich's name
    async with console.start(size=(80, 24), clock=lambda: NOW) as ui:
        await _on_tab(ui, incident)

        def loaded() -> bool:
            text = screen_bytes(ui.app, system)[0]
            return "Canary the deploy" in text and "palette" in text

        await ui.wait_for(loaded, 5, "the analysis drawn, its footer too")
        shot = await settled_shot(ui, system)
        text, raw = shot
        assert not (invisible_text(ui.app) if mode == "16" else []), "unreadable in 16 colours"
    compare(f"analysis-resolved-{mode.lower()}", text, raw)


async def test_marks_and_items_by_keyboard(console, tmp_path: Path) -> None:
    incident = await _analysed(console, tmp_path)
    async with console.start() as ui:
        view = await _on_tab(ui, incident)
        rows = ui.rows("#analysis-table")
        declared = next(r for r in rows if r.startswith("event:"))
        view.table.move_cursor(row=rows.index(declared))
        await ui.press("k")

        async def marks() -> dict[int, EventMark]:
            return {m.event_id: m.mark for m in await ui.app.store.event_marks(incident)}

        await ui.wait_for(
            lambda: view.analysis is not None and int(declared[6:]) in view.analysis.marks,
            what="the event marked key",
        )
        assert (await marks())[int(declared[6:])] is EventMark.KEY
        item_row = next(r for r in ui.rows("#analysis-table") if r.startswith("item:"))
        view.table.move_cursor(row=ui.rows("#analysis-table").index(item_row))
        await ui.press("c")
        await ui.wait_for(
            lambda: view.analysis is not None and view.analysis.items[0].status.value == "done",
            what="the item done",
        )


async def test_plus_and_a_title_typed_in_one_breath_land_in_the_field(
    console, tmp_path: Path
) -> None:
    """`+5 canary k⏎` in one write: an action item titled `5 canary k`; the 5 sets no
    impact and the k marks nothing."""
    incident = await _analysed(console, tmp_path)
    async with console.start() as ui:
        view = await _on_tab(ui, incident)
        rows = ui.rows("#analysis-table")
        view.table.move_cursor(row=rows.index(next(r for r in rows if r.startswith("event:"))))
        await ui.pilot.pause()
        burst(ui.app, "+5 canary k\r")
        await ui.wait_for(
            lambda: view.analysis is not None and len(view.analysis.items) == 2,
            what="the second action item",
        )
        assert view.analysis is not None
        assert view.analysis.items[1].title == "5 canary k"
        found = await ui.app.store.incident(incident)
        assert found is not None and found.impact is Impact.HIGH
        marks = await ui.app.store.event_marks(incident)
        assert [m.mark for m in marks] == [EventMark.MITIGATION]


async def test_enter_on_a_question_opens_its_answer_and_owns_the_keys(
    console, tmp_path: Path
) -> None:
    incident = await _analysed(console, tmp_path)
    async with console.start() as ui:
        view = await _on_tab(ui, incident)
        rows = ui.rows("#analysis-table")
        view.table.move_cursor(row=rows.index("question:diagnosis"))
        await ui.pilot.pause()
        burst(ui.app, "\rk1 paged late\r")
        await ui.wait_for(
            lambda: view.analysis is not None and "diagnosis" in view.analysis.answers,
            what="the diagnosis answered",
        )
        assert view.analysis is not None
        assert view.analysis.answers["diagnosis"].answer == "k1 paged late"
        found = await ui.app.store.incident(incident)
        assert found is not None and found.impact is Impact.HIGH
