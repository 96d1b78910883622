"""A scriptable HTTP server on loopback, for sources that misbehave on purpose.

`handler(request) -> Reply` decides each answer; a Reply can also hang (accept
and never answer), cut the connection, or trickle a body.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    hang_seconds: float = 0.0  # sleep before answering (a server that never answers)
    cut_after: int | None = None  # send this many body bytes, then drop the connection
    declare_length: bool = True
    trickle_seconds: float = 0.0  # send the body one byte at a time, this far apart
    trickle_head: bool = False  # and the status line and headers too


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    handler: Handler
    requests: list[Request]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        self.server.requests.append(request)
        reply = self.server.handler(request)
        if reply.hang_seconds:
            time.sleep(reply.hang_seconds)
        if reply.trickle_seconds and reply.trickle_head:
            self._trickle(self._head(reply) + reply.body, reply.trickle_seconds)
            return
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.declare_length:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.trickle_seconds:
            self._trickle(reply.body, reply.trickle_seconds)
            return
        body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
        with contextlib.suppress(OSError):
            self.wfile.write(body)
            self.wfile.flush()
        if reply.cut_after is not None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)

    def _head(self, reply: Reply) -> bytes:
        lines = [
            f"HTTP/1.1 {reply.status} Trickle",
            *(f"{k}: {v}" for k, v in reply.headers.items()),
        ]
        if reply.declare_length:
            lines.append(f"Content-Length: {len(reply.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _trickle(self, data: bytes, seconds: float) -> None:
        """Every byte arrives well within a read timeout; the whole never in time."""
        self.close_connection = True
        for i in range(len(data)):
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:
                return  # the client gave up
            time.sleep(seconds)

    do_GET = do_POST = do_DELETE = _serve


@dataclass
class Loopback:
    url: str
    server: _Server

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def set_handler(self, handler: Handler) -> None:
        self.server.handler = handler


@contextlib.contextmanager
def loopback(handler: Handler) -> Iterator[Loopback]:
    server = _Server(("127.0.0.1", 0), _RequestHandler)
    server.handler = handler
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()
