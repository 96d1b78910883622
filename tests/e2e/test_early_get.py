"""The early GET of `warroom alerts` (sources/early.py), over real loopback HTTP.

It is a second transport, so it must never change an answer: every good and
bad case gives the same alerts or the same one-line reason as httpx, a good
answer is fetched once (httpx does not ask again), and it stays out of the way
where httpx would behave differently (a proxy).
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from pathlib import Path

import pytest
from tests.conftest import require_binary
from tests.e2e.loopback import Reply, loopback
from tests.e2e.servers import alertmanager, am_alert, free_port, post_alerts, wait_alert_count
from tests.e2e.test_bad_sources import CASES, GOOD, HOSTILE, am_json, good_alert
from tests.support.cli import warroom as run_warroom
from tests.support.waiting import wait_until

from warroom.model import Alert
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceError, SourceSpec

pytestmark = pytest.mark.e2e

OPTIONS = {"timeout": "500ms", "max_bytes": 4096}


async def outcome(url: str, early: bool, **options: object) -> list[Alert] | str:
    source = AlertmanagerSource(
        SourceSpec("am", "alertmanager", url=url, options={**OPTIONS, **options})
    )
    try:
        if early:
            source.send_early()
        return await source.fetch()
    except SourceError as exc:
        return exc.reason
    finally:
        await source.close()


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_bad_answer_reads_the_same_either_way(case: str) -> None:
    handler, reason = CASES[case]
    with loopback(handler) as server:
        plain = await outcome(server.url, early=False)
        sent_early = await outcome(server.url, early=True)
        asked_early = len(server.requests) - 1
    assert isinstance(plain, str) and reason in plain
    assert sent_early == plain
    # Answered early, judged by HttpClient: no second request, so a hang costs
    # one timeout. Only a connection cut mid-body goes back to httpx to be named.
    assert asked_early == (2 if case == "truncated" else 1)


async def test_connection_refused_reads_the_same() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert await outcome(url, early=True) == await outcome(url, early=False)


def test_the_request_leaves_before_the_fetch_is_awaited() -> None:
    """Sent at once, while no event loop even exists yet (as in `warroom alerts`)."""
    with loopback(lambda r: Reply(200, GOOD)) as server:
        source = AlertmanagerSource(SourceSpec("am", "alertmanager", url=server.url))
        source.send_early()
        wait_until(lambda: server.requests, 5, "the early request", interval=0.01)
        assert len(server.requests) == 1

        async def fetch() -> list[Alert]:
            try:
                return await source.fetch()
            finally:
                await source.close()

        alerts = asyncio.run(fetch())
        assert len(alerts) == 2 and len(server.requests) == 1


async def test_a_good_answer_is_fetched_once_with_the_same_alerts_and_headers() -> None:
    body = am_json(good_alert("db-1"), good_alert("evil", **HOSTILE))
    with loopback(lambda r: Reply(200, body)) as server:
        plain = await outcome(server.url, early=False, max_bytes=4 << 20, bearer_token="s3cret")
        assert len(server.requests) == 1
        sent_early = await outcome(server.url, early=True, max_bytes=4 << 20, bearer_token="s3cret")
        assert len(server.requests) == 2, "httpx asked again after the early answer"
        by_httpx, by_early = server.requests
    assert isinstance(plain, list) and len(plain) == 2
    assert sent_early == plain
    assert by_early.path == by_httpx.path == "/api/v2/alerts"
    assert by_early.query == by_httpx.query
    for header in ("authorization", "user-agent"):
        assert by_early.headers[header] == by_httpx.headers[header]
    assert by_early.headers["authorization"] == "Bearer s3cret"


async def test_basic_auth_is_the_same_header_httpx_used_to_send() -> None:
    with loopback(lambda r: Reply(200, GOOD)) as server:
        await outcome(server.url, early=True, username="ops", password="pä:ss")
        await outcome(server.url, early=False, username="ops", password="pä:ss")
        sent = [r.headers["authorization"] for r in server.requests]
    expected = "Basic " + base64.b64encode("ops:pä:ss".encode()).decode()
    assert sent == [expected, expected]


async def test_no_early_get_beside_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx sends through the proxy the environment names; the early GET must not
    go around it."""
    with (
        loopback(lambda r: Reply(200, GOOD)) as proxy,
        loopback(lambda r: Reply(500, b"reached directly")) as target,
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = await outcome(target.url, early=True)
        assert isinstance(result, list) and len(result) == 2
        assert target.requests == []
        assert len(proxy.requests) == 1


async def test_credentials_in_the_url_are_basic_auth_sent_once() -> None:
    """user:password leaves the URL (httpx logs URLs) and rides as basic auth, either way."""
    with loopback(lambda r: Reply(200, GOOD)) as server:
        url = server.url.replace("http://", "http://ops:pw@")
        result = await outcome(url, early=True)
        assert isinstance(result, list)
        (request,) = server.requests
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"ops:pw").decode()


