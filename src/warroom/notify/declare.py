"""Channel declarations: which types exist, which options each takes, and their checks.

A contact's channel is written in a plan (`{name: page, type: pagerduty,
routing_key: ${PD_ALICE}}`); email goes through the relay in the config's
`smtp:`. `check_channel` lists every mistake of one declaration (each with the
path to the option at fault, for `file:line:col`), `declare_channel` turns a good
one into a `ChannelSpec`. Nothing here imports httpx or aiosmtplib, and no secret
is resolved for keeps: a `Secret` stays a reference until the send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from warroom.model.clock import parse_duration
from warroom.model.secret import Secret
from warroom.model.value import Value
from warroom.notify.options import (
    SECURITY,
    ChannelOptionError,
    Check,
    check_address,
    check_addresses,
    check_ca_file,
    check_host,
    check_name,
    check_port,
    check_routing_key,
    check_security,
    check_teams_url,
    check_timeout,
    check_url,
    check_whsec,
    is_loopback,
)

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_TIMEOUT = timedelta(seconds=10)


class Option(Value, frozen=True):
    types: tuple[type, ...]
    check: Check | None = None
    required: bool = False
    secret: bool = False  # kept as a Secret: a plain string is taken as one


class ChannelType(Value, frozen=True):
    options: Mapping[str, Option]
    doc: str
    # the provider dedupes a resend (PagerDuty's dedup_key, webhook-id): after an unknown
    # outcome the outbox resends as is; for the others it resends once marked `repeat_of`
    idempotent: bool = False
    # it can carry a plain notice; PagerDuty only triggers, acknowledges and resolves
    notices: bool = True


_HTTP: dict[str, Option] = {
    "timeout": Option((str,), check_timeout),
    "ca_file": Option((str,), check_ca_file),
    "verify": Option((bool,)),
}

CHANNEL_TYPES: dict[str, ChannelType] = {
    "pagerduty": ChannelType(
        {
            "routing_key": Option((str, Secret), check_routing_key, required=True, secret=True),
            "url": Option((str,), check_url),  # e.g. https://events.eu.pagerduty.com/v2/enqueue
            **_HTTP,
        },
        "PagerDuty Events API v2: trigger, acknowledge and resolve one alert per incident",
        idempotent=True,
        notices=False,
    ),
    "slack": ChannelType(
        {"url": Option((str, Secret), check_url, required=True, secret=True), **_HTTP},
        "a Slack incoming webhook (the URL is the credential: keep it in ${ENV})",
    ),
    "teams": ChannelType(
        {"url": Option((str, Secret), check_teams_url, required=True, secret=True), **_HTTP},
        "a Microsoft Teams Workflows webhook (Adaptive Card)",
    ),
    "webhook": ChannelType(
        {
            "url": Option((str, Secret), check_url, required=True, secret=True),
            "secret": Option((str, Secret), check_whsec, required=True, secret=True),
            **_HTTP,
        },
        "any HTTP receiver, signed per Standard Webhooks",
        idempotent=True,
    ),
    "email": ChannelType(
        {"to": Option((str, list), check_addresses, required=True)},
        "email through the config's smtp: relay",
    ),
    "log": ChannelType(
        {"path": Option((str,))},
        "a local file, one JSON line per page (default: pages.log in the state directory)",
    ),
}

SMTP_OPTIONS: dict[str, Option] = {
    "host": Option((str,), check_host, required=True),
    "from": Option((str,), check_address, required=True),
    "port": Option((int,), check_port),
    "security": Option((str,), check_security),
    "username": Option((str,)),
    "password": Option((str, Secret), secret=True),
    "ca_file": Option((str,), check_ca_file),
    "verify": Option((bool,)),
    "timeout": Option((str,), check_timeout),
}


class ChannelConfigError(ValueError):
    """A declaration that cannot be used; every problem is kept, the first one shown."""

    def __init__(self, problems: list[ChannelOptionError]) -> None:
        first = str(problems[0])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
        self.problems = problems


class ChannelSpec(Value, frozen=True):
    """A checked channel: `options` typed, secrets as `Secret` (their repr shows no value)."""

    name: str
    type: str
    options: Mapping[str, Any] = {}  # msgspec copies an empty default per instance
    contact: str = ""

    @property
    def label(self) -> str:
        """How the channel is named in every line about it: `slack alice/room`."""
        who = f"{self.contact}/{self.name}" if self.contact else self.name
        return f"{self.type} {who}"

    def timeout(self) -> timedelta:
        value = self.options.get("timeout")
        return parse_duration(value) if value else DEFAULT_TIMEOUT


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    """The config's `smtp:`: where every email channel sends through."""

    host: str
    sender: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    ca_file: str = ""
    verify: bool = True
    timeout: timedelta = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return (
            f"SmtpRelay(host={self.host!r}, port={self.port}, security={self.security!r},"
            f" sender={self.sender!r}, username={self.username!r}, password={self.password!r})"
        )


