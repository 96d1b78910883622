"""HTTP for sources: one place for timeouts, the size cap, auth, TLS and failure reasons.

Every way a fetch can go wrong becomes a `SourceError` with one line a responder
can act on ("connection refused", "HTTP 401: check credentials", "response over
the 64 MiB cap"), never a traceback and never an empty list of alerts.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

from warroom import __version__
from warroom.model.clock import parse_duration
from warroom.model.secret import Secret, SecretUnset, redact_url, reveal
from warroom.model.text import safe_text
from warroom.offload import OFFLOAD_BYTES, PieceFeed, loads, off_loop
from warroom.sources import early
from warroom.sources.base import SourceError, SourceSpec

if TYPE_CHECKING:  # imported on first use: building a source must stay cheap
    import ssl

    import httpx

DEFAULT_TIMEOUT = timedelta(seconds=10)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpSettings:
    base_url: str
    timeout: timedelta = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    # configured headers; a value that is a Secret is resolved only when a request is built
    headers: tuple[tuple[str, str | Secret], ...] = field(default=(), repr=False)
    verify: bool = True
    ca_file: str = ""
    bearer_token: str | Secret | None = field(default=None, repr=False)
    username: str | None = None
    password: str | Secret | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"HttpSettings(base_url={redact_url(self.base_url)!r}, timeout={self.timeout!r},"
            f" max_bytes={self.max_bytes}, verify={self.verify}, ca_file={self.ca_file!r})"
        )

    @classmethod
    def from_spec(cls, spec: SourceSpec) -> HttpSettings:
        opts = spec.options
        headers = tuple(
            (str(k), v if isinstance(v, Secret) else str(v))
            for k, v in (opts.get("headers") or {}).items()
        )
        timeout = parse_duration(opts["timeout"]) if opts.get("timeout") else DEFAULT_TIMEOUT
        username = opts.get("username")
        password = opts.get("password")
        # user:password in the URL becomes basic auth here, as httpx would make it, but
        # kept out of the URL: httpx logs each request's URL, and both transports send it
        parts = urlsplit(spec.url)
        in_url = parts.username is not None or parts.password is not None
        if in_url and username is None and not opts.get("bearer_token"):
            username = unquote(parts.username or "")
            password = Secret(unquote(parts.password or "").replace("$", "$$"))
        return cls(
            base_url=redact_url(spec.url).rstrip("/"),
            timeout=timeout,
            max_bytes=int(opts.get("max_bytes") or DEFAULT_MAX_BYTES),
            headers=headers,
            verify=bool(opts.get("verify", True)),
            ca_file=str(opts.get("ca_file") or ""),
            bearer_token=opts.get("bearer_token") or None,
            username=None if username is None else str(username),
            password=password,
        )

    def resolved_headers(self) -> dict[str, str]:
        """The headers to send, secrets read from the environment now (SecretUnset if not set).

        Built here for both transports, so the early GET and httpx send the same
        Authorization (what httpx.BasicAuth would send, for username/password).
        """
        headers = {name: reveal(value) for name, value in self.headers}
        token = reveal(self.bearer_token) if self.bearer_token is not None else ""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif self.username is not None:
            password = reveal(self.password) if self.password is not None else ""
            pair = f"{self.username}:{password}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
        return headers

    def secret_values(self) -> list[str]:
        """Every credential this source sends that can be resolved now, to scrub from messages."""
        values: list[str] = []
        secret_headers = [v for _, v in self.headers if isinstance(v, Secret)]
        for value in (self.bearer_token, self.password, *secret_headers):
            if value is None:
                continue
            try:
                values.append(reveal(value))
            except SecretUnset:
                continue
        return [v for v in values if len(v) >= 4]

    @property
    def tls(self) -> bool:
        # Every request goes under the base URL and redirects are not followed,
        # so an http:// source never speaks TLS.
        return self.base_url.lower().startswith("https://")

    def tls_context(self) -> ssl.SSLContext:
        """The one TLS context both transports use, so they trust the same CAs.

        The same choice httpx makes for verify=True (SSL_CERT_FILE, SSL_CERT_DIR,
        else certifi's bundle), or the configured CA file, or no verification
        when the config says `verify: false`.
        """
        import ssl

        if not self.verify:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if self.ca_file:
            return ssl.create_default_context(cafile=self.ca_file)
        if os.environ.get("SSL_CERT_FILE"):
            return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        if os.environ.get("SSL_CERT_DIR"):
            return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
        import certifi

        return ssl.create_default_context(cafile=certifi.where())


class HttpClient:
    """A source's connection pool; JSON in, `SourceError` out."""

    def __init__(self, name: str, settings: HttpSettings) -> None:
        self.name = name
        self.settings = settings
        self._headers: dict[str, str] | None = None
        self._client: httpx.AsyncClient | None = None
        self._context: ssl.SSLContext | None = None
        self._early: dict[str, early.Pending] = {}  # by URL with query

    @property
    def headers(self) -> dict[str, str]:
        """The headers of every request, credentials resolved on first use.

        An environment variable that is not set fails this source's requests with
        its name (the source's health says which), never the console.
        """
        if self._headers is None:
            try:
                resolved = self.settings.resolved_headers()
            except SecretUnset as exc:
                raise self.error(str(exc)) from None
            self._headers = {"User-Agent": f"warroom/{__version__}", **resolved}
        return self._headers

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    def tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            try:
                self._context = self.settings.tls_context()
            except OSError as exc:  # ssl.SSLError is one
                where = self.settings.ca_file or "the CA bundle"
                raise self.error(f"cannot load {where}: {safe_text(exc, 120)}") from exc
        return self._context

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            seconds = self.settings.timeout.total_seconds()
            self._client = httpx.AsyncClient(
                headers=self.headers,
                # http:// never speaks TLS: skip loading the CA bundle (~50 ms)
                verify=self.tls_context() if self.settings.tls else False,
                timeout=httpx.Timeout(seconds, connect=self.connect_timeout),
                follow_redirects=False,
            )
        return self._client

    @property
    def connect_timeout(self) -> float:
        return min(self.settings.timeout.total_seconds(), 5.0)

    def send_early(self, path: str, params: Any = None) -> None:
        """Send this GET now, before httpx is even imported; see `early`.

        The next `request` for the same URL takes its answer. Not when the
        environment names a proxy (httpx would go through it, so must we).
        User:password of the configured URL is basic auth in `headers` by now.
        """
        if early.proxied():
            return
        url = _with_query(self.url(path), params)
        try:
            context = self.tls_context() if self.settings.tls else None
            headers = self.headers
        except SourceError:
            return  # httpx's attempt reports it
        self._early[url] = early.send(
            early.Get(
                url,
                headers,
                context,
                self.settings.timeout.total_seconds(),
                self.connect_timeout,
                self.settings.max_bytes,
            )
        )

    async def get_json(self, path: str, params: Any = None) -> Any:
        return await self.request_json("GET", path, params=params)

    async def request_json(
        self, method: str, path: str, params: Any = None, json_body: Any = None
    ) -> Any:
        body = await self.request(method, path, params=params, json_body=json_body)
        if not body or body.isspace():  # (not .strip(): a copy of 20 MB to test it)
            return None
        try:
            return await off_loop(len(body), OFFLOAD_BYTES, loads, body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.json_error(body, exc) from exc

    def json_error(self, body: bytes, exc: ValueError) -> SourceError:
        """An answer that is not JSON, in one line."""
        snippet = safe_text(body[:80].decode("utf-8", "replace"), 80)
        if body[:4096].lstrip()[:1] in (b"<", b""):
            return self.error(f"response is not JSON (looks like HTML): {snippet}")
        return self.error(f"invalid JSON: {exc}")

    async def request(
        self,
        method: str,
        path: str,
        params: Any = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        return b"".join(
            await self.request_chunks(method, path, params, json_body, content, headers)
        )

    async def request_chunks(
        self,
        method: str,
        path: str,
        params: Any = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        feed: PieceFeed | None = None,
    ) -> list[bytes]:
        """The answer's body as it arrived, in pieces: a caller that decodes it piece by
        piece (and drops each piece once decoded) never holds it whole, let alone twice
        (pieces and their join) as a 20 MB storm answer was.

        Given a `feed`, a successful answer's pieces go to it as they arrive (for a
        reader in another thread) and none are returned; the caller closes it."""
        url = self.url(path)
        plain_get = method == "GET" and json_body is None and content is None and headers is None
        if self._early and plain_get:
            sent = self._early.pop(_with_query(url, params), None)
            if sent is not None:
                outcome = await sent.wait()
                if isinstance(outcome, early.Answer):
                    if outcome.pieces is None:
                        raise self.too_large()
                    if outcome.status >= 400:
                        body = b"".join(outcome.pieces)
                        return [self._accept(outcome.status, outcome.reason, body)]
                    if feed is not None:
                        for piece in outcome.pieces:
                            feed.put(piece)
                        return []
                    return outcome.pieces
                if outcome is early.Timeout.CONNECT:
                    raise self.error(self._connect_timed_out())
                if outcome is early.Timeout.READ:
                    raise self.error(self._no_answer())
                if outcome is early.Timeout.BODY:
                    raise self.error(self._incomplete())
                # any other failure: httpx tries again and names it, within what is
                # left of the same deadline (`timeout` bounds the whole exchange)
                left = sent.deadline - time.monotonic()
                if left <= 0:
                    raise self.error(self._incomplete())
                return await self._request(
                    method, url, params, json_body, content, headers, left, feed
                )
        return await self._request(method, url, params, json_body, content, headers, None, feed)

    async def _request(
        self,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        content: bytes | None,
        headers: dict[str, str] | None,
        budget: float | None = None,
        feed: PieceFeed | None = None,
    ) -> list[bytes]:
        client = self.client()
        import asyncio

        import httpx

        # httpx's timeouts bound each read; `timeout` bounds the whole exchange, so
        # a server trickling a byte at a time cannot hold a poll (or a command) forever
        answered = False
        try:
            async with (
                asyncio.timeout(
                    self.settings.timeout.total_seconds() if budget is None else budget
                ) as deadline,
                client.stream(
                    method, url, params=params, json=json_body, content=content, headers=headers
                ) as resp,
            ):
                answered = True
                if early.declared_over(resp.headers.get("content-length"), self.settings.max_bytes):
                    raise self.too_large()
                chunks: list[bytes] = []
                size = 0
                fed = feed if resp.status_code < 400 else None  # an error page is read here
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.settings.max_bytes:
                        raise self.too_large()
                    if fed is not None:
                        fed.put(chunk)
                        waited = await fed.room()
                        if waited:  # our own reader's time, not the server's
                            deadline.reschedule((deadline.when() or 0.0) + waited)
                    else:
                        chunks.append(chunk)
                if resp.status_code >= 400:
                    return [self._accept(resp.status_code, resp.reason_phrase, b"".join(chunks))]
                return chunks
        except SourceError:
            raise
        except httpx.ConnectTimeout as exc:
            raise self.error(self._connect_timed_out()) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise self.error(self._incomplete() if answered else self._no_answer()) from exc
        except httpx.ConnectError as exc:
            raise self.error(_connect_reason(exc)) from exc
        except httpx.RemoteProtocolError as exc:
            raise self.error(f"connection broken: {safe_text(exc, 120)}") from exc
        except httpx.HTTPError as exc:
            raise self.error(f"{type(exc).__name__}: {safe_text(exc, 120)}") from exc

    def _accept(self, status: int, reason: str, body: bytes | None) -> bytes:
        """An answer from either transport; `body` None means it went over the cap."""
        if body is None:
            raise self.too_large()
        if status >= 400:
            raise self.error(self._status_reason(status, reason, body))
        return body

    def _connect_timed_out(self) -> str:
        return f"connect timed out after {self.connect_timeout:g}s"

    def _no_answer(self) -> str:
        return f"no answer within {self.settings.timeout.total_seconds():g}s"

    def _incomplete(self) -> str:
        return f"no complete answer within {self.settings.timeout.total_seconds():g}s"

    def _status_reason(self, status: int, phrase: str, body: bytes) -> str:
        reason = f"HTTP {status} {safe_text(phrase, 40)}".rstrip()
        if status in (401, 403):
            return f"{reason}: check credentials"
        snippet = safe_text(body[:120].decode("utf-8", "replace").strip(), 120)
        return f"{reason}: {snippet}" if snippet else reason

    def too_large(self) -> SourceError:
        mib = self.settings.max_bytes / (1024 * 1024)
        return self.error(f"response over the {mib:g} MiB cap (max_bytes)")

    def error(self, reason: str) -> SourceError:
        """The failure, with any credential a server or a library echoed back cut out."""
        for value in self.settings.secret_values():
            reason = reason.replace(value, "***")
        return SourceError(self.name, reason)

    async def close(self) -> None:
        self._early.clear()  # an unclaimed early GET ends with its daemon thread
        if self._client is not None:
            await self._client.aclose()


def _with_query(url: str, params: Any) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _connect_reason(exc: httpx.ConnectError) -> str:
    """Name the cause a responder can act on; httpx's own text hides the errno."""
    import ssl

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
