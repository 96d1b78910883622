"""The run duty: the lease holder moves runbook runs' automated steps and waits.

Every write is one transaction that checks the lease and re-reads the run, so a
holder that lost the lease commits nothing, and a responder's signal in between
is never overwritten. An automated step is `begin`-ed (committed) before its
process starts: after a crash a step found running had maybe started, and only
the process record, its result file or `recover` decide what became of it --
never a second start, unless the step is idempotent.

Output goes from the process's file to the store in batches, bounded here too (the
first and last 256 Ki characters of each batch at most), so a command writing
gigabytes neither fills memory nor the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warroom.engine.paging import Paging
from warroom.engine.run_http import request
from warroom.engine.step_process import (
    OUTPUT_FILE_MAX,
    OutputTail,
    alive,
    find_wrapper,
    kill_group,
    launch,
    read_result,
)
from warroom.engine.store_failures import STORE_FAILURES, FailureLog
from warroom.engine.timeline import append
from warroom.model import events
from warroom.model import runbook as rb
from warroom.model.alert import AlertState
from warroom.model.argv import ArgvRefused, render_argv
from warroom.model.clock import utcnow
from warroom.model.runbook import Outcome, Run, StepState
from warroom.model.runbook_notify import key_prefix, notify_rows
from warroom.model.runbook_notify import outcome as notified
from warroom.model.runbook_steps import DEFAULT_TIMEOUTS, Command, Http, Notify, StepKind
from warroom.store import LeaseLost, LeaseToken, RunRecord, StepProcess, Store, Tx
from warroom.store.values import OUTPUT_HEAD_CHARS as HEAD_CHARS
from warroom.store.values import OUTPUT_TAIL_CHARS as TAIL_CHARS

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
FLUSH_SECONDS = 0.5
EXCERPT_CHARS = 4096  # of the output's end, kept in the outcome for branches and the timeline
BASE_ENV = ("PATH", "LANG", "LC_ALL", "HOME", "TZ")
ACTOR = "warroom"
# set to 1 by the kill -9 tests only: the engine kills itself right after starting a
# step's process, before recording it, to prove a restarted engine still finds it
CRASH_AFTER_SPAWN = "WARROOM_TEST_CRASH_AFTER_SPAWN"
# likewise right after a notify step's rows are queued, before any is claimed
CRASH_AFTER_QUEUE = "WARROOM_TEST_CRASH_AFTER_QUEUE"

Key = tuple[int, str, int]  # run, step, attempt


@dataclass
class RunDuty:
    store: Store
    token: LeaseToken
    workdir: Path
    clock: Callable[[], datetime] = utcnow
    failures: FailureLog = field(default_factory=lambda: FailureLog(log))
    tasks: dict[Key, asyncio.Task[None]] = field(default_factory=dict)
    poll_seconds: float = 0.1
    output_max: int = OUTPUT_FILE_MAX  # bytes of output a step may write (step_process)
    # who a notify step reaches: the plans' contacts and schedules, with the
    # console's overrides, as paging has them (its directory is replaced on a refresh)
    paging: Paging = field(default_factory=Paging)

    # -- writes ----------------------------------------------------------------------------

    async def _move(
        self,
        run_id: int,
        move: Callable[[Run, datetime], Run],
        *said: events.Event,
        also: Callable[[Tx], Awaitable[None]] | None = None,
    ) -> Run | None:
        """Apply `move` to the run as it is now, under the lease; None if the model
        refused it (a responder moved the run first). `also` writes in the same
        transaction, only if the move is made (a notify step's outbox rows)."""
        async with self.store.transaction(now=self.clock()) as tx:
            await tx.check_lease(self.token)
            held = await tx.runbook_run(run_id)
            if held is None:
                return None
            try:
                moved = move(held.run, tx.now)
            except rb.Refused as exc:
                log.info("run %s: %s", run_id, exc)
                return None
            if moved == held.run:
                return moved
            if not await tx.update_runbook_run(run_id, held.version, moved):
                return None
            for event in said:
                await append(tx, held.incident_id, ACTOR, event)
            if also is not None:
                await also(tx)
            await self._said_results(tx, run_id, held, moved)
            return moved

    async def _said_results(self, tx: Tx, run_id: int, held: RunRecord, moved: Run) -> None:
        """A timeline event for every step a move ended (a wait over, a timeout)."""
        for before, after in rb.changed(held.run, moved):
            if before.state is after.state or after.state not in (
                StepState.SUCCEEDED,
                StepState.FAILED,
                StepState.INTERRUPTED,
            ):
                continue
            out = after.outcome or Outcome()
            event = events.RunbookStepResult(
                run_id,
                moved.runbook.name,
                after.name,
                after.attempt,
                str(after.state),
                out.exit_code,
                out.status,
                out.error or ("timed out" if out.timed_out else "") or after.reason,
                events.excerpt(out.output),
            )
            await append(tx, held.incident_id, ACTOR, event)

    # -- the duty --------------------------------------------------------------------------

    async def recover(self) -> None:
        """On taking the lease: re-attach what still runs, adopt what finished, and mark
        interrupted what cannot be known (`model.runbook.recover`)."""
        for record in await self.store.active_runbook_runs():
            run = record.run
            i = run.current
            if i is None or run.steps[i].state is not StepState.RUNNING:
                continue
            step, state = run.runbook.steps[i], run.steps[i]
            if not step.kind.automated or step.kind is StepKind.NOTIFY:
                continue  # a notify step's rows are in the store: run_once waits on them
            key = (record.id, step.name, state.attempt)
            if key in self.tasks:
                continue
            async with self.store.transaction(now=self.clock()) as tx:
                process = await tx.step_process(*key)
            if process is None:
                process = await self._unrecorded(key)
            if process is not None and (
                alive(process.pid, process.process_start)
                or read_result(Path(process.result_path)) is not None
            ):
                self.tasks[key] = asyncio.create_task(self._follow(run, process, None))
                continue
            await self._move(record.id, rb.recover)

    async def _unrecorded(self, key: Key) -> StepProcess | None:
        """The process of a step begun but never recorded (the engine died between
        starting it and recording it): found by its result file or its command line,
        and recorded now, so it is re-attached or adopted -- never left running
        unwatched while the step is marked interrupted, and never started again."""
        output, result = self._paths(key)
        found = find_wrapper(result)
        if found is None and read_result(result) is None:
            return None  # never started, or gone without a result: interrupted
        pid, started = found or (0, "")
        process = StepProcess(
            *key, pid, started, str(output), str(result), self.token.epoch
        )  # fmt: skip
        async with self.store.transaction(now=self.clock()) as tx:
            await tx.check_lease(self.token)
            await tx.record_step_process(process)
        log.info("run %s: step %r found running unrecorded; re-attached", key[0], key[1])
        return process

    def _paths(self, key: Key) -> tuple[Path, Path]:
        """The attempt's output and result files: known before its process starts."""
        run_id, name, attempt = key
        where = self.workdir / f"run-{run_id}"
        return where / f"{name}.{attempt}.out", where / f"{name}.{attempt}.result"

    async def run_once(self) -> None:
        now = self.clock()
        for record in await self.store.active_runbook_runs():
            run = record.run
            if run.current is None:
                continue
            if rb.tick(run, now) != run:
                await self._move(record.id, rb.tick)
                continue
            step, state = run.runbook.steps[run.current], run.steps[run.current]
            if step.kind is StepKind.WAIT and state.state is StepState.RUNNING:
                await self._maybe_resolved(record)
            elif step.kind is StepKind.NOTIFY and state.state is StepState.RUNNING:
                await self._notified(record.id, run, now)
            elif step.kind.automated and state.state is StepState.PENDING:
                await self._begin(record)
        for key, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[key]

    async def _maybe_resolved(self, record: RunRecord) -> None:
        if record.incident_id is None:
            return
        alerts = await self.store.incident_alerts(record.incident_id)
        if alerts and all(a.alert.state is AlertState.RESOLVED for a in alerts):
            await self._move(record.id, rb.alerts_resolved)

    async def _begin(self, record: RunRecord) -> None:
        run = record.run
        assert run.current is not None
        step, state = run.runbook.steps[run.current], run.steps[run.current]
        attempt = state.attempt + 1
        started = events.RunbookStepStarted(record.id, run.runbook.name, step.name, attempt)
        key = (record.id, step.name, attempt)
        queue, problem = None, ""
        if isinstance(step.spec, Notify):
            made = notify_rows(
                record.id, record.incident_id, run.runbook.name, step.name, attempt,
                step.spec, run.parameters, self.paging.directory, self.clock(),
            )  # fmt: skip
            problem = made.problem

            async def queue(tx: Tx) -> None:
                await tx.enqueue(made.rows)

        moved = await self._move(
            record.id,
            lambda r, now: rb.begin(r, step.name, state.attempt, now),
            started,
            also=queue,
        )
        if moved is None:
            return
        if queue is not None and not problem and os.environ.get(CRASH_AFTER_QUEUE) == "1":
            os.kill(os.getpid(), signal.SIGKILL)  # tests only: no await since the commit
        if isinstance(step.spec, Command):
            self.tasks[key] = asyncio.create_task(self._command(moved, key))
        elif isinstance(step.spec, Http):
            self.tasks[key] = asyncio.create_task(self._http(moved, key))
        elif problem:  # nobody to send it to: failed at once, on_failure decides
            await self._result(key, Outcome(error=problem))
        # else the deliver duty sends the rows; run_once waits for what became of them

    async def _notified(self, run_id: int, run: Run, now: datetime) -> None:
        """A running notify step ends when its rows are done (or its deadline passed):
        read from the store, so a restarted lease holder goes on waiting for them."""
        assert run.current is not None
        state = run.steps[run.current]
        prefix = key_prefix(run_id, state.name, state.attempt)
        rows = await self.store.outbox_keyed(prefix)
        outcome = notified(rows)
        key = (run_id, state.name, state.attempt)
        if outcome is not None:
            await self._result(key, outcome)
        elif state.due_at is not None and now >= state.due_at:
            # still retrying (a provider down): stop it, so no notice arrives after its
            # step failed, and say the channel's last answer
            last = next((r.detail for r in reversed(rows) if r.detail), "no answer yet")
            step = run.runbook.steps[run.current]
            why = f"not delivered within {step.deadline}: {last}"

            async def stop(tx: Tx) -> None:
                await tx.cancel_keyed(prefix, why)

            await self._result(key, Outcome(error=why), also=stop)

    async def _http(self, run: Run, key: Key) -> None:
        _, step, _ = run.step(key[1])
        assert isinstance(step.spec, Http)
        limit = step.deadline or DEFAULT_TIMEOUTS[StepKind.HTTP]
        await self._result(key, await request(key[1], step.spec, run.parameters, limit))

    async def _result(
        self, key: Key, outcome: Outcome, also: Callable[[Tx], Awaitable[None]] | None = None
    ) -> None:
        run_id, name, attempt = key
        await self._move(
            run_id, lambda r, now: rb.result(r, name, attempt, outcome, now), also=also
        )

    # -- command steps ---------------------------------------------------------------------

    async def _command(self, run: Run, key: Key) -> None:
        run_id, name, attempt = key
        _, step, _ = run.step(name)
        assert isinstance(step.spec, Command)
        try:
            argv = render_argv(name, step.spec.argv, run.parameters)
        except ArgvRefused as exc:
            await self._result(key, Outcome(error=str(exc), refused=True))
            return
        allowed = {*BASE_ENV, *step.spec.env}
        env = {k: v for k, v in os.environ.items() if k in allowed}
        output, result = self._paths(key)
        with contextlib.suppress(FileNotFoundError):
            result.unlink()
        try:
            launched = await launch(argv, env, step.spec.cwd, output, result, self.output_max)
        except OSError as exc:
            await self._result(key, Outcome(error=f"could not start {argv[0]!r}: {exc}"))
            return
        if os.environ.get(CRASH_AFTER_SPAWN) == "1":  # tests only: die before recording it
            os.kill(os.getpid(), signal.SIGKILL)
        process = StepProcess(
            run_id, name, attempt, launched.pid, launched.started, str(output), str(result),
            self.token.epoch,
        )  # fmt: skip
        try:
            async with self.store.transaction(now=self.clock()) as tx:
                await tx.check_lease(self.token)
                await tx.record_step_process(process)
        except LeaseLost:
            kill_group(launched.pid)
            raise
        await self._follow(run, process, launched.process)

    async def _follow(
        self,
        run: Run,
        process: StepProcess,
        child: asyncio.subprocess.Process | None,
    ) -> None:
        """Tail the output into the store until the result file says how it ended (or
        the process died without one, or its deadline passed: its group is killed)."""
        key = (process.run_id, process.step, process.attempt)
        tail = OutputTail(Path(process.output_path), process.output_offset)
        pending, excerpt, dropped = "", "", 0
        last_flush = asyncio.get_running_loop().time()
        _, _, state = run.step(process.step)
        deadline = state.due_at
        outcome: Outcome | None = None
        while outcome is None:
            text = tail.read()
            pending += text
            excerpt = (excerpt + text)[-EXCERPT_CHARS:]
            if len(pending) > HEAD_CHARS + TAIL_CHARS:
                dropped += len(pending) - HEAD_CHARS - TAIL_CHARS
                pending = pending[:HEAD_CHARS] + pending[-TAIL_CHARS:]
            finished = read_result(Path(process.result_path))
            if finished is not None:
                while text := tail.read(final=True):  # the rest, a bounded read at a time
                    pending += text
                    excerpt = (excerpt + text)[-EXCERPT_CHARS:]
                    if len(pending) > HEAD_CHARS + TAIL_CHARS:
                        dropped += len(pending) - HEAD_CHARS - TAIL_CHARS
                        pending = pending[:HEAD_CHARS] + pending[-TAIL_CHARS:]
                    await asyncio.sleep(0)
                code = finished.get("exit_code")
                outcome = Outcome(
                    exit_code=code if isinstance(code, int) else None,
                    output=excerpt,
                    error=str(finished.get("error", "")),
                )
            elif (child is not None and child.returncode is not None) or (
                child is None and not alive(process.pid, process.process_start)
            ):
                if read_result(Path(process.result_path)) is None:
                    outcome = Outcome(output=excerpt, error="the process ended without a result")
            elif deadline is not None and self.clock() >= deadline:
                kill_group(process.pid)
                outcome = Outcome(output=excerpt, timed_out=True)
            elif await self._cancelled(process.run_id, key):
                kill_group(process.pid)
                outcome = Outcome(output=excerpt, error="cancelled")
            now = asyncio.get_running_loop().time()
            if outcome is not None or now - last_flush >= FLUSH_SECONDS:
                if pending or dropped:
                    await self._flush(key, pending, tail.offset, dropped)
                pending, dropped, last_flush = "", 0, now
            if outcome is None and not text:
                await asyncio.sleep(self.poll_seconds)
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                await child.wait()
        await self._result(key, outcome)
        # the result is in the store: the files were only for a restarted engine
        for path in (process.output_path, process.result_path):
            with contextlib.suppress(OSError):
                os.unlink(path)

    async def _cancelled(self, run_id: int, key: Key) -> bool:
        record = await self.store.runbook_run(run_id)
        if record is None:
            return True
        _, _, state = record.run.step(key[1])
        return record.run.cancelled or state.attempt != key[2]

    async def _flush(self, key: Key, text: str, offset: int, dropped: int) -> None:
        async with self.store.transaction(now=self.clock()) as tx:
            await tx.check_lease(self.token)
            await tx.append_runbook_output(*key, text, output_offset=offset, dropped=dropped)

    # -- the loop --------------------------------------------------------------------------

    async def forever(self, tick: float = TICK_SECONDS) -> None:
        try:
            while True:
                try:
                    await self.recover()  # a running step nobody here follows
                    await self.run_once()
                except LeaseLost:
                    return
                except STORE_FAILURES as exc:
                    self.failures.failed("running runbooks", exc, self.store.location)
                except Exception:
                    log.exception("running runbooks failed; trying again")
                await asyncio.sleep(tick)
        finally:
            for task in self.tasks.values():
                task.cancel()
