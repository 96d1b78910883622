"""Runbook runs through the contract (issue 11): started with a timeline event and a
feed row, moved only by a writer naming the version it read (of two, one wins),
listed per incident and while active, and their output kept bounded, head and tail."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.helpers import T0

from warroom.model import runbook as rb
from warroom.model.events import RunbookStarted, read
from warroom.model.runbook import RunStatus
from warroom.model.runbook_steps import Command, Manual, Runbook, Step, StepKind
from warroom.store import Store
from warroom.store.values import OUTPUT_HEAD_CHARS as HEAD_CHARS
from warroom.store.values import OUTPUT_TAIL_CHARS as TAIL_CHARS
from warroom.store.values import StepProcess

from .conftest import Backend, new_incident

BOOK = Runbook(
    "restart",
    (
        Step("look", StepKind.MANUAL, Manual("look")),
        Step("go", StepKind.COMMAND, Command(("true",))),
    ),
)


async def _started(store: Store, incident_id: int | None) -> int:
    run = rb.start(BOOK, {"unit": "api"}, "alice", T0, incident_id=incident_id)
    async with store.transaction(T0) as tx:
        return await tx.start_runbook_run(run, "alice")


async def test_a_started_run_is_kept_whole_with_its_event_and_feed_row(store: Store) -> None:
    incident_id = await new_incident(store)
    seq = await store.last_change()
    run_id = await _started(store, incident_id)
    changes = {(c.entity, c.entity_id) for c in await store.changes_since(seq)}
    assert ("runbook", str(run_id)) in changes and ("timeline", str(incident_id)) in changes
    record = await store.runbook_run(run_id)
    assert record is not None
    assert (record.incident_id, record.name, record.version, record.started_by) == (
        incident_id, "restart", 1, "alice"
    )  # fmt: skip
    assert record.run == rb.start(BOOK, {"unit": "api"}, "alice", T0, incident_id=incident_id)
    assert record.status is RunStatus.WAITING
    (event,) = [e for e in await store.timeline(incident_id) if e.kind == "runbook-started"]
    typed = read(event)
    assert isinstance(typed, RunbookStarted) and typed.run_id == run_id
    assert event.text == f"Started runbook restart (run #{run_id}, 2 steps) with unit=api"
    assert [r.id for r in await store.runbook_runs(incident_id)] == [run_id]
    assert [r.id for r in await store.active_runbook_runs()] == [run_id]
    assert await store.runbook_runs(None) == []
    assert await store.runbook_run(run_id + 100) is None


async def test_two_consoles_confirming_one_step_move_it_once(backend: Backend) -> None:
    one, two = await backend.open(), await backend.open()
    run_id = await _started(one, None)
    seen_one, seen_two = await one.runbook_run(run_id), await two.runbook_run(run_id)
    assert seen_one is not None and seen_two is not None
    later = T0 + timedelta(minutes=1)
    async with one.transaction(later) as tx:
        moved = rb.confirm(seen_one.run, "look", 1, "bob", later)
        assert await tx.update_runbook_run(run_id, seen_one.version, moved) is True
    async with two.transaction(later) as tx:
        moved = rb.confirm(seen_two.run, "look", 1, "carol", later)
        assert await tx.update_runbook_run(run_id, seen_two.version, moved) is False
    record = await two.runbook_run(run_id)
    assert record is not None and record.version == 2
    assert record.run.steps[0].by == "bob" and record.updated_at == later
    assert record.status is RunStatus.RUNNING


async def test_a_finished_run_is_no_longer_active(store: Store) -> None:
    run_id = await _started(store, None)
    async with store.transaction(T0) as tx:
        held = await tx.runbook_run(run_id)
        assert held is not None
        assert [r.id for r in await tx.active_runbook_runs()] == [run_id]
        ended = rb.cancel(held.run, "bob", T0)
        assert await tx.update_runbook_run(run_id, held.version, ended)
    assert await store.active_runbook_runs() == []
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.CANCELLED


async def test_output_keeps_head_and_tail_of_each_attempt(store: Store) -> None:
    run_id = await _started(store, None)
    seq = await store.last_change()
    block = "0123456789abcdef" * 4096  # 64 Ki characters
    async with store.transaction(T0) as tx:
        for i in range(20):  # 1.25 Mi characters, written in batches
            await tx.append_runbook_output(run_id, "go", 1, f"[{i:02d}]" + block)
        await tx.append_runbook_output(run_id, "go", 2, "second attempt\n")
    assert ("runbook-output", str(run_id)) in {
        (c.entity, c.entity_id) for c in await store.changes_since(seq)
    }
    chunks = await store.runbook_output(run_id)
    first = "".join(c.text for c in chunks if c.attempt == 1)
    dropped = await store.dropped_output(run_id, "go", 1)
    assert len(first) == HEAD_CHARS + TAIL_CHARS
    assert dropped == 20 * (len(block) + 4) - HEAD_CHARS - TAIL_CHARS
    assert first.startswith("[00]0123") and first.endswith("[19]" + block)
    assert [c.text for c in chunks if c.attempt == 2] == ["second attempt\n"]
    assert [c.seq for c in chunks] == sorted(c.seq for c in chunks)
    after = await store.runbook_output(run_id, after=chunks[-2].seq)
    assert [c.text for c in after] == ["second attempt\n"]


async def test_the_tail_of_the_output_is_its_last_characters(store: Store) -> None:
    """`runbook show` reads only the end: the same characters the whole read ends with,
    across chunk and attempt boundaries, of the run or of one attempt."""
    run_id = await _started(store, None)
    other = await _started(store, None)
    block = "".join(chr(0x41 + i % 26) for i in range(70_000)) + "é\n"  # over a chunk
    async with store.transaction(T0) as tx:
        for i in range(12):  # 840 Ki characters: the tail is trimmed, the head kept
            await tx.append_runbook_output(run_id, "go", 1, f"<{i:02d}>" + block)
        await tx.append_runbook_output(run_id, "go", 2, "second")
        await tx.append_runbook_output(other, "go", 1, "not this run")
    whole = "".join(c.text for c in await store.runbook_output(run_id, limit=100_000))
    first = "".join(c.text for c in await store.runbook_output(run_id, limit=100_000)
                    if c.attempt == 1)  # fmt: skip
    for chars in (1, 4000, 65_540, 200_000, len(whole), len(whole) + 10):
        assert await store.runbook_output_tail(run_id, chars) == whole[-chars:]
        assert await store.runbook_output_tail(run_id, chars, "go", 1) == first[-chars:]
    assert await store.runbook_output_tail(run_id, 10) == block[-4:] + "second"
    assert await store.runbook_output_tail(run_id, 100, "go", 2) == "second"
    assert await store.runbook_output_tail(run_id, 100, "go", 3) == ""
    assert await store.runbook_output_tail(run_id, 0) == ""
    assert await store.runbook_output_tail(other + 1, 100) == ""


async def test_a_step_process_is_found_again(store: Store) -> None:
    run_id = await _started(store, None)
    process = StepProcess(run_id, "go", 1, 4242, "12345", "/tmp/o", "/tmp/r", 3)
    async with store.transaction(T0) as tx:
        assert await tx.step_process(run_id, "go", 1) is None
        await tx.record_step_process(process)
        await tx.append_runbook_output(run_id, "go", 1, "hi", output_offset=2)
    async with store.transaction(T0) as tx:
        found = await tx.step_process(run_id, "go", 1)
    assert found is not None
    assert found == StepProcess(run_id, "go", 1, 4242, "12345", "/tmp/o", "/tmp/r", 3, 2)
