"""Modal dialogs. Enter accepts, Escape cancels, everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from warroom.model import Impact, TrackedAlert
from warroom.model.clock import format_local, parse_duration
from warroom.model.matchers import Matcher, MatcherError, parse_matchers
from warroom.model.text import safe_text
from warroom.tui.inputs import SafeInput


def _input(value: str = "", **kwargs: object) -> Input:
    return SafeInput(value, **kwargs)


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


class DeclareScreen(ModalScreen[tuple[str, Impact, str] | None]):
    """Title, impact and plan for a new incident, prefilled so Enter alone declares it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, title: str, impact: Impact, alert_count: int, plan: str = "") -> None:
        super().__init__()
        self._title = title
        self._impact = impact
        self._count = alert_count
        self._plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Declare an incident from {self._count} alert(s)", style="bold"))
            yield Label("Title")
            yield _input(self._title, id="title", max_length=200)
            yield Label("Impact (1 critical … 5 no impact)")
            yield _input(str(int(self._impact)), id="impact", restrict=r"[1-5]?", max_length=1)
            yield Label("Plan (its alerts join this incident; empty: ad hoc)")
            yield _input(self._plan, id="plan", max_length=100)
            yield Label(Text("enter declare · tab next field · escape cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        title = self.query_one("#title", Input).value.strip()
        impact_text = self.query_one("#impact", Input).value.strip()
        if not title:
            self.notify("An incident needs a title.", severity="warning")
            return
        impact = Impact(int(impact_text)) if impact_text else self._impact
        self.dismiss((title, impact, self.query_one("#plan", Input).value.strip()))

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


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no for actions others feel (expiring a silence pages people again)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._question, style="bold"))
            yield Label(Text("enter/y yes · escape/n no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SilenceScreen(ModalScreen[tuple[list[Matcher], timedelta, str] | None]):
    """Matchers prefilled from the alerts' labels (editable), a duration and a reason."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, matchers: str, count: int, sources: str) -> None:
        super().__init__()
        self._matchers = matchers
        self._count = count
        self._sources = sources

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(
                Text(f"Silence {self._count} alert(s) at {safe_text(self._sources)}", style="bold")
            )
            yield Label("Matchers (Alertmanager syntax)")
            yield _input(self._matchers, id="matchers")
            yield Label("For (e.g. 30m, 2h, 1d)")
            yield _input("2h", id="duration", max_length=12)
            yield Label("Comment (why; required)")
            yield _input("", id="comment", max_length=500)
            yield Label(Text("enter silence · tab next field · escape cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#comment", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            matchers = parse_matchers(self.query_one("#matchers", Input).value)
        except MatcherError as exc:
            self.notify(f"Matchers: {exc}", severity="warning", markup=False)
            return
        try:
            duration = parse_duration(self.query_one("#duration", Input).value)
        except ValueError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        comment = self.query_one("#comment", Input).value.strip()
        if not comment:
            self.notify("Say why in the comment.", severity="warning")
            self.query_one("#comment", Input).focus()
            return
        self.dismiss((matchers, duration, comment))

    def action_cancel(self) -> None:
        self.dismiss(None)
