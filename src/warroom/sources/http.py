"""HTTP for sources: one place for timeouts, the size cap, auth, TLS and failure reasons.

Every way a fetch can go wrong becomes a `SourceError` with one line a responder
can act on ("connection refused", "HTTP 401: check credentials", "response over
the 64 MiB cap"), never a traceback and never an empty list of alerts.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from warroom.model.clock import parse_duration
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_BYTES, loads, off_loop
from warroom.sources.base import SourceError, SourceSpec

DEFAULT_TIMEOUT = timedelta(seconds=10)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def redact_url(url: str) -> str:
    """The URL without user:password, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True, slots=True)
class HttpSettings:
    base_url: str
    timeout: timedelta = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    auth: httpx.Auth | None = None
    headers: tuple[tuple[str, str], ...] = ()
    verify: ssl.SSLContext | bool = True

    @classmethod
    def from_spec(cls, spec: SourceSpec) -> HttpSettings:
        opts = spec.options
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {str(k): str(v) for k, v in (opts.get("headers") or {}).items()}
        if opts.get("bearer_token"):
            headers["Authorization"] = f"Bearer {opts['bearer_token']}"
        elif opts.get("username") is not None:
            auth = httpx.BasicAuth(str(opts["username"]), str(opts.get("password") or ""))
        verify: ssl.SSLContext | bool = bool(opts.get("verify", True))
        if verify and opts.get("ca_file"):
            verify = ssl.create_default_context(cafile=str(opts["ca_file"]))
        timeout = parse_duration(opts["timeout"]) if opts.get("timeout") else DEFAULT_TIMEOUT
        return cls(
            base_url=spec.url.rstrip("/"),
            timeout=timeout,
            max_bytes=int(opts.get("max_bytes") or DEFAULT_MAX_BYTES),
            auth=auth,
            headers=tuple(headers.items()),
            verify=verify,
        )


class HttpClient:
    """A source's connection pool; JSON in, `SourceError` out."""

    def __init__(self, name: str, settings: HttpSettings) -> None:
        self.name = name
        self.settings = settings
        seconds = settings.timeout.total_seconds()
        # Every request goes under the base URL and redirects are not followed, so
        # an http:// source never speaks TLS: skip loading the CA bundle (~50 ms of
        # every start). https:// keeps full verification (or the configured CA).
        tls = settings.base_url.lower().startswith("https://")
        self._client = httpx.AsyncClient(
            auth=settings.auth,
            headers=dict(settings.headers),
            verify=settings.verify if tls else False,
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            follow_redirects=False,
        )

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    async def get_json(self, path: str, params: Any = None) -> Any:
        return await self.request_json("GET", path, params=params)

    async def request_json(
        self, method: str, path: str, params: Any = None, json_body: Any = None
    ) -> Any:
        body = await self.request(method, path, params=params, json_body=json_body)
        if not body.strip():
            return None
        try:
            return await off_loop(len(body), OFFLOAD_BYTES, loads, body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            snippet = safe_text(body[:80].decode("utf-8", "replace"), 80)
            if body.lstrip()[:1] in (b"<", b""):
                raise self.error(f"response is not JSON (looks like HTML): {snippet}") from exc
            raise self.error(f"invalid JSON: {exc}") from exc

    async def request(
        self,
        method: str,
        path: str,
        params: Any = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        url = self.url(path)
        timeout = self.settings.timeout.total_seconds()
        try:
            async with self._client.stream(
                method, url, params=params, json=json_body, content=content, headers=headers
            ) as resp:
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
                    raise self.too_large()
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.settings.max_bytes:
                        raise self.too_large()
                    chunks.append(chunk)
                body = b"".join(chunks)
                if resp.status_code >= 400:
                    raise self.error(self._status_reason(resp, body))
                return body
        except SourceError:
            raise
        except httpx.ConnectTimeout as exc:
            raise self.error(f"connect timed out after {timeout:g}s") from exc
        except httpx.TimeoutException as exc:
            raise self.error(f"no answer within {timeout:g}s") from exc
        except httpx.ConnectError as exc:
            raise self.error(_connect_reason(exc)) from exc
        except httpx.RemoteProtocolError as exc:
            raise self.error(f"connection broken: {safe_text(exc, 120)}") from exc
        except httpx.HTTPError as exc:
            raise self.error(f"{type(exc).__name__}: {safe_text(exc, 120)}") from exc

    def _status_reason(self, resp: httpx.Response, body: bytes) -> str:
        reason = f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip()
        if resp.status_code in (401, 403):
            return f"{reason}: check credentials"
        snippet = safe_text(body[:120].decode("utf-8", "replace").strip(), 120)
        return f"{reason}: {snippet}" if snippet else reason

    def too_large(self) -> SourceError:
        mib = self.settings.max_bytes / (1024 * 1024)
        return self.error(f"response over the {mib:g} MiB cap (max_bytes)")

    def error(self, reason: str) -> SourceError:
        return SourceError(self.name, reason)

    async def close(self) -> None:
        await self._client.aclose()


def _connect_reason(exc: httpx.ConnectError) -> str:
    """Name the cause a responder can act on; httpx's own text hides the errno."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate rejected: {safe_text(cause.verify_message, 120)}"
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "host unreachable"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "host not found"
    return f"cannot connect: {safe_text(exc, 120)}"
