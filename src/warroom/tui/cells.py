"""Cells for tables and panels, built as `Text` so untrusted strings are never markup.

Severity is told by a word and a symbol as well as colour, so it survives
NO_COLOR, 16-colour terminals and colour-blind responders. Its colour is a theme
variable (see `themes.level_colors`), and its emphasis falls with its rank --
filled and bold, bold, then plain -- so critical never looks milder than
medium even where NO_COLOR turns every colour grey.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._context import active_app
from textual.theme import BUILTIN_THEMES, Theme

from warroom.model import AlertState, Impact, IncidentStatus, Severity, TrackedAlert
from warroom.model.text import safe_text
from warroom.tui.themes import level_colors, panel_colors

# by rank, most urgent first
EMPHASIS = ("bold reverse", "bold", "", "", "")

SEVERITY_CELL: dict[Severity, tuple[str, str]] = {
    Severity.CRITICAL: ("‼ CRIT", "severity-critical"),
    Severity.ERROR: ("! ERR", "severity-error"),
    Severity.WARNING: ("▲ WARN", "severity-warning"),
    Severity.INFO: ("● INFO", "severity-info"),
    Severity.NONE: ("· NONE", "severity-none"),
}
SEVERITY_RANK = {sev: rank for rank, sev in enumerate(SEVERITY_CELL)}

STATUS_CELL: dict[IncidentStatus, tuple[str, str]] = {
    IncidentStatus.OPEN: ("● open", "bold"),
    IncidentStatus.ACKNOWLEDGED: ("◐ acked", ""),
    IncidentStatus.RESOLVED: ("✓ resolved", "dim"),
}


class RowMark(Text):
    """The first cell of a row; carries the row's sort position for `KeyedTable`."""

    order: int = 0


def plain(value: object, limit: int | None = None, style: str = "") -> Text:
    """Untrusted text as a literal, one-line cell."""
    return Text(safe_text(value, limit), style=style, no_wrap=True, overflow="ellipsis")


class LevelText(Text):
    """A severity or impact cell. Built with the active theme's colour, and looked up
    again when painted, so a theme switch recolours cells a view keeps cached."""

    variable: str = ""
    rank: int = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        style = level_style(self.variable, self.rank)
        if style == self.style:
            yield from super().__rich_console__(console, options)
            return
        painted = self.copy()
        painted.style = style
        yield from painted.__rich_console__(console, options)


def current_theme() -> Theme:
    try:
        return active_app.get().current_theme
    except LookupError:  # drawn outside an app (a test, a print)
        return BUILTIN_THEMES["textual-dark"]


def theme_colors() -> dict[str, str]:
    """The severity and impact colours of the running app's theme."""
    return level_colors(current_theme())


def level_style(variable: str, rank: int) -> Style:
    return _style(theme_colors()[variable], EMPHASIS[rank])


@lru_cache(maxsize=256)
def _style(color: str, emphasis: str) -> Style:
    return Style.parse(f"{emphasis} {color}")


def accent(variable: str, bold: bool = False, on_panel: bool = False) -> Style:
    """Text in a severity colour of the theme (a stale alert, a source failing).
    On the panel (status bar) a colour that would not read there is left out."""
    colors = panel_colors(current_theme()) if on_panel else theme_colors()
    return _style(colors[variable], "bold" if bold else "")


def _level(label: str, variable: str, rank: int) -> LevelText:
    cell = LevelText(label, style=level_style(variable, rank), no_wrap=True)
    cell.variable = variable
    cell.rank = rank
    return cell


def severity(sev: Severity) -> Text:
    label, variable = SEVERITY_CELL[sev]
    return _level(label, variable, SEVERITY_RANK[sev])


def impact(value: Impact) -> Text:
    return _level(value.label, f"impact-{value.value}", value.value - 1)


def status(value: IncidentStatus, merged_into: int | None = None) -> Text:
    """A merged incident is stored resolved with a parent: say where it went."""
    if merged_into is not None:
        return Text(f"⤳ #{merged_into}", style="dim", no_wrap=True)
    label, style = STATUS_CELL[value]
    return Text(label, style=style, no_wrap=True)


def stale_state() -> Text:
    """The source is failing: this is the last state it reported, kept, not resolved."""
    return Text("? stale", style=accent("severity-warning", bold=True), no_wrap=True)


def alert_state(tracked: TrackedAlert) -> Text:
    state = tracked.alert.state
    if tracked.acknowledged_by:
        return Text("✓ acked", style="dim", no_wrap=True)
    if state is AlertState.PENDING:
        return Text("… pending", style="dim", no_wrap=True)
    if state is AlertState.SUPPRESSED:
        return Text("⊘ silenced", style="dim", no_wrap=True)
    if state is AlertState.RESOLVED:
        return Text("✓ resolved", style="dim", no_wrap=True)
    return Text("firing", style="bold", no_wrap=True)


def summary(incident_id: int | None, text: str, unplanned: bool = False) -> Text:
    """The summary, led by the incident the alert belongs to, or by the mark of an
    alert no response plan covers (the gap the practice asks us to close)."""
    cell = Text(no_wrap=True, overflow="ellipsis")
    if incident_id is not None:
        cell.append(f"#{incident_id} ", style="bold reverse")
    elif unplanned:
        cell.append("⚑ no plan ", style=accent("severity-warning", bold=True))
    cell.append(safe_text(text, 300))
    return cell
