"""What the paging tests across processes share: the providers' stand-ins with the time
each request reached them, and the plan and config files that engage them.

The stand-ins run in the test's process on loopback; the engine that pages them is
a real `warroom engine` subprocess, so "on the wire" means what arrived at the
socket, not what the engine believes it sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.loopback import Reply, Request
from tests.notify.standins import ROUTING_KEY, PagerDuty, Slack

__all__ = ["ROUTING_KEY", "Received", "Wire", "pagerduty_wire", "slack_wire"]


@dataclass(frozen=True)
class Received:
    at: float  # time.time() when the request arrived, before any answer
    path: str
    body: dict[str, Any]


@dataclass
class Wire:
    """A stand-in behind a recorder: keeps when each request arrived and answers after
    `delay()` seconds (a slow provider, so a kill lands between claim and record)."""

    handler: Callable[[Request], Reply]
    delay: Callable[[], float] = lambda: 0.0
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Reply:
        arrived = time.time()
        with self._lock:  # the stand-ins keep plain lists: one request at a time
            try:
                body = json.loads(request.body)
            except ValueError:
                body = {}
            self.received.append(Received(arrived, request.path, body))
            reply = self.handler(request)
        reply.hang_seconds = self.delay()
        return reply

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)


def pagerduty_wire(delay: Callable[[], float] = lambda: 0.0) -> tuple[PagerDuty, Wire]:
    pd = PagerDuty()
    return pd, Wire(pd, delay)


def slack_wire(delay: Callable[[], float] = lambda: 0.0) -> tuple[Slack, Wire]:
    slack = Slack()
    return slack, Wire(slack, delay)


def triggers(wire: Wire, dedup_key: str | None = None) -> list[Received]:
    """The PagerDuty triggers that arrived (for one dedup key, or all)."""
    return [
        r
        for r in wire.snapshot()
        if r.body.get("event_action") == "trigger"
        and (dedup_key is None or r.body.get("dedup_key") == dedup_key)
    ]


def contact(name: str, channels: Sequence[str], engagement: str = "") -> str:
    """A contact document; `channels` are flow-style channel mappings."""
    lines = [f"kind: contact\nname: {name}\nchannels:"]
    lines += [f"  - {c}" for c in channels]
    if engagement:
        lines.append(f"engagement:\n{engagement}")
    return "\n".join(lines) + "\n"


def pagerduty_channel(url: str, env: str = "PD_KEY") -> str:
    """Through the loopback PagerDuty; the routing key only as ${ENV}, as a real one."""
    return f'{{name: page, type: pagerduty, routing_key: "${{{env}}}", url: "{url}/v2/enqueue"}}'


def write_config(tmp: Path, plans: str, sources: Sequence[str], database: Path | str) -> Path:
    """config.yaml and plans/all.yaml under `tmp`; the config's path. `sources` are
    flow-style mappings (none: an engine that only escalates and delivers)."""
    (tmp / "plans").mkdir(parents=True, exist_ok=True)
    (tmp / "plans" / "all.yaml").write_text(plans)
    config = tmp / "config.yaml"
    listed = "".join(f"\n  - {s}" for s in sources) or " []"
    config.write_text(f"database: {database}\nplans: ./plans\nsources:{listed}\n")
    return config
