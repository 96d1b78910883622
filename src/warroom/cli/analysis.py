"""`warroom analysis ID`: the post-incident analysis as one document.

Markdown (YAML front matter for machines, then Summary, Impact, Timeline,
Metrics, Runbook executions, Questions, Action items, Related items) or one JSON
object. Read-only (the writes: `analysis_write`). Times are in the responder's
zone in Markdown and text, UTC ISO in JSON and in the front matter. Every piece
of text from sources, plans and responders goes through the hand-off's Markdown
escaper, so a note cannot forge a heading, a link or a table cell. Hidden
timeline events are left out of the Markdown (counted), kept in JSON with their
mark; the analysis's own writes (answers, marks) are not part of the incident's
timeline here.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from warroom.cli.outcome import existing_store
from warroom.cli.output import print_json_line
from warroom.cli.records import event_record, incident_record, iso
from warroom.config import Config
from warroom.engine.analysis import Analysis, gather_analysis
from warroom.model.analysis import QUESTIONS, EventMark, MetricSnapshot
from warroom.model.clock import format_duration, format_local
from warroom.model.handoff_text import markdown_safe
from warroom.store import RunRecord

BLAMELESS = "> Blameless: everyone did the best they could with what they knew at the time."
esc = markdown_safe


async def run_analysis(config: Config, incident_id: int, style: str) -> int:
    async with existing_store(config, read_only=True) as store:
        analysis = await gather_analysis(store, incident_id)
    if analysis is None:
        print(f"warroom: no incident #{incident_id}", file=sys.stderr)
        return 1
    if style == "json":
        print_json_line(as_json(analysis))
    else:
        sys.stdout.write(markdown(analysis))
    return 0


def _took(value: timedelta | None) -> str:
    return "-" if value is None else format_duration(value)


def _paragraphs(text: str) -> list[str]:
    """Each line escaped on its own, so a responder's line breaks stay."""
    return [esc(line) for line in text.strip().splitlines()] or ["-"]


def markdown(a: Analysis) -> str:
    i, d = a.incident, a.durations
    front = {
        "id": i.id,
        "title": i.title,
        "status": i.status.value,
        "draft": a.draft,
        "impact": int(i.impact),
        "plan": i.plan,
        "declared": iso(i.created_at),
        "acknowledged": iso(i.created_at + d.acknowledge) if d.acknowledge else None,
        "mitigated": iso(d.mitigated_at),
        "mitigated_by": d.mitigated_by or None,
        "resolved": iso(i.resolved_at),
        "time_to_acknowledge": d.acknowledge.total_seconds() if d.acknowledge else None,
        "time_to_mitigate": d.mitigate.total_seconds() if d.mitigate else None,
        "time_to_resolve": d.resolve.total_seconds() if d.resolve else None,
        "responders": list(a.responders),
    }
    # JSON values are YAML: strings quoted and escaped, nothing a title could break
    out = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())]
    out += ["---", "", f"# Incident #{i.id}: {esc(i.title)}", "", BLAMELESS]
    if a.draft:
        out += ["", "**Draft**: the incident is still open."]
    out += ["", "## Summary", "", *_paragraphs(i.summary)]
    out += ["", "## Impact", "", f"Impact: {esc(i.impact.label)}."]
    out += [
        "",
        "| measure | time |",
        "| --- | --- |",
        f"| time to acknowledge | {_took(d.acknowledge)} |",
        f"| time to mitigate | {_took(d.mitigate)} |",
        f"| time to resolve | {_took(d.resolve)} |",
        "",
        f"Mitigated: {_mitigated(a)}.",
    ]
    out += ["", "## Timeline", "", *_timeline(a)]
    out += ["", "## Metrics", "", *_metrics(a.snapshots)]
    out += ["", "## Runbook executions", "", *_runs(a.runs)]
    out += ["", "## Questions"]
    for q in QUESTIONS:
        answer = a.answers.get(q.id)
        out += ["", f"### {q.section}", "", f"_{esc(q.text)}_", ""]
        if answer is None or not answer.answer:
            out += ["Not answered yet."]
        else:
            out += _paragraphs(answer.answer)
            out += ["", f"({esc(answer.answered_by)}, {format_local(answer.answered_at, True)})"]
    out += ["", "## Action items", "", *_items(a)]
    out += ["", "## Related items", ""]
    out += [f"- {esc(r.kind)}: {esc(r.title)} ({esc(r.ref)})" for r in a.related] or ["None."]
    return "\n".join(out) + "\n"


def _mitigated(a: Analysis) -> str:
    d = a.durations
    if d.mitigated_at is None:
        return "not yet"
    why = {
        "mark": "marked by a responder on the timeline",
        "first alert resolved": "when the first alert stopped firing",
        "resolved": "when it was resolved (no mark, no alert stopped first)",
    }[d.mitigated_by]
    return f"{format_local(d.mitigated_at, True)}, {why}"


def _timeline(a: Analysis) -> list[str]:
    rows = ["| time | event | who | mark |", "| --- | --- | --- | --- |"]
    hidden = 0
    for e in a.events:
        mark = a.marks.get(e.id)
        if mark is EventMark.HIDDEN:
            hidden += 1
            continue
        said = f"**{esc(e.text)}**" if mark is not None else esc(e.text)
        shown = "" if mark is None else mark.value
        rows.append(f"| {format_local(e.at, True)} | {said} | {esc(e.actor)} | {shown} |")
    if hidden:
        rows += ["", f"{hidden} event(s) hidden from this analysis (kept in `warroom show`)."]
    return rows


