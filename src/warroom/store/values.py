"""Values the store hands out beside the model's: feed rows, lease tokens, poll results.

They belong to the contract (`store.contract`), not to a backend, so this
module imports no database driver: a PostgreSQL backend and the engine use
them without loading aiosqlite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from warroom.model import AlertKey
from warroom.model.oncall import Override
from warroom.model.runbook import Run, RunStatus
from warroom.model.value import Value

ENGINE_LEASE = "engine"
# how much of each runbook step attempt's output is kept: its first and its last characters
OUTPUT_HEAD_CHARS = 256 * 1024
OUTPUT_TAIL_CHARS = 256 * 1024


class Change(Value, frozen=True):
    """One change-feed row: `entity` `entity_id` changed in the transaction that wrote it.

    A wake-up signal, not history: it says what to re-read, never what the
    value was. `seq` orders rows by commit (see `contract.Store.changes_since`).
    """

    seq: int
    entity: str  # alerts | incident | timeline | source | silence | lease
    entity_id: str


class LeaseToken(Value, frozen=True):
    """Proof of holding the lease: fenced writes carry it into their transaction."""

    name: str
    holder: str
    epoch: int


class LeaseLost(Exception):
    """The lease changed hands: this process must stop its holder-only work."""

    def __init__(self, token: LeaseToken, current: str | None) -> None:
        self.token = token
        self.current = current
        now = f"{current} holds it now" if current else "nobody holds it now"
        super().__init__(
            f"lost the {token.name} lease (epoch {token.epoch}); {now}; nothing was written"
        )


class SilenceRecord(Value, frozen=True):
    """A silence warroom created at a source, as the store remembers it."""

    source: str
    silence_id: str
    reason: str
    created_by: str
    incident_id: int | None
    alerts: tuple[AlertKey, ...]


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """What one poll changed; `rows_written` counts alert rows only.

    `transactions` and `longest_hold` (seconds between BEGIN IMMEDIATE and
    COMMIT) say how the write was spread; they are not part of equality.
    """

    inserted: int = 0
    updated: int = 0
    resolved: int = 0
    unchanged: int = 0
    transactions: int = field(default=1, compare=False)
    longest_hold: float = field(default=0.0, compare=False)

    @property
    def rows_written(self) -> int:
        return self.inserted + self.updated + self.resolved


# An alert as the Alerts tab lists it: its key ("source/fingerprint") and its
# incident; the whole alert is read only for the rows on screen.
ShownAlert = tuple[str, int | None]


class OverrideRecord(Value, frozen=True):
    """An on-call override made from the console or the CLI, as the store keeps it.

    Never deleted: a cancelled one keeps who cancelled it and when, so the story
    of who was on call (and why) can be told afterwards.
    """

    id: int
    schedule: str
    override: Override
    created_at: datetime
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class RunRecord(Value, frozen=True):
    """A runbook run as the store keeps it: the run itself (with its frozen runbook)
    and `version`, which every write bumps; a move is written only if the version
    is still the one read, so of two consoles acting on one step, one wins."""

    id: int
    incident_id: int | None
    name: str
    version: int
    run: Run
    started_by: str
    started_at: datetime
    updated_at: datetime

    @property
    def status(self) -> RunStatus:
        return self.run.status


class OutputChunk(Value, frozen=True):
    """Part of what a step's attempt wrote (stdout and stderr interleaved, already
    stripped of escapes). `seq` grows across a run; a gap in it means output was
    dropped from the middle of an attempt to keep it bounded (its head and tail stay)."""

    seq: int
    step: str
    attempt: int
    text: str


class StepProcess(Value, frozen=True):
    """How a step's process can be found again after the engine restarts: its pid,
    the start time the OS gave it (so a reused pid is not mistaken for it), the file
    its output goes to and the file its exit status will be written to."""

    run_id: int
    step: str
    attempt: int
    pid: int
    process_start: str
    output_path: str
    result_path: str
    epoch: int
    output_offset: int = 0  # how much of the output file the store already holds


class StoredSilence(Value, frozen=True):
    """A silence warroom made, with its times: what the hand-off says of it."""

    source: str
    silence_id: str
    reason: str
    created_by: str
    created_at: datetime
    ends_at: datetime
    incident_id: int | None
    alerts: tuple[AlertKey, ...]
