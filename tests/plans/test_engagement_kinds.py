"""Contacts, schedules and escalation plans in `plans/`: loaded into model values, and
every mistake reported at `file:line:col` (issue 10, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.model.contact import ChannelType
from warroom.model.escalation import EmptyStage, TargetKind
from warroom.model.oncall import on_call
from warroom.plans import load_plans

from .helpers import locate, plan_doc, split_located, write

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

CONTACTS = """\
kind: contact
name: alice
display_name: Alice A.
timezone: Europe/London
channels:
  - {name: mail, type: email, to: alice@example.com}
  - {name: page, type: pagerduty, routing_key: "${PD_ALICE}"}
engagement:
  - {channel: mail, after: 0m, retry_every: 10m}
  - {channel: page, after: 5m}
---
kind: contact
name: bob
channels:
  - {name: mail, type: email, to: bob@example.com}
---
kind: contact
name: ops-room
channels:
  - {name: room, type: slack, url: "${SLACK_OPS}"}
"""

SCHEDULE = """\
kind: schedule
name: primary
timezone: America/New_York
rotations:
  - name: weekly
    members: [alice, bob]
    anchor: {date: 2026-03-02, handoff: "09:00"}
    every: {unit: week}
overrides:
  - {from: "2026-12-24T17:00", to: "2026-12-26T09:00", replace: alice, with: bob, reason: holiday}
"""

ESCALATION = """\
kind: escalation-plan
name: payments-critical
repeat: 2
empty_stage: skip
ack_timeout: 60m
stages:
  - duration: 5m
    targets: [{schedule: primary, essential: true}, {contact: ops-room}]
  - duration: 0m
    targets: [{contact: bob, essential: true}]
