"""Runbook runs, their steps' output and their processes: the SQL, for SQLite.

A run is stored whole (JSON, `model/runbook_json.py`) with a version that every
write bumps; `update_runbook_run` writes only if the version is the one the
caller read, which is how two consoles confirming one step end with one
confirmation. Output is bounded per attempt: the first `HEAD_CHARS` are kept, and
the last `TAIL_CHARS`; what falls between is dropped (and counted), so a command
writing gigabytes costs the database half a megabyte. Feed entities: `runbook`
(id: the run) for any change of a run, `runbook-output` (id: the run) for output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from warroom.model.clock import from_epoch, to_epoch
from warroom.model.events import RunbookStarted
from warroom.model.runbook import Run, RunStatus
from warroom.model.runbook_json import run_from_json, run_to_json
from warroom.model.timeline import EventKind
from warroom.store.values import (
    OUTPUT_HEAD_CHARS,
    OUTPUT_TAIL_CHARS,
    OutputChunk,
    RunRecord,
    StepProcess,
)

FEED_ENTITY = "runbook"
OUTPUT_ENTITY = "runbook-output"
HEAD_CHARS = OUTPUT_HEAD_CHARS
TAIL_CHARS = OUTPUT_TAIL_CHARS
CHUNK_CHARS = 64 * 1024  # rows this size, so trimming the tail drops whole rows mostly
ACTIVE = (RunStatus.RUNNING.value, RunStatus.WAITING.value)

_COLUMNS = "id, incident_id, name, version, run, started_by, started_at, updated_at"
_PROCESS = (
    "run_id, step, attempt, pid, process_start, output_path, result_path, epoch, output_offset"
)


def _record(row: Sequence[Any]) -> RunRecord:
    (rid, incident_id, name, version, run, by, started, updated) = row
    started_at, updated_at = from_epoch(started), from_epoch(updated)
    assert started_at is not None and updated_at is not None
    return RunRecord(
        id=int(rid),
        incident_id=incident_id,
        name=str(name),
        version=int(version),
        run=run_from_json(json.loads(run)),
        started_by=str(by),
        started_at=started_at,
        updated_at=updated_at,
    )


def _process(row: Sequence[Any]) -> StepProcess:
    (run_id, step, attempt, pid, start, out, result, epoch, offset) = row
    return StepProcess(
        int(run_id), str(step), int(attempt), int(pid), str(start), str(out), str(result),
        int(epoch), int(offset),
    )  # fmt: skip


def _dumps(run: Run) -> str:
    return json.dumps(run_to_json(run), ensure_ascii=False, separators=(",", ":"))


class RunbookWrites:
    """Write primitives for runbook runs (mixed into the SQLite Tx)."""

    _db: aiosqlite.Connection
    _now_epoch: float | None

    def touch(self, entity: str, entity_id: object) -> None:
        raise NotImplementedError

    async def add_event(self, *args: Any, **kwargs: Any) -> int:
        raise NotImplementedError

    async def start_runbook_run(self, run: Run, actor: str) -> int:
        cursor = await self._db.execute(
            "INSERT INTO runbook_runs (incident_id, name, status, version, run, started_by,"
            " started_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            (
                run.incident_id,
                run.runbook.name,
                run.status.value,
                _dumps(run),
                run.started_by,
                to_epoch(run.started_at),
                self._now_epoch,
            ),
        )
        run_id = cursor.lastrowid
        assert run_id is not None
        event = RunbookStarted(
            run_id,
            run.runbook.name,
            len(run.runbook.steps),
            tuple(f"{k}={v}" for k, v in run.parameters.items() if v is not None),
        )
        await self.add_event(
            run.incident_id, EventKind.RUNBOOK_STARTED, actor, event.text, event.stored()
        )
        self.touch(FEED_ENTITY, run_id)
        return run_id

    async def runbook_run(self, run_id: int) -> RunRecord | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM runbook_runs WHERE id = ?", (run_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _record(row)

    async def active_runbook_runs(self) -> list[RunRecord]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM runbook_runs WHERE status IN (?, ?) ORDER BY id", ACTIVE
        ) as cursor:
            return [_record(r) for r in await cursor.fetchall()]

    async def update_runbook_run(self, run_id: int, version: int, run: Run) -> bool:
        async with self._db.execute(
            "UPDATE runbook_runs SET run = ?, status = ?, version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = ? RETURNING id",
            (_dumps(run), run.status.value, self._now_epoch, run_id, version),
        ) as cursor:
            won = await cursor.fetchone() is not None
        if won:
            self.touch(FEED_ENTITY, run_id)
        return won

    async def _attempt_sizes(self, run_id: int, step: str, attempt: int) -> tuple[int, int, int]:
        await self._db.execute(
            "INSERT OR IGNORE INTO runbook_attempts (run_id, step, attempt) VALUES (?, ?, ?)",
            (run_id, step, attempt),
        )
        async with self._db.execute(
            "SELECT head_chars, tail_chars, dropped_chars FROM runbook_attempts"
            " WHERE run_id = ? AND step = ? AND attempt = ?",
            (run_id, step, attempt),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    async def append_runbook_output(
        self,
        run_id: int,
        step: str,
        attempt: int,
        text: str,
        output_offset: int | None = None,
        dropped: int = 0,
    ) -> None:
        if not text and output_offset is None and not dropped:
            return
        head, tail, kept_dropped = await self._attempt_sizes(run_id, step, attempt)
        dropped += kept_dropped
        async with self._db.execute(
            "SELECT coalesce(max(seq), 0) FROM runbook_output WHERE run_id = ?", (run_id,)
        ) as cursor:
            row = await cursor.fetchone()
        seq = int(row[0]) if row else 0
        room = max(HEAD_CHARS - head, 0)
        rows: list[tuple[int, int, str, int, str, str]] = []
        for part, piece in (("head", text[:room]), ("tail", text[room:])):
            for start in range(0, len(piece), CHUNK_CHARS):
                seq += 1
                rows.append((run_id, seq, step, attempt, part, piece[start : start + CHUNK_CHARS]))
        head += min(room, len(text))
        tail += max(len(text) - room, 0)
        await self._db.executemany(
            "INSERT INTO runbook_output (run_id, seq, step, attempt, part, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        while tail > TAIL_CHARS:  # drop the oldest of the tail, the newest chunk always stays
            async with self._db.execute(
                "SELECT seq, length(text) FROM runbook_output WHERE run_id = ? AND step = ?"
                " AND attempt = ? AND part = 'tail' ORDER BY seq LIMIT 1",
                (run_id, step, attempt),
            ) as cursor:
                oldest = await cursor.fetchone()
            assert oldest is not None
            excess = tail - TAIL_CHARS
            if int(oldest[1]) <= excess:
                await self._db.execute(
                    "DELETE FROM runbook_output WHERE run_id = ? AND seq = ?", (run_id, oldest[0])
                )
                cut = int(oldest[1])
            else:
                await self._db.execute(
                    "UPDATE runbook_output SET text = substr(text, ?) WHERE run_id = ? AND seq = ?",
                    (excess + 1, run_id, oldest[0]),
                )
                cut = excess
            tail -= cut
            dropped += cut
        await self._db.execute(
            "UPDATE runbook_attempts SET head_chars = ?, tail_chars = ?, dropped_chars = ?,"
            " output_offset = coalesce(?, output_offset)"
            " WHERE run_id = ? AND step = ? AND attempt = ?",
            (head, tail, dropped, output_offset, run_id, step, attempt),
        )
        if text:
            self.touch(OUTPUT_ENTITY, run_id)

    async def record_step_process(self, process: StepProcess) -> None:
        await self._attempt_sizes(process.run_id, process.step, process.attempt)
        await self._db.execute(
            "UPDATE runbook_attempts SET pid = ?, process_start = ?, output_path = ?,"
            " result_path = ?, epoch = ?, output_offset = ?"
            " WHERE run_id = ? AND step = ? AND attempt = ?",
            (
                process.pid,
                process.process_start,
                process.output_path,
                process.result_path,
                process.epoch,
                process.output_offset,
                process.run_id,
                process.step,
                process.attempt,
            ),
        )

    async def step_process(self, run_id: int, step: str, attempt: int) -> StepProcess | None:
        async with self._db.execute(
            f"SELECT {_PROCESS} FROM runbook_attempts WHERE run_id = ? AND step = ?"
            " AND attempt = ? AND pid IS NOT NULL",
            (run_id, step, attempt),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _process(row)


class RunbookReads:
    """Read queries for runbook runs (mixed into the SQLite Store; the reader connection)."""

    _reader: aiosqlite.Connection

    async def runbook_run(self, run_id: int) -> RunRecord | None:
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM runbook_runs WHERE id = ?", (run_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _record(row)

    async def runbook_runs(self, incident_id: int | None) -> list[RunRecord]:
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM runbook_runs WHERE incident_id IS ? ORDER BY id",
            (incident_id,),
        ) as cursor:
            return [_record(r) for r in await cursor.fetchall()]

    async def active_runbook_runs(self) -> list[RunRecord]:
        async with self._reader.execute(
            f"SELECT {_COLUMNS} FROM runbook_runs WHERE status IN (?, ?) ORDER BY id", ACTIVE
        ) as cursor:
            return [_record(r) for r in await cursor.fetchall()]

    async def runbook_output(
        self, run_id: int, after: int = 0, limit: int = 1000
    ) -> list[OutputChunk]:
        async with self._reader.execute(
            "SELECT seq, step, attempt, text FROM runbook_output WHERE run_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (run_id, after, limit),
        ) as cursor:
            return [
                OutputChunk(int(s), str(st), int(a), str(t))
                for s, st, a, t in await cursor.fetchall()
            ]

    async def runbook_output_tail(
        self, run_id: int, chars: int, step: str | None = None, attempt: int | None = None
    ) -> str:
        """The last `chars` characters of the run's kept output (of one attempt's, with
        `step` and `attempt`): read newest chunk first, a few rows at a time, so a run
        that kept megabytes costs `show` a row or two, not all of them."""
        if chars <= 0:
            return ""
        where, params = "run_id = ?", list[object]([run_id])
        if step is not None and attempt is not None:
            where += " AND step = ? AND attempt = ?"
            params += [step, attempt]
        texts: list[str] = []
        have, before = 0, None
        while have < chars:
            bound = "" if before is None else " AND seq < ?"
            async with self._reader.execute(
                f"SELECT seq, text FROM runbook_output WHERE {where}{bound}"
                " ORDER BY seq DESC LIMIT 4",
                (*params, *(() if before is None else (before,))),
            ) as cursor:
                rows = list(await cursor.fetchall())
            for seq, text in rows:
                texts.append(str(text))
                have += len(text)
                before = int(seq)
                if have >= chars:
                    break
            if len(rows) < 4:
                break
        return "".join(reversed(texts))[-chars:]

    async def dropped_output(self, run_id: int, step: str, attempt: int) -> int:
        async with self._reader.execute(
            "SELECT dropped_chars FROM runbook_attempts WHERE run_id = ? AND step = ?"
            " AND attempt = ?",
            (run_id, step, attempt),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0
