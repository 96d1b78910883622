"""An alert storm in Alertmanager's format, served from loopback, for the
responsiveness test and benchmark (a real Alertmanager takes minutes to load
50,000 alerts; the console's work per poll is the same)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def storm_body(count: int) -> bytes:
    """The answer, built an alert at a time (the same bytes as one `json.dumps` of
    the list): a benchmark of the console's memory must not peak on building it."""
    started = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    ends = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    return (
        b"["
        + b", ".join(json.dumps(storm_alert(i, started, ends)).encode() for i in range(count))
        + b"]"
    )


def storm_alert(i: int, started: str, ends: str) -> dict[str, object]:
    return {
        "labels": {
            "alertname": f"Storm{i % 40}",
            "severity": ("critical", "warning", "info")[i % 3],
            "instance": f"host-{i}.example:9100",
            "cluster": f"c{i % 7}",
            "job": "node",
        },
        "annotations": {"summary": f"storm alert {i} on host-{i}"},
        "startsAt": started,
        "endsAt": ends,
        "fingerprint": f"{i:016x}",
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
    }
