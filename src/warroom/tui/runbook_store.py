"""The Runbook tab's reads and moves through the store and the service (`RunbookData`)."""

from __future__ import annotations

from collections.abc import Mapping

from warroom.engine import Service
from warroom.store import Store
from warroom.tui.runbook_data import OutputRead, ShownRun


class StoreRunbooks:
    """Until the store keeps runs (issue #11 item 4), there are none to show.

    Once it does, each method is one call: `runs` the store's runs of an
    incident (or the active ones) as (id, Run); `output` the step attempt's
    output chunks after a sequence number, joined, with the last number as the
    position; `start` and `signal` the service's `start_runbook` and
    `signal_runbook` (the service knows the actor; a Stale refusal arrives as an
    ActionError whose message says who moved the step).
    """

    def __init__(self, store: Store, service: Service) -> None:
        self.store = store
        self.service = service

    async def runs(self, incident_id: int | None) -> list[ShownRun]:
        return []

    async def output(self, run_id: int, step: str, attempt: int, after: int) -> OutputRead:
        return OutputRead("", after)

    async def start(self, incident_id: int, runbook: str, parameters: Mapping[str, str]) -> int:
        from warroom.engine import ActionError

        raise ActionError("runbooks cannot be started from the console yet")

    async def signal(
        self, run_id: int, step: str, attempt: int, verb: str, why: str = ""
    ) -> object:
        from warroom.engine import ActionError

        raise ActionError("runbooks cannot be moved from the console yet")
