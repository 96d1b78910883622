"""PagerDuty, Slack, Teams and signed webhooks against loopback stand-ins of the real thing.

Each stand-in implements what the provider documents (tests/notify/standins.py);
each fault is real on the wire: a server that hangs, resets after reading the
request, answers 500, or drips its answer a byte at a time.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.servers import free_port
from tests.notify.standins import (
    ROUTING_KEY,
    PagerDuty,
    Receiver,
    Slack,
    Teams,
    fault_server,
    require_module,
)

from warroom.model.incident import Impact
from warroom.notify import (
    Action,
    Attempt,
    Link,
    Notice,
    Outcome,
    check_channel,
    open_channel,
    send_test,
)
from warroom.notify.channels import Channel

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
HOSTILE = (
    "<!channel> **pwned** [click](https://evil.example) {{DATE(2017-02-14T06:00:00Z)}} a&b\x1b[31m"
)


def notice(
    action: Action = Action.TRIGGER, key: str = "inc-7:eng-1:s0:l0:alice:page:trigger", **kw: Any
) -> Notice:
    fields: dict[str, Any] = {
        "key": key,
        "incident_id": 7,
        "title": "Disk filling on prod",
        "action": action,
        "impact": Impact.HIGH,
        "summary": "db-1 at 97%",
        "links": (Link("Dashboard", "https://grafana.example/d/disk?var-host=db-1"),),
        "thread": "inc-7:eng-1:alice:page",
        **kw,
    }
    return Notice(**fields)


def now() -> Attempt:
    return Attempt(1, datetime.now(UTC))


# --- PagerDuty -----------------------------------------------------------------------------


async def test_pagerduty_trigger_ack_resolve_address_one_alert_and_a_resend_pages_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PD_ALICE", ROUTING_KEY)
    pd = PagerDuty()
    with loopback(pd) as server:
        channel = open_channel(
            {
                "name": "page",
                "type": "pagerduty",
                "routing_key": "${PD_ALICE}",
                "url": server.url + "/v2/enqueue",
            },
            contact="alice",
        )
        first = await channel.send(notice(), now())
        assert first.outcome is Outcome.SENT, first.line
        assert first.reference == "inc-7:eng-1:alice:page"
        # the answer was lost and the outbox resends: PagerDuty joins it to the open alert
        again = await channel.send(notice(repeat_of="page #1"), now())
        assert again.outcome is Outcome.SENT
        assert [a["status"] for a in pd.alerts] == ["triggered"]
        ack = await channel.send(notice(Action.ACKNOWLEDGE, key="k-ack"), now())
        assert ack.outcome is Outcome.SENT
        assert pd.alerts[0]["status"] == "acknowledged"
        assert (
            await channel.send(notice(Action.RESOLVE, key="k-res"), now())
        ).outcome is Outcome.SENT
        assert pd.alerts[0]["status"] == "resolved"
        # after a resolve the same key opens a new alert, as PagerDuty does
        await channel.send(notice(key="k-2"), now())
        assert [a["status"] for a in pd.alerts] == ["resolved", "triggered"]
        await channel.close()
    trigger = pd.events[0]
    assert trigger["payload"]["severity"] == "error"
    assert trigger["payload"]["summary"] == "Incident #7 needs you: Disk filling on prod"
    assert trigger["links"] == [
        {"href": "https://grafana.example/d/disk?var-host=db-1", "text": "Dashboard"}
    ]
    assert set(pd.events[2]) == {"routing_key", "event_action", "dedup_key"}
    assert channel.idempotent


async def test_pagerduty_400_is_permanent_and_never_shows_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pd = PagerDuty()
    with loopback(pd) as server:
        # checked when declared only if set: here it is set later, to a key PagerDuty refuses
        channel = open_channel(
            {
                "name": "page",
                "type": "pagerduty",
                "routing_key": "${PD_KEY}",
                "url": server.url + "/v2/enqueue",
            }
        )
        monkeypatch.setenv("PD_KEY", "short-key-that-leaks")
        delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED
    assert "Length of 'routing_key' is incorrect" in delivery.detail
    assert delivery.channel == "pagerduty page"
    assert "short-key-that-leaks" not in repr(delivery) + repr(channel)
    assert pd.alerts == []


async def test_pagerduty_an_unset_variable_fails_the_send_naming_it() -> None:
    channel = open_channel(
        {"name": "page", "type": "pagerduty", "routing_key": "${PD_NOT_SET_ANYWHERE}"}
    )
    delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED
    assert "PD_NOT_SET_ANYWHERE is not set" in delivery.detail


async def test_pagerduty_429_retries_later_then_goes_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PD_ALICE", ROUTING_KEY)
    pd = PagerDuty(throttle=1)
    with loopback(pd) as server:
        channel = open_channel(
            {
                "name": "page",
                "type": "pagerduty",
                "routing_key": "${PD_ALICE}",
                "url": server.url + "/v2/enqueue",
            }
        )
        first = await channel.send(notice(), now())
        assert first.outcome is Outcome.RETRY and first.detail == "rate limited"
        # PagerDuty says no time: its docs suggest tens of seconds, not a hammering
        assert first.retry_after is not None and first.retry_after >= timedelta(seconds=22)
        assert not first.told_when
        second = await channel.send(notice(), Attempt(2, datetime.now(UTC)))
        assert second.outcome is Outcome.SENT
    assert len(pd.alerts) == 1


async def test_pagerduty_takes_no_plain_notice() -> None:
    channel = open_channel({"name": "page", "type": "pagerduty", "routing_key": ROUTING_KEY})
    assert Action.NOTIFY not in channel.actions
    delivery = await channel.send(notice(Action.NOTIFY), now())
    assert delivery.outcome is Outcome.FAILED and "not notify" in delivery.detail


async def test_pagerduty_test_message_triggers_then_resolves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pd = PagerDuty()
    with loopback(pd) as server:
        delivery = await send_test(
            {
                "name": "page",
                "type": "pagerduty",
                "routing_key": ROUTING_KEY,
                "url": server.url + "/v2/enqueue",
            },
            contact="alice",
        )
    assert delivery.outcome is Outcome.SENT, delivery.line
    assert [e["event_action"] for e in pd.events] == ["trigger", "resolve"]
    assert [a["status"] for a in pd.alerts] == ["resolved"]  # no alert left open by a test
    assert "test" in pd.alerts[0]["summary"]


# --- Slack ---------------------------------------------------------------------------------


def slack_url(base: str, last: str = "XXXXsecrettoken") -> str:
    return f"{base}/services/T000/B000/{last}"


async def test_slack_posts_once_and_escapes_what_an_alert_could_inject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack = Slack()
    with loopback(slack) as server:
        monkeypatch.setenv("SLACK_ROOM", slack_url(server.url))
        channel = open_channel(
            {"name": "room", "type": "slack", "url": "${SLACK_ROOM}"}, contact="ops"
        )
        delivery = await channel.send(
            notice(
                title=HOSTILE,
                summary="<@U123> <https://evil.example|Runbook>",
                links=(
                    Link("<!here>", "https://grafana.example/d?a=1|b"),
                    Link("x", "javascript:alert(1)"),
                ),
            ),
            now(),
        )
    assert delivery.outcome is Outcome.SENT and delivery.reference == "ok", delivery.line
    assert delivery.channel == "slack ops/room"
    [message] = slack.posted
    texts = [message["text"], message["blocks"][0]["text"]["text"]]
    for text in texts:
        assert "<!" not in text and "<@" not in text and "<https://evil" not in text
        assert "\x1b" not in text
    block = texts[1]
    assert "&lt;!channel&gt;" in block and "a&amp;b" in block
    # our one link: the URL keeps its `|` inside, the label cannot open a tag; no javascript:
    assert "<https://grafana.example/d?a=1%7Cb|&lt;!here&gt;>" in block
    assert "javascript" not in block


@pytest.mark.parametrize(
    ("last", "word", "advice"),
    [
        ("archived", "channel_is_archived", "unarchive"),
        ("gone", "channel_not_found", "another channel"),
        ("revoked", "invalid_token", "create a new one"),
        ("general", "posting_to_general_channel_denied", "only admins"),
    ],
)
async def test_slack_plain_text_errors_are_permanent_with_what_to_do(
    last: str, word: str, advice: str
) -> None:
    with loopback(Slack()) as server:
        url = slack_url(server.url, "XXXXsecrettoken/" + last)
        channel = open_channel({"name": "room", "type": "slack", "url": url})
        delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED
    assert word in delivery.detail and advice in delivery.detail
    assert "XXXXsecrettoken" not in delivery.line + repr(channel)


async def test_a_webhook_url_never_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    """The URL is the credential; httpx logs every request's URL at INFO."""
    caplog.set_level(logging.DEBUG)
    with loopback(lambda r: Reply(200, b"ok", {})) as server:
        for kind, url in (("slack", slack_url(server.url)), ("teams", teams_url(server.url))):
            channel = open_channel({"name": "room", "type": kind, "url": url})
            assert (await channel.send(notice(), now())).outcome is Outcome.SENT
            await channel.close()
    assert "HTTP Request: POST http://127.0.0.1" in caplog.text  # the line is still there
    assert "XXXXsecrettoken" not in caplog.text and "XXXXsig" not in caplog.text


