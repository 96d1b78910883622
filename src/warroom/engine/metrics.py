"""The series of an incident, for the Metrics tab: which queries, fetched from where.

For each alert of the incident that a Prometheus rule made, the rule's
expression -- from the alert's generatorURL (`g0.expr=`), else from
`/api/v1/rules` matched by name and labels -- split on its comparison: the left
side is drawn over the window from before the first alert to now, the right side
is the threshold line. Queries a responder adds by hand (PromQL, or a CloudWatch
spec written as in a plan's `metrics:`) join them; they are kept with the
incident as related items of kind metric, so every console and `warroom
metrics` draws them.

A source that fails keeps the chart's last points and marks it stale with the
reason, so a Prometheus that is down never looks like a calm graph.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from warroom.model.alert import Alert, TrackedAlert
from warroom.model.clock import utcnow
from warroom.model.promql import expr_from_url, split_comparison
from warroom.model.related import RelatedKind
from warroom.model.series import (
    MARKS,
    AlarmMetric,
    AlertRule,
    Chart,
    Mark,
    Series,
    rule_for,
    scoped,
    step_for,
)
from warroom.model.text import safe_text
from warroom.model.value import Value, replace
from warroom.plans.metric_spec import is_cloudwatch, parse_cloudwatch
from warroom.plans.plan import PlanMetric, ResponsePlan, promql_string
from warroom.plans.templates import Template
from warroom.sources.base import SourceError
from warroom.store import Store

LOOKBACK = timedelta(minutes=60)  # drawn before the first alert
AFTER_RESOLVED = timedelta(minutes=15)
RULES_FOR = 300.0  # seconds a source's rule list is reused
MAX_SERIES = 8  # per chart: more is noise at 80 columns
MAX_QUERY = 2000  # characters of a query typed by hand


@runtime_checkable
class RangeSource(Protocol):
    """A source that answers range queries and lists its alerting rules (Prometheus)."""

    name: str
    url: str

    async def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]: ...

    async def alert_rules(self) -> list[AlertRule]: ...


@runtime_checkable
class AlarmSource(Protocol):
    """A source whose alarms watch one metric each, readable back (CloudWatch)."""

    name: str

    async def alarm_metric(self, name: str) -> AlarmMetric | None: ...

    async def metric_data(
        self,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        start: datetime,
        end: datetime,
        period: timedelta = ...,
        stat: str = ...,
    ) -> Series: ...


class Query(Value, frozen=True):
    """One chart to draw: the expression, where, its threshold and whose labels scope it."""

    key: str
    title: str
    expr: str
    source: str
    threshold: float | None = None
    operator: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    alarm: AlarmMetric | None = None  # a CloudWatch alarm's metric, instead of `expr`


def can_chart(sources: Sequence[object]) -> bool:
    """Whether any of these sources can answer a chart's series."""
    return any(isinstance(s, (RangeSource, AlarmSource)) for s in sources)


def alarm_query(source: str, name: str, alarm: AlarmMetric) -> Query:
    dims = ",".join(f"{k}={v}" for k, v in alarm.dimensions)
    expr = f"{alarm.namespace} {alarm.metric}{{{dims}}} {alarm.stat} {alarm.period}s"
    return Query(
        f"{source}\0{expr}", name, expr, source, alarm.threshold, alarm.operator, alarm=alarm
    )


def alarm_of_labels(labels: Mapping[str, str]) -> AlarmMetric | None:
    """What the CloudWatch source put in an alarm's labels, when DescribeAlarms fails."""
    if labels.get("alarm_type") != "metric" or not labels.get("metric"):
        return None
    dims = tuple(sorted((k[4:], v) for k, v in labels.items() if k.startswith("dim_")))
    return AlarmMetric(labels.get("namespace", ""), labels["metric"], dims)


