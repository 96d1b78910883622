"""The Incident tab's engagement section: who is engaged, where each plan stands,
and what became of every page, so "was anyone reached?" has an answer on screen.

Failed pages come first and in the error colour: a responder must never
believe someone was paged who was not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from warroom.model.clock import format_duration, format_local
from warroom.model.escalation import Engagement, Status
from warroom.model.paging import OutboxRow, RowState
from warroom.model.text import safe_text

PAGES_SHOWN = 8

_STATE_STYLE = {
    RowState.FAILED: "bold red",
    RowState.UNKNOWN: "bold yellow",
    RowState.PENDING: "",
    RowState.CLAIMED: "bold",
    RowState.SENT: "green",
    RowState.CANCELLED: "dim",
}


def where_text(state: Engagement, stages: int | None, now: datetime) -> str:
    """`stage 1/3, active, next in 4m`: one line per engagement at 80 columns."""
    text = f"stage {state.stage}/{stages}" if stages else f"stage {state.stage}"
    if state.loop:
        text += f" round {state.loop + 1}"
    text += f", {state.status}"
    if state.next_at is not None:
        wait = state.next_at - now
        when = "now" if wait.total_seconds() <= 0 else f"in {format_duration(wait)}"
        if state.status is Status.ACKNOWLEDGED:
            text += f", re-engages {when} unless resolved"
        elif stages and state.stage >= stages:
            text += f", last stage: unanswered {when}"
        else:
            text += f", next {when}"
    return text


def engagement_text(
    engagements: Sequence[Engagement],
    rows: Sequence[OutboxRow],
    stages: dict[str, int],
    now: datetime,
) -> Text:
    out = Text()
    for state in engagements:
        out.append(safe_text(state.plan, 60), style="bold")
        out.append(f"  {where_text(state, stages.get(state.plan), now)}\n")
    pages = [r for r in rows if r.action == "trigger"] or list(rows)
    pages.sort(key=lambda r: (r.state is not RowState.FAILED, r.state is not RowState.UNKNOWN))
    for row in pages[:PAGES_SHOWN]:
        when = format_local(row.done_at or row.due_at)
        shown = row.state.value + (" (may repeat)" if row.possible_repeat else "")
        out.append(f"  {when} ", style="dim")
        out.append(f"{safe_text(row.target, 20)} via {safe_text(row.channel, 20)} ")
        out.append(shown, style=_STATE_STYLE[row.state])
        if row.state in (RowState.FAILED, RowState.UNKNOWN) and row.detail:
            out.append(f": {safe_text(row.detail, 200)}")
        out.append("\n")
    if len(pages) > PAGES_SHOWN:
        out.append(f"  … {len(pages) - PAGES_SHOWN} more: `warroom pages` lists them\n", "dim")
    out.rstrip()
    return out
