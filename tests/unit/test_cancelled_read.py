"""A read called off at the wrong moment must not freeze the reader's view.

Found in the #8 acceptance trial: typing in the Alerts filter during a storm
cancels the previous keystroke's reload (an exclusive worker). When the cancel
lands after SQLite has run the SELECT's first step but before the awaiting task
resumed, the un-exhausted cursor stays referenced by the cancelled task's
traceback (Textual keeps the worker and its error; `gc.freeze` keeps the cycle
for up to 30 minutes). An active statement is an open read transaction: the
console kept showing the database as it was -- every alert `? stale`, "nobody
polls", other responders' acknowledgements never arrived -- and the WAL could
not be checkpointed past it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.unit.helpers import make_alert

from warroom.store import open_store


async def test_a_read_cancelled_after_sqlite_ran_it_leaves_no_snapshot_behind(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.db"
    console = await open_store(path)
    other = await open_store(path)  # another responder's console on the bastion
    try:
        async with other.transaction() as tx:
            await tx.apply_snapshot(
                "am", [make_alert(source="am", instance=f"h{i}") for i in range(50)]
            )
        before = await console.last_change()

        read = asyncio.create_task(console.shown_alerts("Disk"))
        await asyncio.sleep(0)  # the SELECT is queued on the reader's thread
        # the loop is busy (a storm being drawn) while SQLite answers: the result
        # is handed back, but the task has not resumed when the next key cancels it
        time.sleep(0.3)  # noqa: ASYNC251  (the busy loop is the point)
        await asyncio.sleep(0)  # the answer lands on the future
        read.cancel()
        await asyncio.gather(read, return_exceptions=True)
        assert read.cancelled()
        # `read` is kept, as Textual's Worker keeps a cancelled worker's task and error

        async with other.transaction() as tx:
            await tx.apply_snapshot("am", [make_alert(source="am", instance="new")])
        after = await other.last_change()
        assert after > before

        assert await console.last_change() == after, "the console reads a frozen snapshot"
        assert await console.active_alert_count() == 1
    finally:
        await console.close()
        await other.close()