def query_of(expr: str, title: str, source: str, labels: Mapping[str, str]) -> Query:
    """The chart of an alerting expression: its left side against its threshold."""
    split = split_comparison(expr)
    if split is not None and split.threshold is not None:
        return Query(
            f"{source}\0{split.left}",
            title,
            split.left,
            source,
            split.threshold,
            split.operator,
            tuple(sorted(labels.items())),
        )
    return Query(f"{source}\0{expr}", title, expr, source, labels=tuple(sorted(labels.items())))


class IncidentMetrics:
    def __init__(
        self,
        store: Store,
        sources: Sequence[object],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.sources = {s.name: s for s in sources if isinstance(s, RangeSource)}
        self.alarm_sources = {s.name: s for s in sources if isinstance(s, AlarmSource)}
        self.clock = clock or utcnow
        self.plans: dict[str, ResponsePlan] = {}  # by name: their `metrics:` are drawn
        self._last: dict[tuple[int, str], Chart] = {}
        self._rules: dict[str, tuple[float, list[AlertRule]]] = {}
        self._alarms: dict[tuple[str, str], tuple[float, AlarmMetric | None]] = {}

    @property
    def available(self) -> bool:
        return bool(self.sources or self.alarm_sources)

    def check_query(self, expr: str) -> tuple[str, str]:
        """A query a responder typed, trimmed, and the source to keep it for: PromQL
        for the first Prometheus, or a CloudWatch spec (`cloudwatch: {...}`, as in a
        plan's `metrics:`) for its `source:` or the first CloudWatch source.
        ValueError when unusable."""
        expr = expr.strip()
        if is_cloudwatch(expr):
            expr = " ".join(expr.split())  # one line, as pasted from a plan file
        if not expr:
            raise ValueError("an empty query")
        if len(expr) > MAX_QUERY:
            raise ValueError(f"a query of at most {MAX_QUERY} characters")
        if is_cloudwatch(expr):
            spec = parse_cloudwatch(expr)
            if spec.source is not None and spec.source not in self.alarm_sources:
                raise ValueError(f"no CloudWatch source named {spec.source!r} is configured")
            if not self.alarm_sources:
                raise ValueError("no CloudWatch source is configured to ask")
            return expr, spec.source or next(iter(self.alarm_sources))
        if not self.sources:
            raise ValueError("no Prometheus source is configured to ask")
        return expr, next(iter(self.sources))

    def _source_for(self, alert: TrackedAlert) -> object | None:
        """The Prometheus to ask: the alert's own source, else the one its
        generatorURL points at, else the first configured."""
        if alert.alert.source in self.sources:
            return self.sources[alert.alert.source]
        host = _host(alert.alert.url)
        for source in self.sources.values():
            if host and _host(source.url) == host:
                return source
        return next(iter(self.sources.values()), None)

    async def _rules_of(self, source: RangeSource) -> list[AlertRule]:
        cached = self._rules.get(source.name)
        if cached and time.monotonic() - cached[0] < RULES_FOR:
            return cached[1]
        rules = await source.alert_rules()
        self._rules[source.name] = (time.monotonic(), rules)
        return rules

    async def queries(self, incident_id: int) -> list[Query]:
        """What to draw for this incident: its alerts' rules, then queries by hand."""
        found: dict[str, Query] = {}
        for tracked in await self.store.incident_alerts(incident_id):
            query = await self.alert_query(tracked)
            if query is not None:
                found.setdefault(query.key, query)
        for query in await self._plan_queries(incident_id):
            found.setdefault(query.key, query)
        first = next(iter(self.sources.values()), None)
        for item in await self.store.related_items(incident_id):
            if item.kind is not RelatedKind.METRIC:
                continue
            if is_cloudwatch(item.ref):
                for query in await self._hand_alarm_queries(incident_id, item.ref, item.source):
                    found.setdefault(query.key, query)
                continue
            # the source it was added for, else the first Prometheus (renamed since)
            source = self.sources.get(item.source, first)
            if isinstance(source, RangeSource):
                query = query_of(item.ref, "by hand", source.name, {})
                found.setdefault(query.key, query)
        return list(found.values())

    async def _hand_alarm_queries(self, incident_id: int, text: str, source: str) -> list[Query]:
        """A CloudWatch spec kept by hand, filled in from each of the incident's alerts
        as a plan's would be; one kept by an older version that no longer reads is
        skipped (it stays listed with the incident's related items)."""
        try:
            spec = parse_cloudwatch(text)
        except ValueError:
            return []
        if source in self.alarm_sources:
            spec = replace(spec, source=source)
        incident = await self.store.incident(incident_id)
        plan = incident.plan or "" if incident is not None else ""
        alerts: list[Alert | None] = [
            t.alert for t in await self.store.incident_alerts(incident_id)
        ]
        found: dict[str, Query] = {}
        for alert in alerts or [None]:
            query = self._plan_query(plan, spec, alert)
            if query is not None:
                found.setdefault(query.key, query)
        return list(found.values())

    async def alert_query(self, tracked: TrackedAlert) -> Query | None:
        """The chart of one alert: its rule's left side (or its alarm's metric), None
        when no source knows what made it. The Alerts tab's sparklines draw this too."""
        if tracked.alert.source in self.alarm_sources:
            return await self._alarm_query(tracked)
        source = self._source_for(tracked)
        if not isinstance(source, RangeSource):
            return None
        alert = tracked.alert
        expr = expr_from_url(alert.url)
        if not expr:
            try:
                rule = rule_for(alert.name, alert.labels, await self._rules_of(source))
            except SourceError:
                rule = None  # its chart says stale below, once it is asked
            expr = rule.query if rule else ""
        if not expr and alert.source != source.name:
            return None  # not made by a Prometheus rule we know: nothing of it to draw
        if not expr:  # Prometheus' own alert whose rule is gone: when it fired
            expr = f'ALERTS{{alertname="{_quoted(alert.name)}"}}'
        return query_of(expr, alert.name, source.name, alert.labels)

    async def _plan_queries(self, incident_id: int) -> list[Query]:
        """The plan's `metrics:`, filled in from each of the incident's alerts (label
        values escaped inside PromQL strings); one that needs a label an alert lacks
        is left out for that alert rather than asked with a placeholder in it."""
        incident = await self.store.incident(incident_id)
        plan = self.plans.get(incident.plan or "") if incident is not None else None
        if plan is None or not plan.metrics:
            return []
        alerts: list[Alert | None] = [
            t.alert for t in await self.store.incident_alerts(incident_id)
        ]
        found: list[Query] = []
        for spec in plan.metrics:
            for alert in alerts or [None]:
                query = self._plan_query(plan.name, spec, alert)
                if query is not None and query.key not in {q.key for q in found}:
                    found.append(query)
        return found

    def _plan_query(self, plan: str, spec: PlanMetric, alert: Alert | None) -> Query | None:
        def fill(template: Template, escape: Callable[[str], str] | None) -> str | None:
            if alert is None:
                if template.fields:
                    return None
                return "".join(p for p in template.parts if isinstance(p, str))
            return template.render_strict(alert, plan, escape)

        if spec.promql is not None:
            source = self.sources.get(spec.source or "") or next(iter(self.sources.values()), None)
            expr = fill(spec.promql, promql_string)
            if source is None or not expr:
                return None
            return query_of(expr, spec.title, source.name, {})
        alarm_source = self.alarm_sources.get(spec.source or "") or next(
            iter(self.alarm_sources.values()), None
        )
        if alarm_source is None:
            return None
        dims = []
        for name, template in spec.dimensions:
            value = fill(template, None)
            if value is None:
                return None
            dims.append((name, value))
        metric = AlarmMetric(
            spec.namespace,
            spec.metric,
            tuple(dims),
            spec.stat,
            max(60, int(spec.period.total_seconds()) // 60 * 60),
        )
        return alarm_query(alarm_source.name, spec.title, metric)

    async def _alarm_query(self, tracked: TrackedAlert) -> Query | None:
        """A CloudWatch alarm's metric and threshold, read back with DescribeAlarms."""
        alert = tracked.alert
        source = self.alarm_sources[alert.source]
        key = (source.name, alert.name)
        cached = self._alarms.get(key)
        if cached and time.monotonic() - cached[0] < RULES_FOR:
            alarm = cached[1]
        else:
            try:
                alarm = await source.alarm_metric(alert.name)
                self._alarms[key] = (time.monotonic(), alarm)
            except SourceError:
                alarm = alarm_of_labels(alert.labels)  # drawn without a threshold, stale
        return alarm_query(source.name, alert.name, alarm) if alarm else None

    async def fetch(
        self, query: Query, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        """Every series of `query` as its source answers it, for every target (the
        caller scopes them to an alert's labels); SourceError when the source fails."""
        if query.alarm is not None:
            alarm = query.alarm
            # CloudWatch periods are whole minutes; never finer than the alarm's own
            minutes = max(alarm.period, math.ceil(step.total_seconds() / 60) * 60)
            got = await self.alarm_sources[query.source].metric_data(
                alarm.namespace,
                alarm.metric,
                dict(alarm.dimensions),
                start,
                end,
                timedelta(seconds=minutes),
                alarm.stat,
            )
            return [Series({"__name__": alarm.metric, **dict(alarm.dimensions)}, got.points)]
        return await self.sources[query.source].query_range(query.expr, start, end, step)

    async def window(
        self, incident_id: int, now: datetime | None = None
    ) -> tuple[datetime, datetime] | None:
        incident = await self.store.incident(incident_id)
        if incident is None:
            return None
        alerts = await self.store.incident_alerts(incident_id)
        first = min([a.alert.starts_at for a in alerts] + [incident.created_at])
        now = now or self.clock()
        end = now
        if incident.resolved_at is not None:
            end = min(now, incident.resolved_at + AFTER_RESOLVED)
        return first - LOOKBACK, end

    async def marks(self, incident_id: int) -> tuple[Mark, ...]:
        events = await self.store.timeline(incident_id)
        return tuple(Mark(e.at, str(e.kind)) for e in events if str(e.kind) in MARKS)

    async def charts(
        self, incident_id: int, dots: int = 150, now: datetime | None = None
    ) -> list[Chart]:
        """Every chart of the incident, fetched at once; a failed fetch is a stale chart.
        `now` is the caller's clock (the console's), which ends the window."""
        now = now or self.clock()
        window = await self.window(incident_id, now)
        if window is None:
            return []
        start, end = window
        queries, marks = await self.queries(incident_id), await self.marks(incident_id)
        step = timedelta(seconds=step_for(start, end, dots))
        return list(
            await asyncio.gather(
                *(self._chart(incident_id, q, start, end, step, marks, now) for q in queries)
            )
        )

    async def _chart(
        self,
        incident_id: int,
        query: Query,
        start: datetime,
        end: datetime,
        step: timedelta,
        marks: tuple[Mark, ...],
        now: datetime,
    ) -> Chart:
        title = f"{query.title} · {query.expr}"
        base = Chart(
            query.key,
            title,
            query.expr,
            query.source,
            start,
            end,
            threshold=query.threshold,
            operator=query.operator,
            marks=marks,
        )
        try:
            series = await self.fetch(query, start, end, step)
        except SourceError as exc:
            last = self._last.get((incident_id, query.key))
            kept = last.series if last is not None else ()
            return replace(base, series=kept, stale=safe_text(str(exc), 200), stale_at=now)
        shown = scoped(series, dict(query.labels))[:MAX_SERIES]
        chart = replace(base, series=tuple(shown), fetched_at=now)
        self._last[(incident_id, query.key)] = chart
        return chart


def _host(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url)
        return (parts.hostname, parts.port) if parts.hostname else None
    except ValueError:
        return None


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