def test_cli_against_a_hanging_source_waits_one_timeout(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    with loopback(lambda r: Reply(200, GOOD, hang_seconds=5)) as server:
        config.write_text(
            f"sources:\n  - name: am\n    type: alertmanager\n    url: {server.url}\n"
            "    timeout: 1s\n"
        )
        started = time.monotonic()
        result = run_warroom("--config", str(config), "--db", str(tmp_path / "w.db"), "alerts")
        elapsed = time.monotonic() - started
        asked = len(server.requests)
    assert result.returncode == 1
    assert result.stderr.strip() == "warroom: am: no answer within 1s"
    assert asked == 1 and elapsed < 4


def test_cli_json_matches_amtool_on_a_real_alertmanager(tmp_path: Path) -> None:
    amtool = require_binary("amtool", "prometheus-alertmanager")
    with alertmanager(tmp_path / "am") as url:
        post_alerts(
            url,
            [
                am_alert("DiskFull", "critical", instance="db-1"),
                am_alert("TargetDown", "warning", instance="web-1", note="ünï 日本"),
                am_alert("Evil", "info", instance="x", **{k: v for k, v in HOSTILE.items()}),
            ],
        )
        wait_alert_count(url, 3)
        config = tmp_path / "config.yaml"
        config.write_text(f"sources:\n  - name: am\n    type: alertmanager\n    url: {url}\n")
        ours = run_warroom(
            "--config", str(config), "--db", str(tmp_path / "w.db"), "alerts", "--json"
        )
        theirs = subprocess.run(
            [amtool, f"--alertmanager.url={url}", "alert", "query", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    assert ours.returncode == 0, ours.stderr
    lines = [json.loads(line) for line in ours.stdout.splitlines()]
    expected = {a["fingerprint"]: a for a in json.loads(theirs.stdout)}
    assert {line["fingerprint"] for line in lines} == set(expected)
    assert [line["severity"] for line in lines] == ["critical", "warning", "info"]
    for line in lines:
        labels = expected[line["fingerprint"]]["labels"]
        assert line["name"] == labels["alertname"]
        # cut at 16 KiB like every long value, otherwise as Alertmanager holds it
        assert line["labels"].keys() == labels.keys()
        for key, value in labels.items():
            assert line["labels"][key] == value or line["labels"][key].startswith(value[:16384])
    assert "ünï 日本" in ours.stdout  # readable, not \\u-escaped
    for raw in ("\x1b", "\x9b", "\x00", "\u202e"):
        assert raw not in ours.stdout


PROMETHEUS_ANSWER = json.dumps(
    {
        "status": "success",
        "data": {
            "alerts": [
                {
                    "labels": {"alertname": "Up", "severity": "critical", "job": "node"},
                    "annotations": {"summary": "down"},
                    "state": "firing",
                    "activeAt": "2026-11-23T00:00:00Z",
                    "value": "0",
                }
            ]
        },
    }
).encode()
HTTP_JSON_ANSWER = json.dumps(
    {"items": [{"id": 7, "title": "Agent down", "since": 1_790_000_000, "status": "PROBLEM"}]}
).encode()
EARLY_SOURCES: dict[str, tuple[str, str, dict[str, object], bytes]] = {
    "alertmanager-with-filters": (
        "alertmanager",
        "",
        {"filter": ['severity="critical"', "team=~db|web"], "receiver": "ops"},
        GOOD,
    ),
    "prometheus": ("prometheus", "", {}, PROMETHEUS_ANSWER),
    "http-json-with-query": (
        "http-json",
        "/api/problems?view=open&limit=500",
        {
            "items": "items",
            "fields": {"fingerprint": "id", "name": "title", "starts_at": "since"},
        },
        HTTP_JSON_ANSWER,
    ),
}


@pytest.mark.parametrize("kind", sorted(EARLY_SOURCES))
async def test_every_early_source_takes_its_own_early_answer(kind: str) -> None:
    """The early GET is the very request `fetch` would send: one request, same alerts."""
    from warroom.sources.base import EarlyPoll
    from warroom.sources.registry import build_source

    source_type, path, options, body = EARLY_SOURCES[kind]
    with loopback(lambda r: Reply(200, body)) as server:
        spec = SourceSpec("s", source_type, url=server.url + path, options=options)
        results = []
        for early in (False, True):
            source = build_source(spec)
            assert isinstance(source, EarlyPoll)
            try:
                if early:
                    source.send_early()
                results.append(await source.fetch())
            finally:
                await source.close()
        plain_request, early_request = server.requests  # no third: the early answer was used
    assert results[0] and results[1] == results[0]
    assert early_request.path == plain_request.path
    assert early_request.query == plain_request.query