@pytest.mark.parametrize(
    "value", ["nonsense", "https://", "ftp://h.example/x", "https://h.example/a b"]
)
async def test_a_url_read_from_the_environment_at_send_time_is_checked_then(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    channel = open_channel({"name": "room", "type": "slack", "url": "${SLACK_LATER}"})
    monkeypatch.setenv("SLACK_LATER", value)
    delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED
    assert "not a usable URL" in delivery.detail and value not in delivery.detail, delivery.detail


async def test_slack_429_honours_retry_after() -> None:
    slack = Slack(throttle=1, retry_after="7")
    with loopback(slack) as server:
        channel = open_channel({"name": "room", "type": "slack", "url": slack_url(server.url)})
        first = await channel.send(notice(), now())
        second = await channel.send(notice(), Attempt(2, datetime.now(UTC)))
    assert first.outcome is Outcome.RETRY
    assert first.retry_after == timedelta(seconds=7) and first.told_when
    assert second.outcome is Outcome.SENT
    assert len(slack.posted) == 1


async def test_slack_resend_after_a_crash_says_it_may_be_a_repeat() -> None:
    slack = Slack()
    with loopback(slack) as server:
        channel = open_channel({"name": "room", "type": "slack", "url": slack_url(server.url)})
        await channel.send(notice(repeat_of="page #41"), now())
    assert not channel.idempotent
    assert (
        "(repeat of page #41: may be a duplicate)" in slack.posted[0]["blocks"][0]["text"]["text"]
    )
    assert "may be a duplicate" in slack.posted[0]["text"]


async def test_slack_an_answer_other_than_ok_is_not_sent() -> None:
    with loopback(
        lambda r: Reply(200, b"<html>login</html>", {"Content-Type": "text/html"})
    ) as server:
        channel = open_channel({"name": "room", "type": "slack", "url": slack_url(server.url)})
        delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED
    assert "instead of 'ok'" in delivery.detail


# --- Teams ---------------------------------------------------------------------------------


def teams_url(base: str) -> str:
    return f"{base}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=XXXXsig"


def _runs(card: dict[str, Any]) -> list[str]:
    return [run["text"] for block in card["body"] for run in block["inlines"]]


async def test_teams_workflow_202_with_an_empty_body_is_sent_and_text_is_never_markdown() -> None:
    teams = Teams()
    with loopback(teams) as server:
        channel = open_channel({"name": "room", "type": "teams", "url": teams_url(server.url)})
        delivery = await channel.send(notice(title=HOSTILE, repeat_of="page #3"), now())
    assert delivery.outcome is Outcome.SENT, delivery.line
    assert "run history" in delivery.detail
    [card] = teams.cards
    # TextRuns parse no Markdown; a TextBlock would turn [click](...) into a link
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    runs = _runs(card)
    assert any("[click](https://evil.example)" in run for run in runs)
    assert not any("{{DATE" in run for run in runs)
    assert not any("\x1b" in run for run in runs)
    assert "(repeat of page #3: may be a duplicate)" in runs
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Dashboard",
            "url": "https://grafana.example/d/disk?var-host=db-1",
        }
    ]


