"""Post-incident analysis: the questions, the marks on the timeline, action items,
metrics frozen as they were drawn, and the durations responders quote.

Incident Manager's analysis asks four groups of questions (research
`runbooks-metrics.md` §4); warroom asks the same, blamelessly. The timeline is
never edited: a responder marks an event `key` (it tells the story), `hidden`
(noise in the write-up; still in the database and in `warroom show`) or
`mitigation` (the moment the impact stopped), and clears a mark with `none`.

"Mitigated" is a judgement, so a responder's `mitigation` mark wins; without one
it is when the incident's first alert stopped firing (the symptom went away),
and without that the incident counts as mitigated when it was resolved.
`Durations.mitigated_by` says which rule gave the time, so an export never
passes a guess off as a fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from warroom.model.clock import from_epoch, to_epoch
from warroom.model.secret import redact_url
from warroom.model.series import Chart, Series
from warroom.model.value import Value, force_setattr


class Question(Value, frozen=True):
    id: str
    section: str
    text: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        "detection",
        "Detection",
        "Could time to detection improve? Which metrics or alarms would have detected it sooner?",
    ),
    Question(
        "diagnosis",
        "Diagnosis",
        "Could time to diagnosis improve? Could response or escalation plans have"
        " engaged the right responders sooner?",
    ),
    Question(
        "mitigation",
        "Mitigation",
        "Could time to mitigation improve? Which runbook steps should be added or improved?",
    ),
    Question(
        "prevention",
        "Prevention",
        "Why did it happen? Ask why five times; what would keep it from happening again?",
    ),
)
QUESTION_IDS = tuple(q.id for q in QUESTIONS)


def question(question_id: str) -> Question:
    """ValueError naming the known ids for any other."""
    for known in QUESTIONS:
        if known.id == question_id:
            return known
    raise ValueError(f"no question {question_id!r} (one of: {', '.join(QUESTION_IDS)})")


class EventMark(StrEnum):
    NONE = "none"
    KEY = "key"
    HIDDEN = "hidden"
    MITIGATION = "mitigation"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DISMISSED = "dismissed"


class Answer(Value, frozen=True):
    question: str
    answer: str
    answered_by: str
    answered_at: datetime


class Marked(Value, frozen=True):
    event_id: int
    mark: EventMark
    marked_by: str
    marked_at: datetime


class ActionItem(Value, frozen=True):
    """What the analysis asks someone to do; `link` is a ticket's URL, never fetched."""

    title: str
    owner: str = ""
    due: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    link: str = ""
    id: int = 0
    created_by: str = ""
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        # a ticket URL pasted with its credentials keeps them out of the store
        force_setattr(self, "link", redact_url(self.link))


ACTION_FIELDS = ("title", "owner", "due", "status", "link")


class MetricSnapshot(Value, frozen=True):
    """A chart's series as drawn when a responder froze it: the points stay when the
    source's retention has long dropped them."""

    chart: Chart
    taken_by: str
    taken_at: datetime
    id: int = 0


def chart_to_json(chart: Chart) -> dict[str, Any]:
    """The drawn chart without its marks (the timeline has those), epochs for times."""
    return {
        "key": chart.key,
        "title": chart.title,
        "query": chart.query,
        "source": chart.source,
        "start": to_epoch(chart.start),
        "end": to_epoch(chart.end),
        "threshold": chart.threshold,
        "operator": chart.operator,
        "stale": chart.stale,
        "series": [
            {"labels": dict(s.labels), "points": [[to_epoch(t), v] for t, v in s.points]}
            for s in chart.series
        ],
    }


def chart_from_json(data: Mapping[str, Any]) -> Chart:
    def when(value: object) -> datetime:
        at = from_epoch(float(value))  # type: ignore[arg-type]
        assert at is not None
        return at

    return Chart(
        key=str(data["key"]),
        title=str(data["title"]),
        query=str(data["query"]),
        source=str(data["source"]),
        start=when(data["start"]),
        end=when(data["end"]),
        threshold=None if data.get("threshold") is None else float(data["threshold"]),
        operator=str(data.get("operator", "")),
        stale=str(data.get("stale", "")),
        series=tuple(
            Series(
                {str(k): str(v) for k, v in s["labels"].items()},
                tuple((when(t), float(v)) for t, v in s["points"]),
            )
            for s in data.get("series", ())
        ),
    )


class Durations(Value, frozen=True):
    """Time to acknowledge, mitigate and resolve, from the incident's declaration.

    None where the moment has not come (or was never recorded)."""

    acknowledge: timedelta | None
    mitigate: timedelta | None
    resolve: timedelta | None
    mitigated_at: datetime | None
    mitigated_by: str  # "mark", "first alert resolved", "resolved" or ""


def durations(
    declared_at: datetime,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    mitigation_mark: datetime | None,
    alerts_ended: Iterable[datetime | None],
) -> Durations:
    """The acknowledgement is the first one on the timeline (a reopen clears the
    incident's own), so a reopened incident's TTA is not reset to the re-ack."""
    ended = sorted(t for t in alerts_ended if t is not None)
    if mitigation_mark is not None:
        mitigated_at, by = mitigation_mark, "mark"
    elif ended:
        mitigated_at, by = ended[0], "first alert resolved"
    elif resolved_at is not None:
        mitigated_at, by = resolved_at, "resolved"
    else:
        mitigated_at, by = None, ""

    def since(at: datetime | None) -> timedelta | None:
        return None if at is None else max(at - declared_at, timedelta(0))

    return Durations(
        since(acknowledged_at), since(mitigated_at), since(resolved_at), mitigated_at, by
    )


def shown_marks(marks: Sequence[Marked]) -> dict[int, EventMark]:
    """The mark in force per event: the latest write wins; `none` clears."""
    out: dict[int, EventMark] = {}
    for mark in sorted(marks, key=lambda m: m.marked_at):
        if mark.mark is EventMark.NONE:
            out.pop(mark.event_id, None)
        else:
            out[mark.event_id] = mark.mark
    return out
