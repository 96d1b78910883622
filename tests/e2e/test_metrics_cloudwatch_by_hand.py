"""A CloudWatch metric added by hand (the Metrics tab's `p`, issue 12): written as a
plan's `metrics:` CloudWatch spec, kept with the incident as a related item of kind
metric, drawn from moto's server through GetMetricData by any service that opens
the store; a spec with a mistake is refused in one line and never kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.test_cloudwatch import aws_env, botocore_client, cw, moto_url

from warroom.engine import Service
from warroom.engine.poller import poll_once
from warroom.model import Impact
from warroom.model.related import RelatedKind
from warroom.store import Store, open_store

pytestmark = pytest.mark.e2e
__all__ = ["aws_env", "moto_url"]  # fixtures, used by name

SPEC = (
    "cloudwatch: {namespace: AWS/EC2, metric: CPUUtilization,"
    " dimensions: {InstanceId: i-88}, stat: Maximum, period: 1m}"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(tmp_path / "w.db")
    try:
        yield s
    finally:
        await s.close()


def _put(moto_url: str, instance: str) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    botocore_client(moto_url).put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": instance}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": 50.0 + m,
            }
            for m in range(1, 20)
        ],
    )


async def test_a_cloudwatch_spec_by_hand_is_kept_and_drawn(moto_url: str, store: Store) -> None:
    _put(moto_url, "i-88")
    source = cw(moto_url)
    try:
        service = Service(store, "tester", [source])
        incident = await service.declare_incident([], "cpu by hand", Impact.HIGH)
        kept = await service.add_metric_query(incident, f"  {SPEC}\n")
        assert kept == SPEC
        (item,) = [i for i in await store.related_items(incident)]
        assert (item.kind, item.ref, item.source) == (RelatedKind.METRIC, SPEC, "cw")
        # kept once, and read back by a service that never saw it typed
        await service.add_metric_query(incident, SPEC)
        assert len(await store.related_items(incident)) == 1
        (chart,) = await Service(store, "other", [source]).metrics.charts(incident)
    finally:
        await source.close()
    assert chart.title == "by hand · AWS/EC2 CPUUtilization{InstanceId=i-88} Maximum 60s"
    assert chart.source == "cw" and not chart.stale and chart.threshold is None
    (series,) = chart.series
    assert series.labels == {"__name__": "CPUUtilization", "InstanceId": "i-88"}
    assert max(v for _, v in series.points) == 69.0


async def test_a_spec_templated_from_the_incidents_alarm(moto_url: str, store: Store) -> None:
    """`{labels.NAME}` in a dimension is filled from each alert, as in a plan."""
    _put(moto_url, "i-99")
    client = botocore_client(moto_url)
    client.put_metric_alarm(
        AlarmName="CPU-i-99",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=60,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": "i-99"}],
    )
    client.set_alarm_state(AlarmName="CPU-i-99", StateValue="ALARM", StateReason="high")
    source = cw(moto_url)
    try:
        await poll_once(store, source)
        keys = [a.key for a in await store.active_alerts() if a.alert.name == "CPU-i-99"]
        service = Service(store, "tester", [source])
        incident = await service.declare_incident(keys, "cpu", Impact.HIGH)
        await service.add_metric_query(
            incident,
            "{title: Network in, cloudwatch: {namespace: AWS/EC2, metric: NetworkIn,"
            ' dimensions: {InstanceId: "{labels.dim_InstanceId}"}, stat: Sum}}',
        )
        charts = await service.metrics.charts(incident)
    finally:
        await source.close()
    assert [c.title for c in charts] == [
        "CPU-i-99 · AWS/EC2 CPUUtilization{InstanceId=i-99} Maximum 60s",
        "Network in · AWS/EC2 NetworkIn{InstanceId=i-99} Sum 300s",
    ]
    assert not any(c.stale for c in charts)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        (
            "cloudwatch: {namespace: AWS/EC2, metric: X, perid: 5m}",
            "metric:1:45: unknown key 'perid' in cloudwatch (known: namespace, metric,"
            " dimensions, stat, period); did you mean 'period'?",
        ),
        ("cloudwatch: {namespace: AWS/EC2}", "metric:1:13: a CloudWatch metric needs 'metric'"),
        ("cloudwatch: {namespace: [", "metric:1:26: not a CloudWatch spec"),
        (
            "{cloudwatch: {namespace: A, metric: B}, source: prom}",
            "no CloudWatch source named 'prom' is configured",
        ),
    ],
)
async def test_a_spec_with_a_mistake_is_one_line_and_not_kept(
    moto_url: str, store: Store, typed: str, says: str
) -> None:
    source = cw(moto_url)
    try:
        service = Service(store, "tester", [source])
        incident = await service.declare_incident([], "cpu", Impact.HIGH)
        with pytest.raises(ValueError) as refused:
            await service.add_metric_query(incident, typed)
    finally:
        await source.close()
    assert str(refused.value).startswith(says) and "\n" not in str(refused.value)
    assert await store.related_items(incident) == []


async def test_a_spec_without_a_cloudwatch_source_is_refused(store: Store) -> None:
    service = Service(store, "tester", [])
    incident = await service.declare_incident([], "cpu", Impact.HIGH)
    with pytest.raises(ValueError, match="no CloudWatch source is configured to ask"):
        await service.add_metric_query(incident, SPEC)
