"""The Analysis tab's status line fits 80 columns (issue 12): a draft of incident
#12345 whose durations run to days, mitigated when its first alert ended, says every
part without being cut."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from tests.tui.test_analysis_tab import _analysed, _on_tab

from warroom.model.analysis import Durations
from warroom.model.value import replace


@pytest.mark.parametrize(
    ("by", "says"),
    [("first alert resolved", "alert ended"), ("mark", "marked"), ("resolved", "at resolve")],
)
async def test_the_status_line_fits_80_columns(
    console, tmp_path: Path, by: str, says: str
) -> None:
    incident = await _analysed(console, tmp_path)
    async with console.start(size=(80, 24)) as ui:
        view = await _on_tab(ui, incident)
        a = view.analysis
        assert a is not None
        long = timedelta(days=3, hours=1, minutes=23)
        view.analysis = replace(
            a,
            incident=replace(a.incident, id=12345, resolved_at=None),
            durations=Durations(long, long, long, a.incident.created_at + long, by),
        )
        line = view._status().plain
    assert line == f"#12345 draft · ack 3d1h23m · mitigated 3d1h23m ({says}) · resolved 3d1h23m"
    assert cell_len(line) <= 80
