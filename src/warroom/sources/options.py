"""Checks of single source options, run at config load (and by `warroom check`).

A value that can never work (a filter that does not parse, a URL without a
host, a CA file that is not there) is a config mistake with a line, found before
anything polls -- not a traceback in `warroom alerts` or a console that will not
start. Kept free of httpx and botocore: checking a config must stay cheap.

Each check raises OptionError; `at` leads from the option's value to the part
at fault (a list index, a mapping key) so the message can point at its column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from warroom.model.alert import _SEVERITY_ALIASES
from warroom.model.clock import parse_duration
from warroom.model.matchers import MatcherError, parse_matchers
from warroom.model.secret import Secret, SecretUnset
from warroom.model.urls import Fault, UrlFault, check_http_url


class OptionError(ValueError):
    """An option value that can never work; `at` locates the part at fault."""

    def __init__(
        self, message: str, at: tuple[str | int, ...] = (), offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.at = at
        self.offset = offset  # the character of a string value at fault, when known


Check = Callable[[Any], None]

# RFC 9110 token: what a header name may be made of
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# af-south-1, us-gov-west-1, cn-north-1, eu-central-2, ...
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_USERINFO = re.compile(r"//[^/?#]*@")
_SCENARIOS = ("night", "steady")  # sources.demo.SCENARIOS, without importing the demo


def check_url(value: Any, allow_query: bool = False) -> None:
    """An http(s) base URL; a query only where nothing is appended to it (http-json)."""
    raw = str(value)
    # user:password may come from the environment: never in a message
    text = _USERINFO.sub("//***@", raw)
    try:
        check_http_url(raw, allow_query)
    except UrlFault as exc:
        raise OptionError(
            {
                Fault.UNPARSABLE: f"not a URL: {text!r} ({exc.detail})",
                Fault.SCHEME: f"URL {text!r} must start with http:// or https://",
                Fault.HOST: f"URL {text!r} names no host",
                Fault.QUERY: f"URL {text!r}: no ?query or #fragment (API paths are appended to it)",
                Fault.SPACES: f"URL {text!r} holds spaces or control characters",
            }[exc.fault]
        ) from exc


def check_duration(minimum: timedelta, maximum: timedelta | None = None) -> Check:
    def check(value: Any) -> None:
        try:
            duration = parse_duration(str(value))
        except ValueError as exc:
            raise OptionError(str(exc)) from exc
        if duration < minimum:
            raise OptionError(f"must be at least {_seconds(minimum)}")
        if maximum is not None and duration > maximum:
            raise OptionError(f"must be at most {_seconds(maximum)}")

    return check


def _seconds(duration: timedelta) -> str:
    return f"{duration.total_seconds():g}s"


def check_positive(value: Any) -> None:
    if value <= 0:
        raise OptionError(f"must be above 0, got {value}")


def check_headers(value: Any) -> None:
    for name, header in value.items():
        if not _TOKEN.match(str(name)):
            raise OptionError(f"header name {name!r} is not a valid HTTP header name", (name,))
        if isinstance(header, (dict, list)) or header is None:
            raise OptionError(f"header {name!r} must be a string", (name,))
        if isinstance(header, Secret):
            try:
                header = header.resolve()  # to check it, never to keep it
            except SecretUnset:
                continue  # reported where the variable is named
        if any(c in str(header) for c in "\r\n\0"):
            raise OptionError(f"header {name!r} holds a line break", (name,))


def check_ca_file(value: Any) -> None:
    path = os.path.expanduser(str(value))
    if not os.path.exists(path):
        raise OptionError(f"CA file {value!r} does not exist")
    if not os.path.isfile(path):
        raise OptionError(f"CA file {value!r} is not a file")
    if not os.access(path, os.R_OK):
        raise OptionError(f"CA file {value!r} is not readable (check its permissions)")


def check_matchers(value: Any) -> None:
    """Alertmanager filter: one string of matchers, or a list of them."""
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        at: tuple[str | int, ...] = (index,) if isinstance(value, list) else ()
        if not isinstance(item, str):
            raise OptionError(f"a filter must be a string of matchers, got {item!r}", at)
        try:
            matchers = parse_matchers(item)
        except MatcherError as exc:
            raise OptionError(f"filter {item!r}: {exc}", at, exc.position) from exc
        if not matchers:
            raise OptionError(f"filter {item!r} holds no matcher", at)


def check_regex(value: Any) -> None:
    try:
        re.compile(str(value))
    except re.error as exc:
        raise OptionError(f"bad regex {value!r}: {exc.msg}") from exc


def check_region(value: Any) -> None:
    if not _REGION.match(str(value)):
        raise OptionError(f"{value!r} is not an AWS region (e.g. eu-west-1)")


def check_severity(value: Any) -> None:
    text = str(value).strip().lower()
    if text not in _SEVERITY_ALIASES and text != "none":
        known = "critical, error, warning, info, none"
        raise OptionError(f"unknown severity {value!r} (known: {known} and their aliases)")


def check_scenario(value: Any) -> None:
    if value not in _SCENARIOS:
        raise OptionError(f"demo scenario {value!r}: one of {', '.join(_SCENARIOS)}")


def check_path(value: Any) -> None:
    """A dotted JSON path (`result.problems`, `items.0.id`)."""
    text = str(value)
    if text and any(not part for part in text.split(".")):
        raise OptionError(f"JSON path {text!r} has an empty part (two dots, or a dot at an end)")


def check_path_map(value: Any) -> None:
    for key, path in value.items():
        if not isinstance(path, str):
            raise OptionError(f"{key!r} must be a JSON path (a string), got {path!r}", (key,))
        try:
            check_path(path)
        except OptionError as exc:
            raise OptionError(str(exc), (key,)) from exc


def check_scalars(value: Any) -> None:
    for index, item in enumerate(value):
        if isinstance(item, (dict, list)) or item is None:
            raise OptionError(f"must be a list of values, got {item!r}", (index,))


HTTP_CHECKS: dict[str, Check] = {
    "timeout": check_duration(timedelta(milliseconds=100), timedelta(minutes=10)),
    "max_bytes": check_positive,
    "headers": check_headers,
    "ca_file": check_ca_file,
}
