"""AWS CloudWatch alarms in ALARM state, metric and composite, via the Query API.

botocore does what must not be hand-written: the credential chain (environment,
shared config and profiles, the bastion's instance role through IMDSv2) and
SigV4 signing. httpx carries the signed requests, so timeouts, the size cap and
failure reasons are the same as for every other source. Needs `warroom[aws]`.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.model.series import CLOUDWATCH_OPERATORS, AlarmMetric, AlertRule, Series
from warroom.model.text import safe_text
from warroom.sources.base import SourceError, SourceSpec
from warroom.sources.http import HttpClient, HttpSettings
from warroom.sources.normalise import MAX_VALUE_CHARS, ShapeError, timestamp

API_VERSION = "2010-08-01"
MAX_PAGES = 100  # 100 alarms a page: 10,000 alarms before we stop and say so


def _strip_ns(tree: ET.Element) -> ET.Element:
    for element in tree.iter():
        if "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return tree


def _text(element: ET.Element | None, path: str) -> str:
    found = None if element is None else element.find(path)
    text = "" if found is None or found.text is None else found.text
    return text[:MAX_VALUE_CHARS]


def alarm_to_alert(
    source: str,
    region: str,
    alarm: ET.Element,
    composite: bool,
    severity: Severity = Severity.WARNING,
) -> Alert:
    """CloudWatch alarms carry no severity; it comes from the source's config."""
    name = _text(alarm, "AlarmName")
    if not name:
        raise ShapeError("an alarm without AlarmName")
    arn = _text(alarm, "AlarmArn") or name
    labels = {
        "alertname": name,
        "region": region,
        "alarm_type": "composite" if composite else "metric",
    }
    if not composite:
        for key, path in (("namespace", "Namespace"), ("metric", "MetricName")):
            if value := _text(alarm, path):
                labels[key] = value
        for dim in alarm.findall("Dimensions/member"):
            labels[f"dim_{_text(dim, 'Name')}"] = _text(dim, "Value")
    else:
        labels["rule"] = _text(alarm, "AlarmRule")
    reason = _text(alarm, "StateReason")
    annotations = {"summary": _text(alarm, "AlarmDescription") or reason, "description": reason}
    updated = _text(alarm, "StateTransitionedTimestamp") or _text(alarm, "StateUpdatedTimestamp")
    return Alert(
        source=source,
        fingerprint=fingerprint_of({"arn": arn}),
        name=name,
        state=AlertState.FIRING,
        severity=severity,
        starts_at=timestamp(updated, f"{name} StateUpdatedTimestamp"),
        labels=labels,
        annotations={k: v for k, v in annotations.items() if v},
        url=(
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#alarmsV2:alarm/{quote(name, safe='')}"
        ),
    )