async def test_teams_a_huge_summary_still_fits_one_card() -> None:
    teams = Teams()
    with loopback(teams) as server:
        channel = open_channel({"name": "room", "type": "teams", "url": teams_url(server.url)})
        delivery = await channel.send(notice(summary="Ω" * 100_000), now())
    assert delivery.outcome is Outcome.SENT, delivery.line


async def test_teams_legacy_connector_url_is_refused_when_declared_and_when_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    legacy = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"
    [problem] = check_channel({"name": "room", "type": "teams", "url": legacy})
    assert "legacy Office 365 connector" in str(problem) and "Workflow" in str(problem)
    assert problem.at == ("url",)
    # a URL in a variable set only later is refused when sent, without a request
    channel = open_channel({"name": "room", "type": "teams", "url": "${TEAMS_LATER}"})
    monkeypatch.setenv("TEAMS_LATER", legacy)
    delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED and "Workflow" in delivery.detail
    assert "abc@def" not in delivery.line


# --- Standard Webhooks -----------------------------------------------------------------------


async def test_webhook_is_signed_per_the_spec_and_a_resend_keeps_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_module("standardwebhooks", "standardwebhooks")
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    receiver = Receiver(SECRET)
    with loopback(receiver) as server:
        channel = open_channel(
            {
                "name": "hook",
                "type": "webhook",
                "url": server.url + "/hooks/warroom",
                "secret": "${HOOK_SECRET}",
            }
        )
        first = await channel.send(notice(), now())
        # the answer was lost: the outbox resends the same row a moment later
        later = Attempt(2, datetime.now(UTC) + timedelta(seconds=2))
        again = await channel.send(notice(repeat_of="page #1"), later)
    assert receiver.rejected == []
    assert first.outcome is Outcome.SENT and again.outcome is Outcome.SENT
    assert receiver.deliveries == 2 and list(receiver.seen) == [
        "inc-7:eng-1:s0:l0:alice:page:trigger"
    ]
    stamps = {r.headers["webhook-timestamp"] for r in server.requests}
    assert len(stamps) == 2  # each attempt signs anew, with its own time
    payload = receiver.seen["inc-7:eng-1:s0:l0:alice:page:trigger"]
    assert payload["type"] == "incident.triggered"
    assert payload["data"]["incident"] == 7 and payload["data"]["impact"] == 2
    assert channel.idempotent
    assert SECRET not in repr(channel) + first.line


