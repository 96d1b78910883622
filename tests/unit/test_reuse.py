"""Unchanged alerts are reused between polls: no normalising, no digest, same result."""

from __future__ import annotations

import copy
import tracemalloc
from typing import Any

import pytest

from warroom.sources.alertmanager import Reuse, normalise_alerts
from warroom.sources.normalise import ShapeError
from warroom.store import snapshot as snapshot_module
from warroom.store.snapshot import DigestCache


def payload() -> list[dict[str, Any]]:
    return [
        {
            "labels": {"alertname": f"A{i}", "severity": "warning"},
            "annotations": {"summary": f"s{i}"},
            "startsAt": "2026-01-01T00:00:00Z",
            "fingerprint": f"fp{i}",
            "status": {"state": "active", "silencedBy": []},
            "updatedAt": f"2026-01-01T00:0{i}:00Z",
            "endsAt": "2026-01-01T01:00:00Z",
        }
        for i in range(3)
    ]


def test_unchanged_items_give_back_the_same_alerts() -> None:
    reuse: Reuse = {}
    first = normalise_alerts("am", payload(), reuse)
    again = payload()
    for item in again:
        item["updatedAt"] = "2026-02-02T00:00:00Z"  # volatile: not part of an Alert
    second = normalise_alerts("am", again, reuse)
    assert all(a is b for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize(
    "change",
    [
        lambda i: i["labels"].update(severity="critical"),
        lambda i: i["annotations"].update(summary="new"),
        lambda i: i.update(startsAt="2026-01-02T00:00:00Z"),
        lambda i: i["status"].update(state="suppressed", silencedBy=["x"]),
        lambda i: i.update(generatorURL="http://x"),
    ],
)
def test_any_change_rebuilds_that_alert_only(change: Any) -> None:
    reuse: Reuse = {}
    first = normalise_alerts("am", payload(), reuse)
    items = payload()
    change(items[1])
    second = normalise_alerts("am", items, reuse)
    assert second[0] is first[0] and second[2] is first[2]
    assert second[1] is not first[1]
    assert second[1] == normalise_alerts("am", copy.deepcopy(items))[1]  # as if fresh


def test_a_bad_payload_leaves_the_cache_as_it_was() -> None:
    reuse: Reuse = {}
    first = normalise_alerts("am", payload(), reuse)
    bad = payload()
    bad[2]["labels"] = ["not", "a", "map"]
    with pytest.raises(ShapeError):
        normalise_alerts("am", bad, reuse)
    assert normalise_alerts("am", payload(), reuse)[0] is first[0]


def test_digests_are_computed_once_per_alert_object(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = snapshot_module.alert_digest

    def counting(alert: Any) -> str:
        calls.append(alert.fingerprint)
        return real(alert)

    monkeypatch.setattr(snapshot_module, "alert_digest", counting)
    reuse: Reuse = {}
    cache = DigestCache()
    first = cache.digests(normalise_alerts("am", payload(), reuse))
    assert len(calls) == 3
    items = payload()
    items[0]["labels"]["severity"] = "critical"
    second = cache.digests(normalise_alerts("am", items, reuse))
    assert calls == ["fp0", "fp1", "fp2", "fp0"]  # only the changed one again
    assert second[1:] == first[1:] and second[0] != first[0]


def many(count: int, prefix: str = "fp") -> list[dict[str, Any]]:
    return [
        {
            "labels": {"alertname": "Storm", "instance": f"host-{i}"},
            "startsAt": "2026-01-01T00:00:00Z",
            "fingerprint": f"{prefix}{i}",
            "status": {"state": "active"},
        }
        for i in range(count)
    ]


def test_a_steady_poll_builds_no_second_map_of_its_alerts() -> None:
    """An unchanged poll of N alerts allocates its list of them, not a new map of N
    entries beside each cache (a few MB each at 50,000 alerts)."""
    count = 20_000
    reuse: Reuse = {}
    cache = DigestCache()
    cache.digests(normalise_alerts("am", many(count), reuse))
    items = many(count)
    tracemalloc.start()
    try:
        alerts = normalise_alerts("am", items, reuse)
        digests = cache.digests(alerts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(digests) == count
    assert peak < count * 30, peak  # two lists of pointers; a map would be ~100 B an entry


def test_alerts_that_left_are_let_go_of() -> None:
    reuse: Reuse = {}
    cache = DigestCache()
    cache.digests(normalise_alerts("am", many(10), reuse))
    later = normalise_alerts("am", many(4, "other"), reuse)
    cache.digests(later)
    assert set(reuse) == {a.fingerprint for a in later}
    assert set(cache._last) == {a.fingerprint for a in later}


async def test_the_stored_rows_are_read_into_the_diff_not_beside_it() -> None:
    alerts = normalise_alerts("am", many(5))
    digests = snapshot_module.snapshot_digests(alerts)
    stored = [(a.fingerprint, d) for a, d in zip(alerts[:3], digests[:3], strict=True)]
    stored += [("gone1", "x"), ("gone2", "y")]
    diff = await snapshot_module.diff_snapshot(
        "am", alerts + alerts[:1], digests + digests[:1], stored
    )
    assert stored == []  # consumed
    assert diff.unchanged == 3 and diff.gone == ["gone1", "gone2"]
    assert sorted(a.fingerprint for a, _ in diff.pending) == ["fp3", "fp4"]