class CloudWatchSource:
    def __init__(self, spec: SourceSpec) -> None:
        try:
            import botocore.session  # noqa: F401  (fail early with the install hint)
        except ImportError as exc:
            raise SourceError(spec.name, "needs botocore: pip install 'warroom[aws]'") from exc
        self.name = spec.name
        self.interval = spec.interval
        opts = spec.options
        self.region = str(opts.get("region") or "us-east-1")
        self.profile = opts.get("profile")
        self.severity = Severity.parse(opts.get("severity") or "warning")
        endpoint = str(
            opts.get("endpoint_url") or f"https://monitoring.{self.region}.amazonaws.com"
        )
        settings = HttpSettings.from_spec(
            SourceSpec(spec.name, spec.type, spec.interval, endpoint, dict(opts))
        )
        self.endpoint = settings.base_url + "/"
        self.http = HttpClient(spec.name, settings)
        self._credentials: Any = None

    async def _signed_headers(self, body: str) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import BotoCoreError

        try:
            if self._credentials is None:
                # the chain may call IMDS: off the event loop
                self._credentials = await asyncio.to_thread(self._resolve_credentials)
            frozen = await asyncio.to_thread(self._credentials.get_frozen_credentials)
        except BotoCoreError as exc:  # a profile not found, a broken ~/.aws/config, ...
            raise SourceError(self.name, f"AWS credentials: {safe_text(exc, 200)}") from exc
        request = AWSRequest(
            method="POST",
            url=self.endpoint,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        SigV4Auth(frozen, "monitoring", self.region).add_auth(request)
        return dict(request.headers.items())

    def _resolve_credentials(self) -> Any:
        import botocore.session

        session = botocore.session.Session(profile=self.profile)
        credentials = session.get_credentials()
        if credentials is None:
            raise SourceError(
                self.name, "no AWS credentials (environment, profile or instance role)"
            )
        return credentials

    async def call(self, action: str, params: dict[str, str]) -> ET.Element:
        body = urlencode({"Action": action, "Version": API_VERSION, **params})
        headers = await self._signed_headers(body)
        raw = await self.http.request("POST", "/", content=body.encode(), headers=headers)
        try:
            return _strip_ns(ET.fromstring(raw))
        except ET.ParseError as exc:
            raise self.http.error(f"response is not XML: {exc}") from exc

    async def fetch(self) -> list[Alert]:
        alerts: list[Alert] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {
                "StateValue": "ALARM",
                "AlarmTypes.member.1": "MetricAlarm",
                "AlarmTypes.member.2": "CompositeAlarm",
            }
            if token:
                params["NextToken"] = token
            root = await self.call("DescribeAlarms", params)
            result = root.find("DescribeAlarmsResult")
            if result is None:
                raise self.http.error("unexpected response: no DescribeAlarmsResult")
            try:
                for composite, path in (
                    (False, "MetricAlarms/member"),
                    (True, "CompositeAlarms/member"),
                ):
                    alerts.extend(
                        alarm_to_alert(self.name, self.region, alarm, composite, self.severity)
                        for alarm in result.findall(path)
                    )
            except ShapeError as exc:
                raise self.http.error(f"unexpected alarm: {exc}") from exc
            token = _text(result, "NextToken")
            if not token:
                return alerts
        raise self.http.error(f"more than {MAX_PAGES} pages of alarms; narrow the account")

    async def alert_rules(self) -> list[AlertRule]:
        """Every alarm, whatever its state: plan coverage wants the ones not firing too."""
        rules: list[AlertRule] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"AlarmTypes.member.1": "MetricAlarm", "AlarmTypes.member.2": "CompositeAlarm"}
            if token:
                params["NextToken"] = token
            result = (await self.call("DescribeAlarms", params)).find("DescribeAlarmsResult")
            for alarm in [] if result is None else result.iter("member"):
                if alarm.find("AlarmName") is not None:
                    rules.append(
                        AlertRule(
                            name=_text(alarm, "AlarmName"),
                            source=self.name,
                            query=_text(alarm, "MetricName") or _text(alarm, "AlarmRule"),
                            state=_text(alarm, "StateValue").lower(),
                        )
                    )
            token = _text(result, "NextToken")
            if not token:
                break
        return rules

    async def alarm_metric(self, name: str) -> AlarmMetric | None:
        """The metric alarm `name` watches (None for a composite or metric-math alarm,
        which has no single metric to draw)."""
        root = await self.call("DescribeAlarms", {"AlarmNames.member.1": name})
        alarm = root.find("DescribeAlarmsResult/MetricAlarms/member")
        if alarm is None or not _text(alarm, "MetricName"):
            return None
        dims = tuple(
            (_text(d, "Name"), _text(d, "Value")) for d in alarm.findall("Dimensions/member")
        )
        try:
            threshold: float | None = float(_text(alarm, "Threshold"))
        except ValueError:
            threshold = None
        period = _text(alarm, "Period")
        return AlarmMetric(
            namespace=_text(alarm, "Namespace"),
            metric=_text(alarm, "MetricName"),
            dimensions=dims,
            stat=_text(alarm, "Statistic") or _text(alarm, "ExtendedStatistic") or "Average",
            period=int(period) if period.isdigit() else 60,
            threshold=threshold,
            operator=CLOUDWATCH_OPERATORS.get(_text(alarm, "ComparisonOperator"), ""),
        )

    async def metric_data(
        self,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        start: datetime,
        end: datetime,
        period: timedelta = timedelta(minutes=1),
        stat: str = "Average",
    ) -> Series:
        """GetMetricData for one metric, oldest point first."""
        prefix = "MetricDataQueries.member.1"
        params = {
            f"{prefix}.Id": "m1",
            f"{prefix}.MetricStat.Metric.Namespace": namespace,
            f"{prefix}.MetricStat.Metric.MetricName": metric,
            f"{prefix}.MetricStat.Period": str(max(60, int(period.total_seconds()))),
            f"{prefix}.MetricStat.Stat": stat,
            "StartTime": start.astimezone(UTC).isoformat(),
            "EndTime": end.astimezone(UTC).isoformat(),
            "ScanBy": "TimestampAscending",
        }
        for i, (name, value) in enumerate(sorted(dimensions.items()), start=1):
            params[f"{prefix}.MetricStat.Metric.Dimensions.member.{i}.Name"] = name
            params[f"{prefix}.MetricStat.Metric.Dimensions.member.{i}.Value"] = value
        root = await self.call("GetMetricData", params)
        member = root.find("GetMetricDataResult/MetricDataResults/member")
        points: list[tuple[datetime, float]] = []
        if member is not None:
            times = [t.text or "" for t in member.findall("Timestamps/member")]
            values = [v.text or "" for v in member.findall("Values/member")]
            try:
                points = [
                    (timestamp(t, "Timestamp"), float(v))
                    for t, v in zip(times, values, strict=True)
                ]
            except (ShapeError, ValueError) as exc:
                raise self.http.error(f"unexpected metric data: {exc}") from exc
        points.sort(key=lambda p: p[0])
        labels = {"namespace": namespace, "metric": metric, **dimensions}
        return Series(labels, tuple(points))

    async def close(self) -> None:
        await self.http.close()