def _metrics(snapshots: tuple[MetricSnapshot, ...]) -> list[str]:
    out: list[str] = []
    for s in snapshots:
        c = s.chart
        threshold = "" if c.threshold is None else f", threshold {esc(c.operator)} {c.threshold:g}"
        out += [
            f"### {esc(c.title)}",
            "",
            f"Query {esc(c.query)} on {esc(c.source)}, {format_local(c.start, True)} to"
            f" {format_local(c.end, True)}{threshold}; snapshot by {esc(s.taken_by)}"
            f" {format_local(s.taken_at, True)}.",
            "",
            "| series | points | min | max | last |",
            "| --- | --- | --- | --- | --- |",
        ]
        for series in c.series:
            values = [v for _, v in series.points]
            name = ",".join(f"{k}={v}" for k, v in sorted(series.labels.items())) or "-"
            stats = "- | - | -"
            if values:
                stats = f"{min(values):g} | {max(values):g} | {values[-1]:g}"
            out.append(f"| {esc(name)} | {len(values)} | {stats} |")
        out.append("")
    return out[:-1] if out else ["No snapshots."]


def _runs(runs: tuple[RunRecord, ...]) -> list[str]:
    out: list[str] = []
    for r in runs:
        out += [
            f"### {esc(r.name)} (run #{r.id}): {r.status.value}",
            "",
            f"Started by {esc(r.started_by)} {format_local(r.started_at, True)}.",
            "",
            "| step | state | attempts | by | took | result |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for step in r.run.steps:
            took = (
                format_duration(step.finished_at - step.started_at)
                if step.started_at and step.finished_at
                else "-"
            )
            result = ""
            if step.outcome is not None:
                o = step.outcome
                result = (
                    o.error
                    or (f"status {o.status}" if o.status is not None else "")
                    or (f"exit {o.exit_code}" if o.exit_code is not None else "")
                )
            result = result or step.reason
            out.append(
                f"| {esc(step.name)} | {step.state.value} | {step.attempt} | {esc(step.by) or '-'}"
                f" | {took} | {esc(result) or '-'} |"
            )
        out.append("")
    return out[:-1] if out else ["None."]


def _items(a: Analysis) -> list[str]:
    if not a.items:
        return ["None."]
    rows = ["| # | action | owner | due | status | link |", "| --- | --- | --- | --- | --- | --- |"]
    for it in a.items:
        due = it.due.isoformat() if it.due else "-"
        rows.append(
            f"| {it.id} | {esc(it.title)} | {esc(it.owner) or '-'} | {due} | {it.status.value}"
            f" | {esc(it.link) or '-'} |"
        )
    return rows


def as_json(a: Analysis) -> dict[str, Any]:
    d = a.durations

    def seconds(value: timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    return {
        "incident": incident_record(a.incident),
        "draft": a.draft,
        "durations": {
            "time_to_acknowledge": seconds(d.acknowledge),
            "time_to_mitigate": seconds(d.mitigate),
            "time_to_resolve": seconds(d.resolve),
            "mitigated_at": iso(d.mitigated_at),
            "mitigated_by": d.mitigated_by or None,
        },
        "responders": list(a.responders),
        "timeline": [
            {**event_record(e), "mark": a.marks[e.id].value if e.id in a.marks else None}
            for e in a.events
        ],
        "metrics": [
            {
                "id": s.id,
                "title": s.chart.title,
                "query": s.chart.query,
                "source": s.chart.source,
                "start": iso(s.chart.start),
                "end": iso(s.chart.end),
                "threshold": s.chart.threshold,
                "operator": s.chart.operator,
                "taken_by": s.taken_by,
                "taken_at": iso(s.taken_at),
                "series": [
                    {"labels": x.labels, "points": [[iso(t), v] for t, v in x.points]}
                    for x in s.chart.series
                ],
            }
            for s in a.snapshots
        ],
        "runbook_executions": [
            {
                "id": r.id,
                "runbook": r.name,
                "status": r.status.value,
                "started_by": r.started_by,
                "started_at": iso(r.started_at),
                "steps": [
                    {
                        "name": s.name,
                        "state": s.state.value,
                        "attempts": s.attempt,
                        "by": s.by,
                        "started_at": iso(s.started_at),
                        "finished_at": iso(s.finished_at),
                        "exit_code": s.outcome.exit_code if s.outcome else None,
                        "status": s.outcome.status if s.outcome else None,
                        "error": s.outcome.error if s.outcome else "",
                    }
                    for s in r.run.steps
                ],
            }
            for r in a.runs
        ],
        "questions": [
            {
                "id": q.id,
                "section": q.section,
                "question": q.text,
                "answer": a.answers[q.id].answer if q.id in a.answers else None,
                "answered_by": a.answers[q.id].answered_by if q.id in a.answers else None,
                "answered_at": iso(a.answers[q.id].answered_at) if q.id in a.answers else None,
            }
            for q in QUESTIONS
        ],
        "action_items": [
            {
                "id": it.id,
                "title": it.title,
                "owner": it.owner,
                "due": it.due.isoformat() if it.due else None,
                "status": it.status.value,
                "link": it.link,
                "created_by": it.created_by,
                "created_at": iso(it.created_at),
            }
            for it in a.items
        ],
        "related_items": [{"kind": r.kind, "title": r.title, "ref": r.ref} for r in a.related],
    }