async def test_webhook_with_the_wrong_secret_is_refused_by_the_receiver() -> None:
    require_module("standardwebhooks", "standardwebhooks")
    other = "whsec_" + base64.b64encode(b"another-secret-another-secret!!").decode()
    receiver = Receiver(other)
    with loopback(receiver) as server:
        channel = open_channel(
            {"name": "hook", "type": "webhook", "url": server.url, "secret": SECRET}
        )
        delivery = await channel.send(notice(), now())
    assert receiver.rejected and receiver.deliveries == 0
    assert delivery.outcome is Outcome.FAILED and "check the secret" in delivery.detail


async def test_webhook_410_disables_for_good() -> None:
    with loopback(lambda r: Reply(410, b"")) as server:
        channel = open_channel(
            {"name": "hook", "type": "webhook", "url": server.url, "secret": SECRET}
        )
        delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.FAILED and "disabled this endpoint" in delivery.detail


# --- faults, for every HTTP channel ------------------------------------------------------------


def channel_at(kind: str, base: str, timeout: str = "500ms") -> Channel:
    declarations: dict[str, dict[str, Any]] = {
        "pagerduty": {"routing_key": ROUTING_KEY, "url": base + "/v2/enqueue"},
        "slack": {"url": slack_url(base)},
        "teams": {"url": teams_url(base)},
        "webhook": {"url": base + "/hook", "secret": SECRET},
    }
    return open_channel({"name": "c", "type": kind, "timeout": timeout, **declarations[kind]})


