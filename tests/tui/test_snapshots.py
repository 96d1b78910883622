"""Every tab at 80x24, in 256 colours and under NO_COLOR, compared cell for cell with
the screen as it was last looked at and accepted.

A test that reads a widget can pass while the screen is blank or unreadable;
these compare what a terminal would be sent. The clock is frozen, the data
fixed, the zone UTC, so a screen only differs when the code drew it otherwise.

When a change is meant, look at the new screens (the failure prints the
difference) and accept them: `WARROOM_SNAPSHOT_UPDATE=1 pytest tests/tui/test_snapshots.py`,
then read the diff of tests/tui/snapshots/ before committing it.

(pytest-textual-snapshot would need syrupy 4.8, which refuses pytest 9; these
few lines do what we need of it.)
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from tests.support.alerts import alert

from warroom.engine import Service
from warroom.model import Alert, AlertKey, Impact, Severity
from warroom.model.value import replace
from warroom.tui.app import WarroomApp
from warroom.tui.tabs import TABS

from .conftest import render_styled

SNAPSHOTS = Path(__file__).parent / "snapshots"
NOW = datetime(2026, 11, 26, 3, 14, 0, tzinfo=UTC)
UPDATE = os.environ.get("WARROOM_SNAPSHOT_UPDATE") == "1"

# what each tab shows once it has loaded (a screen taken before that is not the tab)
LOADED = {
    "alerts": "DiskFull",
    "incidents": "Checkout is down",
    "incident": "Checkout is down",
    "timeline": "rolled back",
    "silences": "silence",
    "sources": "demo",
    "oncall": "primary",
    "runbook": "S starts one",
    "metrics": "No incident open",
    "analysis": "No incident open",
}

PEOPLE = """\
kind: contact
name: alice
channels: [{name: log, type: log}]
---
kind: contact
name: bob
channels: [{name: log, type: log}]
---
kind: schedule
name: primary
timezone: UTC
rotations:
  - name: days
    members: [alice, bob]
    anchor: {date: "2026-11-01", handoff: "09:00"}
    every: {unit: day}
