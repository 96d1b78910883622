"""The hand-off as a pure function: what each section takes and leaves."""

from __future__ import annotations

from datetime import timedelta

from warroom.model import EventKind, Impact, Incident, IncidentStatus, TimelineEvent
from warroom.model.alert import AlertKey
from warroom.model.handoff import ShiftSilence, build_handoff, is_handoff_note

from .helpers import T0

NOW = T0 + timedelta(hours=12)


def _note(text: str) -> TimelineEvent:
    return TimelineEvent(1, 1, NOW - timedelta(hours=1), EventKind.NOTE, "alice", text)


def test_only_a_handoff_tag_flags_a_note() -> None:
    flagged = ["#handoff db-1", "watch it #HandOff", "see #hand-off.", "(#handoff)"]
    unflagged = ["#handoffs later", "x#handoff", "##handoff", "handoff", "#hand off"]
    assert [is_handoff_note(_note(t)) for t in flagged] == [True] * len(flagged)
    assert [is_handoff_note(_note(t)) for t in unflagged] == [False] * len(unflagged)


def test_what_the_report_cannot_tell_is_said() -> None:
    acked = Incident(
        1,
        "acked",
        Impact.HIGH,
        IncidentStatus.ACKNOWLEDGED,
        T0,
        "bot",
        acknowledged_at=T0 + timedelta(hours=1),
        acknowledged_by="bob",
    )
    silences = [
        ShiftSilence("am", "m", "bob", NOW + timedelta(days=2), None, ()),
        ShiftSilence("am", "k", "bob", NOW + timedelta(days=2), None, (AlertKey("am", "f"),)),
    ]
    report = build_handoff(
        since=T0,
        now=NOW,
        incidents=[acked],
        events=[],
        alerts=[],
        silences=silences,
        ack_timeouts={},
        planned=lambda alert: False,
    )
    assert report.stale_acks == ()  # no ack_timeout: never stale, but said so
    assert [s.silence_id for s in report.idle_silences] == ["k"]  # its alert is not firing
    assert report.expiring_silences == ()  # they end after the next shift
    assert report.remarks == (
        "1 acknowledged incident(s) engage no escalation plan with an ack_timeout:"
        " their acknowledgements never go stale",
        "1 silence(s) made from matchers: whether they match an alert is not kept",
    )
    on_time = build_handoff(
        since=T0,
        now=NOW,
        incidents=[acked],
        events=[],
        alerts=[],
        silences=[],
        ack_timeouts={1: timedelta(hours=12)},
        planned=lambda alert: False,
    )
    assert on_time.stale_acks == () and on_time.remarks == ()  # due at NOW + 1 h
