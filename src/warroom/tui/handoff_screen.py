"""The shift hand-off in the console (`H`): the report `warroom handoff` prints,
for the last 12 hours, in a dialog that scrolls.

The same renderer as the command (model/handoff_text.py), so the two never disagree;
it makes every source's, plan's and responder's text terminal-safe, and the
dialog shows it as plain `Text`, never as markup.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp

# The shift `warroom handoff` assumes by default.
SHIFT = timedelta(hours=12)


class HandoffScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="handoff.close"),
    ]

    def __init__(self, report: str) -> None:
        super().__init__()
        self._report = report

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="handoff-scroll"):
            yield Static(Text(self._report, no_wrap=False), id="handoff-body")
            yield Label(Text("↑↓ pgup pgdn scroll · escape close", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#handoff-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


async def show_handoff(app: WarroomApp) -> None:
    """Read the shift from the store (in a worker: keys never wait on it), then open."""
    from warroom.engine.handoff import gather_handoff
    from warroom.model.handoff_text import render

    now = app.now()
    report = await gather_handoff(app.store, app.planset, now - SHIFT, now)
    await app.push_screen(HandoffScreen(render(report, markdown=False).rstrip("\n")))
    # no field to take focus: the keys typed meanwhile (escape, pgdn) are the dialog's
    await app.release_keys()
