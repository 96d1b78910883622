"""`warroom silence` as a script runs it, against a real Alertmanager.

Two of four `SvcDown` alerts, chosen from the cross product of cluster and
instance, are silenced exactly: the silences' matchers are those alerts' label
sets, and the two alerts nobody named stay unsilenced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.servers import alertmanager, am_alert, post_alerts, wait_alert_count
from tests.support.cli import clean_env
from tests.support.cli import warroom as run
from tests.support.waiting import wait_until

from warroom.model import Alert, EventKind
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec
from warroom.store import open_store

pytestmark = pytest.mark.e2e

PAIRS = [("c1", "web-1"), ("c1", "web-2"), ("c2", "web-1"), ("c2", "web-2")]


@pytest.fixture
def am_url(tmp_path: Path) -> Iterator[str]:
    with alertmanager(tmp_path / "am") as url:
        post_alerts(url, [am_alert("SvcDown", cluster=c, instance=i) for c, i in PAIRS])
        wait_alert_count(url, len(PAIRS))
        yield url


@pytest.fixture
async def setup(tmp_path: Path, am_url: str) -> tuple[Path, dict[tuple[str, str], Alert]]:
    """A config naming the Alertmanager, and a database holding what it reports."""
    db = tmp_path / "warroom.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {db}\nsources:\n  - {{name: am, type: alertmanager, url: '{am_url}'}}\n"
    )
    source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=am_url))
    store = await open_store(db)
    try:
        alerts = await source.fetch()
        async with store.transaction() as tx:
            await tx.apply_snapshot("am", alerts)
    finally:
        await source.close()
        await store.close()
    by_pair = {(a.labels["cluster"], a.labels["instance"]): a for a in alerts}
    assert set(by_pair) == set(PAIRS)
    return config, by_pair


def _silences(url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{url}/api/v2/silences", timeout=10).json()
    return found


def _silenced_by(url: str) -> dict[tuple[str, str], list[str]]:
    alerts = httpx.get(f"{url}/api/v2/alerts", timeout=10).json()
    return {
        (a["labels"]["cluster"], a["labels"]["instance"]): a["status"]["silencedBy"] for a in alerts
    }


async def _timeline(db: Path) -> list[Any]:
    store = await open_store(db)
    try:
        return await store.timeline(None)
    finally:
        await store.close()


async def test_silence_exactly_the_alerts_named(
    tmp_path: Path, am_url: str, setup: tuple[Path, dict[tuple[str, str], Alert]]
) -> None:
    config, alerts = setup
    env = {**clean_env(tmp_path), "SUDO_USER": "alice"}
    chosen = [alerts[("c1", "web-1")], alerts[("c2", "web-2")]]
    args = ["--alert", *(f"am:{alert.fingerprint}" for alert in chosen)]  # one --alert, two keys
    result = run(
        "silence", *args, "--duration", "2h", "--comment", "deploying web", "--json",
        "--config", config, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    obj = json.loads(line)
    assert (obj["action"], obj["done"], obj["actor"]) == ("silence", True, "alice")
    assert obj["alerts"] == [f"am:{a.fingerprint}" for a in chosen]

    silences = [s for s in _silences(am_url) if s["status"]["state"] == "active"]
    assert sorted(s["id"] for s in silences) == sorted(obj["silence_ids"])
    matched = []
    for silence in silences:
        assert all(m["isEqual"] and not m["isRegex"] for m in silence["matchers"]), silence
        matched.append({m["name"]: m["value"] for m in silence["matchers"]})
        assert silence["createdBy"] == "alice" and silence["comment"] == "deploying web"
        ends = silence["endsAt"].replace("Z", "+00:00")
        starts = silence["startsAt"].replace("Z", "+00:00")
        length = datetime.fromisoformat(ends) - datetime.fromisoformat(starts)
        assert abs(length - timedelta(hours=2)) < timedelta(minutes=1)
    # exactly the chosen alerts' label sets: no matcher reaches (c1,web-2) or (c2,web-1)
    assert sorted(matched, key=str) == sorted((dict(a.labels) for a in chosen), key=str)
    wait_until(
        lambda: (
            {p for p, by in _silenced_by(am_url).items() if by}
            == {("c1", "web-1"), ("c2", "web-2")}
        ),
        15,
        "Alertmanager to silence exactly the two chosen alerts",
    )
    events = [e for e in await _timeline(tmp_path / "warroom.db") if e.kind is EventKind.SILENCED]
    assert events and {e.actor for e in events} == {"alice"}


async def test_silence_by_matchers_and_expire(
    tmp_path: Path, am_url: str, setup: tuple[Path, dict[tuple[str, str], Alert]]
) -> None:
    config, _ = setup
    env = {**clean_env(tmp_path), "SUDO_USER": "bob"}
    created = run(
        "--config", config, "silence", "--matchers", 'alertname="SvcDown",cluster="c2"',
        "--source", "am", "--duration", "1h", "--comment", "maintenance c2", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    [silence] = _silences(am_url)
    assert created.stdout == f"Silenced on am: {silence['id']}\n"
    assert {(m["name"], m["value"], m["isEqual"], m["isRegex"]) for m in silence["matchers"]} == {
        ("alertname", "SvcDown", True, False),
        ("cluster", "c2", True, False),
    }
    assert silence["createdBy"] == "bob"

    expired = run("--config", config, "silence", "--expire", f"am:{silence['id']}", env=env)
    assert expired.returncode == 0, expired.stderr
    assert expired.stdout == f"Expired silence {silence['id']} on am\n"
    [after] = _silences(am_url)
    assert after["status"]["state"] == "expired"
    events = await _timeline(tmp_path / "warroom.db")
    assert [(e.kind, e.actor) for e in events] == [
        (EventKind.SILENCED, "bob"),
        (EventKind.SILENCE_EXPIRED, "bob"),
    ]


async def test_silence_refusals_and_usage(
    tmp_path: Path, am_url: str, setup: tuple[Path, dict[tuple[str, str], Alert]]
) -> None:
    config, alerts = setup
    env = clean_env(tmp_path)
    one = f"am:{alerts[('c1', 'web-1')].fingerprint}"
    base = ("--config", config, "silence")
    no_comment = run(*base, "--alert", one, "--duration", "2h", env=env)
    assert no_comment.returncode == 2
    assert "--duration and --comment are needed" in no_comment.stderr
    bad_matchers = run(
        *base, "--matchers", 'alertname=~"("', "--duration", "1h", "--comment", "x", env=env
    )
    assert bad_matchers.returncode == 2 and "--matchers" in bad_matchers.stderr
    unknown_source = run(
        *base, "--alert", "prom:abc", "--duration", "1h", "--comment", "x", env=env
    )
    assert unknown_source.returncode == 2
    assert "no source named 'prom' in the config (configured: am)" in unknown_source.stderr
    too_short = run(*base, "--alert", one, "--duration", "10s", "--comment", "x", env=env)
    assert too_short.returncode == 1
    assert too_short.stderr == "warroom: a silence lasts from 1m to 30d\n"
    gone = run(*base, "--expire", "am:00000000-0000-0000-0000-000000000000", env=env)
    assert gone.returncode == 1 and gone.stderr.startswith("warroom: am: ")
    assert _silences(am_url) == []
