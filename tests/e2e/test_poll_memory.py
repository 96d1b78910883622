"""An Alertmanager poll's memory: what a fetch holds while it runs and what it keeps after.

A 50,000-alert storm made the console's RSS pass 400 MB: the whole answer was
decoded into dicts before one alert was built (about six times the answer's
size), and the reuse cache kept every item's dicts alive between polls.
Measured with tracemalloc against the answer's own size, on loopback.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, loopback
from tests.e2e.storm import storm_body

from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec

pytestmark = pytest.mark.e2e

ALERTS = 5000


async def test_a_poll_never_holds_the_decoded_answer_nor_keeps_its_items(tmp_path: Path) -> None:
    body = storm_body(ALERTS)
    with loopback(lambda _request: Reply(200, body)) as server:
        spec = SourceSpec("am", "alertmanager", url=server.url)
        warm = AlertmanagerSource(spec)
        await warm.fetch()  # imports and first-use costs, outside what is measured
        await warm.close()
        source = AlertmanagerSource(spec)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            first = await source.fetch()
            gc.collect()
            between = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            second = await source.fetch()  # every item unchanged: all reused
            del first
            gc.collect()
            after, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await source.close()
    assert len(second) == ALERTS
    # while a poll runs: the answer's bytes and a window of it, never its decoded tree
    assert peak - between < 3 * len(body), (peak - between, len(body))
    # kept between polls: the Alerts and what tells an unchanged item, not its dicts
    assert after - before < 3 * len(body), (after - before, len(body))
