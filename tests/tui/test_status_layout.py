"""Status-bar changes lay the screen out only when a part's width changes (issue 9).

A layout repaints the whole screen; the three status changes of a console's
start-up (the first read, the lease won, the first poll) were three such
repaints the first alerts waited for, though no width had changed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.tui.conftest import Harness
from textual.widgets import Static

from warroom.model import LeaseInfo, SourceHealth
from warroom.tui.status import StatusBar


async def test_a_status_change_of_the_same_width_repaints_without_a_layout(
    console: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with console.start() as ui:
        bar = ui.app.query_one(StatusBar)
        now = ui.app.now()
        never = SourceHealth("demo", timedelta(seconds=5))
        bar.show([never], None, "me", "alice", now)  # "⚠ nobody polls"
        await ui.pilot.pause()
        laid_out: list[str] = []
        refresh = Static.refresh

        def spy(self: Static, *regions: Any, layout: bool = False, **kwargs: Any) -> Any:
            if layout and (self.id or "").startswith("status-"):
                laid_out.append(str(self.id))
            return refresh(self, *regions, layout=layout, **kwargs)

        monkeypatch.setattr(Static, "refresh", spy)
        polled = SourceHealth("demo", timedelta(seconds=5), last_success=now, last_attempt=now)
        lease = LeaseInfo("engine", "me", now + timedelta(seconds=10))
        bar.show([polled], lease, "me", "alice", now)  # "⟳ polling here": same width
        assert str(ui.app.query_one("#status-lease", Static).render()) == "⟳ polling here"
        assert laid_out == []
        bar.show([polled], lease, "me", "carol-the-responder", now)  # a wider name
        assert laid_out == ["status-user"]
