"""`warroom override`, `warroom overrides`, and `oncall`/`shifts` applying them (issue #10
items 2 and 7): real processes on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom

from warroom.model import EventKind
from warroom.store import open_store

from .helpers import write

# alice is on call around the clock; bob and carol are contacts besides
PLANS = """\
kind: contact
name: alice
channels: [{name: log, type: log}]
---
kind: contact
name: bob
display_name: "Bob \\e[31m[bold]B[/bold]"
channels: [{name: log, type: log}]
---
kind: contact
name: carol
channels: [{name: log, type: log}]
---
kind: schedule
name: primary
timezone: UTC
rotations:
  - name: always
    members: [alice]
    anchor: {date: "2026-01-05", handoff: "09:00"}
    every: {unit: week}
"""


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        write(tmp_path / "plans", "people.yaml", PLANS)
        self.db = tmp_path / "shared.db"
        self.config = tmp_path / "config.yaml"
        self.config.write_text(f"database: {self.db}\nplans: {tmp_path / 'plans'}\n")
        self.env = clean_env(tmp_path)

    def run(self, *args: str) -> tuple[int, str, str]:
        done = warroom("--config", self.config, *args, env=self.env)
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, done.stdout, done.stderr

    def on_call(self) -> list[str]:
        code, out, err = self.run("oncall", "primary", "--json")
        assert code == 0, err
        people: list[str] = json.loads(out)["on_call"]
        return people


async def _create(path: Path) -> None:
    store = await open_store(path)
    await store.close()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    made = Setup(tmp_path)
    asyncio.run(_create(made.db))
    return made


async def _console_log(path: Path) -> list[tuple[EventKind, str, str]]:
    store = await open_store(path, read_only=True)
    try:
        return [(e.kind, e.actor, e.text) for e in await store.timeline(None)]
    finally:
        await store.close()


def test_an_override_puts_bob_on_call_until_cancelled(setup: Setup) -> None:
    assert setup.on_call() == ["alice"]
    code, out, err = setup.run(
        "override", "primary", "--with", "bob", "--replace", "alice", "--for", "2h",
        "--reason", "alice is on a plane", "--json",
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["done"] is True and made["warnings"] == []
    override_id = made["override"]["id"]
    assert made["override"]["with"] == "bob" and made["override"]["replace"] == "alice"

    assert setup.on_call() == ["bob"]
    code, out, err = setup.run("shifts", "primary", "--json")
    assert code == 0, err
    shifts = [json.loads(line)["on_call"] for line in out.splitlines()]
    assert shifts == [["bob"], ["alice"]]
    code, out, _ = setup.run("oncall", "primary")
    # the display name, its escape visible and its markup as text
    assert out.split(None, 1) == ["primary", "Bob ␛[31m[bold]B[/bold]\n"]

    code, out, err = setup.run("overrides", "--json")
    assert code == 0, err
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert (listed["id"], listed["reason"]) == (override_id, "alice is on a plane")
    code, out, _ = setup.run("overrides", "primary")
    assert code == 0 and f"#{override_id}" in out and "bob for alice" in out

    code, out, err = setup.run("override", "--cancel", str(override_id))
    assert code == 0, err
    assert out.startswith(f"cancelled override #{override_id}")
    assert setup.on_call() == ["alice"]
    code, out, _ = setup.run("overrides")
    assert (code, out) == (0, "no overrides in force or to come\n")
    # a second cancel is refused (exit 1), naming who cancelled it
    code, _, err = setup.run("override", "--cancel", f"#{override_id}")
    assert code == 1 and "already cancelled by" in err

    log = asyncio.run(_console_log(setup.db))
    assert [kind for kind, _, _ in log] == [
        EventKind.OVERRIDE_ADDED,
        EventKind.OVERRIDE_CANCELLED,
    ]
    assert "bob takes primary from alice" in log[0][2] and "alice is on a plane" in log[0][2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "--with", "bob", "--for", "1h", "--reason", "x"), "no schedule named 'nope'"),
        (("primary", "--with", "zed", "--for", "1h", "--reason", "x"), "'zed' is not a contact"),
        (
            ("primary", "--with", "bob", "--replace", "carol", "--for", "1h", "--reason", "x"),
            "'carol' is not on the primary rota",
        ),
        (
            (
                "primary",
                "--with",
                "bob",
                "--from",
                "2030-01-02T10:00Z",
                "--to",
                "2030-01-02T09:00Z",
                "--reason",
                "x",
            ),
            "before it starts",
        ),
        (("primary", "--with", "bob", "--for", "1h"), "--reason"),
        (("primary", "--for", "1h", "--reason", "x"), "say who"),
        (("primary", "--with", "bob", "--reason", "x"), "--to TIME or --for"),
        (("primary", "--with", "bob", "--for", "soon", "--reason", "x"), "not a duration"),
        (("primary", "--with", "bob", "--to", "tuesday", "--reason", "x"), "time 'tuesday'"),
        (("--cancel", "abc"), "not an override number"),
        (("--cancel", "42"), "no override #42"),
        (("--cancel", "1", "primary"), "--cancel ID takes nothing else"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    setup: Setup, args: tuple[str, ...], message: str
) -> None:
    code, out, err = setup.run("override", *args)
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if not line.startswith(("usage:", " "))]
    assert len(lines) == 1 and message in lines[0], err
    assert asyncio.run(_console_log(setup.db)) == []


def test_override_needs_an_existing_database(tmp_path: Path) -> None:
    made = Setup(tmp_path)
    code, _, err = made.run("override", "primary", "--with", "bob", "--for", "1h", "--reason", "x")
    assert code == 2 and "no database at" in err
    assert not made.db.exists()


def test_oncall_answers_from_the_plans_when_the_store_cannot_be_read(tmp_path: Path) -> None:
    made = Setup(tmp_path)
    assert made.on_call() == ["alice"]  # no database yet: no overrides, nothing to say
    made.db.write_bytes(b"not a database at all" * 100)
    code, out, err = made.run("oncall", "primary", "--json")
    assert code == 1
    assert json.loads(out)["on_call"] == ["alice"]
    assert err.count("\n") == 1 and "overrides not applied" in err
