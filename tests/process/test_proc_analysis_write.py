"""`warroom analysis ID answer|mark|action ...` (issue 12): the analysis written from a
script, run as a real `warroom` process against a real SQLite file, read back with
`warroom analysis ID --json`. Bad words are one line and exit 2, before the database
is opened; a write the incident refuses is one line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import Impact
from warroom.store import open_store


@pytest.fixture
async def db(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "shared.db"
    (tmp_path / "config.yaml").write_text(f"database: {path}\n")
    store = await open_store(path)
    try:
        service = Service(store, "alice")
        incident = await service.declare_incident([], "Checkout errors", Impact.HIGH)
        note = await service.add_note(incident, "restarted web-1")
    finally:
        await store.close()
    env = {**clean_env(tmp_path), "USER": "carol", "LOGNAME": "carol"}
    return {"config": tmp_path / "config.yaml", "id": incident, "note": note, "env": env}


def _analysis(db: dict[str, Any], *more: str, stdin: str | None = None) -> Any:
    args = ["--config", db["config"], "analysis", str(db["id"]), *more]
    if stdin is None:
        return run(*args, env=db["env"])
    import subprocess

    from tests.support.cli import ROOT, warroom_command

    return subprocess.run(
        warroom_command(*args), env=db["env"], cwd=ROOT, input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _read(db: dict[str, Any]) -> dict[str, Any]:
    done = _analysis(db, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_answers_marks_and_action_items_written_from_the_command_line(
    db: dict[str, Any],
) -> None:
    done = _analysis(db, "answer", "detection", "The", "5xx", "alert", "fired.")
    assert (done.returncode, done.stdout) == (0, f"#{db['id']}: detection answered\n"), done.stderr
    done = _analysis(db, "answer", "prevention", "-", stdin="Lint configs.\nIn CI.\n")
    assert done.returncode == 0, done.stderr
    done = _analysis(db, "mark", str(db["note"]), "mitigation", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "incident": db["id"], "actor": "carol", "event": db["note"], "mark": "mitigation"
    }  # fmt: skip
    done = _analysis(
        db, "action", "add", "Canary", "the", "deploy", "--owner", "bob",
        "--due", "2026-12-01", "--link", "https://u:hunter2@t.example/OPS-9", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)["item"]
    assert (item["title"], item["owner"], item["due"], item["status"]) == (
        "Canary the deploy", "bob", "2026-12-01", "open"
    )  # fmt: skip
    assert item["link"] == "https://t.example/OPS-9"  # the password never reaches the store
    done = _analysis(db, "action", str(item["id"]), "done")
    assert (done.returncode, done.stdout) == (
        0, f"#{db['id']}: action item #{item['id']} is done\n"
    ), done.stderr  # fmt: skip

    report = _read(db)
    answers = {q["id"]: (q["answer"], q["answered_by"]) for q in report["questions"]}
    assert answers["detection"] == ("The 5xx alert fired.", "carol")
    assert answers["prevention"] == ("Lint configs.\nIn CI.", "carol")
    marks = {e["id"]: e["mark"] for e in report["timeline"]}
    assert marks[db["note"]] == "mitigation"
    assert report["durations"]["mitigated_by"] == "mark"
    assert [(i["title"], i["status"]) for i in report["action_items"]] == [
        ("Canary the deploy", "done")
    ]
    # each write is on the timeline, by whoever ran the command
    shown = run("--config", db["config"], "show", str(db["id"]), "--json", env=db["env"])
    kinds = [e["kind"] for e in json.loads(shown.stdout.splitlines()[0])["timeline"]]
    assert kinds.count("analysis-answered") == 2 and kinds.count("analysis-marked") == 1
    assert kinds.count("action-item") == 2


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["answer", "root-cause", "x"], "no question 'root-cause' (one of: detection,"),
        (["mark", "1", "important"], "no mark 'important' (one of: none, key, hidden,"),
        (["mark", "first", "key"], "not an event id"),
        (["action", "add"], "write `analysis ID action add TITLE"),
        (["action", "1", "finished"], "no status 'finished' (one of: open, done, dismissed)"),
        (["action", "add", "x", "--due", "soon"], "--due: not a date (YYYY-MM-DD): 'soon'"),
        (["frobnicate"], "write `analysis ID answer QUESTION TEXT`"),
        (["answer", "detection", "x", "--markdown"], "--markdown is for reading"),
    ],
)
def test_bad_words_are_one_line_and_exit_2(
    db: dict[str, Any], words: list[str], says: str
) -> None:
    done = _analysis(db, *words)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert says in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["mark", "9999", "key"], "no event 9999 on incident #1's timeline"),
        (["action", "42", "done"], "no action item 42 on incident #1"),
    ],
)
def test_a_write_the_incident_refuses_is_exit_1(
    db: dict[str, Any], words: list[str], says: str
) -> None:
    done = _analysis(db, *words)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr == f"warroom: analysis: {says}\n"


def test_no_such_incident_is_refused(db: dict[str, Any]) -> None:
    done = run(
        "--config", db["config"], "analysis", "77", "answer", "detection", "x", env=db["env"]
    )
    assert (done.returncode, done.stderr) == (1, "warroom: analysis: no incident #77\n")
