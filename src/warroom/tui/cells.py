"""Cells for tables and panels, built as `Text` so untrusted strings are never markup.

Severity is told by a word and a symbol as well as colour, so it survives
NO_COLOR, 16-colour terminals and colour-blind responders.
"""

from __future__ import annotations

from rich.text import Text

from warroom.model import AlertState, Impact, IncidentStatus, Severity, TrackedAlert
from warroom.model.text import safe_text

SEVERITY_CELL: dict[Severity, tuple[str, str]] = {
    Severity.CRITICAL: ("‼ CRIT", "bold red"),
    Severity.ERROR: ("! ERR", "red"),
    Severity.WARNING: ("▲ WARN", "yellow"),
    Severity.INFO: ("● INFO", "cyan"),
    Severity.NONE: ("· NONE", "dim"),
}

IMPACT_STYLE: dict[Impact, str] = {
    Impact.CRITICAL: "bold red",
    Impact.HIGH: "red",
    Impact.MEDIUM: "yellow",
    Impact.LOW: "cyan",
    Impact.NO_IMPACT: "dim",
}

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


def severity(sev: Severity) -> Text:
    label, style = SEVERITY_CELL[sev]
    return Text(label, style=style, no_wrap=True)


def impact(value: Impact) -> Text:
    return Text(value.label, style=IMPACT_STYLE[value], no_wrap=True)


def status(value: IncidentStatus) -> Text:
    label, style = STATUS_CELL[value]
    return Text(label, style=style, no_wrap=True)


def stale_state() -> Text:
    """The source is failing: this is the last state it reported, kept, not resolved."""
    return Text("? stale", style="bold yellow", no_wrap=True)


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
        cell.append("⚑ no plan ", style="bold yellow")
    cell.append(safe_text(text, 300))
    return cell
