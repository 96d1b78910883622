"""One POST per send, under one deadline, told apart by whether the body left.

Whether a failed exchange may have delivered is what the outbox needs to know:
a connection refused or a deadline before the request body was written
delivered nothing (retry is safe), while a reset or a deadline after it may have
(outcome unknown). httpx's trace events say which; keep-alive is off so a
request never goes out on a connection the server already dropped, which would
blur the two. The deadline bounds the whole exchange, like a source's `timeout`,
so a server that drips one byte a second cannot hold the deliver duty.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from warroom import __version__
from warroom.model.secret import Secret, SecretUnset
from warroom.model.text import safe_text
from warroom.model.value import Value
from warroom.notify.declare import ChannelSpec
from warroom.notify.message import (
    Attempt,
    Delivery,
    Notice,
    backoff,
    failed,
    retry,
    retry_after,
    unknown,
)
from warroom.notify.options import ChannelOptionError, check_url
from warroom.notify.tls import tls_context

if TYPE_CHECKING:
    import httpx

MAX_ANSWER_BYTES = 64 * 1024  # an answer is a status and a line; more is not read

# Slack and Teams webhook URLs are credentials, and httpx logs every request's URL
# at INFO: a console or engine that logs at INFO would write them to a file.
_POSTED: set[str] = set()


class _HideChannelUrls(logging.Filter):
    """Show a channel's URL in httpx's log lines as scheme://host/***, whoever logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _POSTED and isinstance(record.args, tuple):
            record.args = tuple(_hidden(arg) for arg in record.args)
        return True


