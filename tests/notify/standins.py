"""Loopback stand-ins for the providers, implementing what their docs say they do.

Each is a handler for tests/e2e/loopback.py: PagerDuty keeps alerts by dedup_key
(a trigger on an open alert joins it, after a resolve it opens a new one, an
acknowledge or resolve of no open alert is dropped); Slack answers `ok` or its
plain-text error words; a Teams workflow answers 202 with no body; the webhook
receiver verifies each request with the reference `standardwebhooks` library and
dedupes on webhook-id, as the spec asks receivers to. `FaultServer` misbehaves
below HTTP: it reads the whole request and then resets the connection.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from tests.e2e.loopback import Reply, Request


def require_module(name: str, pip_package: str) -> ModuleType:
    """The test dependency, or a skip on a laptop without it; in CI a failure."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{name} not installed: `pip install {pip_package}` (or -e '.[test]')"
        if os.environ.get("WARROOM_REQUIRE_REAL") == "1":
            pytest.fail(f"{message} (WARROOM_REQUIRE_REAL=1: real components are required)")
        pytest.skip(message, allow_module_level=True)


ROUTING_KEY = "R0123456789abcdefghijklmnopqrst0"  # 32 characters, as PagerDuty's are


def _json(status: int, data: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


@dataclass
class PagerDuty:
    """Events API v2 with its dedup semantics; `throttle` answers 429 that many times."""

    alerts: list[dict[str, Any]] = field(default_factory=list)  # every alert ever opened
    throttle: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def open_alert(self, dedup_key: str) -> dict[str, Any] | None:
        for alert in reversed(self.alerts):
            if alert["dedup_key"] == dedup_key and alert["status"] != "resolved":
                return alert
        return None

    def __call__(self, request: Request) -> Reply:
        if request.path != "/v2/enqueue" or request.method != "POST":
            return _json(404, {"status": "not found"})
        if self.throttle > 0:
            self.throttle -= 1
            return _json(
                429,
                {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly.",
                },
            )
        try:
            event = json.loads(request.body)
        except ValueError:
            return _json(
                400,
                {
                    "status": "invalid event",
                    "message": "Event object is invalid",
                    "errors": ["Invalid JSON"],
                },
            )
        errors = []
        if len(str(event.get("routing_key", ""))) != 32:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid")
        key = event.get("dedup_key")
        if action == "trigger":
            payload = event.get("payload") or {}
            for required in ("summary", "source", "severity"):
                if not payload.get(required):
                    errors.append(f"'payload.{required}' is missing or blank")
            if payload.get("severity") not in (None, "critical", "error", "warning", "info"):
                errors.append("'payload.severity' is invalid")
            if len(str(payload.get("summary", ""))) > 1024:
                errors.append("'payload.summary' is too long")
        elif not key:
            errors.append("'dedup_key' is missing")
        if key is not None and len(str(key)) > 255:
            errors.append("'dedup_key' is too long")
        if errors:
            return _json(
                400,
                {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
            )
        self.events.append(event)
        if action == "trigger":
            key = key or f"generated-{len(self.alerts)}"
            if self.open_alert(key) is None:
                self.alerts.append(
                    {
                        "dedup_key": key,
                        "status": "triggered",
                        "summary": event["payload"]["summary"],
                    }
                )
        else:
            alert = self.open_alert(key)
            if alert is not None:  # else dropped, as PagerDuty does
                alert["status"] = "acknowledged" if action == "acknowledge" else "resolved"
        return _json(202, {"status": "success", "message": "Event processed", "dedup_key": key})


SLACK_ERRORS = {
    "archived": (410, "channel_is_archived"),
    "gone": (404, "channel_not_found"),
    "revoked": (403, "invalid_token"),
    "general": (400, "posting_to_general_channel_denied"),
}


@dataclass
class Slack:
    """An incoming webhook: `/services/T/B/ok` posts, other paths answer Slack's error words."""

    posted: list[dict[str, Any]] = field(default_factory=list)
    throttle: int = 0
    retry_after: str = "7"

    def __call__(self, request: Request) -> Reply:
        text_plain = {"Content-Type": "text/html"}  # Slack labels its plain words so
        if self.throttle > 0:
            self.throttle -= 1
            return Reply(429, b"rate_limited", {**text_plain, "Retry-After": self.retry_after})
        last = request.path.rstrip("/").rsplit("/", 1)[-1]
        if last in SLACK_ERRORS:
            status, word = SLACK_ERRORS[last]
            return Reply(status, word.encode(), text_plain)
        try:
            message = json.loads(request.body)
        except ValueError:
            return Reply(400, b"invalid_payload", text_plain)
        if not message.get("text") and not message.get("blocks"):
            return Reply(400, b"no_text", text_plain)
        self.posted.append(message)
        return Reply(200, b"ok", text_plain)


@dataclass
class Teams:
    """A Workflows trigger: 202 and nothing else once the card is queued."""

    cards: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        if len(request.body) > 28 * 1024:
            return Reply(413, b'{"error":{"code":"MessageTooLarge"}}')
        message = json.loads(request.body)
        attachment = message["attachments"][0]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        self.cards.append(attachment["content"])
        return Reply(202, b"", {})


@dataclass
class Receiver:
    """A Standard Webhooks receiver: verifies with the reference library, dedupes on id."""

    secret: str
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: int = 0
    rejected: list[str] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        standardwebhooks = require_module("standardwebhooks", "standardwebhooks")
        try:
            payload = standardwebhooks.Webhook(self.secret).verify(request.body, request.headers)
        except standardwebhooks.WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return Reply(401, b'{"error": "bad signature"}')
        self.deliveries += 1
        self.seen.setdefault(request.headers["webhook-id"], payload)
        return Reply(204, b"", {})


class FaultServer:
    """Reads one whole HTTP request, then resets the connection (RST, no answer)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.bodies: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with contextlib.suppress(OSError):
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(body) < length:
                    body += conn.recv(65536)
                self.bodies.append(body)
                # linger 0: close() sends RST, as a crashing proxy or a dropped NAT entry does
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    try:
        yield server
    finally:
        server.close()
