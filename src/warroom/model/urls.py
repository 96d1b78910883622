"""What makes an http(s) URL usable, checked once for sources and channels alike.

Sources and notify channels each had this check, and they had drifted (one let
a fragment through). Each layer still words its own message, naming the option
and hiding what must stay hidden; the rule is here.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit


class Fault(StrEnum):
    UNPARSABLE = "unparsable"  # `detail` says why (a port out of range, ...)
    SCHEME = "scheme"  # not http or https
    HOST = "host"  # names no host
    QUERY = "query"  # a ?query or #fragment where paths are appended
    SPACES = "spaces"  # spaces or control characters


class UrlFault(ValueError):
    def __init__(self, fault: Fault, detail: str = "") -> None:
        super().__init__(detail or fault.value)
        self.fault = fault
        self.detail = detail


def check_http_url(raw: str, allow_query: bool = True) -> None:
    """Raise UrlFault unless `raw` is an http(s) URL with a host and no whitespace;
    with `allow_query` False, also no query or fragment."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises ValueError for a port out of range or not a number)
    except ValueError as exc:
        raise UrlFault(Fault.UNPARSABLE, str(exc)) from exc
    if parts.scheme not in ("http", "https"):
        raise UrlFault(Fault.SCHEME)
    if not parts.hostname:
        raise UrlFault(Fault.HOST)
    if not allow_query and (parts.fragment or parts.query):
        raise UrlFault(Fault.QUERY)
    if any(c.isspace() or ord(c) < 32 for c in raw):
        raise UrlFault(Fault.SPACES)
