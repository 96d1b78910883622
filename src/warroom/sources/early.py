"""A poll's GET sent before the heavy imports, for commands that poll once and exit.

`warroom alerts` makes one request per source. Importing asyncio and httpx
takes about as long (0.1–0.15 s) as Alertmanager takes to build its answer for
10,000 alerts, and the server cannot start until the request arrives. So the
request goes out first, over the standard library in a thread, and the server
works while Python loads; `HttpClient.request` then takes the answer as its
own, through the same status, cap and JSON handling.

Only the exchange is done here, never the judgement: a timeout comes back as
which phase timed out (HttpClient words it), and any other transport failure
comes back as `None`, so httpx sends the request again and names the failure.
Every error message keeps one author.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from enum import Enum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warroom.model.value import Value

if TYPE_CHECKING:
    import asyncio
    import ssl
    from collections.abc import Callable


class Answer(Value, frozen=True):
    status: int
    reason: str
    # the body as read, in pieces (never joined here: a 20 MB answer would be held
    # twice); None: the answer went over the size cap
    pieces: list[bytes] | None


class Timeout(Enum):
    CONNECT = "connect"
    READ = "read"  # no status line and headers within the timeout
    BODY = "body"  # the answer began, but was not complete within the timeout


Outcome = Answer | Timeout | None

_READ_SIZE = 1 << 20
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def declared_over(content_length: str | None, max_bytes: int) -> bool:
    """Whether a Content-Length header already puts the body over the cap."""
    return bool(content_length and content_length.isdigit() and int(content_length) > max_bytes)


def proxied() -> bool:
    """Whether httpx would send through a proxy (it reads these, in either case)."""
    return any(os.environ.get(v) or os.environ.get(v.upper()) for v in _PROXY_VARIABLES)


class Pending:
    """An exchange under way in its thread; `wait` gives its outcome.

    Deliberately not a concurrent.futures.Future: importing that module (and
    logging with it) would delay the very request this module exists to hurry;
    and the thread wakes the event loop itself, so no executor thread is parked
    on it.
    """

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._wake: Callable[[], object] | None = None
        self.outcome: Outcome = None
        # `timeout` is a deadline for the whole exchange, counted from the send
        self.deadline = time.monotonic() + timeout
        self.answered = False  # the status line and headers are in
        self.sock: socket.socket | None = None

    def remaining(self) -> float:
        """Seconds left before the deadline; TimeoutError once it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcome, self._done, wake = outcome, True, self._wake
        if wake is not None:
            with contextlib.suppress(RuntimeError):  # the waiting loop closed: nobody listens
                wake()

    async def wait(self) -> Outcome:
        """The outcome, or a timeout at the deadline whatever the thread is doing.

        The thread bounds each read by the time left, but a server trickling its
        headers byte by byte keeps `getresponse` reading past any deadline: the
        waiter gives up for it and shuts the socket, which ends the thread.
        """
        import asyncio

        loop = asyncio.get_running_loop()
        woken = loop.create_future()
        with self._lock:
            if self._done:
                return self.outcome
            self._wake = lambda: loop.call_soon_threadsafe(_settle, woken)
        try:
            await asyncio.wait_for(woken, max(self.deadline - time.monotonic(), 0.0))
        except TimeoutError:
            with self._lock:
                if not self._done:
                    self._wake = None
                    self._abort()
                    return Timeout.BODY if self.answered else Timeout.READ
        return self.outcome

    def _abort(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # the plain socket's shutdown, even under TLS: SSLSocket's own would
                # drop its SSL object under the thread that is reading with it
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Get(Value, frozen=True):
    url: str  # with its query
    headers: dict[str, str]
    context: ssl.SSLContext | None  # for https: the one httpx would use
    timeout: float
    connect_timeout: float
    max_bytes: int


def send(get: Get) -> Pending:
    """Start the GET in a daemon thread (a hung server must not hold the exit)."""
    # Imported here, not in the thread: there it would share the GIL with the
    # imports that follow, and the request would leave 30-40 ms later.
    import http.client  # noqa: F401

    pending = Pending(get.timeout)

    def run() -> None:
        outcome: Outcome = None  # anything unforeseen leaves None: httpx tries again
        try:
            outcome = exchange(get, pending)
        except Exception:  # a socket shut under a read: the waiter has its answer
            outcome = None
        finally:
            pending.finish(outcome)

    threading.Thread(target=run, name="warroom-early-get", daemon=True).start()
    return pending


def exchange(get: Get, pending: Pending) -> Outcome:
    """The GET, every socket operation bounded by the time left to the deadline."""
    import http.client

    parts = urlsplit(get.url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    try:
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=get.connect_timeout, context=get.context
            )
        else:
            conn = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=get.connect_timeout
            )
    except (ValueError, http.client.HTTPException):
        return None
    try:
        try:
            conn.timeout = min(get.connect_timeout, pending.remaining())
            conn.connect()  # TCP, and the TLS handshake for https
        except TimeoutError:
            return Timeout.CONNECT
        sock = conn.sock
        if sock is None:
            return None
        pending.sock = sock
        sock.settimeout(pending.remaining())
        conn.request("GET", target, headers=get.headers)
        resp = conn.getresponse()
        pending.answered = True
        if declared_over(resp.getheader("content-length"), get.max_bytes):
            return Answer(resp.status, resp.reason, None)
        chunks: list[bytes] = []
        size = 0
        while True:
            # Each read is bounded by the time left; a trickle that keeps a read going
            # past the deadline is cut by the waiter, which shuts the socket (`wait`).
            # (read1 would bound it here too, but costs a third more on a chunked answer.)
            left = pending.remaining()
            if sock.fileno() >= 0:  # the response closes it once the body is in
                sock.settimeout(left)
            chunk = resp.read(_READ_SIZE)
            if not chunk:
                break
            size += len(chunk)
            if size > get.max_bytes:
                return Answer(resp.status, resp.reason, None)
            chunks.append(chunk)
        if resp.length:  # the server closed before the declared length
            return None
        return Answer(resp.status, resp.reason, chunks)
    except TimeoutError:
        return Timeout.BODY if pending.answered else Timeout.READ
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