def _typed(
    options: Mapping[str, Option], declaration: Mapping[str, Any], skip: tuple[str, ...], what: str
) -> tuple[dict[str, Any], list[ChannelOptionError]]:
    problems: list[ChannelOptionError] = []
    values: dict[str, Any] = {}
    for key, value in declaration.items():
        if key in skip:
            continue
        option = options.get(key)
        if option is None:
            known = ", ".join([*skip, *options])
            problems.append(
                ChannelOptionError(f"unknown key {key!r} for {what} (known: {known})", (key,))
            )
            continue
        if option.secret and isinstance(value, str):
            value = Secret(value)
        if isinstance(value, bool) and bool not in option.types:
            value = None  # a bool is an int to isinstance: never a port
        if value is None or not isinstance(value, option.types):
            names = " or ".join(
                "a secret" if t is Secret else _TYPE_NAMES.get(t, t.__name__) for t in option.types
            )
            problems.append(ChannelOptionError(f"{key!r} must be {names}", (key,)))
            continue
        if option.check is not None:
            try:
                option.check(value)
            except ChannelOptionError as exc:
                message = str(exc) if repr(key) in str(exc) else f"{key!r}: {exc}"
                problems.append(ChannelOptionError(message, (key, *exc.at), exc.offset))
                continue
        values[key] = value
    for key, option in options.items():
        if option.required and key not in declaration:
            problems.append(ChannelOptionError(f"{what} needs {key!r}"))
    return values, problems


_TYPE_NAMES = {str: "a string", int: "a number", bool: "true or false", list: "a list"}


def check_channel(declaration: Mapping[str, Any]) -> list[ChannelOptionError]:
    """Every mistake in one channel declaration (empty when it is good)."""
    return _declare(declaration, "")[1]


def declare_channel(declaration: Mapping[str, Any], contact: str = "") -> ChannelSpec:
    """The checked channel, or ChannelConfigError with every problem."""
    spec, problems = _declare(declaration, contact)
    if problems or spec is None:
        raise ChannelConfigError(problems or [ChannelOptionError("not a channel")])
    return spec


def _declare(
    declaration: Mapping[str, Any], contact: str
) -> tuple[ChannelSpec | None, list[ChannelOptionError]]:
    name = declaration.get("name")
    kind = declaration.get("type")
    problems: list[ChannelOptionError] = []
    if "name" not in declaration:
        problems.append(ChannelOptionError("a channel needs a 'name'"))
    else:
        try:
            check_name(name)
        except ChannelOptionError as exc:
            problems.append(ChannelOptionError(str(exc), ("name",)))
            name = None
    what = f"channel {name!r}" if isinstance(name, str) and name else "a channel"
    if kind is None:
        problems.append(ChannelOptionError(f"{what} needs a 'type' ({', '.join(CHANNEL_TYPES)})"))
        return None, problems
    channel_type = CHANNEL_TYPES.get(kind) if isinstance(kind, str) else None
    if channel_type is None:
        known = ", ".join(CHANNEL_TYPES)
        problems.append(
            ChannelOptionError(f"unknown channel type {kind!r} (known: {known})", ("type",))
        )
        return None, problems
    values, more = _typed(channel_type.options, declaration, ("name", "type"), f"{kind} {what}")
    problems.extend(more)
    if problems:
        return None, problems
    assert isinstance(name, str)
    return ChannelSpec(name=name, type=kind, options=values, contact=contact), []


def check_smtp(declaration: Mapping[str, Any]) -> list[ChannelOptionError]:
    return _relay(declaration)[1]


def declare_smtp(declaration: Mapping[str, Any]) -> SmtpRelay:
    """The config's `smtp:` checked; ChannelConfigError with every problem."""
    relay, problems = _relay(declaration)
    if problems or relay is None:
        raise ChannelConfigError(problems or [ChannelOptionError("not an smtp relay")])
    return relay


def _relay(declaration: Mapping[str, Any]) -> tuple[SmtpRelay | None, list[ChannelOptionError]]:
    values, problems = _typed(SMTP_OPTIONS, declaration, (), "smtp")
    security = values.get("security", "starttls")
    host = values.get("host")
    if security == "none" and isinstance(host, str) and not is_loopback(host):
        problems.append(
            ChannelOptionError(
                f"security none sends mail (and any password) in clear text: only for a relay"
                f" on loopback, not {host!r}; use starttls (or tls for port 465)",
                ("security",),
            )
        )
    if "password" in values and "username" not in values:
        problems.append(
            ChannelOptionError("smtp has a 'password' but no 'username'", ("password",))
        )
    if problems:
        return None, problems
    assert security in SECURITY
    port = values.get("port") or {"starttls": 587, "tls": 465, "none": 25}[security]
    timeout = parse_duration(values["timeout"]) if "timeout" in values else DEFAULT_TIMEOUT
    return (
        SmtpRelay(
            host=values["host"],
            sender=values["from"],
            port=port,
            security=security,
            username=values.get("username"),
            password=values.get("password"),
            ca_file=values.get("ca_file", ""),
            verify=values.get("verify", True),
            timeout=timeout,
        ),
        [],
    )
