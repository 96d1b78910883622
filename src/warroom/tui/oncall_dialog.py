"""The On-call tab's dialog: take a shift (an override), prefilled so enter and a
reason do it.

Fields are one line each, label beside field, so the dialog fits 80x24 with
room for its error line. A mistake (no such person, a time that does not
parse, no reason) is shown in the dialog, which stays open with what was typed:
the same checks the service makes (`engine.overrides.checked_override`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from warroom.model.clock import parse_duration
from warroom.model.text import safe_text
from warroom.model.value import Value
from warroom.tui.inputs import SafeInput


class OverrideAnswer(Value, frozen=True):
    schedule: str
    with_: str
    replace: str
    start: datetime
    end: datetime
    reason: str


def parse_when(text: str, now: datetime) -> datetime:
    """`now`, `+30m`, `17:00` (the next 17:00 in the responder's zone), or a date
    and time (`2026-12-24 17:00`, in that zone, or with an offset). ValueError."""
    value = text.strip().lower()
    if value in ("", "now"):
        return now
    if value.startswith("+"):
        return now + parse_duration(value[1:])
    try:
        clock = time.fromisoformat(value)
    except ValueError:
        pass
    else:
        local = now.astimezone()
        at = datetime.combine(local.date(), clock).astimezone()  # the responder's zone
        return at if at >= local - timedelta(minutes=1) else _tomorrow(local.date(), clock)
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1).upper())
    except ValueError:
        raise ValueError(
            f"from {text!r}: now, +30m, 17:00 or 2026-12-24 17:00 (your zone)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def _tomorrow(day: date, clock: time) -> datetime:
    return datetime.combine(day + timedelta(days=1), clock).astimezone()


# label, field id, what it holds
FIELDS = (
    ("Schedule", "schedule", "e.g. primary"),
    ("Who", "with", "who takes the shift"),
    ("Instead of", "replace", "empty: on call besides"),
    ("From", "from", "now, 17:00, 2026-12-24 09:00"),
    ("For", "for", "1h, 30m, 2d"),
    ("Reason", "reason", "why (required)"),
)


class OverrideScreen(ModalScreen[OverrideAnswer | None]):
    """`check` returns what is wrong with an answer (None: fine); the dialog shows it
    and stays open, focused on the field to fix."""

    DEFAULT_CSS = """
    OverrideScreen .field { height: 1; }
    OverrideScreen .field Label { width: 12; }
    OverrideScreen .field Input { height: 1; border: none; padding: 0 1; width: 1fr; }
    OverrideScreen .field Input:focus { text-style: bold; }
    OverrideScreen #override-error { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(
        self,
        values: dict[str, str],
        check: Callable[[OverrideAnswer], tuple[str, str] | None],
        now: Callable[[], datetime],
        heading: str = "Take a shift",
    ) -> None:
        super().__init__()
        self._values = values
        self._check = check
        self._now = now
        self._heading = heading

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._heading, style="bold"))
            for label, field, hint in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label)
                    yield SafeInput(
                        self._values.get(field, ""),
                        placeholder=hint,
                        id=f"override-{field}",
                        max_length=500 if field == "reason" else 100,
                    )
            yield Static(id="override-error")
            yield Label(Text("enter take it · tab next field · escape cancel", style="dim"))

    def on_mount(self) -> None:
        # who takes it is what a responder changes first (`o` then a name)
        self.query_one("#override-with", Input).focus()

    def value(self, field: str) -> str:
        return self.query_one(f"#override-{field}", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        now = self._now()
        try:
            start = parse_when(self.value("from"), now)
        except ValueError as exc:
            self._refuse(str(exc), "from")
            return
        try:
            length = parse_duration(self.value("for"))
        except ValueError as exc:
            self._refuse(f"for: {exc}", "for")
            return
        answer = OverrideAnswer(
            self.value("schedule"),
            self.value("with"),
            self.value("replace"),
            start,
            start + length,
            self.value("reason"),
        )
        problem = self._check(answer)
        if problem is not None:
            message, field = problem
            self._refuse(message, field)
            return
        self.dismiss(answer)

    def _refuse(self, message: str, field: str) -> None:
        self.query_one("#override-error", Static).update(
            Text(f"⚠ {safe_text(message, 300)}", style="bold")
        )
        self.query_one(f"#override-{field}", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
