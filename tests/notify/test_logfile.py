"""The `log` channel the demo pages into: one JSON line per page, appended."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from warroom.notify.channels import open_channel, send_test
from warroom.notify.message import Action, Notice, Outcome

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def test_pages_from_many_senders_are_whole_lines_in_the_state_directory(
    tmp_path: Path,
) -> None:
    channel = open_channel({"name": "log", "type": "log"}, contact="alice", log_dir=tmp_path)
    title = "Disk \x1b[31mfull\x07 on db-1"

    async def page(i: int) -> None:
        notice = Notice(key=f"k{i}", incident_id=i, title=title, action=Action.TRIGGER, at=AT)
        delivery = await channel.send(notice)
        assert delivery.outcome is Outcome.SENT, delivery.detail

    await asyncio.gather(*(page(i) for i in range(50)))
    lines = (tmp_path / "pages.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["incident"] for r in records) == list(range(50))
    assert all("\x1b" not in r["title"] and "\x07" not in r["title"] for r in records)
    assert records[0]["at"] == AT.isoformat() and records[0]["action"] == "trigger"


async def test_an_unwritable_path_is_a_failure_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "pages.log"
    delivery = await send_test({"name": "log", "type": "log", "path": str(target)}, now=AT)
    assert delivery.outcome is Outcome.FAILED
    assert str(target) in delivery.detail and "No such file or directory" in delivery.detail


async def test_the_test_message_is_one_notice(tmp_path: Path) -> None:
    delivery = await send_test({"name": "log", "type": "log"}, log_dir=tmp_path, now=AT)
    assert delivery.outcome is Outcome.SENT
    actions = [
        json.loads(line)["action"] for line in (tmp_path / "pages.log").read_text().splitlines()
    ]
    assert actions == ["notify"]  # a channel that carries notices gets one, not a page


async def test_the_state_directory_is_made_when_it_does_not_exist_yet(tmp_path: Path) -> None:
    """A log channel without a path writes into the state directory, which need not
    exist yet (the database may live elsewhere): it is made, not a failed page."""
    state = tmp_path / "state" / "warroom"
    channel = open_channel({"name": "log", "type": "log"}, contact="alice", log_dir=state)
    delivery = await channel.send(Notice(key="k", incident_id=1, title="t", at=AT))
    assert delivery.outcome is Outcome.SENT, delivery.detail
    assert len((state / "pages.log").read_text().splitlines()) == 1
