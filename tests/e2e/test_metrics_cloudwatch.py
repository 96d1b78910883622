"""A CloudWatch alarm's metric on the incident's chart: DescribeAlarms for what it
watches and its threshold, GetMetricData for the points (moto's server, signed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.test_cloudwatch import aws_env, botocore_client, cw, moto_url

from warroom.engine import Service
from warroom.engine.poller import poll_once
from warroom.model import Impact
from warroom.store import Store, open_store

pytestmark = pytest.mark.e2e
__all__ = ["aws_env", "moto_url"]  # fixtures, used by name


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "w.db")
    try:
        yield s
    finally:
        await s.close()


async def test_an_alarms_metric_against_its_threshold(moto_url: str, store: Store) -> None:
    client = botocore_client(moto_url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    client.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": "i-77"}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": 95.0 - m,
            }
            for m in range(1, 30)
        ],
    )
    client.put_metric_alarm(
        AlarmName="CPU-i-77",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=80,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": "i-77"}],
    )
    client.set_alarm_state(AlarmName="CPU-i-77", StateValue="ALARM", StateReason="94 >= 80")
    source = cw(moto_url)
    try:
        await poll_once(store, source)
        keys = [a.key for a in await store.active_alerts() if a.alert.name == "CPU-i-77"]
        service = Service(store, "tester", [source])
        incident = await service.declare_incident(keys, "cpu", Impact.HIGH)
        (chart,) = await service.metrics.charts(incident)
    finally:
        await source.close()
    assert (chart.threshold, chart.operator, chart.source) == (80.0, ">=", "cw")
    assert chart.query == "AWS/EC2 CPUUtilization{InstanceId=i-77} Maximum 60s"
    assert not chart.stale
    (series,) = chart.series
    assert series.labels == {"__name__": "CPUUtilization", "InstanceId": "i-77"}
    values = [v for _, v in series.points]
    assert values and max(values) == 94.0 and min(values) < 80  # from before it crossed
    first = (await store.incident_alerts(incident))[0].alert.starts_at
    assert min(at for at, _ in series.points) < first


async def test_cloudwatch_down_says_why(store: Store, tmp_path: Path) -> None:
    from tests.e2e.servers import free_port

    from warroom.model import Alert, AlertState, Severity, fingerprint_of

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens
    source = cw(url)
    labels = {
        "alertname": "CPU-i-9",
        "alarm_type": "metric",
        "namespace": "AWS/EC2",
        "metric": "CPUUtilization",
        "dim_InstanceId": "i-9",
    }
    alarm = Alert(
        "cw",
        fingerprint_of(labels),
        "CPU-i-9",
        AlertState.FIRING,
        Severity.WARNING,
        datetime.now(UTC) - timedelta(minutes=5),
        labels,
        {},
    )
    async with store.transaction() as tx:
        await tx.apply_snapshot("cw", [alarm])
    try:
        service = Service(store, "tester", [source])
        incident = await service.declare_incident([alarm.key], "cpu", Impact.HIGH)
        (chart,) = await service.metrics.charts(incident)
    finally:
        await source.close()
    # what the alarm's labels say is still drawn, and why it has no points
    assert chart.query == "AWS/EC2 CPUUtilization{InstanceId=i-9} Average 60s"
    assert chart.stale.startswith("cw: ") and chart.series == ()
