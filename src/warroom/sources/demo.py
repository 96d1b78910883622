"""The built-in demo: a believable night on call, offline, so the console is alive at once.

The scenario is a pure function of wall-clock time within a repeating cycle, so
whichever process holds the lease -- and a new one after a hand-over -- tells
the same story: some alerts burn steadily, some flap, some fire and resolve.
It answers range queries too (`demo_series`), as a Prometheus would for the
rules behind its alerts, so the Metrics tab and the sparklines have lines to draw.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.model.clock import utcnow
from warroom.model.series import AlertRule, Series
from warroom.model.value import Value
from warroom.sources import demo_series
from warroom.sources.base import SourceSpec

CYCLE_SECONDS = 360


class _Scripted(Value, frozen=True):
    name: str
    severity: str
    labels: dict[str, str]
    summary: str
    description: str
    # (from, to) seconds within the cycle while firing; to > CYCLE_SECONDS wraps
    windows: tuple[tuple[int, int], ...]
    pending_for: int = 0


_SCRIPT: tuple[_Scripted, ...] = (
    _Scripted(
        "KubePodCrashLooping",
        "critical",
        {"namespace": "payments", "pod": "payments-api-7d9f8c6b5-x2k4q", "cluster": "prod-eu-1"},
        "Pod payments/payments-api-7d9f8c6b5-x2k4q is crash looping",
        "Pod has restarted 14 times in the last 10 minutes.",
        ((0, CYCLE_SECONDS),),
    ),
    _Scripted(
        "HighErrorRate",
        "critical",
        {"service": "checkout", "cluster": "prod-eu-1", "team": "payments"},
        "checkout 5xx ratio is 7.3% (threshold 2%)",
        "Error budget burn rate 14.4x over 1h.",
        ((20, 250),),
        pending_for=15,
    ),
    _Scripted(
        "DiskAlmostFull",
        "warning",
        {
            "instance": "db-3.prod-eu-1:9100",
            "mountpoint": "/var/lib/postgresql",
            "cluster": "prod-eu-1",
        },
        "Disk /var/lib/postgresql on db-3 is 91% full",
        "Predicted to fill within 6 hours at the current rate.",
        ((0, CYCLE_SECONDS),),
    ),
    _Scripted(
        "DiskAlmostFull",
        "warning",
        {
            "instance": "db-4.prod-eu-1:9100",
            "mountpoint": "/var/lib/postgresql",
            "cluster": "prod-eu-1",
        },
        "Disk /var/lib/postgresql on db-4 is 88% full",
        "Predicted to fill within 11 hours at the current rate.",
        ((60, 300),),
    ),
    _Scripted(
        "TargetDown",
        "warning",
        {"job": "node", "instance": "cache-2.prod-eu-1:9100", "cluster": "prod-eu-1"},
        "Target cache-2.prod-eu-1:9100 of job node is down",
        "Prometheus has not scraped this target for 3 minutes.",
        ((0, 40), (70, 110), (140, 180), (210, 250), (280, 320)),
    ),  # flapping
    _Scripted(
        "LatencyP99High",
        "warning",
        {"service": "search", "route": "/api/v2/query", "cluster": "prod-us-2"},
        "search p99 latency 1.8s (SLO 800ms)",
        "Latency SLO at risk for route /api/v2/query.",
        ((90, 330),),
        pending_for=20,
    ),
    _Scripted(
        "CertificateExpiringSoon",
        "info",
        {"domain": "api.example.com", "issuer": "R11"},
        "TLS certificate for api.example.com expires in 9 days",
        "Renewal by cert-manager has failed twice.",
        ((0, CYCLE_SECONDS),),
    ),
    _Scripted(
        "QueueBacklogGrowing",
        "error",
        {"queue": "email-outbound", "cluster": "prod-us-2", "team": "notifications"},
        "email-outbound backlog 48k messages and growing",
        "Consumers are processing 120 msg/s against 410 msg/s arriving.",
        ((150, 420),),
    ),
    _Scripted(
        "ReplicationLagHigh",
        "critical",
        {"instance": "db-2.prod-us-2:9187", "cluster": "prod-us-2"},
        "Postgres replica db-2 is 312s behind primary",
        "Reads from this replica serve stale data.",
        ((200, 280),),
    ),
    _Scripted(
        "Watchdog",
        "none",
        {"prometheus": "monitoring/k8s"},
        "Alerting pipeline heartbeat",
        "Always firing, to prove the pipeline works end to end.",
        ((0, CYCLE_SECONDS),),
    ),
)


SCENARIOS = ("night", "steady")
# steady: how long before the source started each scripted alert began firing
_STEADY_AGES = (25, 95, 400, 1800, 3600, 5400, 7200, 10800, 14400, 86400)


class DemoSource:
    """`scenario: night` (the default) tells the moving story; `steady` keeps every
    alert firing unchanged, only ageing -- for benchmarks and screenshots."""

    def __init__(self, spec: SourceSpec) -> None:
        self.name = spec.name
        self.interval = spec.interval
        self._speed = float(spec.options.get("speed", 1.0))
        if self._speed <= 0:
            raise ValueError("demo speed must be above 0")
        self._scenario = str(spec.options.get("scenario", "night"))
        if self._scenario not in SCENARIOS:
            raise ValueError(f"demo scenario {self._scenario!r}: one of {', '.join(SCENARIOS)}")
        self._origin = utcnow().timestamp()
        self._seed = int(spec.options.get("seed", 0))
        self.url = ""  # nothing to reach: the series are computed

    async def fetch(self) -> list[Alert]:
        if self._scenario == "steady":
            return [
                self._alert(item, self._origin - age, firing_for=age)
                for item, age in zip(_SCRIPT, _STEADY_AGES, strict=True)
            ]
        return self.snapshot(utcnow())

    def snapshot(self, now: datetime) -> list[Alert]:
        seconds = now.timestamp() * self._speed
        cycle_start = seconds - seconds % CYCLE_SECONDS
        offset = seconds - cycle_start
        alerts = []
        for item in _SCRIPT:
            for start, end in item.windows:
                # a window that runs past the cycle's end continues into the next one
                for shift in (0, -CYCLE_SECONDS):
                    if start + shift <= offset < end + shift:
                        began = cycle_start + start + shift
                        if (start, end) == (0, CYCLE_SECONDS):
                            began = seconds - seconds % 86400  # burning since midnight UTC
                        alerts.append(self._alert(item, began, offset - start - shift))
        return alerts

    def _firing_at(self, index: int, at: float, end: float) -> bool:
        """Whether the script has alert `index` firing (or pending) at `at`; the
        alerts that burn all day started at the midnight before `end`."""
        item = _SCRIPT[index]
        if self._scenario == "steady":
            return at >= self._origin - _STEADY_AGES[index]
        seconds = at * self._speed
        offset = seconds % CYCLE_SECONDS
        for start, stop in item.windows:
            if (start, stop) == (0, CYCLE_SECONDS):
                last = end * self._speed
                return seconds >= last - last % 86400
            if any(start + shift <= offset < stop + shift for shift in (0, -CYCLE_SECONDS)):
                return True
        return False

    async def alert_rules(self) -> list[AlertRule]:
        return demo_series.rules(
            self.name, tuple(i.name for i in _SCRIPT), tuple(i.severity for i in _SCRIPT)
        )

    async def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        """The series of every scripted alert whose rule's left side is `query`
        (nothing for any other query), sampled as Prometheus would: start, start +
        step, ... up to end."""
        expr = query.strip()
        seconds = max(step.total_seconds(), 1.0)
        first, last = start.timestamp(), end.timestamp()
        count = (
            min(int((last - first) // seconds) + 1, demo_series.MAX_POINTS) if last >= first else 0
        )
        found = []
        for index, (item, metric) in enumerate(zip(_SCRIPT, demo_series.METRICS, strict=True)):
            if metric.expr != expr:
                continue
            points = []
            for k in range(count):
                at = first + k * seconds
                firing = self._firing_at(index, at, last)
                value = demo_series.value(metric, self._seed, index, int(at), firing)
                points.append((datetime.fromtimestamp(at, UTC), value))
            found.append(Series(dict(item.labels), tuple(points)))
        return found

    def _alert(self, item: _Scripted, began: float, firing_for: float) -> Alert:
        labels = {"alertname": item.name, "severity": item.severity, **item.labels}
        pending = firing_for < item.pending_for
        return Alert(
            source=self.name,
            fingerprint=fingerprint_of(labels),
            name=item.name,
            state=AlertState.PENDING if pending else AlertState.FIRING,
            severity=Severity.parse(item.severity),
            starts_at=datetime.fromtimestamp(
                began if self._scenario == "steady" else began / self._speed, UTC
            ),
            labels=labels,
            annotations={"summary": item.summary, "description": item.description},
            url=f"https://grafana.example/alerting/list?search={item.name}",
        )

    async def close(self) -> None:
        return None
