"""Checks of channel options, run when a channel is declared (and by `warroom check`).

A webhook URL without a host, a Teams connector URL that Microsoft retired, a
signing secret that is not `whsec_…`: mistakes found when the plans load, with
one line each, not at 3 a.m. when the page does not go out. The same shape as
the source option checks (an error with `at`, the path to the part at fault, so
the plan loader can point at its line and column); kept here because this layer
may not import `sources`. Free of httpx and aiosmtplib: checking must stay cheap.

A secret (`${ENV}`) is resolved here only to check its form and never kept; an
unset variable is not this module's to report (the loader names it).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from warroom.model.clock import parse_duration
from warroom.model.secret import Secret, SecretUnset
from warroom.model.urls import Fault, UrlFault, check_http_url


class ChannelOptionError(ValueError):
    """An option value that can never work; `at` leads to the part at fault."""

    def __init__(
        self, message: str, at: tuple[str | int, ...] = (), offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.at = at
        self.offset = offset


Check = Callable[[Any], None]

_USERINFO = re.compile(r"//[^/?#]*@")
# an address as a page goes to it: no display names, no lists, one @, a dotted domain
_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
# Office 365 connectors, retired by Microsoft: <tenant>.webhook.office.com/webhookb2/...
# and the older outlook.office.com/webhook/...
_LEGACY_TEAMS = re.compile(
    r"^https?://([a-z0-9-]+\.)*(webhook\.office\.com/webhookb2|outlook\.office(365)?\.com/webhook)/",
    re.IGNORECASE,
)
LEGACY_TEAMS_MESSAGE = (
    "a legacy Office 365 connector URL (*.webhook.office.com/webhookb2/...): Microsoft"
    " retired connectors; in Teams create a Workflow 'Post to a channel when a webhook"
    " request is received' and use its URL"
)


def resolved(value: Any) -> str | None:
    """The text of a plain option, or of a secret whose variable is set; None otherwise."""
    if isinstance(value, Secret):
        try:
            return value.resolve()
        except SecretUnset:
            return None
    return str(value)


def _shown(value: Any, text: str) -> str:
    """How a URL may appear in a message: never the value of a secret one."""
    if isinstance(value, Secret):
        return f"the URL in {value!r}"
    return repr(_USERINFO.sub("//***@", text))


def check_url(value: Any) -> None:
    """An http(s) URL with a host; a secret one is checked once its variable is set."""
    text = resolved(value)
    if text is None:
        return
    shown = _shown(value, text)
    try:
        check_http_url(text)
    except UrlFault as exc:
        raise ChannelOptionError(
            {
                Fault.UNPARSABLE: f"{shown} is not a URL ({exc.detail})",
                Fault.SCHEME: f"{shown} must start with https:// (or http://)",
                Fault.HOST: f"{shown} names no host",
                Fault.SPACES: f"{shown} holds spaces or control characters",
            }[exc.fault]
        ) from exc


def check_teams_url(value: Any) -> None:
    check_url(value)
    text = resolved(value)
    if text is not None and _LEGACY_TEAMS.match(text):
        raise ChannelOptionError(LEGACY_TEAMS_MESSAGE)


def is_legacy_teams(url: str) -> bool:
    return bool(_LEGACY_TEAMS.match(url))


def check_timeout(value: Any) -> None:
    try:
        duration = parse_duration(str(value))
    except ValueError as exc:
        raise ChannelOptionError(str(exc)) from exc
    if not timedelta(milliseconds=100) <= duration <= timedelta(minutes=2):
        raise ChannelOptionError(f"timeout {value!r} must be between 100ms and 2m")


def check_ca_file(value: Any) -> None:
    path = os.path.expanduser(str(value))
    if not os.path.isfile(path):
        raise ChannelOptionError(f"CA file {value!r} does not exist (or is not a file)")
    if not os.access(path, os.R_OK):
        raise ChannelOptionError(f"CA file {value!r} is not readable (check its permissions)")


def check_routing_key(value: Any) -> None:
    text = resolved(value)
    if text is None:
        return
    if not re.fullmatch(r"[A-Za-z0-9]{32}", text):
        raise ChannelOptionError(
            f"routing_key {value!r} is not a PagerDuty integration key (32 letters and digits:"
            " the service's Events API v2 integration key)"
        )


def check_whsec(value: Any) -> None:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes."""
    text = resolved(value)
    if text is None:
        return
    if not text.startswith("whsec_"):
        raise ChannelOptionError(
            f"secret {value!r} must be a Standard Webhooks secret: whsec_ + base64 of"
            " 24-64 random bytes (e.g. `echo whsec_$(head -c 32 /dev/urandom | base64)`)"
        )
    try:
        raw = base64.b64decode(text.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ChannelOptionError(f"secret {value!r}: the part after whsec_ is not base64") from exc
    if not 24 <= len(raw) <= 64:
        raise ChannelOptionError(
            f"secret {value!r} holds {len(raw)} bytes: Standard Webhooks wants 24 to 64"
        )


def check_addresses(value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ChannelOptionError("'to' names no address")
    for index, item in enumerate(items):
        try:
            check_address(item)
        except ChannelOptionError as exc:
            raise ChannelOptionError(str(exc), (index,) if isinstance(value, list) else ()) from exc


def check_address(value: Any) -> None:
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise ChannelOptionError(f"{value!r} is not an email address (name@domain)")
    if not value.isascii():
        # SMTPUTF8 is not universal among relays: a page must not hang on it
        raise ChannelOptionError(f"{value!r}: only ASCII addresses are supported")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_name(value: Any) -> None:
    """A channel's name goes into outbox keys and `contact/channel` references."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ChannelOptionError(
            f"channel name {value!r}: use letters, digits, '.', '_' or '-' (max 63)"
        )


def check_host(value: Any) -> None:
    text = str(value)
    if not text or any(c.isspace() or c in "/:@" for c in text):
        raise ChannelOptionError(f"{text!r} is not a host name (no scheme, port or path)")


def check_port(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ChannelOptionError(f"port {value!r} must be a number from 1 to 65535")


SECURITY = ("starttls", "tls", "none")


def check_security(value: Any) -> None:
    if value not in SECURITY:
        raise ChannelOptionError(
            f"security {value!r}: one of starttls (explicit, the default), tls (implicit,"
            " port 465), none (loopback only)"
        )


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
