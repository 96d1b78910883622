"""Runs for the Runbook tab's tests, moved by the real state machine (`model/runbook.py`).

Kept in memory until the store keeps runs: `MemoryRunbooks.for_actor` is what a
console of that actor reads and signals through (`RunbookData`), and the runner's
moves (`begin`, `result`, output) are made here as the runner duty makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from warroom.engine import ActionError
from warroom.model import runbook as rb
from warroom.model.runbook_steps import Runbook
from warroom.tui.runbook_data import OutputRead, ShownRun


class MemoryRunbooks:
    def __init__(self, runbooks: Mapping[str, Runbook], clock: Callable[[], datetime]) -> None:
        self.runbooks = dict(runbooks)
        self.clock = clock
        self.all: dict[int, rb.Run] = {}
        self.outputs: dict[tuple[int, str, int], str] = {}
        self.signals: list[tuple[str, int, str, int, str]] = []  # actor, run, step, attempt, verb

    def for_actor(self, actor: str) -> _Console:
        return _Console(self, actor)

    # -- the runner's moves --------------------------------------------------------------

    def new_run(self, name: str, params: Mapping[str, str | None], by: str, incident: int) -> int:
        run_id = len(self.all) + 1
        self.all[run_id] = rb.start(self.runbooks[name], params, by, self.clock(), incident)
        return run_id

    def begin(self, run_id: int, step: str) -> None:
        run = self.all[run_id]
        _, _, record = run.step(step)
        self.all[run_id] = rb.begin(run, step, record.attempt, self.clock())

    def print(self, run_id: int, step: str, text: str) -> None:
        _, _, record = self.all[run_id].step(step)
        key = (run_id, step, record.attempt)
        self.outputs[key] = self.outputs.get(key, "") + text

    def result(self, run_id: int, step: str, exit_code: int) -> None:
        run = self.all[run_id]
        _, _, record = run.step(step)
        outcome = rb.Outcome(exit_code=exit_code)
        self.all[run_id] = rb.result(run, step, record.attempt, outcome, self.clock())


class _Console:
    def __init__(self, memory: MemoryRunbooks, actor: str) -> None:
        self.memory = memory
        self.actor = actor

    async def runs(self, incident_id: int | None) -> list[ShownRun]:
        return [
            ShownRun(i, r)
            for i, r in sorted(self.memory.all.items())
            if (r.incident_id == incident_id if incident_id is not None else r.current is not None)
        ]

    async def output(self, run_id: int, step: str, attempt: int, after: int) -> OutputRead:
        text = self.memory.outputs.get((run_id, step, attempt), "")
        return OutputRead(text[after:], len(text))

    async def start(self, incident_id: int, runbook: str, parameters: Mapping[str, str]) -> int:
        if runbook not in self.memory.runbooks:
            raise ActionError(f"no runbook {runbook!r}")
        book = self.memory.runbooks[runbook]
        values: dict[str, str | None] = {p.name: parameters.get(p.name) for p in book.parameters}
        return self.memory.new_run(runbook, values, self.actor, incident_id)

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: str, why: str = ""
    ) -> object:
        memory, now = self.memory, self.memory.clock()
        run = memory.all[run_id]
        memory.signals.append((self.actor, run_id, step, attempt, verb))
        try:
            if verb == "cancel":
                memory.all[run_id] = rb.cancel(run, self.actor, now, why)
            elif verb == "reject":
                memory.all[run_id] = rb.reject(run, step, attempt, self.actor, now, why)
            else:
                move = getattr(rb, verb)
                memory.all[run_id] = move(run, step, attempt, self.actor, now)
        except rb.Refused as exc:
            raise ActionError(str(exc)) from None
        return True
