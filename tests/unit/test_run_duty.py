"""The run duty runs command steps as real processes (issue 11, items 2 and 4):
hostile parameter values reach the program as literal arguments or are refused,
output is bounded and stripped of escape sequences, and after a crash a step is
adopted from its result file or marked interrupted, never run twice."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, loopback

from warroom.engine.run_duty import RunDuty
from warroom.engine.step_process import clean_output, process_start
from warroom.model import runbook as rb
from warroom.model.runbook import RunStatus, StepState
from warroom.model.runbook_steps import Command, Http, Runbook, Step, StepKind
from warroom.store import StepProcess, Store
from warroom.store.values import OUTPUT_HEAD_CHARS as HEAD_CHARS
from warroom.store.values import OUTPUT_TAIL_CHARS as TAIL_CHARS

NOW = datetime.now(UTC)


def book(argv: tuple[str, ...], idempotent: bool = False, seconds: float = 60) -> Runbook:
    return Runbook(
        "rb",
        (
            Step(
                "go",
                StepKind.COMMAND,
                Command(argv),
                timeout=timedelta(seconds=seconds),
                idempotent=idempotent,
                max_attempts=2 if idempotent else 1,
            ),
        ),
    )


async def started(store: Store, runbook: Runbook, params: dict[str, str | None]) -> int:
    async with store.transaction(NOW) as tx:
        return await tx.start_runbook_run(rb.start(runbook, params, "alice", NOW), "alice")


async def duty(store: Store, tmp_path: Path) -> RunDuty:
    token = await store.acquire_lease("engine-test", timedelta(minutes=5))
    assert token is not None
    return RunDuty(store, token, tmp_path / "runs", poll_seconds=0.02)


async def until_done(store: Store, runner: RunDuty, run_id: int, seconds: float = 120) -> None:
    for _ in range(int(seconds / 0.05)):
        await runner.run_once()
        record = await store.runbook_run(run_id)
        assert record is not None
        if record.status is not RunStatus.RUNNING:
            for task in runner.tasks.values():
                await task
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not finish")


async def output(store: Store, run_id: int) -> str:
    return "".join(c.text for c in await store.runbook_output(run_id, limit=100_000))


@pytest.mark.parametrize(
    "value", ["$(touch {marker})", "`touch {marker}`", "; touch {marker}", "a b|touch {marker}"]
)
async def test_hostile_values_are_literal_arguments(
    store: Store, tmp_path: Path, value: str
) -> None:
    marker = tmp_path / "pwned"
    value = value.format(marker=marker)
    run_id = await started(store, book(("printf", "[%s]", "{params.x}")), {"x": value})
    await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert await output(store, run_id) == f"[{value}]"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "why"),
    [("-rf", "starts with '-'"), ("a\0b", "U+0000"), ("x" * (1 << 20), "bytes long")],
)
async def test_values_that_must_not_run_are_refused(
    store: Store, tmp_path: Path, value: str, why: str
) -> None:
    run_id = await started(store, book(("echo", "{params.x}")), {"x": value})
    await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.refused and why in outcome.error
    assert await output(store, run_id) == ""
    assert not (tmp_path / "runs").exists()  # nothing was started


async def test_fifty_megabytes_with_escapes_are_stored_bounded_and_clean(
    store: Store, tmp_path: Path
) -> None:
    script = (
        "import sys\n"
        "w = sys.stdout.write\n"
        "w('START\\n')\n"
        "line = '\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07 \\x9b2J' + 'x' * 80 + '\\n'\n"
        "for _ in range(50 * 1024 * 1024 // len(line)):\n"
        "    w(line)\n"
        "w('END\\x1b[0m\\n')\n"
    )
    run_id = await started(store, book((sys.executable, "-c", script)), {})
    await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    text = await output(store, run_id)
    assert len(text) <= HEAD_CHARS + TAIL_CHARS
    assert text.startswith("START\nred  ") and text.endswith("END\n")
    assert not any(c in text for c in "\x1b\x9b\x07")
    lines = 50 * 1024 * 1024 // 108  # each line as written, 108 characters; 86 once clean
    total = len("START\n") + lines * 86 + len("END\n")
    assert await store.dropped_output(run_id, "go", 1) == total - len(text)
    outcome = record.run.steps[0].outcome
    assert outcome is not None and "\x1b" not in outcome.output


async def test_a_command_writing_without_end_is_stopped_at_the_output_limit(
    store: Store, tmp_path: Path
) -> None:
    """The output file is only the way to the engine, but it lives on the bastion's
    disk: a command that never stops writing is stopped at the limit, with a result
    that says why, the file never past it, and its process group gone."""
    script = "import sys\nwhile True:\n    sys.stdout.write('y' * 1023 + '\\n')\n"
    run_id = await started(store, book((sys.executable, "-c", script)), {})
    runner = await duty(store, tmp_path)
    runner.output_max = 1 << 20
    largest = 0

    async def watch() -> None:
        nonlocal largest
        while True:
            for path in (tmp_path / "runs").glob("*/*.out"):
                with contextlib.suppress(OSError):
                    largest = max(largest, path.stat().st_size)
            await asyncio.sleep(0.005)

    watching = asyncio.create_task(watch())
    try:
        await until_done(store, runner, run_id, seconds=30)
    finally:
        watching.cancel()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.error == "output over 1 MiB: the command was stopped"
    assert 0 < largest <= 1 << 20
    text = await output(store, run_id)
    assert text.startswith("y" * 1023 + "\n")
    assert len(text) + await store.dropped_output(run_id, "go", 1) == 1 << 20  # all it kept
    async with store.transaction(NOW) as tx:
        process = await tx.step_process(run_id, "go", 1)
    assert process is not None and process_start(process.pid) is None
    assert not list((tmp_path / "runs").glob("*/*"))  # the result is stored: files gone


def test_clean_output_keeps_lines_and_shows_stray_controls() -> None:
    assert clean_output("a\x1b[1mb\r\nc\x00\x1bd") == "ab\nc␀␛d"


async def _running_with_process(
    store: Store, runbook: Runbook, tmp_path: Path, result: str | None
) -> int:
    """A run as a crash leaves it: begun, its process recorded and gone."""
    run_id = await started(store, runbook, {})
    record = await store.runbook_run(run_id)
    assert record is not None
    result_path = tmp_path / "r.json"
    if result is not None:
        result_path.write_text(result)
    (tmp_path / "o.txt").write_text("made it\n")
    async with store.transaction(NOW) as tx:
        assert await tx.update_runbook_run(run_id, 1, rb.begin(record.run, "go", 0, NOW))
        await tx.record_step_process(
            StepProcess(
                run_id, "go", 1, 999_999_999, "1", str(tmp_path / "o.txt"), str(result_path), 1
            )
        )
    return run_id


async def test_a_finished_step_is_adopted_from_its_result_file(
    store: Store, tmp_path: Path
) -> None:
    run_id = await _running_with_process(store, book(("true",)), tmp_path, '{"exit_code": 0}')
    runner = await duty(store, tmp_path)
    await runner.recover()
    await until_done(store, runner, run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert record.run.steps[0].attempt == 1  # adopted, not run again
    assert await output(store, run_id) == "made it\n"


async def test_a_step_whose_process_vanished_is_interrupted_not_rerun(
    store: Store, tmp_path: Path
) -> None:
    run_id = await _running_with_process(store, book(("true",)), tmp_path, None)
    runner = await duty(store, tmp_path)
    await runner.recover()
    await runner.run_once()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.WAITING
    assert record.run.steps[0].state is StepState.INTERRUPTED
    assert record.run.steps[0].attempt == 1 and not runner.tasks


async def test_an_idempotent_step_whose_process_vanished_runs_again(
    store: Store, tmp_path: Path
) -> None:
    run_id = await _running_with_process(store, book(("true",), idempotent=True), tmp_path, None)
    runner = await duty(store, tmp_path)
    await runner.recover()
    await until_done(store, runner, run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert record.run.steps[0].attempt == 2


async def test_a_step_past_its_timeout_has_its_process_group_killed(
    store: Store, tmp_path: Path
) -> None:
    marker = tmp_path / "late"
    script = f"import time, pathlib; time.sleep(3); pathlib.Path({str(marker)!r}).touch()"
    run_id = await started(store, book((sys.executable, "-c", script), seconds=0.5), {})
    await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.timed_out
    await asyncio.sleep(3.5)
    assert not marker.exists()


def http_book(url: str, expect: tuple[int, ...] = ()) -> Runbook:
    step = Step("check", StepKind.HTTP, Http(url, "POST", expect), timeout=timedelta(seconds=5))
    return Runbook("rb", (step,))


async def test_an_http_step_checks_its_status_and_encodes_values(
    store: Store, tmp_path: Path
) -> None:
    with loopback(lambda r: Reply(204 if r.method == "POST" else 405, b"")) as server:
        run_id = await started(
            store, http_book(server.url + "/restart/{params.x}", (204,)), {"x": "a/../b?c=1#d"}
        )
        await until_done(store, await duty(store, tmp_path), run_id)
        paths = [r.path for r in server.server.requests]
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.SUCCEEDED
    assert paths == ["/restart/a%2F..%2Fb%3Fc%3D1%23d"]
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.status == 204


async def test_an_http_step_answering_otherwise_fails_with_a_clean_excerpt(
    store: Store, tmp_path: Path
) -> None:
    with loopback(lambda r: Reply(500, b"\x1b[31mdown\x1b[0m " + b"y" * 200_000)) as server:
        run_id = await started(store, http_book(server.url + "/x"), {})
        await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.status == 500
    assert outcome.output.startswith("down y") and len(outcome.output) <= 65536


async def test_an_http_step_to_a_non_http_url_is_refused(store: Store, tmp_path: Path) -> None:
    run_id = await started(store, http_book("file:///etc/{params.x}"), {"x": "passwd"})
    await until_done(store, await duty(store, tmp_path), run_id)
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.FAILED
    outcome = record.run.steps[0].outcome
    assert outcome is not None and outcome.refused and "not a usable URL" in outcome.error


async def test_cancelling_a_run_kills_its_running_step(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "late"
    script = f"import time, pathlib; time.sleep(3); pathlib.Path({str(marker)!r}).touch()"
    run_id = await started(store, book((sys.executable, "-c", script)), {})
    runner = await duty(store, tmp_path)
    await runner.run_once()
    (task,) = runner.tasks.values()
    async with store.transaction() as tx:
        held = await tx.runbook_run(run_id)
        assert held is not None
        assert await tx.update_runbook_run(run_id, held.version, rb.cancel(held.run, "bob", tx.now))
    await asyncio.wait_for(task, 2)
    await asyncio.sleep(3.5)
    assert not marker.exists()
    record = await store.runbook_run(run_id)
    assert record is not None and record.status is RunStatus.CANCELLED
