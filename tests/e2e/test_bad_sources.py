"""Sources that are down, slow or hostile, over real loopback HTTP.

Each case: the poll fails with a one-line reason, the source's stored alerts stay
exactly as they were (stale, never resolved), and another source goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.servers import free_port

from warroom import offload
from warroom.engine.poller import poll_once
from warroom.model import AlertState
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceSpec
from warroom.sources.demo import DemoSource
from warroom.sources.httpjson import HttpJsonSource
from warroom.sources.normalise import MAX_VALUE_CHARS
from warroom.store import Store, open_store

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True, params=["inline", "screen"])
def drawing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each case twice: as `warroom engine` polls (the answer read whole, then
    decoded) and as the console does (decoded in a thread while it arrives)."""
    offload.set_interactive(request.param == "screen")
    try:
        yield
    finally:
        offload.set_interactive(False)


def am_json(*alerts: dict[str, object]) -> bytes:
    return json.dumps(list(alerts)).encode()


def good_alert(instance: str = "db-1", **labels: str) -> dict[str, object]:
    return {
        "labels": {"alertname": "DiskFull", "severity": "critical", "instance": instance, **labels},
        "annotations": {"summary": f"disk full on {instance}"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "fingerprint": f"fp-{instance}",
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
    }


GOOD = am_json(good_alert("db-1"), good_alert("db-2"))

CASES: dict[str, tuple[Callable[[Request], Reply], str]] = {
    "500": (lambda r: Reply(500, b"internal kaboom"), "HTTP 500"),
    "401": (lambda r: Reply(401, b"nope"), "HTTP 401 Unauthorized: check credentials"),
    "html": (
        lambda r: Reply(200, b"<html><body>Login</body></html>", {"Content-Type": "text/html"}),
        "not JSON",
    ),
    "truncated": (lambda r: Reply(200, GOOD, cut_after=len(GOOD) // 2), ""),
    "truncated-declared": (lambda r: Reply(200, GOOD[: len(GOOD) // 2]), "invalid JSON"),
    "missing-labels": (
        lambda r: Reply(200, am_json({"startsAt": "2026-01-01T00:00:00Z"})),
        "no labels",
    ),
    "wrong-types": (
        lambda r: Reply(200, am_json({**good_alert(), "labels": ["a", "b"]})),
        "labels must be an object",
    ),
    "not-a-list": (lambda r: Reply(200, b'{"alerts": []}'), "expected a list"),
    "empty": (lambda r: Reply(200, b""), "expected a list of alerts, got NoneType"),
    "blank": (lambda r: Reply(200, b" \n\t "), "expected a list of alerts, got NoneType"),
    "garbage": (lambda r: Reply(200, b"[{]"), "invalid JSON: Expecting property name"),
    "bad-time": (
        lambda r: Reply(200, am_json({**good_alert(), "startsAt": "yesterday"})),
        "startsAt",
    ),
    "over-cap": (lambda r: Reply(200, b"[" + b" " * 5000 + b"]"), "cap"),
    "over-cap-undeclared": (
        lambda r: Reply(200, b"[" + b" " * 5000 + b"]", declare_length=False),
        "cap",
    ),
    "hang": (lambda r: Reply(200, GOOD, hang_seconds=3), "no answer within 0.5s"),
    # each byte well within the timeout, the whole answer never: `timeout` is a deadline
    "trickle": (
        lambda r: Reply(200, GOOD, trickle_seconds=0.1),
        "no complete answer within 0.5s",
    ),
    "trickle-head": (
        lambda r: Reply(200, GOOD, trickle_seconds=0.1, trickle_head=True),
        "no answer within 0.5s",
    ),
}


async def seeded(tmp_path: Path, url: str) -> tuple[Store, AlertmanagerSource]:
    """A store that already holds two alerts of the source, from a good poll."""
    store = await open_store(tmp_path / "w.db")
    spec = SourceSpec(
        "am", "alertmanager", url=url, options={"timeout": "500ms", "max_bytes": 4096}
    )
    return store, AlertmanagerSource(spec)


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_answer_keeps_alerts_and_marks_stale(tmp_path: Path, case: str) -> None:
    handler, reason = CASES[case]
    current: list[Callable[[Request], Reply]] = [lambda r: Reply(200, GOOD)]
    with loopback(lambda r: current[0](r)) as server:
        store, source = await seeded(tmp_path, server.url)
        demo = DemoSource(SourceSpec("demo", "demo"))
        try:
            assert await poll_once(store, source) is not None
            before = {str(a.key): a for a in await store.active_alerts()}
            assert len(before) == 2
            current[0] = handler
            started = time.monotonic()
            assert await poll_once(store, source) is None
            assert time.monotonic() - started < 2.5  # the timeout holds, even for a hang
            after = {str(a.key): a for a in await store.active_alerts() if a.key.source == "am"}
            assert after == before  # not resolved, not changed
            health = {h.name: h for h in await store.source_health()}["am"]
            assert health.failures == 1
            assert health.last_error and reason in health.last_error
            assert "\n" not in health.last_error and len(health.last_error) <= 500
            assert health.is_failing
            assert health.last_success is not None
            assert health.is_stale(health.last_success + source.interval * 3 + timedelta(seconds=1))
            # another source goes on
            assert await poll_once(store, demo) is not None
            assert {h.name for h in await store.source_health() if not h.failures} == {"demo"}
        finally:
            await source.close()
            await store.close()


async def test_connection_refused(tmp_path: Path) -> None:
    store, source = await seeded(tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        assert await poll_once(store, source) is None
        (health,) = await store.source_health()
        assert health.last_error == "connection refused"
    finally:
        await source.close()
        await store.close()


async def test_recovery_after_failure_clears_stale(tmp_path: Path) -> None:
    current: list[Callable[[Request], Reply]] = [lambda r: Reply(500, b"down")]
    with loopback(lambda r: current[0](r)) as server:
        store, source = await seeded(tmp_path, server.url)
        try:
            assert await poll_once(store, source) is None
            current[0] = lambda r: Reply(200, GOOD)
            assert await poll_once(store, source) is not None
            (health,) = await store.source_health()
            assert health.failures == 0 and health.last_error is None
            assert not health.is_stale(datetime.now(UTC)) and not health.is_failing
        finally:
            await source.close()
            await store.close()


HOSTILE = {
    "markup": "[bold red]pwned[/bold red] [/ [link=http://evil]click[/link]",
    "ansi": "\x1b[31mred\x1b[0m \x1b[2J",
    "osc": "\x1b]52;c;SGVsbG8=\x07 \x1b]0;title\x07",
    "c1": "\x9b2J",
    "nul": "a\x00b",
    "rtl": "\u202egnp.exe",
    "huge": "x" * (1024 * 1024),
}


async def test_hostile_text_is_kept_literally_and_big_values_are_cut(tmp_path: Path) -> None:
    body = am_json(good_alert("evil", **HOSTILE))
    with loopback(lambda r: Reply(200, body)) as server:
        store = await open_store(tmp_path / "w.db")
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        try:
            assert await poll_once(store, source) is not None
            (tracked,) = await store.active_alerts()
        finally:
            await source.close()
            await store.close()
    labels = tracked.alert.labels
    for key in ("markup", "ansi", "osc", "c1", "nul", "rtl"):
        assert labels[key] == HOSTILE[key]  # stored as sent; made safe only when shown
    assert len(labels["huge"]) < MAX_VALUE_CHARS + 100
    assert labels["huge"].endswith(f"[cut: {1024 * 1024} characters]")


async def test_a_lone_surrogate_does_not_stop_the_source(tmp_path: Path) -> None:
    """`\\ud800` in JSON decodes to a str no UTF-8 encoder takes; it used to fail
    every write of the source's snapshot, so one hostile label froze them all."""
    body = am_json(good_alert("db-1", lone="a\ud800b"), good_alert("db-2"))
    assert b"\\ud800" in body
    with loopback(lambda r: Reply(200, body)) as server:
        store = await open_store(tmp_path / "w.db")
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        try:
            assert await poll_once(store, source) is not None
            tracked = {t.alert.labels["instance"]: t for t in await store.active_alerts()}
            (health,) = await store.source_health()
        finally:
            await source.close()
            await store.close()
    assert set(tracked) == {"db-1", "db-2"}
    assert tracked["db-1"].alert.labels["lone"] == "a\ufffdb"
    assert health.last_error is None


async def test_http_json_mapping(tmp_path: Path) -> None:
    payload = {
        "result": {
            "problems": [
                {
                    "id": 17,
                    "title": "Zabbix agent down",
                    "prio": "high",
                    "since": 1_790_000_000,
                    "host": {"name": "web-3"},
                    "msg": "agent unreachable",
                    "status": "PROBLEM",
                },
                {
                    "id": 18,
                    "title": "Disk OK again",
                    "prio": "info",
                    "since": 1_790_000_100,
                    "host": {"name": "db-1"},
                    "msg": "fine",
                    "status": "OK",
                },
            ]
        }
    }
    with loopback(lambda r: Reply(200, json.dumps(payload).encode())) as server:
        spec = SourceSpec(
            "zbx",
            "http-json",
            url=server.url,
            options={
                "items": "result.problems",
                "fields": {
                    "fingerprint": "id",
                    "name": "title",
                    "severity": "prio",
                    "starts_at": "since",
                    "summary": "msg",
                    "state": "status",
                },
                "labels": {"host": "host.name"},
                "resolved_values": ["OK"],
            },
        )
        source = HttpJsonSource(spec)
        try:
            alerts = await source.fetch()
        finally:
            await source.close()
    (alert,) = alerts
    assert alert.fingerprint == "17"
    assert alert.name == "Zabbix agent down"
    assert alert.labels["host"] == "web-3"
    assert alert.severity.value == "error"
    assert alert.state is AlertState.FIRING
    assert alert.summary == "agent unreachable"
    assert alert.starts_at == datetime.fromtimestamp(1_790_000_000, UTC)