KINDS = ["pagerduty", "slack", "teams", "webhook"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_server_that_never_answers_is_an_unknown_outcome_at_the_deadline(kind: str) -> None:
    with loopback(lambda r: Reply(200, b"ok", hang_seconds=3)) as server:
        channel = channel_at(kind, server.url)
        delivery = await channel.send(notice(), now())
        await channel.close()
    assert delivery.outcome is Outcome.UNKNOWN, delivery.line
    assert "no answer within 0.5s" in delivery.detail and "the request was sent" in delivery.detail
    assert len(server.requests) == 1  # the whole request had arrived


@pytest.mark.parametrize("kind", KINDS)
async def test_a_reset_after_the_request_was_read_is_an_unknown_outcome(kind: str) -> None:
    with fault_server() as server:
        channel = channel_at(kind, server.url, timeout="5s")
        delivery = await channel.send(notice(), now())
        await channel.close()
    assert delivery.outcome is Outcome.UNKNOWN, delivery.line
    assert "connection broken" in delivery.detail
    assert len(server.bodies) == 1 and server.bodies[0]  # it had the whole body


@pytest.mark.parametrize("kind", KINDS)
async def test_500_is_retried_later(kind: str) -> None:
    with loopback(lambda r: Reply(500, b"internal kaboom")) as server:
        channel = channel_at(kind, server.url)
        delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.RETRY, delivery.line
    assert "HTTP 500" in delivery.detail
    assert delivery.retry_after is not None and delivery.retry_after > timedelta(0)


@pytest.mark.parametrize("kind", KINDS)
async def test_503_with_retry_after_is_retried_when_the_server_says(kind: str) -> None:
    reply = Reply(503, b"", {"Retry-After": "120"})
    with loopback(lambda r: reply) as server:
        delivery = await channel_at(kind, server.url).send(notice(), now())
    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=120) and delivery.told_when


@pytest.mark.parametrize("kind", KINDS)
async def test_a_dripping_answer_is_cut_at_the_deadline(kind: str) -> None:
    # each byte well within any read timeout; the whole answer would take 20 s
    body = b'{"status":"success"}' + b" " * 180
    with loopback(lambda r: Reply(202, body, trickle_seconds=0.1, trickle_head=True)) as server:
        channel = channel_at(kind, server.url)
        delivery = await channel.send(notice(), now())
        await channel.close()
    assert delivery.outcome is Outcome.UNKNOWN, delivery.line
    assert "within 0.5s" in delivery.detail


@pytest.mark.parametrize("kind", KINDS)
async def test_connection_refused_delivered_nothing_so_it_is_retried(kind: str) -> None:
    channel = channel_at(kind, f"http://127.0.0.1:{free_port()}")
    delivery = await channel.send(notice(), now())
    assert delivery.outcome is Outcome.RETRY, delivery.line
    assert "connection refused" in delivery.detail


@pytest.mark.parametrize("kind", KINDS)
async def test_a_redirect_is_never_followed(kind: str) -> None:
    reply = Reply(302, b"", {"Location": "https://elsewhere.example/steal"})
    handler: Callable[[Request], Reply] = lambda r: reply  # noqa: E731
    with loopback(handler) as server:
        delivery = await channel_at(kind, server.url).send(notice(), now())
    assert delivery.outcome is Outcome.FAILED and "redirects" in delivery.detail
    assert len(server.requests) == 1


async def test_every_send_is_a_fresh_connection_so_a_stale_one_cannot_blur_the_outcome() -> None:
    slack = Slack()
    with loopback(slack) as server:
        channel = open_channel({"name": "room", "type": "slack", "url": slack_url(server.url)})
        for _ in range(3):
            assert (await channel.send(notice(), now())).outcome is Outcome.SENT
        await channel.close()
    assert len(slack.posted) == 3


def test_a_test_message_names_itself_and_the_channel() -> None:
    from warroom.notify.channels import test_notice

    channel = open_channel(
        {"name": "room", "type": "slack", "url": "https://hooks.example/x"}, contact="ops"
    )
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    test = test_notice(channel, at)
    assert test.action is Action.NOTIFY and "test" in test.title
    assert test.key == "warroom-test/slack ops/room/20261126T120000Z"
    assert json.dumps(test.summary)
