"""`warroom related ID [add TARGET]` as a real process over a real SQLite file (#12 item 5).

What is added is checked at the door (one line each: a javascript: URL, a
control character, a directory, a file over the cap, one that cannot be read);
an attachment is copied into the database with its sha256, so deleting the file
afterwards loses nothing; what the store already knows (the plan's links, link
annotations, a merged incident, a silence) is listed without being copied.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.alerts import alert as make
from tests.support.cli import clean_env
from tests.support.cli import warroom as run

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.clock import utcnow
from warroom.model.related import ATTACHMENT_MAX_BYTES
from warroom.store import open_store

HOUR = timedelta(hours=1)


async def _seed(db: Path) -> tuple[int, int]:
    store = await open_store(db)
    try:
        service = Service(store, "alice")
        alert = make(
            "DiskFull",
            source="am",
            annotations={
                "runbook_url": "https://wiki.example/runbooks/disk",
                "dashboard": "javascript:alert(1)",  # never listed
                "summary": "disk 95% full",
            },
        )
        async with store.transaction() as tx:
            await tx.apply_snapshot("am", [alert])
        first = await service.declare_incident(
            [alert.key],
            "disk full",
            Impact.HIGH,
            links=[{"title": "Disk usage", "url": "https://grafana.example/d/disk"}],
        )
        second = await service.declare_incident([], "db slow", Impact.LOW)
        await service.merge(second, first)
        async with store.transaction() as tx:
            await tx.record_silence("am", "sil-1", "manual", "alice", utcnow() + HOUR, first, ())
        return first, second
    finally:
        await store.close()


def _json(out: str) -> Any:
    return json.loads(out)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


async def test_related_lists_derived_and_added_items(tmp_path: Path, db: Path) -> None:
    first, second = await _seed(db)
    env = clean_env(tmp_path)
    base = ("--db", db)

    done = run("related", str(first), "add", "https://jira.example/browse/OPS-42", *base, env=env)
    assert done.returncode == 0, done.stderr
    attached = tmp_path / "df.txt"
    attached.write_bytes(b"/dev/sda1 95%\n\x1b[31mred\n")
    done = run("related", str(first), "add", f"file:{attached}", "--json", *base, env=env)
    assert done.returncode == 0, done.stderr
    record = _json(done.stdout)
    assert record["kind"] == "attachment"
    assert record["sha256"] == hashlib.sha256(attached.read_bytes()).hexdigest()
    assert record["size"] == attached.stat().st_size
    attached.unlink()  # the copy in the database is what counts now

    listed = run("related", str(first), "--json", *base, env=env)
    assert listed.returncode == 0, listed.stderr
    items = _json(listed.stdout)["items"]
    kinds = [(i["kind"], i["origin"]) for i in items]
    assert ("link", "plan") in kinds
    (annotated,) = [i for i in items if i["origin"] == "annotation"]
    assert (annotated["url"], annotated["title"]) == (
        "https://wiki.example/runbooks/disk",
        "DiskFull runbook_url",
    )
    assert ("incident", "derived") in kinds
    assert ("silence", "derived") in kinds
    assert ("ticket", "hand") in kinds and ("attachment", "hand") in kinds
    assert not any("javascript" in i["url"] for i in items)
    (merged,) = [i for i in items if i["kind"] == "incident"]
    assert (merged["ref"], merged["relation"]) == (str(second), "merged")
    (ticket,) = [i for i in items if i["kind"] == "ticket"]
    assert ticket["ref"] == "OPS-42"

    # the merged one shows its parent
    parent = _json(run("related", str(second), "--json", *base, env=env).stdout)["items"]
    assert [(i["kind"], i["ref"], i["relation"]) for i in parent] == [
        ("incident", str(first), "parent")
    ]

    text = run("related", str(first), *base, env=env)
    assert "OPS-42" in text.stdout and "\x1b" not in text.stdout
    store = await open_store(db, read_only=True)
    try:
        (kept,) = [i for i in await store.related_items(first) if i.kind.value == "attachment"]
        assert kept.id is not None
        assert await store.attachment_content(first, kept.id) == b"/dev/sda1 95%\n\x1b[31mred\n"
    finally:
        await store.close()


async def test_bad_targets_are_refused_in_one_line(tmp_path: Path, db: Path) -> None:
    first, _ = await _seed(db)
    env = clean_env(tmp_path)
    big = tmp_path / "big.log"
    with big.open("wb") as handle:
        handle.truncate(ATTACHMENT_MAX_BYTES + 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = {
        "javascript:alert(1)": "only http and https",
        "https://a.example/\x07bell": "control characters",
        "https://a.example/\u202eevil": "control characters",
        "ftp://files.example/x": "only http and https",
        f"file:{tmp_path}": "not a regular file",
        f"file:{fifo}": "not a regular file",
        f"file:{big}": "over the attachment cap",
        f"file:{tmp_path / 'nope'}": "no such file",
        "incident:abc": "incident:N",
        f"incident:{first}": "cannot be related to itself",
        "incident:999": "no incident #999",
    }
    if os.geteuid() != 0:
        cases[f"file:{secret}"] = "not readable"
    for target, reason in cases.items():
        done = run("related", str(first), "add", target, "--db", db, env=env)
        assert done.returncode == 1, (target, done.stdout)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and reason in lines[0], (target, done.stderr)
        assert "\x07" not in done.stderr and "\u202e" not in done.stderr
    store = await open_store(db, read_only=True)
    try:
        assert await store.related_items(first) == []
    finally:
        await store.close()
    missing = run("related", "999", "--db", db, env=env)
    assert missing.returncode == 1 and "no incident #999" in missing.stderr
