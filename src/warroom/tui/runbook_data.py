"""What the Runbook tab reads and asks for, kept to a few calls on model values.

The tab draws `Run` values (`model/runbook.py`) and a step's output, and acts
only through the service's `start_runbook` and `signal_runbook`; this module
is the one place that knows how the store and the service spell those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from warroom.model.runbook import Run
from warroom.model.value import Value

SIGNALS = ("confirm", "approve", "reject", "retry", "skip", "cancel")


class ShownRun(Value, frozen=True):
    id: int
    run: Run


class OutputRead(Value, frozen=True):
    text: str  # what came after the position asked for, as written (not yet cleaned)
    position: int  # where to read on from next time


class RunbookData(Protocol):
    async def runs(self, incident_id: int | None) -> list[ShownRun]:
        """The runs of the incident, oldest first; without one, the active runs."""
        ...

    async def output(self, run_id: int, step: str, attempt: int, after: int) -> OutputRead:
        """A step attempt's output after position `after`."""
        ...

    async def start(self, incident_id: int, runbook: str, parameters: Mapping[str, str]) -> int:
        """Start a run; its id."""
        ...

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: str, why: str = ""
    ) -> object:
        """A responder's move on the step and attempt they saw (ActionError if refused,
        stale included: its message says who already did it)."""
        ...
