"""`e`'s question: who the next stage pages, and which stage to page.

`y` pages the next stage; a digit pages that stage of the plan (Incident
Manager's "engage stage N"); enter, escape and `n` page nobody. Enter is not a
yes: a key typed out of habit must not wake someone up.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from warroom.model.text import safe_text
from warroom.tui.dialogs import release_keys_after_refresh

NEXT = 0  # the answer for "the next stage"; a stage is its number from 1


class EscalateScreen(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(0)", "Next stage", id="escalate.next"),
        *[
            Binding(str(i), f"answer({i})", f"Stage {i}", show=False, id=f"escalate.stage{i}")
            for i in range(1, 10)
        ],
        Binding("escape,n,enter", "answer(None)", "Cancel", id="escalate.cancel"),
    ]

    def __init__(self, lines: list[str], stages: int) -> None:
        super().__init__()
        self._lines = lines
        self._stages = stages

    def compose(self) -> ComposeResult:
        choose = f" · 1-{self._stages} that stage" if self._stages > 1 else ""
        hint = f"y the next stage{choose} · enter/escape/n nobody"
        with Vertical(classes="dialog"):
            shown = "\n".join(safe_text(line, 500) for line in self._lines[:20])
            yield Static(Text(shown, style="bold"))
            yield Label(Text(hint, style="dim"))

    def on_mount(self) -> None:
        release_keys_after_refresh(self)

    def action_answer(self, stage: int | None) -> None:
        if stage is not None and stage > self._stages:
            self.notify(f"The plan has stages 1-{self._stages}.", severity="warning")
            return
        self.dismiss(stage)
