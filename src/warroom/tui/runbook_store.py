"""The Runbook tab's reads and moves through the store and the service (`RunbookData`)."""

from __future__ import annotations

from collections.abc import Mapping

from warroom.engine import Service
from warroom.store import Store
from warroom.tui.runbook_data import OutputRead, ShownRun

OUTPUT_CHUNKS = 1000  # chunks read at once; the rest at the next read


class StoreRunbooks:
    """Runs as the store keeps them; every move through the service, as this console's
    actor (a move another console made first comes back as an ActionError that says
    who)."""

    def __init__(self, store: Store, service: Service) -> None:
        self.store = store
        self.service = service

    async def runs(self, incident_id: int | None) -> list[ShownRun]:
        if incident_id is None:
            records = await self.store.active_runbook_runs()
        else:
            records = await self.store.runbook_runs(incident_id)
        return [ShownRun(r.id, r.run) for r in records]

    async def output(self, run_id: int, step: str, attempt: int, after: int) -> OutputRead:
        """The attempt's chunks after `after` (a run's chunks share one sequence, so
        the position moves past other steps' chunks too)."""
        parts: list[str] = []
        while True:  # all there is now: the store keeps an attempt's output bounded
            chunks = await self.store.runbook_output(run_id, after, OUTPUT_CHUNKS)
            parts.extend(c.text for c in chunks if c.step == step and c.attempt == attempt)
            if chunks:
                after = chunks[-1].seq
            if len(chunks) < OUTPUT_CHUNKS:
                return OutputRead("".join(parts), after)

    async def start(self, incident_id: int, runbook: str, parameters: Mapping[str, str]) -> int:
        record = await self.service.start_runbook(incident_id, runbook, parameters)
        return record.id

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: str, why: str = ""
    ) -> object:
        return await self.service.signal_runbook(run_id, step, attempt, verb, why)
