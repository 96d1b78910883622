"""`timeout` is a deadline for the whole answer, as the commands live it.

A source that trickles one byte every 0.5 s answers every read in time, so a
per-read timeout never fires: `warroom alerts` and `engine --once` used to run
forever. Each command runs as a separate process on a real loopback server; the
subprocess timeout is the guard that turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.e2e.loopback import Reply, loopback
from tests.e2e.test_bad_sources import GOOD
from tests.support.cli import alertmanager_config, clean_env
from tests.support.cli import warroom as run_warroom

from warroom.store import open_store

pytestmark = pytest.mark.e2e

if TYPE_CHECKING:
    from warroom.model.health import SourceHealth

TIMEOUT = 2.0
SLACK = 10.0  # interpreter start and imports on a loaded 2-core machine


def config(tmp_path: Path, url: str) -> Path:
    return alertmanager_config(
        tmp_path,
        url,
        database=tmp_path / "w.db",
        name="slow",
        timeout=f"{TIMEOUT:g}s",
        more_sources="  - {name: demo, type: demo}\n",
    )


def timed(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = run_warroom(*args, env=clean_env(tmp_path), timeout=TIMEOUT + SLACK + 20)
    return done, time.monotonic() - started


@pytest.mark.parametrize("head", [False, True], ids=["body", "headers"])
def test_alerts_gives_up_on_a_trickle_at_the_deadline(tmp_path: Path, head: bool) -> None:
    reply = Reply(200, GOOD, trickle_seconds=0.5, trickle_head=head)
    with loopback(lambda r: reply) as server:
        done, elapsed = timed(tmp_path, "--config", str(config(tmp_path, server.url)), "alerts")
    assert done.returncode == 1, done.stderr
    expected = "no answer within 2s" if head else "no complete answer within 2s"
    assert f"warroom: slow: {expected}" in done.stderr
    assert "Traceback" not in done.stderr
    assert "demo" in done.stdout  # the other source printed its alerts
    assert elapsed < TIMEOUT + SLACK


def test_engine_once_records_the_deadline_in_health(tmp_path: Path) -> None:
    reply = Reply(200, GOOD, trickle_seconds=0.5)
    with loopback(lambda r: reply) as server:
        cfg = config(tmp_path, server.url)
        done, elapsed = timed(tmp_path, "--config", str(cfg), "engine", "--once")
    assert done.returncode == 1, done.stderr
    assert "slow: poll failed" in done.stderr
    assert "demo:" in done.stdout
    assert "Traceback" not in done.stderr
    assert elapsed < TIMEOUT + SLACK
    health = {h.name: h for h in asyncio.run(source_health(tmp_path / "w.db"))}
    assert health["slow"].last_error == "no complete answer within 2s"
    assert health["slow"].is_failing
    assert not health["demo"].failures


async def source_health(path: Path) -> list[SourceHealth]:
    store = await open_store(path)
    try:
        return await store.source_health()
    finally:
        await store.close()
