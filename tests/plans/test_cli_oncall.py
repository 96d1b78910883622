"""`warroom oncall` and `warroom shifts` as a responder runs them: real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom

from .helpers import write

PLANS = """\
kind: contact
name: alice
display_name: "Alice \\e[31m[bold]red[/bold]"
channels: [{name: log, type: log}]
---
kind: contact
name: bob
channels: [{name: log, type: log}]
---
kind: schedule
name: primary
timezone: America/New_York
rotations:
  - name: daily
    members: [alice, bob]
    anchor: {date: "2026-03-01", handoff: "02:30"}
    every: {unit: day}
---
kind: schedule
name: office
timezone: Europe/London
rotations:
  - name: days
    members: [bob]
    anchor: {date: "2026-01-05", handoff: "09:00"}
    every: {unit: week}
    coverage: {mon-fri: ["09:00-17:00"]}
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    write(tmp_path / "plans", "people.yaml", PLANS)
    config = tmp_path / "config.yaml"
    config.write_text(f"plans: {tmp_path / 'plans'}\nsources:\n  - {{name: demo, type: demo}}\n")
    return config, clean_env(tmp_path)


def test_oncall_at_a_time_names_everyone_per_schedule(setup: tuple[Path, dict[str, str]]) -> None:
    config, env = setup
    # Sunday 2026-03-08: New York's 02:30 hand-off happens at 03:00 EDT (07:00Z)
    before = warroom("--config", config, "oncall", "--at", "2026-03-08T06:59Z", "--json", env=env)
    after = warroom("--config", config, "oncall", "--at", "2026-03-08T07:00Z", "--json", env=env)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    first = {r["schedule"]: r["on_call"] for r in map(json.loads, before.stdout.splitlines())}
    then = {r["schedule"]: r["on_call"] for r in map(json.loads, after.stdout.splitlines())}
    assert first == {"primary": ["alice"], "office": []}  # turn 6; a Sunday: no office
    assert then == {"primary": ["bob"], "office": []}


def test_oncall_prints_names_without_escapes_or_markup(setup: tuple[Path, dict[str, str]]) -> None:
    config, env = setup
    done = warroom("--config", config, "oncall", "primary", "--at", "2026-03-08T06:00Z", env=env)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    # the escape shows as a visible ␛, the markup as the text it is
    assert done.stdout.split(None, 1) == ["primary", "Alice ␛[31m[bold]red[/bold]\n"]


def test_shifts_cut_where_the_people_change_in_the_responders_zone(
    setup: tuple[Path, dict[str, str]],
) -> None:
    config, env = setup
    env = {**env, "TZ": "Asia/Tokyo"}
    done = warroom(
        "--config", config, "shifts", "office",
        "--from", "2026-11-27T00:00Z", "--to", "2026-11-30T00:00Z", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # Friday 09:00-17:00 London (GMT) is 18:00-02:00 in Tokyo; then the weekend
    assert lines[0].startswith("2026-11-27 09:00:00 JST  2026-11-27 18:00:00 JST  nobody")
    assert lines[1] == "2026-11-27 18:00:00 JST  2026-11-28 02:00:00 JST  bob"
    assert lines[2].startswith("2026-11-28 02:00:00 JST  2026-11-30 09:00:00 JST  nobody")
    as_json = warroom(
        "--config", config, "shifts", "office", "--json",
        "--from", "2026-11-27T00:00Z", "--to", "2026-11-30T00:00Z", env=env,
    )  # fmt: skip
    spans = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert spans[1] == {
        "start": "2026-11-27T09:00:00+00:00",
        "end": "2026-11-27T17:00:00+00:00",
        "on_call": ["bob"],
    }


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("oncall", "nope"), "warroom: no schedule named 'nope' (known: office, primary)"),
        (("shifts", "nope"), "warroom: no schedule named 'nope' (known: office, primary)"),
        (("oncall", "--at", "tomorrow"), "time 'tomorrow': use e.g. 2026-12-24T17:00"),
        (
            ("shifts", "office", "--from", "2026-11-27T00:00Z", "--to", "2026-11-26T00:00Z"),
            "warroom: --to must be after --from",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    setup: tuple[Path, dict[str, str]], args: tuple[str, ...], said: str
) -> None:
    config, env = setup
    done = warroom("--config", config, *args, env=env)
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
