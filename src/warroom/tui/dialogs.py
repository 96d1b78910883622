"""Modal dialogs. Enter accepts, Escape cancels, everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from warroom.model import Impact, Incident, TrackedAlert
from warroom.model.clock import format_local, parse_duration
from warroom.model.matchers import Matcher, MatcherError, parse_matchers
from warroom.model.silence import Silence
from warroom.model.silencing import silenced_by
from warroom.model.text import safe_text
from warroom.model.value import Value
from warroom.tui.context import console
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


DeclareAnswer = tuple[str, Impact, str]


class DeclareScreen(ModalScreen[DeclareAnswer | None]):
    """Title, impact and plan for a new incident, prefilled so Enter alone declares it.

    `check` may refuse an answer with a message: the dialog then stays open with
    everything typed, instead of closing and losing it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(
        self,
        title: str,
        impact: Impact,
        alert_count: int,
        plan: str = "",
        check: Callable[[DeclareAnswer], str | None] | None = None,
        moving: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._impact = impact
        self._count = alert_count
        self._plan = plan
        self._check = check
        self._moving = moving

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            heading = f"Declare an incident from {self._count} alert(s)"
            if self._moving:
                heading += ", moving them out of their incident"
            yield Static(Text(heading, style="bold"))
            yield Label("Title")
            yield _input(self._title, id="title", max_length=200)
            yield Label("Impact (1 critical … 5 no impact)")
            yield _input(str(int(self._impact)), id="impact", restrict=r"[1-5]?", max_length=1)
            yield Label("Plan (its alerts join this incident; empty: ad hoc)")
            yield _input(self._plan, id="plan", max_length=100)
            yield Static(id="declare-error")
            yield Label(Text("enter declare · tab next field · escape cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        title = self.query_one("#title", Input).value.strip()
        impact_text = self.query_one("#impact", Input).value.strip()
        if not title:
            self._refuse("An incident needs a title.", "#title")
            return
        if not impact_text:
            self._refuse("Impact: a number from 1 (critical) to 5 (no impact).", "#impact")
            return
        impact = Impact(int(impact_text))
        answer = (title, impact, self.query_one("#plan", Input).value.strip())
        problem = self._check(answer) if self._check else None
        if problem:
            self._refuse(problem, "#plan")
            return
        self.dismiss(answer)

    def _refuse(self, message: str, field: str) -> None:
        self.query_one("#declare-error", Static).update(
            Text(f"⚠ {safe_text(message, 300)}", style="bold")
        )
        self.query_one(field, Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


# A dialog's border (top and bottom), and a field with its label (an Input is 3
# lines tall): what the silence dialog needs besides its scrolling details.
DIALOG_FRAME = 2
FIELD_LINES = 4
MIN_DETAILS = 3


def fit_details(screen: ModalScreen[Any], selector: str, fixed: int, height: int) -> None:
    """Give a dialog's scrolling part what the screen has left once the lines that
    must always show (`fixed`: title, fields, key hint, border) are drawn."""
    details = screen.query_one(selector, VerticalScroll)
    details.styles.max_height = max(MIN_DETAILS, height - fixed)


# the held dialog's border, its heading, and its key hint (two lines when it wraps)
HELD_FIXED = DIALOG_FRAME + 1 + 2


class HeldScreen(ModalScreen[str | None]):
    """The alerts to declare from are already in an open incident: open it, or move them.

    Moving takes them out of an incident someone may be working (and has
    perhaps acknowledged), so it is never the default.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,o", "answer('open')", "Open it", id="held.open"),
        Binding("m", "answer('move')", "Move", id="held.move"),
        Binding("escape", "answer(None)", "Cancel", id="held.cancel"),
    ]

    def __init__(self, holders: list[tuple[Incident, int]], count: int) -> None:
        super().__init__()
        self._holders = holders
        self._count = count

    def compose(self) -> ComposeResult:
        text = Text()
        for incident, count in self._holders:
            text.append(f"  #{incident.id} ", style="bold")
            text.append(safe_text(incident.title, 120))
            text.append(f"\n    {count} alert(s) · {incident.status.value}")
            if incident.acknowledged_by:
                text.append(
                    f" by {safe_text(incident.acknowledged_by, 40)}"
                    f" at {format_local(incident.acknowledged_at)}"
                )
            text.append("\n")
        text.rstrip()
        first = self._holders[0][0].id
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"{self._count} alert(s) chosen; already in an open incident:", style="bold")
            )
            # the incidents scroll (a storm's alerts are in dozens); the choices always show
            with VerticalScroll(id="held-list", can_focus=False):
                yield Static(text)
            yield Static(
                Text(f"enter open #{first} · m move them to a new incident · escape cancel")
            )

    def on_mount(self) -> None:
        fit_details(self, "#held-list", HELD_FIXED, self.app.size.height)
        release_keys_after_refresh(self)

    def on_resize(self, event: events.Resize) -> None:
        fit_details(self, "#held-list", HELD_FIXED, event.size.height)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


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


class SilenceDetailScreen(ModalScreen[None]):
    """A silence whole: the table has room for the start of its matchers only."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="detail.close")]

    def __init__(self, silence: Silence) -> None:
        super().__init__()
        self._silence = silence

    def compose(self) -> ComposeResult:
        s = self._silence
        text = Text()
        text.append(f"Silence {safe_text(s.id, 60)} at {safe_text(s.source, 40)}", style="bold")
        text.append(f"\n{s.state} · by {safe_text(s.created_by, 60)}")
        text.append(f"\nfrom {format_local(s.starts_at, with_date=True)}")
        text.append(f" to {format_local(s.ends_at, with_date=True)}")
        text.append("\n\nMatchers\n", style="bold underline")
        for matcher in s.matchers:
            text.append(f"  {safe_text(str(matcher), 2000)}\n")
        text.append("\nComment\n", style="bold underline")
        text.append(f"  {safe_text(s.comment, 2000)}\n")
        with VerticalScroll(classes="dialog wide"):
            yield Static(text)
            yield Label(Text("escape close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no for actions others feel (expiring a silence pages people again).

    With `enter_answers=False` only `y` says yes: for a question whose yes does
    harm, an enter typed ahead (or out of habit) keeps things as they are.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter", "Yes", id="confirm.enter"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, enter_answers: bool = True) -> None:
        super().__init__()
        self._question = question
        self._enter_answers = enter_answers

    def compose(self) -> ComposeResult:
        hint = "enter/y yes · escape/n no" if self._enter_answers else "y yes · enter/escape/n no"
        with Vertical(classes="dialog"):
            # questions quote alert names and titles: never raw to the terminal (each
            # line made safe on its own, so the question's own line breaks stay)
            lines = [safe_text(line, 500) for line in self._question.splitlines()[:20]]
            yield Static(Text("\n".join(lines), style="bold"))
            yield Label(Text(hint, style="dim"))

    def on_mount(self) -> None:
        release_keys_after_refresh(self)

    def action_enter(self) -> None:
        self.dismiss(self._enter_answers)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SilenceAnswer(Value, frozen=True):
    """What to silence: the exact silences shown (`matchers` None), or one edited set."""

    duration: timedelta
    comment: str
    matchers: list[Matcher] | None = None


PREVIEW_LINES = 6


class SilenceScreen(ModalScreen[SilenceAnswer | None]):
    """The silences that mute exactly the chosen alerts, and a preview of what they mute.

    The preview is every alert the source reports now that the silence would
    mute, chosen or not: a silence must never surprise anyone. With one
    silence its matchers can be edited, and the preview follows each keystroke.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(
        self,
        plan: list[tuple[str, list[Matcher], list[TrackedAlert]]],
        chosen: set[str],
        at_sources: list[TrackedAlert],
    ) -> None:
        super().__init__()
        self._plan = plan
        self._chosen = chosen
        self._at_sources = at_sources
        self._edited: list[Matcher] | None = None
        self._editable = len(plan) == 1

    def compose(self) -> ComposeResult:
        sources = ", ".join(sorted({source for source, _, _ in self._plan}))
        count = sum(len(group) for _, _, group in self._plan)
        with Vertical(classes="dialog wide"):
            yield Static(
                Text(
                    f"Silence {count} alert(s) at {safe_text(sources, 60)}:"
                    f" {len(self._plan)} silence(s)",
                    style="bold",
                )
            )
            if self._editable:
                yield Label("Matchers (Alertmanager syntax)")
                yield _input(", ".join(str(m) for m in self._plan[0][1]), id="matchers")
            # what the silences are and mute scrolls; the fields below always show
            with VerticalScroll(id="silence-details", can_focus=False):
                if not self._editable:
                    yield Static(self._silences_text(), id="silence-list")
                yield Static(id="silence-preview")
            yield Label("For (e.g. 30m, 2h, 1d)")
            yield _input("2h", id="duration", max_length=12)
            yield Label("Comment (why; required)")
            yield _input("", id="comment", max_length=500)
            yield Label(Text("enter silence · tab next field · escape cancel", style="dim"))

    def _silences_text(self) -> Text:
        text = Text()
        for i, (_, matchers, group) in enumerate(self._plan[:PREVIEW_LINES]):
            if i:
                text.append("\n")
            text.append(f"{len(group):>3} ", style="bold")
            text.append(safe_text(", ".join(str(m) for m in matchers), 300))
        if len(self._plan) > PREVIEW_LINES:
            text.append(f"\n    … and {len(self._plan) - PREVIEW_LINES} more silences")
        return text

    def on_mount(self) -> None:
        if self._editable:  # show the matchers from their start (alertname first)
            self.query_one("#matchers", Input).cursor_position = 0
        self.query_one("#comment", Input).focus()
        self._fit(self.app.size.height)
        self._preview()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        """Leave the details what the screen has left once the title, the fields and
        the key hint are drawn (a storm's silences and preview outgrow 24 lines)."""
        fixed = DIALOG_FRAME + 1 + FIELD_LINES * (3 if self._editable else 2) + 1
        fit_details(self, "#silence-details", fixed, height)

    def _matchers(self) -> list[list[Matcher]]:
        if self._edited is not None:
            return [self._edited]
        return [matchers for _, matchers, _ in self._plan]

    def _preview(self) -> None:
        """Every alert at the sources these silences mute now; the unchosen ones first."""
        muted: dict[str, TrackedAlert] = {}
        for matchers in self._matchers():
            for tracked in silenced_by(matchers, self._at_sources, lambda t: t.alert.labels):
                muted[str(tracked.key)] = tracked
        extra = [t for k, t in muted.items() if k not in self._chosen]
        text = Text()
        text.append(f"Mutes {len(muted)} alert(s) now", style="bold")
        if extra:
            text.append(f", {len(extra)} NOT chosen:", style="bold reverse")
        else:
            text.append(": exactly the chosen ones")
        listed = sorted(extra, key=lambda t: str(t.key)) + sorted(
            (t for k, t in muted.items() if k in self._chosen), key=lambda t: str(t.key)
        )
        for tracked in listed[:PREVIEW_LINES]:
            mark = "✗ not chosen " if str(tracked.key) not in self._chosen else "  "
            labels = " ".join(
                f"{k}={v}" for k, v in sorted(tracked.alert.labels.items()) if k != "alertname"
            )
            text.append(f"\n{mark}{safe_text(tracked.alert.name, 30)} {safe_text(labels, 120)}")
        if len(listed) > PREVIEW_LINES:
            text.append(f"\n… and {len(listed) - PREVIEW_LINES} more")
        self.query_one("#silence-preview", Static).update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "matchers":
            return
        event.stop()
        try:
            self._edited = parse_matchers(event.value)
        except MatcherError as exc:
            self.query_one("#silence-preview", Static).update(
                Text(f"⚠ matchers: {safe_text(str(exc), 200)}", style="bold")
            )
            return
        original = [str(m) for m in self._plan[0][1]]
        if [str(m) for m in self._edited] == original:
            self._edited = None  # as proposed: the exact silence
        self._preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        edited: list[Matcher] | None = None
        if self._editable:
            try:
                edited = parse_matchers(self.query_one("#matchers", Input).value)
            except MatcherError as exc:
                self.notify(f"Matchers: {exc}", severity="warning", markup=False)
                return
            if not edited:
                self.notify("A silence needs at least one matcher.", severity="warning")
                return
            if [str(m) for m in edited] == [str(m) for m in self._plan[0][1]]:
                edited = None
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
        self.dismiss(SilenceAnswer(duration, comment, edited))

    def action_cancel(self) -> None:
        self.dismiss(None)


def release_keys_after_refresh(screen: ModalScreen[Any]) -> None:
    """A dialog with no field to focus: the keys held for it go to it once it shows."""
    screen.call_after_refresh(console(screen).release_keys)