"""


def screen_bytes(app: WarroomApp, color_system: str) -> tuple[str, str]:
    """(plain text, what a terminal of `color_system` would be sent) for the screen."""
    return render_styled(app, color_system)


def colour_mode(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """`NO_COLOR` set for that mode and unset for the colour ones; each test names
    its colour system when it takes the shot."""
    if mode == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)


async def settled_shot(ui: Any, system: str) -> tuple[str, str]:
    """The screen once two shots a quarter second apart agree (at most 5 s): a shot
    taken while something is still being drawn is not the screen."""
    shot = screen_bytes(ui.app, system)
    for _ in range(20):
        await ui.pilot.pause(0.25)
        again = screen_bytes(ui.app, system)
        if again == shot:
            break
        shot = again
    return shot


def compare(name: str, text: str, raw: str) -> None:
    plain_file, raw_file = SNAPSHOTS / f"{name}.txt", SNAPSHOTS / f"{name}.ansi"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        plain_file.write_text(text, encoding="utf-8")
        raw_file.write_text(raw, encoding="utf-8")
        return
    if not plain_file.exists():
        pytest.fail(
            f"no snapshot {plain_file.name}: look at the screen, then accept it with"
            " WARROOM_SNAPSHOT_UPDATE=1"
        )
    expected = plain_file.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "accepted", "now", lineterm=""
            )
        )
        pytest.fail(f"{name}: the screen's text changed\n{diff}")
    if raw != raw_file.read_text(encoding="utf-8"):
        old = raw_file.read_text(encoding="utf-8").split("\n")
        new = raw.split("\n")
        line = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 0)
        pytest.fail(
            f"{name}: same text, other colours or styles, from screen line {line + 1}:\n"
            f"accepted {old[line]!r}\nnow      {new[line]!r}"
        )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def _alert(fingerprint: str, name: str, severity: Severity, minutes_ago: int) -> Alert:
    return alert(
        name,
        source="demo",
        fingerprint=fingerprint,
        severity=severity,
        starts_at=NOW - timedelta(minutes=minutes_ago),
        labels={"instance": f"{fingerprint}-1"},
        annotations={"summary": f"{name} on {fingerprint}-1"},
    )


async def _seed(console, tmp_path: Path) -> int:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "people.yaml").write_text(PEOPLE)
    console.config = replace(console.config, plans=plans)
    alerts = [
        _alert("disk", "DiskFull", Severity.CRITICAL, 42),
        _alert("api", "HighErrorRate", Severity.ERROR, 17),
        _alert("lag", "ReplicationLag", Severity.WARNING, 5),
        _alert("cert", "CertExpiringSoon", Severity.INFO, 300),
    ]
    await console.seed(alerts)
    async with console.store() as store:
        service = Service(store, "bob", clock=lambda: NOW - timedelta(minutes=9))
        incident = await service.declare_incident(
            [AlertKey("demo", "api")], "Checkout is down", Impact.HIGH
        )
        await service.add_note(incident, "rolled back the 03:00 deploy")
    return incident


# outcome of each snapshot test as its fresh interpreter reported it, by node id
_CHILD_OUTCOMES: dict[str, str | None] = {}


def _colour_group(item: pytest.Item) -> tuple[str, str]:
    callspec = getattr(item, "callspec", None)
    mode = str(callspec.params.get("mode", "")) if callspec is not None else ""
    return (str(item.path), mode)


def _run_children(items: list[pytest.Item]) -> None:
    """One fresh interpreter for every screen of one file in one colour mode: the
    colours cached across apps are then the mode's own, and 26 interpreter starts
    (a fifth of the suite's time, issue 9's CI budget) become a handful."""
    env = {**os.environ, "WARROOM_SNAPSHOT_CHILD": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.xml"
        try:
            done = subprocess.run(
                # no Hypothesis plugin: no screen uses it, and importing it costs each
                # of these fresh interpreters a second or more of CPU
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-p",
                    "no:hypothesispytest",
                    f"--junitxml={report}",
                    *(item.nodeid for item in items),
                ],
                cwd=Path(__file__).parents[2],
                env=env,
                capture_output=True,
                text=True,
                timeout=120 + 60 * len(items),
            )
            output = f"{done.stdout[-4000:]}{done.stderr[-2000:]}"
            cases = ElementTree.parse(report).getroot().iter("testcase")
        except (subprocess.TimeoutExpired, OSError, ElementTree.ParseError) as error:
            for item in items:
                _CHILD_OUTCOMES[item.nodeid] = f"the fresh interpreter failed: {error}"
            return
        by_name: dict[str, str | None] = {}
        for case in cases:
            bad = [c for c in case if c.tag in ("failure", "error", "skipped")]
            by_name[case.get("name", "")] = (
                None if not bad else f"{bad[0].tag}: {bad[0].text or bad[0].get('message')}"
            )
    for item in items:
        _CHILD_OUTCOMES[item.nodeid] = by_name.get(
            item.name, f"the fresh interpreter did not report it:\n{output}"
        )


@pytest.fixture
def fresh_process(request: pytest.FixtureRequest) -> bool:
    """Run the test again in a fresh interpreter, and pass or fail with it: Rich and
    Textual cache rendered colours on objects shared across apps, so in the full
    suite a screen came out in colours an earlier test rendered (CI saw 256-colour
    snapshots hold truecolor cells). True in that fresh interpreter.

    The screens of one file and one colour mode share their interpreter (their
    cached colours agree); each test still passes or fails on its own screen."""
    if os.environ.get("WARROOM_SNAPSHOT_CHILD") == "1":
        return True
    node = request.node
    if node.nodeid not in _CHILD_OUTCOMES:
        group = _colour_group(node)
        _run_children(
            [
                item
                for item in request.session.items
                if "fresh_process" in getattr(item, "fixturenames", ())
                and _colour_group(item) == group
                and item.nodeid not in _CHILD_OUTCOMES
            ]
        )
    failure = _CHILD_OUTCOMES[node.nodeid]
    if failure is not None:
        pytest.fail(f"in a fresh interpreter:\n{failure[-6000:]}")
    return False


@pytest.mark.parametrize("mode", ["256", "NO_COLOR"])
@pytest.mark.parametrize("tab", [t.id for t in TABS])
async def test_every_tab_at_80x24(
    fresh_process: bool, console, utc, monkeypatch, tmp_path: Path, tab: str, mode: str
) -> None:
    if not fresh_process:
        return  # the fresh interpreter compared the screen
    colour_mode(monkeypatch, mode)
    incident = await _seed(console, tmp_path)
    async with console.start(size=(80, 24), clock=lambda: NOW) as ui:
        if tab in ("incident", "timeline"):
            ui.app.open_incident(incident, tab=tab)
        else:
            ui.app.show_tab(tab)
        want = LOADED.get(tab, "")
        system = "standard" if mode == "NO_COLOR" else "256"

        def loaded() -> bool:
            text = screen_bytes(ui.app, system)[0]
            return ui.active_tab == tab and want in text and "palette" in text

        await ui.wait_for(loaded, 5, f"{tab} loaded, its footer drawn")
        # the same screen twice, a quarter second apart: nothing is still being drawn
        shot = await settled_shot(ui, system)
        text, raw = shot
    compare(f"{tab}-{mode.lower()}", text, raw)


RUNBOOK = """\
kind: runbook
name: disk-full-cleanup
description: Find what fills the disk, have a second responder approve, then clean up.
parameters:
  - name: mountpoint
    default: "{labels.mountpoint}"
