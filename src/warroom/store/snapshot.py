"""A poll's snapshot against what is stored: digests and the difference to write.

Pure Python, shared by every backend: the engine diffs off the write lock (or
outside any transaction) and hands the difference to `Transaction.write_alerts`
and `Transaction.resolve_gone`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warroom.model import Alert
from warroom.model.clock import to_epoch
from warroom.offload import OFFLOAD_ITEMS, off_loop

# One C encoder, reused: json.dumps with options builds one per call.
_DIGEST_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)


def alert_digest(alert: Alert) -> str:
    """What decides "changed?" on every poll, so it must be cheap: one pass of the
    C JSON encoder (label order does not matter: keys are sorted) and a hash."""
    canonical = (
        alert.name,
        alert.state.value,
        alert.severity.value,
        alert.labels,
        alert.annotations,
        to_epoch(alert.starts_at),
        to_epoch(alert.ends_at),
        alert.url,
    )
    encoded = _DIGEST_ENCODER.encode(canonical).encode()
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()


def snapshot_digests(alerts: Sequence[Alert]) -> list[str]:
    return [alert_digest(a) for a in alerts]


class DigestCache:
    """One source's digests of its last poll, by Alert object: a source that hands
    back the same (unchanged, immutable) Alert gets its digest back for free."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Alert, str]] = {}

    def digests(self, alerts: Sequence[Alert]) -> list[str]:
        out: list[str] = []
        fresh: dict[str, tuple[Alert, str]] = {}
        for alert in alerts:
            entry = self._last.get(alert.fingerprint)
            if entry is None or entry[0] is not alert:
                entry = (alert, alert_digest(alert))
            fresh[alert.fingerprint] = entry  # unchanged: the same pair, nothing new per poll
            out.append(entry[1])
        self._last = fresh
        return out


def _split(
    source: str, alerts: Sequence[Alert], digests: Sequence[str], stored_rows: Iterable[Any]
) -> tuple[dict[str, Alert], dict[str, str], list[tuple[Alert, str]], list[str], int]:
    """A snapshot against the stored (fingerprint, digest) rows: (new alerts, their
    digests, changed alerts with theirs, stored fingerprints gone, how many are
    unchanged)."""
    # the store's dict as it is (a copy would hold every stored digest twice)
    stored = stored_rows if isinstance(stored_rows, dict) else dict(stored_rows)
    stored_seen: set[str] = set()
    fresh: dict[str, Alert] = {}
    changed: list[tuple[Alert, str]] = []
    unchanged = 0
    digest_of: dict[str, str] = {}
    for alert, digest in zip(alerts, digests, strict=True):
        if alert.source != source:
            raise ValueError(f"alert of {alert.source!r} in snapshot of {source!r}")
        if alert.fingerprint in fresh or alert.fingerprint in stored_seen:
            continue  # a source repeating itself must not double-count
        previous = stored.get(alert.fingerprint)
        if previous is None:
            fresh[alert.fingerprint] = alert
            digest_of[alert.fingerprint] = digest
            continue
        stored_seen.add(alert.fingerprint)
        if previous == digest:
            unchanged += 1
        else:
            changed.append((alert, digest))
    gone = [fp for fp in stored if fp not in stored_seen]
    return fresh, digest_of, changed, gone, unchanged


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """A snapshot against what is stored: what a poll must write."""

    pending: list[tuple[Alert, str]]  # new and changed alerts with their digests
    fresh: frozenset[str]  # fingerprints of pending alerts that were not active
    gone: list[str]  # active fingerprints the snapshot no longer has
    unchanged: int


async def diff_snapshot(
    source: str,
    alerts: Sequence[Alert],
    digests: Sequence[str],
    stored_rows: Mapping[str, str] | Iterable[tuple[str, str]],
) -> SnapshotDiff:
    # 50,000 comparisons: off the console's event loop like the rest of a poll
    fresh, digest_of, changed, gone, unchanged = await off_loop(
        len(alerts), OFFLOAD_ITEMS, _split, source, alerts, digests, stored_rows
    )
    pending = changed + [(a, digest_of[fp]) for fp, a in fresh.items()]
    return SnapshotDiff(pending, frozenset(fresh), gone, unchanged)