def _hidden(arg: object) -> object:
    text = str(arg)
    if text not in _POSTED:
        return arg
    scheme, _, rest = text.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].rpartition('@')[2]}/***"


_FILTER = _HideChannelUrls()


class Answer(Value, frozen=True):
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace").strip()


class Lost(Value, frozen=True):
    """No answer: `sent` says whether the whole request had left."""

    sent: bool
    reason: str
    permanent: bool = False  # a TLS certificate rejected: no retry will help


@dataclass
class _Progress:
    body_sent: bool = False
    events: list[str] = field(default_factory=list)

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_body.complete"):
            self.body_sent = True


class HttpChannel:
    """What PagerDuty, Slack, Teams and webhooks share: the exchange and the common statuses."""

    idempotent = False  # a resend is deduplicated by the provider
    backoff_base = timedelta(seconds=5)

    def __init__(self, spec: ChannelSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.type = spec.type
        self.label = spec.label
        self.timeout = spec.timeout()
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"

    def secrets(self) -> tuple[Secret | str, ...]:
        """Values this channel sends that must never show in a line about it."""
        return tuple(v for v in self.spec.options.values() if isinstance(v, Secret))

    def scrub(self, text: str) -> str:
        for value in self.secrets():
            try:
                plain = value.resolve() if isinstance(value, Secret) else value
            except SecretUnset:
                continue
            if len(plain) >= 4:
                text = text.replace(plain, "***")
        return text

    def reveal(self, option: str) -> str:
        """An option's value now (SecretUnset names the variable when it is not set)."""
        value = self.spec.options[option]
        return value.resolve() if isinstance(value, Secret) else str(value)

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            logger = logging.getLogger("httpx")
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
            seconds = self.timeout.total_seconds()
            verify = bool(self.spec.options.get("verify", True))
            ca_file = str(self.spec.options.get("ca_file") or "")
            self._client = httpx.AsyncClient(
                verify=tls_context(verify, ca_file),
                timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
                follow_redirects=False,  # a redirect of a POST is a config mistake here
                limits=httpx.Limits(max_keepalive_connections=0),
                headers={"User-Agent": f"warroom/{__version__}"},
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer | Lost:
        import httpx

        try:  # a URL from a variable is only checked now that it is read
            check_url(url)
            _POSTED.add(str(httpx.URL(url)))
        except (ChannelOptionError, httpx.InvalidURL) as exc:
            return Lost(False, f"not a usable URL: {safe_text(exc, 200)}", permanent=True)
        progress = _Progress()
        seconds = self.timeout.total_seconds()
        _POSTED.add(url)  # as given too, besides as httpx prints it
        answered = False
        try:
            async with (
                asyncio.timeout(seconds),
                self.client().stream(
                    "POST",
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", **headers},
                    extensions={"trace": progress.trace},
                ) as resp,
            ):
                answered = True
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= MAX_ANSWER_BYTES:
                        break
                return Answer(
                    resp.status_code,
                    resp.reason_phrase,
                    {k.lower(): v for k, v in resp.headers.items()},
                    b"".join(chunks)[:MAX_ANSWER_BYTES],
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                return Lost(False, f"connect timed out after {min(seconds, 5.0):g}s")
            if answered:
                return Lost(True, f"no complete answer within {seconds:g}s")
            if progress.body_sent:
                return Lost(True, f"no answer within {seconds:g}s")
            return Lost(False, f"request not sent within {seconds:g}s")
        except httpx.ConnectError as exc:
            return _connect_lost(exc)
        except httpx.HTTPError as exc:  # reset, broken answer, ...
            reason = f"connection broken: {safe_text(exc, 120) or type(exc).__name__}"
            return Lost(progress.body_sent or answered, reason)
        except OSError as exc:
            return Lost(progress.body_sent or answered, f"connection broken: {safe_text(exc, 120)}")

    async def deliver(
        self, url: str, body: bytes, headers: dict[str, str], notice: Notice, attempt: Attempt
    ) -> Delivery:
        """Post once and judge the answer: a lost one, then what every provider's answers
        share (`judge_common`), then this provider's own words (`judge`)."""
        answer = await self.post(url, body, headers)
        if not isinstance(answer, Answer):
            return self.judge_lost(answer, notice, attempt)
        common = self.judge_common(answer, notice, attempt)
        if common is not None:
            return common
        return self.judge(answer, notice, attempt)

    def judge(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery:
        """This provider's reading of an answer `judge_common` left to it."""
        raise NotImplementedError

    def judge_lost(self, lost: Lost, notice: Notice, attempt: Attempt) -> Delivery:
        reason = self.scrub(lost.reason)
        if lost.permanent:
            return failed(self.label, reason)
        if lost.sent:
            return unknown(self.label, f"{reason}: the request was sent, the answer lost")
        return retry(self.label, reason, backoff(attempt.number, notice.key, self.backoff_base))

    def judge_common(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery | None:
        """Redirects, throttling and server errors mean the same to every HTTP channel."""
        status = answer.status
        if 300 <= status < 400:
            return failed(
                self.label,
                f"HTTP {status}: the URL redirects elsewhere and a page is never forwarded;"
                " put the final URL in the channel",
            )
        if status in (408, 425, 429) or status >= 500:
            told = retry_after(answer.headers.get("retry-after"), attempt.now)
            wait = (
                told if told is not None else backoff(attempt.number, notice.key, self.backoff_base)
            )
            what = "rate limited" if status == 429 else self.status_line(answer)
            return retry(self.label, what, wait, told=told is not None)
        return None

    def status_line(self, answer: Answer, limit: int = 120) -> str:
        phrase = f"HTTP {answer.status} {safe_text(answer.reason, 40)}".rstrip()
        snippet = self.scrub(safe_text(answer.text, limit))
        return f"{phrase}: {snippet}" if snippet else phrase

    def unset(self, exc: SecretUnset) -> Delivery:
        return failed(self.label, f"{exc}: set it where the engine runs")


def _connect_lost(exc: Exception) -> Lost:
    import ssl

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            message = safe_text(cause.verify_message, 120)
            return Lost(False, f"TLS certificate rejected: {message} (set ca_file)", permanent=True)
        if isinstance(cause, ConnectionRefusedError):
            return Lost(False, "connection refused")
        if isinstance(cause, socket.gaierror):
            return Lost(False, "host not found")
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Lost(False, "host unreachable")
        cause = cause.__cause__ or cause.__context__
    return Lost(False, f"cannot connect: {safe_text(exc, 120)}")
