"""Polling: fetch, then schedule the next fetch -- never overlapping, never bunching.

A failed fetch records the reason and backs off (exponential, with jitter), but
leaves the source's alerts exactly as they were: "down" never means "resolved".

A store that fails (locked, full, read-only) is not a bug: `poll_once` raises
it for its caller to name in one line; `poll_forever` logs it once a minute and
backs off. The source's health then says why polling stopped, kept in memory
when it cannot be written, so this process's screen still shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from datetime import timedelta

from warroom.engine.ingest import store_snapshot
from warroom.engine.silences import expire_resolved_ack_silences
from warroom.engine.store_failures import STORE_FAILURES, FailureLog, describe
from warroom.engine.triage import Triage
from warroom.model import SourceHealth
from warroom.model.clock import utcnow
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_ITEMS, off_loop, release_freed, tune_allocator
from warroom.sources.base import Silencer, Source, SourceError
from warroom.store import DigestCache, LeaseLost, LeaseToken, SnapshotResult, Store

log = logging.getLogger(__name__)
# Not a poll that failed but polling that must stop here: the caller decides.
_STOPS: tuple[type[BaseException], ...] = (LeaseLost, *STORE_FAILURES)


async def request_retries(store: Store, names: Sequence[str]) -> list[str]:
    """Ask whichever process polls to poll these sources now; the ones asked.

    A source that was never polled has nothing to retry: its first poll is
    already on its way.
    """
    asked = []
    async with store.transaction() as tx:
        for name in names:
            if await tx.request_retry(name):
                asked.append(name)
    return asked


async def poll_once(
    store: Store,
    source: Source,
    triage: Triage | None = None,
    digests: DigestCache | None = None,
    lease: LeaseToken | None = None,
) -> SnapshotResult | None:
    """One poll; None when the fetch failed (already recorded in the source's health).

    Every write is fenced by `lease` when given: LeaseLost means nothing of this
    poll was stored past the chunk it was found in. Store failures are raised.
    """
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
            result = await store_snapshot(
                store, source.name, interval, alerts, hashes, triage, lease
            )
        except _STOPS as exc:
            if not isinstance(exc, LeaseLost):
                keep_in_memory(store, source, f"polling stopped: {describe(exc, store.location)}")
            raise
        except Exception as exc:  # the snapshot could not be stored: say so, keep polling
            log.exception("storing the snapshot of %s failed", source.name)
            reason = f"internal error storing alerts: {type(exc).__name__}: {exc}"
        else:
            store.forget_unsaved_health(source.name)
            return result
    reason = safe_text(reason, 500)
    try:
        async with store.transaction() as tx:
            if lease is not None:
                await tx.check_lease(lease)
            await tx.record_poll(source.name, interval, ok=False, error=reason)
    except STORE_FAILURES as exc:
        keep_in_memory(store, source, f"{reason}; and not saved: {describe(exc, store.location)}")
        raise
    store.forget_unsaved_health(source.name)
    return None


def keep_in_memory(store: Store, source: Source, error: str) -> None:
    """The health this process could not write: its screen still shows why polling
    stopped, until a poll of this source is stored again."""
    previous = store.unsaved_health(source.name)
    store.keep_unsaved_health(
        SourceHealth(
            name=source.name,
            interval=source.interval,
            last_success=previous.last_success if previous else None,
            last_attempt=utcnow(),
            last_error=safe_text(error, 500),
            failures=(previous.failures if previous else 0) + 1,
            alert_count=previous.alert_count if previous else 0,
        )
    )


def next_delay(interval: timedelta, failures: int) -> float:
    """Seconds to the next poll: the interval, or a jittered backoff while failing.

    The backoff starts at a second and never exceeds the interval: a source that
    comes back is polled again within one interval (or at once, on a responder's
    retry), not minutes later, and a dead one costs no more than a live one.
    """
    base = interval.total_seconds()
    if failures <= 0:
        return base
    backoff: float = 2.0 ** min(failures - 1, 10)
    if backoff >= base:
        return base  # a failing source is never polled more often than a healthy one
    return backoff * random.uniform(0.8, 1.0)  # jitter: consoles do not retry in step


async def poll_forever(
    store: Store,
    source: Source,
    triage: Triage | None = None,
    lease: LeaseToken | None = None,
    failures_log: FailureLog | None = None,
    wake: asyncio.Event | None = None,
) -> None:
    """Poll until cancelled, or until the lease is lost (one line, then return).

    `wake` cuts the wait short: a responder asked for this source now.
    """
    tune_allocator()  # before the first large answer arrives
    failures = 0
    digests = DigestCache()
    store_log = failures_log or FailureLog(log)
    me = asyncio.current_task()
    while True:
        if me is not None and me.cancelling():
            # a cancellation swallowed somewhere below (seen under load, about one
            # run in six): stopping the engine must never leave a poller running
            raise asyncio.CancelledError
        started = asyncio.get_running_loop().time()
        try:
            result = await poll_once(store, source, triage, digests, lease)
            if result is not None and isinstance(source, Silencer):
                await _expire_silences(store, source, lease)
        except LeaseLost as exc:
            log.warning("polling %s stopped: %s", source.name, exc)
            return
        except STORE_FAILURES as exc:
            store_log.failed(f"storing the poll of {source.name}", exc, store.location)
            result = None
        failures = 0 if result is not None else failures + 1
        if (
            result is not None
            and result.inserted + result.updated + result.unchanged >= OFFLOAD_ITEMS
        ):
            release_freed()  # a large poll's garbage, not the console's memory until the next
        elapsed = asyncio.get_running_loop().time() - started
        delay = max(0.0, next_delay(source.interval, failures) - elapsed)
        if wake is None:
            await asyncio.sleep(delay)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), delay)
        wake.clear()


async def _expire_silences(store: Store, source: Silencer, lease: LeaseToken | None) -> None:
    try:
        await expire_resolved_ack_silences(store, source, lease)
    except _STOPS:
        raise
    except Exception:
        log.exception("expiring acknowledgement silences of %s failed", source.name)
