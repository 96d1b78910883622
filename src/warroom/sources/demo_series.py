"""The demo's metrics: one series per scripted alert, crossing its rule's threshold
exactly while the script has the alert firing.

A value is a pure function of the seed, the alert and the sample's time (and the
window's end, for the alerts that burn since midnight), so every process -- the
console, `warroom metrics`, a snapshot test with a frozen clock -- draws the same
line. Noise stays within 40% of the gap to the threshold, so the line never
crosses it by chance: the crossings are the script's.
"""

from __future__ import annotations

import math

from warroom.model.series import AlertRule
from warroom.model.value import Value

MAX_POINTS = 11_000  # what Prometheus would answer at most, per series
NOISE = 0.4  # of the gap between the threshold and the nearer level
WAVE_SECONDS = 900.0  # a slow swell, so a calm line still moves


class DemoMetric(Value, frozen=True):
    """The left side of a scripted alert's rule, its threshold, and its two levels."""

    expr: str
    operator: str = ""
    threshold: float | None = None
    calm: float = 1.0  # while the alert is not firing
    burning: float = 1.0  # while it is
    low: float = -math.inf  # what the quantity can never go below (a ratio's 0)
    high: float = math.inf

    @property
    def rule(self) -> str:
        if self.threshold is None:
            return self.expr
        return f"{self.expr} {self.operator} {self.threshold:g}"


# index-aligned with demo._SCRIPT
METRICS: tuple[DemoMetric, ...] = (
    DemoMetric("increase(kube_pod_container_status_restarts_total[10m])", ">", 3, 0.4, 14, low=0),
    DemoMetric("service:http_5xx_ratio:rate5m", ">", 0.02, 0.004, 0.073, low=0, high=1),
    DemoMetric("disk_used_percent", ">", 85, 79, 91, low=0, high=100),
    DemoMetric("disk_used_percent", ">", 85, 80, 88, low=0, high=100),
    DemoMetric("1 - up", ">", 0.5, 0.02, 0.98, low=0, high=1),
    DemoMetric("route:request_latency_seconds:p99", ">", 0.8, 0.35, 1.8, low=0),
    DemoMetric("cert_expiry_days", "<", 14, 40, 9, low=0),
    DemoMetric("queue_backlog_messages", ">", 20000, 1500, 48000, low=0),
    DemoMetric("pg_replication_lag_seconds", ">", 60, 2, 312, low=0),
    DemoMetric("vector(1)"),
)


def rules(source: str, names: tuple[str, ...], severities: tuple[str, ...]) -> list[AlertRule]:
    """One alerting rule per scripted name (the two disks share theirs)."""
    found: dict[str, AlertRule] = {}
    for name, severity, metric in zip(names, severities, METRICS, strict=True):
        found.setdefault(
            name, AlertRule(name, source, "demo", metric.rule, {"severity": severity}, "")
        )
    return list(found.values())


def value(metric: DemoMetric, seed: int, index: int, at: int, firing: bool) -> float:
    level = metric.burning if firing else metric.calm
    if metric.threshold is None:
        return level
    gap = min(abs(metric.burning - metric.threshold), abs(metric.threshold - metric.calm))
    wave = math.sin(2 * math.pi * (at / WAVE_SECONDS + index / len(METRICS)))
    jitter = _unit(seed, index, at) * 2 - 1
    got = level + NOISE * gap * (0.6 * wave + 0.4 * jitter)
    return min(max(got, metric.low), metric.high)


def _unit(seed: int, index: int, at: int) -> float:
    """A number in [0, 1) from splitmix64: cheap, stable across processes and Pythons
    (hash() of a str is salted per process)."""
    x = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + at) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    return x / 2**64