steps:
  - name: usage
    kind: command
    argv: [df, -h]
    timeout: 30s
  - name: dry-run
    kind: command
    argv: [find, "{params.mountpoint}", -xdev, -type, f, -size, +100M, -print]
    timeout: 2m
  - name: go-ahead
    kind: approve
    message: "Delete the files the dry run listed under {params.mountpoint}?"
  - name: cleanup
    kind: manual
    instructions: "Delete the files the dry run listed, then confirm."
  - name: settle
    kind: wait
    until: alerts-resolved
    timeout: 15m
"""


@pytest.mark.parametrize("mode", ["256", "NO_COLOR"])
async def test_a_run_on_the_runbook_tab_at_80x24(
    fresh_process: bool, console, utc, monkeypatch, tmp_path: Path, mode: str
) -> None:
    """A run in progress: a step done, one running with its bar and its output, three to come."""
    if not fresh_process:
        return
    from warroom.plans import load_plans
    from warroom.tui.context import console as console_of
    from warroom.tui.runbook_view import RunbookView

    from .runbook_support import MemoryRunbooks

    colour_mode(monkeypatch, mode)
    incident = await _seed(console, tmp_path)
    (tmp_path / "plans" / "runbooks.yaml").write_text(RUNBOOK)
    runbooks = load_plans(tmp_path / "plans").runbooks
    at = [NOW - timedelta(minutes=2)]
    memory = MemoryRunbooks(runbooks, lambda: at[0])
    run = memory.new_run("disk-full-cleanup", {"mountpoint": "/var"}, "bob", incident)
    memory.begin(run, "usage")
    memory.print(run, "usage", "Filesystem  Size  Used Avail Use% Mounted on\n")
    at[0] = NOW - timedelta(seconds=95)
    memory.result(run, "usage", 0)
    memory.begin(run, "dry-run")
    listing = "".join(f"/var/log/app/huge-{i:03d}.log\n" for i in range(40))
    memory.print(run, "dry-run", listing + "/var/log/app/\x1b]0;pwned\x07huge-040.log\n")
    monkeypatch.setattr(
        RunbookView, "data", property(lambda view: memory.for_actor(console_of(view).actor))
    )
    async with console.start(size=(80, 24), clock=lambda: NOW) as ui:
        ui.app.open_incident(incident, tab="runbook")
        system = "standard" if mode == "NO_COLOR" else "256"

        def loaded() -> bool:
            text = screen_bytes(ui.app, system)[0]
            return "huge-040.log" in text and "palette" in text

        await ui.wait_for(loaded, 5, "the run and its output drawn")
        shot = await settled_shot(ui, system)
        text, raw = shot
    assert "pwned" not in raw
    compare(f"runbook-run-{mode.lower()}", text, raw)