"""


def load(tmp_path: Path, *texts: str) -> tuple[object, list[Path]]:
    paths = [write(tmp_path / "plans", f"{i}.yaml", text) for i, text in enumerate(texts)]
    return load_plans(tmp_path / "plans", now=NOW), paths


def test_the_three_kinds_load_into_model_values(tmp_path: Path) -> None:
    extra = "engagements: [escalation-plan:payments-critical, contact:ops-room]\n"
    planset, _ = load(tmp_path, CONTACTS, SCHEDULE, ESCALATION, plan_doc("pay", extra=extra))
    assert planset.errors == [] and planset.warnings == []  # type: ignore[attr-defined]
    alice = planset.contacts["alice"]  # type: ignore[attr-defined]
    assert [c.type for c in alice.channels] == [ChannelType.EMAIL, ChannelType.PAGERDUTY]
    assert alice.engagement[1].after == timedelta(minutes=5)
    assert "PD_ALICE" not in repr(alice)  # channel options are never printed
    assert alice.channels[1].options["routing_key"].references == ["PD_ALICE"]  # unresolved
    where = planset.channel_where[("alice", "page")]  # type: ignore[attr-defined]
    assert (where.line, where.column) == (7, 5)  # for the notify layer's own checks
    bob = planset.contacts["bob"]  # type: ignore[attr-defined]
    assert [s.channel for s in bob.engagement] == ["mail"]  # default: every channel at once
    primary = planset.schedules["primary"]  # type: ignore[attr-defined]
    # 2026-11-23 09:00 EST starts turn 38 (an even one): alice
    assert on_call(primary, datetime(2026, 11, 26, 15, tzinfo=UTC)) == ("alice",)
    assert on_call(primary, datetime(2026, 12, 25, 12, tzinfo=UTC)) == ("bob",)  # the override
    plan = planset.escalation_plans["payments-critical"]  # type: ignore[attr-defined]
    assert plan.repeat == 2 and plan.empty_stage is EmptyStage.SKIP
    assert plan.ack_timeout == timedelta(minutes=60)
    first = plan.stages[0]
    assert [(t.kind, t.name, t.essential) for t in first.targets] == [
        (TargetKind.SCHEDULE, "primary", True),
        (TargetKind.CONTACT, "ops-room", False),
    ]


def _only_error(planset: object) -> tuple[str, int, int, str]:
    errors = planset.errors  # type: ignore[attr-defined]
    assert len(errors) == 1, errors
    return split_located(errors[0])


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        (
            "kind: contact\nname: carol\nchannels: []\n",
            "[]",
            "a contact needs at least one channel",
        ),
        (
            "kind: contact\nname: carol\n",
            "kind",
            "a contact needs 'channels'",
        ),
        (
            "kind: contact\nname: carol\nchannels:\n  - {name: m, type: pigeon}\n",
            "pigeon",
            "channel type 'pigeon': one of pagerduty, slack, teams, webhook, email, log",
        ),
        (
            "kind: contact\nname: carol\nchannels:\n  - {name: m, type: email, to: c@x}\n"
            "engagement:\n  - {channel: sms}\n",
            "sms",
            "no channel 'sms' in this contact (channels: m)",
        ),
        (
            "kind: contact\nname: carol\nchannels:\n  - {name: t, type: teams,"
            " url: 'https://acme.webhook.office.com/webhookb2/abc'}\n",
            "'https://acme",
            "a legacy Office 365 connector URL",
        ),
        (
            "kind: schedule\nname: s\ntimezone: Mars/Base\nrotations: []\n",
            "Mars/Base",
            "unknown time zone 'Mars/Base'",
        ),
        (
            "kind: schedule\nname: s\ntimezone: UTC\nrotations:\n  - name: r\n    members: [a]\n"
            "    anchor: {date: 2026-01-31}\n    every: {unit: month}\n",
            "2026-01-31",
            "a monthly hand-off on day 31 does not happen every month",
        ),
        (
            "kind: schedule\nname: s\ntimezone: UTC\nrotations:\n  - name: r\n    members: [a]\n"
            "    anchor: {date: 2026-01-05, handoff: '25:00'}\n    every: {unit: day}\n",
            "'25:00'",
            "time '25:00': a 24-hour wall time",
        ),
        (
            "kind: schedule\nname: s\ntimezone: UTC\nrotations:\n  - name: r\n    members: [a]\n"
            "    anchor: {date: 2026-01-05}\n    every: {unit: day}\n"
            "    coverage: {mun-fri: ['09:00-17:00']}\n",
            "['09:00-17:00']",
            "day 'mun'",
        ),
        (
            "kind: escalation-plan\nname: e\nstages:\n  - {duration: 0m}\n",
            "{duration: 0m}",
            "a 0-minute stage needs targets",
        ),
        (
            "kind: escalation-plan\nname: e\nstages:\n  - duration: 5m\n"
            "    targets: [{contact: a, schedule: b}]\n",
            "{contact: a",
            "a target names one contact or one schedule",
        ),
    ],
)
def test_a_mistake_is_reported_at_its_place(
    tmp_path: Path, text: str, needle: str, message: str
) -> None:
    planset, (path,) = load(tmp_path, text)
    where, line, column, said = _only_error(planset)
    assert where == str(path)
    assert (line, column) == locate(text, needle), said
    assert said.startswith(message), said


def test_names_that_refer_across_files_are_checked_at_the_referring_name(tmp_path: Path) -> None:
    schedule = SCHEDULE.replace("[alice, bob]", "[alice, bobby]")
    extra = "engagements: [escalation-plan:payments-critcal]\n"
    plan = plan_doc("pay", extra=extra)
    planset, (_, schedule_path, _, plan_path) = load(tmp_path, CONTACTS, schedule, ESCALATION, plan)
    errors = sorted(planset.errors)  # type: ignore[attr-defined]
    assert len(errors) == 2, errors
    by_file = {split_located(e)[0]: split_located(e) for e in errors}
    _, line, column, said = by_file[str(schedule_path)]
    assert (line, column) == locate(schedule, "bobby")
    assert said.startswith("schedule 'primary': no contact named 'bobby' (known: alice, bob,")
    _, line, column, said = by_file[str(plan_path)]
    assert (line, column) == locate(plan, "escalation-plan:payments-critcal")
    assert "no escalation-plan named 'payments-critcal' (known: payments-critical)" in said
    assert {str(p) for p in planset.rejected} == {str(schedule_path), str(plan_path)}  # type: ignore[attr-defined]


def test_a_bare_engagement_word_is_a_warning_that_nobody_is_paged(tmp_path: Path) -> None:
    planset, _ = load(tmp_path, plan_doc("pay", extra="engagements: [storage-oncall]\n"))
    assert planset.errors == []  # type: ignore[attr-defined]
    (warning,) = planset.warnings  # type: ignore[attr-defined]
    assert "engagement 'storage-oncall' names nobody warroom can page" in warning


def test_a_schedule_with_gaps_in_the_next_30_days_is_a_warning_naming_them(tmp_path: Path) -> None:
    days = SCHEDULE.replace(
        "    every: {unit: week}\n",
        "    every: {unit: week}\n    coverage: {mon-fri: ['09:00-17:00']}\n",
    )
    planset, (_, path) = load(tmp_path, CONTACTS, days)
    (warning,) = planset.warnings  # type: ignore[attr-defined]
    assert warning.startswith(f"{path}:2:7: schedule 'primary' has nobody on call")
    # Thursday 2026-11-26 12:00Z is 07:00 in New York: nobody until 09:00 EST (14:00Z)
    assert "from 2026-11-26 12:00 to 2026-11-26 14:00; 2026-11-26 22:00 to" in warning
    assert "more (UTC)" in warning


def test_a_duplicate_name_is_refused_within_a_kind_not_across_kinds(tmp_path: Path) -> None:
    twice = CONTACTS + "---\n" + CONTACTS.split("---\n")[1]
    same_name = (
        SCHEDULE.replace("name: primary", "name: bob")
        .replace("[alice, bob]", "[alice]")
        .replace(", replace: alice, with: bob", ", replace: alice, with: alice")
    )
    planset, _ = load(tmp_path, twice, same_name)
    (error,) = planset.errors  # type: ignore[attr-defined]
    assert "duplicate contact name 'bob'" in error
    assert "bob" in planset.schedules  # type: ignore[attr-defined]
