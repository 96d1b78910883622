"""The console decodes an Alertmanager answer while it arrives: large answers, cut,
garbled deep inside, or spelling a surrogate late, read exactly as when the answer
is read whole first, and the answer is never held whole. Over loopback HTTP.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, loopback
from tests.e2e.storm import storm_body

from warroom import offload
from warroom.engine.poller import poll_once
from warroom.model import TrackedAlert
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceError, SourceSpec
from warroom.store import open_store

pytestmark = pytest.mark.e2e

ALERTS = 3000  # about a megabyte: many pieces and many of the reader's windows


@pytest.fixture
def screen() -> Iterator[None]:
    offload.set_interactive(True)
    try:
        yield
    finally:
        offload.set_interactive(False)


async def poll(tmp_path: Path, good: bytes, bad: Reply, drawing: bool) -> tuple[str, int]:
    """A good poll, then `bad`: the source's error line and its active alerts after."""
    replies = [Reply(200, good), bad]
    offload.set_interactive(drawing)
    try:
        with loopback(lambda _request: replies.pop(0)) as server:
            store = await open_store(tmp_path / f"{drawing}.db")
            source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
            try:
                assert await poll_once(store, source) is not None
                assert await poll_once(store, source) is None
                (health,) = await store.source_health()
                active = await store.active_alerts()
            finally:
                await source.close()
                await store.close()
    finally:
        offload.set_interactive(False)
    assert health.last_error is not None and "\n" not in health.last_error
    return health.last_error, len(active)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("cut", "connection broken"),
        ("garbled", "invalid JSON: Expecting value: line 1 column"),
        ("unclosed", "invalid JSON: Expecting ',' delimiter"),
    ],
)
async def test_a_bad_large_answer_marks_the_source_stale_in_the_same_words(
    tmp_path: Path, case: str, reason: str
) -> None:
    good = storm_body(ALERTS)
    between = good.index(b"}, {", len(good) * 3 // 4) + 3  # between two items
    bad = {
        "cut": Reply(200, good, cut_after=len(good) * 2 // 3),
        # garbage three quarters in: decoded items before it must not count
        "garbled": Reply(200, good[:between] + b"nope, " + good[between:]),
        "unclosed": Reply(200, good[:-1]),
    }[case]
    inline = await poll(tmp_path, good, bad, drawing=False)
    drawn = await poll(tmp_path, good, bad, drawing=True)
    assert drawn == inline  # same words, same alerts kept
    error, active = drawn
    assert reason in error
    assert active == ALERTS  # stale, never resolved


async def test_a_surrogate_spelled_late_in_a_large_answer_is_replaced(
    tmp_path: Path, screen: None
) -> None:
    alerts = json.loads(storm_body(ALERTS))
    alerts[-1]["labels"]["lone"] = "a\ud800b"  # far past the reader's first window
    body = json.dumps(alerts).encode()
    assert b"\\ud800" in body[-1000:]
    with loopback(lambda _request: Reply(200, body)) as server:
        store = await open_store(tmp_path / "w.db")
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        try:
            assert await poll_once(store, source) is not None
            found: list[TrackedAlert] = await store.active_alerts()
        finally:
            await source.close()
            await store.close()
    assert len(found) == ALERTS
    (late,) = [t for t in found if "lone" in t.alert.labels]
    assert late.alert.labels["lone"] == "a\ufffdb"


async def test_an_error_page_is_named_not_decoded(screen: None) -> None:
    with loopback(lambda _request: Reply(503, b"overloaded, try later")) as server:
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        try:
            with pytest.raises(SourceError) as failed:
                await source.fetch()
        finally:
            await source.close()
    assert failed.value.reason == "HTTP 503 Service Unavailable: overloaded, try later"


async def test_the_answer_is_never_held_whole(screen: None) -> None:
    """The loop reads no further than the reader has decoded (plus a margin)."""
    body = storm_body(20_000)  # about 8 MB
    with loopback(lambda _request: Reply(200, body)) as server:
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        try:
            await source.fetch()  # imports, first-use costs and the reuse map
            gc.collect()
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                alerts = await source.fetch()  # every item unchanged: all reused
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        finally:
            await source.close()
    assert len(alerts) == 20_000
    assert peak - before < len(body) // 2, (peak - before, len(body))
