"""A poll's snapshot against what is stored: digests and the difference to write.

Pure Python, shared by every backend: the engine diffs off the write lock (or
outside any transaction) and hands the difference to `Transaction.write_alerts`
and `Transaction.resolve_gone`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from warroom.model import Alert
from warroom.model.clock import to_epoch
from warroom.model.value import Value
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
    back the same (unchanged, immutable) Alert gets its digest back for free.

    Updated in place: a second map of 50,000 entries, built while the first still
    stood, was a few MB of every poll's peak. An entry is a fact (this Alert has
    this digest), so one left over from an earlier poll is never wrong; the map is
    rebuilt only when it holds more than this poll's alerts (some left)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Alert, str]] = {}

    def digests(self, alerts: Sequence[Alert]) -> list[str]:
        out: list[str] = []
        last = self._last
        for alert in alerts:
            entry = last.get(alert.fingerprint)
            if entry is None or entry[0] is not alert:
                entry = last[alert.fingerprint] = (alert, alert_digest(alert))
            out.append(entry[1])  # unchanged: the same pair, nothing new per poll
        if len(last) > len(alerts):  # alerts left: let go of them
            self._last = {a.fingerprint: last[a.fingerprint] for a in alerts}
        return out


def _stored_map(rows: Iterable[tuple[str, str]]) -> dict[str, object]:
    """The stored (fingerprint, digest) rows as a map; a list of them is emptied
    as it is read, so the rows and the map of 50,000 alerts never stand together."""
    if not isinstance(rows, list):
        return dict(rows)
    stored: dict[str, object] = {}
    for index, (fingerprint, digest) in enumerate(rows):
        stored[fingerprint] = digest
        rows[index] = None
    rows.clear()
    return stored


_SEEN = object()  # in place of a stored digest: that alert is in the snapshot


def _split(
    source: str, alerts: Sequence[Alert], digests: Sequence[str], stored_rows: Iterable[Any]
) -> tuple[dict[str, Alert], dict[str, str], list[tuple[Alert, str]], list[str], int]:
    """A snapshot against the stored (fingerprint, digest) rows: (new alerts, their
    digests, changed alerts with theirs, stored fingerprints gone, how many are
    unchanged). A list of rows is consumed."""
    stored = _stored_map(stored_rows)
    fresh: dict[str, Alert] = {}
    changed: list[tuple[Alert, str]] = []
    unchanged = 0
    digest_of: dict[str, str] = {}
    for alert, digest in zip(alerts, digests, strict=True):
        if alert.source != source:
            raise ValueError(f"alert of {alert.source!r} in snapshot of {source!r}")
        if alert.fingerprint in fresh:
            continue  # a source repeating itself must not double-count
        previous = stored.get(alert.fingerprint)
        if previous is None:
            fresh[alert.fingerprint] = alert
            digest_of[alert.fingerprint] = digest
            continue
        if previous is _SEEN:
            continue
        stored[alert.fingerprint] = _SEEN  # marked, not copied to a set: no second map
        if previous == digest:
            unchanged += 1
        else:
            changed.append((alert, digest))
    gone = [fp for fp, mark in stored.items() if mark is not _SEEN]
    return fresh, digest_of, changed, gone, unchanged


class SnapshotDiff(Value, frozen=True):
    """A snapshot against what is stored: what a poll must write."""

    pending: list[tuple[Alert, str]]  # new and changed alerts with their digests
    fresh: frozenset[str]  # fingerprints of pending alerts that were not active
    gone: list[str]  # active fingerprints the snapshot no longer has
    unchanged: int


async def diff_snapshot(
    source: str,
    alerts: Sequence[Alert],
    digests: Sequence[str],
    stored_rows: Iterable[tuple[str, str]],
) -> SnapshotDiff:
    # 50,000 comparisons: off the console's event loop like the rest of a poll
    fresh, digest_of, changed, gone, unchanged = await off_loop(
        len(alerts), OFFLOAD_ITEMS, _split, source, alerts, digests, stored_rows
    )
    pending = changed + [(a, digest_of[fp]) for fp, a in fresh.items()]
    return SnapshotDiff(pending, frozenset(fresh), gone, unchanged)
