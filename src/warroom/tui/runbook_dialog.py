"""Starting a runbook from the Runbook tab: choose one, then check its parameters.

The incident's plan names its runbook, so that one is offered first; every
runbook in the plans can be chosen. Parameters come prefilled from the
incident's most urgent alert (a default such as `{labels.instance}`), and a
responder may change any of them before the run starts; an empty field
is left to the runbook (an optional parameter without a value, or a refusal
that names the parameter a required one lacks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from warroom.model import Alert
from warroom.model.runbook_steps import Runbook
from warroom.model.text import safe_text
from warroom.plans.templates import parse_template
from warroom.tui.dialogs import release_keys_after_refresh
from warroom.tui.inputs import SafeInput


def prefilled(runbook: Runbook, alert: Alert | None, plan: str = "") -> dict[str, str]:
    """Each parameter's default rendered from the alert; '' where the alert has no value."""
    values: dict[str, str] = {}
    for parameter in runbook.parameters:
        value = None
        if parameter.default is not None and alert is not None:
            try:
                value = parse_template(parameter.default).render_strict(alert, plan)
            except ValueError:  # a default the plan check refused: nothing to offer
                value = None
        values[parameter.name] = value or ""
    return values


class RunbookChoiceScreen(ModalScreen[str | None]):
    """Which runbook to start; the incident's own first.

    The list takes no focus: its keys are the screen's, as in the other dialogs
    with nothing to type into, so keys typed ahead replay onto the screen.
    """

    DEFAULT_CSS = """
    #runbook-choice {
        height: auto;
        max-height: 14;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("up", "move(-1)", "Up", show=False, id="runbook_choice.up"),
        Binding("down", "move(1)", "Down", show=False, id="runbook_choice.down"),
        Binding("enter", "choose", "Choose", id="runbook_choice.choose"),
    ]

    def __init__(self, runbooks: Sequence[Runbook], heading: str, first: str | None) -> None:
        super().__init__()
        ordered = sorted(runbooks, key=lambda r: (r.name != first, r.name))
        self._runbooks = ordered
        self._heading = heading
        self._first = first

    def compose(self) -> ComposeResult:
        options = []
        for runbook in self._runbooks:
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(safe_text(runbook.name, 40), style="bold")
            if runbook.name == self._first:
                label.append(" (the incident's plan)")
            if runbook.description:
                label.append(f" · {safe_text(runbook.description, 200)}", style="dim")
            options.append(Option(label, id=runbook.name))
        with Vertical(classes="dialog wide"):
            yield Static(Text(safe_text(self._heading, 200), style="bold"))
            choice = OptionList(*options, id="runbook-choice")
            choice.can_focus = False
            yield choice
            yield Label(Text("enter choose · escape cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0  # enter alone: the incident's own
        release_keys_after_refresh(self)

    def action_move(self, by: int) -> None:
        options = self.query_one(OptionList)
        at = (options.highlighted or 0) + by
        options.highlighted = max(0, min(at, options.option_count - 1))

    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RunbookParamsScreen(ModalScreen[dict[str, str] | None]):
    """The parameters of the chosen runbook, prefilled; enter starts it."""

    DEFAULT_CSS = """
    #runbook-params {
        height: auto;
        max-height: 16;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, runbook: Runbook, heading: str, values: Mapping[str, str]) -> None:
        super().__init__()
        self._runbook = runbook
        self._heading = heading
        self._values = dict(values)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(safe_text(self._heading, 200), style="bold"))
            with VerticalScroll(id="runbook-params"):
                if not self._runbook.parameters:
                    yield Label("No parameters.")
                for parameter in self._runbook.parameters:
                    need = "" if parameter.required else " (optional)"
                    about = f" · {parameter.description}" if parameter.description else ""
                    yield Label(Text(safe_text(f"{parameter.name}{need}{about}", 200)))
                    yield SafeInput(
                        self._values.get(parameter.name, ""),
                        id=f"param-{parameter.name}",
                        max_length=4096,
                    )
            yield Label(Text("enter start · tab next field · escape cancel", style="dim"))

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()
        else:
            release_keys_after_refresh(self)

    def key_enter(self) -> None:
        """No parameters (no field to submit): enter starts it."""
        if not self._runbook.parameters:
            self.dismiss({})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = {}
        for parameter in self._runbook.parameters:
            value = self.query_one(f"#param-{parameter.name}", Input).value.strip()
            if value:
                values[parameter.name] = value
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
