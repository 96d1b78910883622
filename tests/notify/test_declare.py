"""Channel declarations checked when they load: one line per mistake, secrets never shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.model.secret import Secret
from warroom.notify import (
    CHANNEL_TYPES,
    Action,
    ChannelConfigError,
    Notice,
    check_channel,
    check_smtp,
    declare_channel,
    declare_smtp,
    open_channel,
)
from warroom.notify.message import backoff, retry_after

KEY = "R0123456789abcdefghijklmnopqrst0"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def messages(declaration: dict[str, object]) -> list[str]:
    return [str(p) for p in check_channel(declaration)]


@pytest.mark.parametrize(
    "declaration",
    [
        {"name": "page", "type": "pagerduty", "routing_key": KEY},
        {
            "name": "page",
            "type": "pagerduty",
            "routing_key": "${PD_UNSET_HERE}",
            "url": "https://events.eu.pagerduty.com/v2/enqueue",
        },
        {
            "name": "room",
            "type": "slack",
            "url": "https://hooks.slack.com/services/T/B/x",
            "timeout": "5s",
        },
        {
            "name": "room",
            "type": "teams",
            "url": "https://prod-1.westeurope.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=x",
        },
        {
            "name": "hook",
            "type": "webhook",
            "url": "https://hooks.internal/warroom",
            "secret": WHSEC,
        },
        {"name": "mail", "type": "email", "to": "alice@example.com"},
        {"name": "mail", "type": "email", "to": ["alice@example.com", "ops@example.com"]},
    ],
)
def test_good_declarations_pass(declaration: dict[str, object]) -> None:
    assert check_channel(declaration) == []
    spec = declare_channel(declaration)
    assert spec.name == declaration["name"]


@pytest.mark.parametrize(
    ("declaration", "expected", "at"),
    [
        ({"type": "slack", "url": "https://x.example"}, "a channel needs a 'name'", ()),
        (
            {"name": "x"},
            "channel 'x' needs a 'type' (pagerduty, slack, teams, webhook, email, log)",
            (),
        ),
        ({"name": "x", "type": "sms"}, "unknown channel type 'sms' (known: pagerduty", ("type",)),
        ({"name": "x", "type": "slack"}, "slack channel 'x' needs 'url'", ()),
        (
            {"name": "x", "type": "slack", "url": "https://h.example", "channel": "#ops"},
            "unknown key 'channel' for slack channel 'x' (known: name, type, url, timeout",
            ("channel",),
        ),
        (
            {"name": "x", "type": "slack", "url": "hooks.slack.com/services/x"},
            "must start with https://",
            ("url",),
        ),
        ({"name": "x", "type": "slack", "url": "https://"}, "names no host", ("url",)),
        (
            {"name": "x", "type": "slack", "url": "https://h.example", "timeout": "soon"},
            "not a duration",
            ("timeout",),
        ),
        (
            {"name": "x", "type": "slack", "url": "https://h.example", "timeout": "1h"},
            "between 100ms and 2m",
            ("timeout",),
        ),
        (
            {"name": "x", "type": "slack", "url": "https://h.example", "verify": "no"},
            "'verify' must be true or false",
            ("verify",),
        ),
        (
            {
                "name": "x",
                "type": "slack",
                "url": "https://h.example",
                "ca_file": "/nonexistent/ca.pem",
            },
            "CA file '/nonexistent/ca.pem' does not exist",
            ("ca_file",),
        ),
        (
            {"name": "x", "type": "pagerduty", "routing_key": "abc"},
            "not a PagerDuty integration key",
            ("routing_key",),
        ),
        (
            {
                "name": "x",
                "type": "teams",
                "url": "https://acme.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
            },
            "legacy Office 365 connector",
            ("url",),
        ),
        (
            {"name": "x", "type": "webhook", "url": "https://h.example"},
            "webhook channel 'x' needs 'secret'",
            (),
        ),
        (
            {
                "name": "x",
                "type": "webhook",
                "url": "https://h.example",
                "secret": "hunter2hunter2",
            },
            "must be a Standard Webhooks secret: whsec_",
            ("secret",),
        ),
        (
            {
                "name": "x",
                "type": "webhook",
                "url": "https://h.example",
                "secret": "whsec_c2hvcnQ=",
            },
            "holds 5 bytes: Standard Webhooks wants 24 to 64",
            ("secret",),
        ),
        (
            {"name": "x", "type": "webhook", "url": "https://h.example", "secret": "whsec_%%%"},
            "not base64",
            ("secret",),
        ),
        ({"name": "x", "type": "email", "to": "alice"}, "'alice' is not an email address", ("to",)),
        (
            {"name": "x", "type": "email", "to": ["a@example.com", "Bob <b@example.com>"]},
            "'Bob <b@example.com>' is not an email address",
            ("to", 1),
        ),
        ({"name": "x", "type": "email", "to": 7}, "'to' must be a string or a list", ("to",)),
        (
            {"name": "x", "type": "email", "to": ["a@example.com", "josé@example.com"]},
            "'josé@example.com': only ASCII addresses",
            ("to", 1),
        ),
        (
            {"name": "ops room", "type": "email", "to": "a@example.com"},
            "channel name 'ops room': use letters, digits",
            ("name",),
        ),
        ({"name": 3, "type": "email", "to": "a@example.com"}, "channel name 3", ("name",)),
    ],
)
def test_each_mistake_is_one_line_pointing_at_its_option(
    declaration: dict[str, object], expected: str, at: tuple[object, ...]
) -> None:
    problems = check_channel(declaration)
    assert problems, declaration
    assert expected in str(problems[0]), [str(p) for p in problems]
    assert problems[0].at == at
    assert all("\n" not in str(p) for p in problems)


def test_every_mistake_is_listed_at_once() -> None:
    problems = messages(
        {"name": "x", "type": "webhook", "url": "ftp://h", "secret": "nope", "colour": "red"}
    )
    assert len(problems) == 3, problems
    with pytest.raises(ChannelConfigError) as caught:
        declare_channel(
            {"name": "x", "type": "webhook", "url": "ftp://h", "secret": "nope", "colour": "red"}
        )
    assert str(caught.value).endswith("(and 2 more)")


def test_a_secret_never_shows_in_a_message_or_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_URL", "not a url with TOKEN123")
    [problem] = check_channel({"name": "room", "type": "slack", "url": "${SLACK_URL}"})
    assert "TOKEN123" not in str(problem) and "${SLACK_URL}" in str(problem)
    monkeypatch.setenv("WH", "whsec_bad-and-secret")
    [problem] = check_channel(
        {"name": "h", "type": "webhook", "url": "https://h.example", "secret": "${WH}"}
    )
    assert "bad-and-secret" not in str(problem)
    # a literal secret in the file is a Secret too: its repr shows no value
    spec = declare_channel({"name": "page", "type": "pagerduty", "routing_key": KEY})
    assert isinstance(spec.options["routing_key"], Secret)
    assert KEY not in repr(spec) and KEY not in repr(
        open_channel({"name": "p", "type": "pagerduty", "routing_key": KEY})
    )


def test_an_unset_variable_is_not_this_layers_to_report() -> None:
    """The plan loader names the variable with its line; a check here would report it twice."""
    assert check_channel({"name": "room", "type": "slack", "url": "${NOT_SET_IN_TESTS}"}) == []


def test_smtp_relay_defaults_and_mistakes() -> None:
    relay = declare_smtp({"host": "mail.example.com", "from": "warroom@example.com"})
    assert (relay.port, relay.security) == (587, "starttls")
    assert (
        declare_smtp({"host": "mail.example.com", "from": "w@example.com", "security": "tls"}).port
        == 465
    )
    assert (
        declare_smtp({"host": "127.0.0.1", "from": "w@example.com", "security": "none"}).port == 25
    )
    problems = [
        str(p)
        for p in check_smtp(
            {"host": "mail.example.com", "from": "w@example.com", "security": "none"}
        )
    ]
    assert problems == [
        "security none sends mail (and any password) in clear text: only for a relay on loopback,"
        " not 'mail.example.com'; use starttls (or tls for port 465)"
    ]
    assert "must be a number from 1 to 65535" in str(
        check_smtp({"host": "h", "from": "w@e.com", "port": 0})[0]
    )
    assert "'port' must be a number" in str(
        check_smtp({"host": "h", "from": "w@e.com", "port": True})[0]
    )
    assert "smtp needs 'from'" in str(check_smtp({"host": "h"})[0])
    assert "is not a host name" in str(check_smtp({"host": "smtp://h:25", "from": "w@e.com"})[0])
    assert "no 'username'" in str(check_smtp({"host": "h", "from": "w@e.com", "password": "x"})[0])
    secret = declare_smtp(
        {"host": "h", "from": "w@e.com", "username": "u", "password": "hunter2-secret"}
    )
    assert "hunter2" not in repr(secret)


def test_email_needs_the_relay() -> None:
    with pytest.raises(ChannelConfigError, match="email needs an smtp: relay"):
        open_channel({"name": "mail", "type": "email", "to": "a@example.com"}, contact="alice")


def test_backoff_doubles_to_a_cap_with_a_jitter_fixed_by_the_key() -> None:
    waits = [backoff(n, "k") for n in range(1, 12)]
    assert waits == [backoff(n, "k") for n in range(1, 12)]  # the same every time
    assert timedelta(seconds=3.75) <= waits[0] <= timedelta(seconds=6.25)
    assert waits[3] > waits[1]
    assert max(waits) <= timedelta(minutes=5)
    assert backoff(1, "a") != backoff(1, "b") or backoff(2, "a") != backoff(2, "b")


def test_retry_after_in_seconds_or_a_date_and_capped() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert retry_after("7", now) == timedelta(seconds=7)
    assert retry_after("Thu, 26 Nov 2026 12:01:30 GMT", now) == timedelta(seconds=90)
    assert retry_after("Thu, 26 Nov 2026 11:00:00 GMT", now) == timedelta(0)
    assert retry_after("86400", now) == timedelta(hours=1)
    assert (
        retry_after("soon", now) is None
        and retry_after(None, now) is None
        and retry_after("-3", now) is None
    )


def test_a_notice_keeps_pagerdutys_limits() -> None:
    long = Notice(key="k", incident_id=1, title="t", thread="x" * 400)
    assert len(long.dedup_key) <= 255
    assert (
        long.dedup_key == Notice(key="other", incident_id=1, title="t", thread="x" * 400).dedup_key
    )
    assert Notice(key="k", incident_id=9, title="t").dedup_key == "warroom/incident/9"
    with pytest.raises(ValueError, match="idempotency key"):
        Notice(key="", incident_id=1, title="t")
    with pytest.raises(ValueError, match="naive"):
        Notice(key="k", incident_id=1, title="t", at=datetime(2026, 1, 1))


@pytest.mark.parametrize("kind", sorted(CHANNEL_TYPES))
def test_what_the_outbox_reads_from_the_type_is_what_the_channel_does(kind: str) -> None:
    declarations: dict[str, dict[str, object]] = {
        "pagerduty": {"routing_key": KEY},
        "slack": {"url": "https://h.example/x"},
        "teams": {"url": "https://h.example/x"},
        "webhook": {"url": "https://h.example/x", "secret": WHSEC},
        "email": {"to": "a@example.com"},
        "log": {},
    }
    relay = declare_smtp({"host": "mail.example.com", "from": "w@example.com"})
    channel = open_channel({"name": "c", "type": kind, **declarations[kind]}, relay)
    assert channel.idempotent is CHANNEL_TYPES[kind].idempotent
    assert (Action.NOTIFY in channel.actions) is CHANNEL_TYPES[kind].notices
    assert {Action.TRIGGER, Action.ACKNOWLEDGE, Action.RESOLVE} <= channel.actions
