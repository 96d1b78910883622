"""Polling: fetch, then schedule the next fetch -- never overlapping, never bunching.

A failed fetch records the reason and backs off (exponential, with jitter), but
leaves the source's alerts exactly as they were: "down" never means "resolved".
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from warroom.engine.silences import expire_resolved_ack_silences
from warroom.engine.triage import Triage
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.sources.base import Silencer, Source, SourceError
from warroom.store import SnapshotResult, Store
from warroom.store.tx import DigestCache

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=5)


async def poll_once(
    store: Store,
    source: Source,
    triage: Triage | None = None,
    digests: DigestCache | None = None,
) -> SnapshotResult | None:
    """One poll; None when the fetch failed (already recorded in the source's health)."""
    interval = source.interval.total_seconds()
    try:
        alerts = await source.fetch()
    except SourceError as exc:
        reason = exc.reason
    except Exception as exc:  # a source bug must not take the engine down
        log.exception("source %s crashed", source.name)
        reason = f"internal error: {type(exc).__name__}: {exc}"
    else:
        try:
            cache = digests or DigestCache()
            hashes = await off_loop(len(alerts), OFFLOAD_ITEMS, cache.digests, alerts)
            async with store.transaction() as tx:
                result = await tx.apply_snapshot(source.name, alerts, hashes)
                if triage is not None:
                    # in the same transaction: an alert is never stored without its process
                    await triage.run(tx, source.name, alerts, hashes, tx.now)
                await tx.record_poll(source.name, interval, ok=True, alert_count=len(alerts))
            return result
        except Exception as exc:  # the snapshot could not be stored: say so, keep polling
            log.exception("storing the snapshot of %s failed", source.name)
            reason = f"internal error storing alerts: {type(exc).__name__}: {exc}"
    try:
        async with store.transaction() as tx:
            await tx.record_poll(source.name, interval, ok=False, error=safe_text(reason, 500))
    except Exception:
        log.exception("recording the failure of %s failed", source.name)
    return None


def next_delay(interval: timedelta, failures: int) -> float:
    """Seconds to the next poll: the interval, or a jittered backoff while failing."""
    base = interval.total_seconds()
    if failures <= 0:
        return base
    backoff: float = min(base * 2.0 ** min(failures, 10), MAX_BACKOFF.total_seconds())
    return max(base, backoff * random.uniform(0.5, 1.0))


async def poll_forever(store: Store, source: Source, triage: Triage | None = None) -> None:
    failures = 0
    digests = DigestCache()
    while True:
        started = asyncio.get_running_loop().time()
        result = await poll_once(store, source, triage, digests)
        failures = 0 if result is not None else failures + 1
        if result is not None and isinstance(source, Silencer):
            try:
                await expire_resolved_ack_silences(store, source)
            except Exception:
                log.exception("expiring acknowledgement silences of %s failed", source.name)
        elapsed = asyncio.get_running_loop().time() - started
        await asyncio.sleep(max(0.0, next_delay(source.interval, failures) - elapsed))
