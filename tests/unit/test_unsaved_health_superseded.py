"""A console that lost the lease while the database was locked must not show its
own "polling stopped" for good once another console polls again.

Found in the #8 acceptance trial: a script held the write lock for 14 s; the
polling console kept, in memory, `polling stopped: another process is writing`
and the other console took the lease. From then on the first console showed
`✗ am never polling stopped: ...`, every alert `? stale` and the Sources tab
`✗ stale never 0`, for as long as it ran (7+ minutes seen), while the database
said the source was polled every 5 s.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from warroom.model import SourceHealth
from warroom.model.clock import utcnow
from warroom.store import open_store


async def test_a_newer_stored_poll_replaces_the_health_kept_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    first = await open_store(path)
    second = await open_store(path)  # the console that polls now
    try:
        async with first.transaction() as tx:
            await tx.record_poll("am", 5, ok=True, alert_count=500)
        first.keep_unsaved_health(
            SourceHealth(
                name="am",
                interval=timedelta(seconds=5),
                last_attempt=utcnow(),
                last_error="polling stopped: another process is writing",
                failures=1,
            )
        )
        async with second.transaction(utcnow() + timedelta(seconds=1)) as tx:
            await tx.record_poll("am", 5, ok=True, alert_count=500)

        [health] = await first.source_health()
        assert not health.is_failing, health
        assert health.alert_count == 500 and health.last_success is not None
    finally:
        await first.close()
        await second.close()
