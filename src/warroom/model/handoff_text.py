"""The shift hand-off as text a person reads: plain (the console's dialog, `warroom
handoff`) or Markdown. One renderer for both callers, so they never disagree; here
in the model (no screen, no command line) so the console and the CLI share it
without one importing the other.

Text from sources, plans and responders is made terminal-safe (`safe_text`), and in
Markdown its markup characters are escaped (`markdown_safe`), so a note cannot forge
a heading or a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from warroom.model import Incident, TimelineEvent
from warroom.model.clock import format_duration, format_local
from warroom.model.handoff import Handoff, ShiftSilence
from warroom.model.text import safe_text

SHOWN_CHANGES = 5  # per open incident in text and Markdown; --json has them all
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~])")  # what is markup mid-line

Escape = Callable[[object], str]


def render(report: Handoff, markdown: bool) -> str:
    esc: Escape = markdown_safe if markdown else plain_safe
    out: list[str] = []
    window = f"{format_local(report.since, True)} to {format_local(report.now, True)}"
    length = format_duration(report.now - report.since)
    if markdown:
        out += [f"# Shift hand-off ({length})", "", f"Shift: {window}"]
    else:
        out += [f"Shift hand-off ({length}): {window}"]
    for title, lines in _sections(report, esc):
        if markdown:
            out += ["", f"## {title}", ""]
            # a change under its incident: a nested item
            out += [
                f"  - {line.strip()}" if line.startswith("    ") else f"- {line}" for line in lines
            ] or ["none"]
        else:
            out += ["", title]
            out += [f"  {line}" for line in lines] or ["  none"]
    return "\n".join(out) + "\n"


def _sections(report: Handoff, esc: Escape) -> list[tuple[str, list[str]]]:
    next_window = f"until {format_local(report.next_end, True)}"
    return [
        (f"Open incidents ({len(report.open)})", _open_lines(report, esc)),
        (
            f"Resolved in the shift ({len(report.resolved)})",
            [
                f"{_head(i, esc)}: resolved {format_local(i.resolved_at, True)}"
                f" by {esc(i.resolved_by)}, after {_took(i.created_at, i.resolved_at)}"
                for i in report.resolved
            ],
        ),
        (
            f"Acknowledged past ack_timeout ({len(report.stale_acks)})",
            [
                f"{_head(s.incident, esc)}: acknowledged"
                f" {format_local(s.incident.acknowledged_at, True)} by"
                f" {esc(s.incident.acknowledged_by)}; ack_timeout"
                f" {format_duration(s.ack_timeout)}, overdue {format_duration(s.overdue)}"
                for s in report.stale_acks
            ],
        ),
        (
            f"Silences ending in the next shift, {next_window} ({len(report.expiring_silences)})",
            [_silence_line(s, esc) for s in report.expiring_silences],
        ),
        (
            f"Silences matching no firing alert ({len(report.idle_silences)})",
            [_silence_line(s, esc) for s in report.idle_silences],
        ),
        (
            f"Alerts that fired with no plan ({len(report.unplanned)})",
            [
                f"{esc(c.source)}/{esc(c.name)}: {c.count} fired, {c.firing} firing"
                for c in report.unplanned
            ],
        ),
        (
            "Noisiest alerts",
            [
                f"{c.count} x {esc(c.source)}/{esc(c.name)} ({c.firing} firing)"
                for c in report.noisy
            ],
        ),
        (
            f"Notes for hand-off, tagged #handoff ({len(report.notes)})",
            [
                f"{format_local(e.at, True)} {esc(e.actor)} on #{e.incident}: {esc(e.text)}"
                if e.incident is not None
                else f"{format_local(e.at, True)} {esc(e.actor)}: {esc(e.text)}"
                for e in report.notes
            ],
        ),
        (
            f"On call next, {next_window}",
            [
                f"{esc(s.schedule)}: {format_local(s.start, True)} to"
                f" {format_local(s.end, True)}: {esc(', '.join(s.people) or 'nobody (a gap)')}"
                for s in report.on_call
            ],
        ),
        *([("Remarks", [esc(r) for r in report.remarks])] if report.remarks else []),
    ]


def _open_lines(report: Handoff, esc: Escape) -> list[str]:
    lines: list[str] = []
    for item in report.open:
        incident = item.incident
        state = incident.status.value
        if incident.acknowledged_by:
            state += f" by {esc(incident.acknowledged_by)}"
        age = _took(incident.created_at, report.now)
        lines.append(
            f"{_head(incident, esc)}: {state}, {incident.impact.label}, age {age},"
            f" {len(item.changes)} change(s) in the shift"
        )
        hidden = len(item.changes) - SHOWN_CHANGES
        if hidden > 0:
            lines.append(f"    ({hidden} earlier change(s): warroom show {incident.id})")
        lines += [f"    {_change(e, esc)}" for e in item.changes[-SHOWN_CHANGES:]]
    return lines


def _change(event: TimelineEvent, esc: Escape) -> str:
    first = event.text.splitlines()[0] if event.text else ""
    return f"{format_local(event.at, True)} {esc(event.actor)} {event.kind.value}: {esc(first)}"


def _head(incident: Incident, esc: Escape) -> str:
    return f"#{incident.id} {esc(incident.title)}"


def _silence_line(silence: ShiftSilence, esc: Escape) -> str:
    where = f" (incident #{silence.incident_id})" if silence.incident_id is not None else ""
    what = f"{len(silence.alerts)} alert(s)" if silence.alerts else "matchers"
    return (
        f"{esc(silence.source)}:{esc(silence.silence_id)} ends"
        f" {format_local(silence.ends_at, True)}, by {esc(silence.created_by)}, {what}{where}"
    )


def _took(start: datetime, end: datetime | None) -> str:
    return "-" if end is None else format_duration(max(end - start, timedelta(0)))


def plain_safe(value: object) -> str:
    return safe_text("" if value is None else value)


def markdown_safe(value: object) -> str:
    return _MARKUP.sub(r"\\\1", plain_safe(value))
