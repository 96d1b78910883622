"""Modal dialogs. Enter accepts, Escape cancels, everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from warroom.model import Impact, TrackedAlert
from warroom.model.clock import format_local
from warroom.model.text import safe_text


def _input(value: str = "", **kwargs: object) -> Input:
    field = Input(value=value, **kwargs)  # type: ignore[arg-type]
    field.cursor_blink = False  # a blinking cursor costs bytes every half second over SSH
    return field


class PromptScreen(ModalScreen[str | None]):
    """One line of text, e.g. a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder
        self._value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._title, style="bold"))
            yield _input(self._value, placeholder=self._placeholder, id="prompt")
            yield Label(Text("enter save · escape cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DeclareScreen(ModalScreen[tuple[str, Impact] | None]):
    """Title and impact for a new incident, prefilled so Enter alone declares it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, title: str, impact: Impact, alert_count: int) -> None:
        super().__init__()
        self._title = title
        self._impact = impact
        self._count = alert_count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Declare an incident from {self._count} alert(s)", style="bold"))
            yield Label("Title")
            yield _input(self._title, id="title", max_length=200)
            yield Label("Impact (1 critical … 5 no impact)")
            yield _input(str(int(self._impact)), id="impact", restrict=r"[1-5]?", max_length=1)
            yield Label(Text("enter declare · tab next field · escape cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        title = self.query_one("#title", Input).value.strip()
        impact_text = self.query_one("#impact", Input).value.strip()
        if not title:
            self.notify("An incident needs a title.", severity="warning")
            return
        impact = Impact(int(impact_text)) if impact_text else self._impact
        self.dismiss((title, impact))

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", show=False, id="help.close2"),
    ]

    def __init__(self, sections: Iterable[tuple[str, Iterable[tuple[str, str]]]]) -> None:
        super().__init__()
        self._sections = list(sections)

    def compose(self) -> ComposeResult:
        text = Text()
        for title, rows in self._sections:
            text.append(f"{title}\n", style="bold underline")
            for key, description in rows:
                text.append(f"  {key:<12}", style="bold")
                text.append(f"{description}\n")
            text.append("\n")
        text.append("ctrl+p opens the command palette with every action.", style="dim")
        with VerticalScroll(classes="dialog wide"):
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)


class AlertDetailScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="detail.close")]

    def __init__(self, tracked: TrackedAlert) -> None:
        super().__init__()
        self._tracked = tracked

    def compose(self) -> ComposeResult:
        alert = self._tracked.alert
        text = Text()
        text.append(safe_text(alert.name), style="bold")
        text.append(f"  {alert.severity.value} · {alert.state.value} · {alert.source}\n")
        text.append(f"since {format_local(alert.starts_at, with_date=True)}\n")
        if self._tracked.acknowledged_by:
            text.append(
                f"acknowledged by {safe_text(self._tracked.acknowledged_by)}"
                f" at {format_local(self._tracked.acknowledged_at)}\n"
            )
        if self._tracked.incident_id is not None:
            text.append(f"part of incident #{self._tracked.incident_id}\n")
        if alert.url:
            text.append(f"{safe_text(alert.url)}\n")
        for title, mapping in (("Labels", alert.labels), ("Annotations", alert.annotations)):
            text.append(f"\n{title}\n", style="bold underline")
            for key in sorted(mapping):
                text.append(f"  {safe_text(key)}", style="bold")
                text.append(f" = {safe_text(mapping[key], 2000)}\n")
        with VerticalScroll(classes="dialog wide"):
            yield Static(text)
            yield Label(Text("escape close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
