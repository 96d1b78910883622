"""The CloudWatch source: signed requests to moto's server; composite alarms and paging
from a loopback server that answers in CloudWatch's format (moto lacks composites)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.servers import moto_server
from tests.support.cli import warroom

from warroom.model import AlertState, Severity
from warroom.sources.base import SourceError, SourceSpec
from warroom.sources.cloudwatch import CloudWatchSource

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


def cw(url: str, **options: object) -> CloudWatchSource:
    opts = {"region": "eu-west-1", "endpoint_url": url, **options}
    return CloudWatchSource(SourceSpec(name="cw", type="cloudwatch", options=opts))


def botocore_client(url: str):
    import botocore.session

    return botocore.session.get_session().create_client(
        "cloudwatch", region_name="eu-west-1", endpoint_url=url
    )


async def test_alarms_in_alarm_state_from_moto(moto_url: str) -> None:
    client = botocore_client(moto_url)
    for name, instance in (("HighCPU", "i-1"), ("HighCPU-2", "i-2"), ("Quiet", "i-3")):
        client.put_metric_alarm(
            AlarmName=name,
            MetricName="CPUUtilization",
            Namespace="AWS/EC2",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=80,
            ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "InstanceId", "Value": instance}],
            AlarmDescription=f"CPU high on {instance}",
        )
    client.set_alarm_state(AlarmName="HighCPU", StateValue="ALARM", StateReason="95 > 80")
    client.set_alarm_state(AlarmName="HighCPU-2", StateValue="ALARM", StateReason="91 > 80")
    source = cw(moto_url, severity="critical")
    try:
        alerts = await source.fetch()
        rules = await source.alert_rules()
    finally:
        await source.close()
    by_name = {a.name: a for a in alerts}
    assert set(by_name) == {"HighCPU", "HighCPU-2"}
    cpu = by_name["HighCPU"]
    assert cpu.state is AlertState.FIRING
    assert cpu.severity is Severity.CRITICAL
    assert cpu.labels["dim_InstanceId"] == "i-1"
    assert cpu.labels["namespace"] == "AWS/EC2"
    assert cpu.summary == "CPU high on i-1"
    assert cpu.annotations["description"] == "95 > 80"
    assert "alarmsV2:alarm/HighCPU" in cpu.url
    assert {"HighCPU", "HighCPU-2", "Quiet"} <= {r.name for r in rules}


async def test_requests_are_sigv4_signed() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Reply:
        seen.append(request)
        return Reply(body=EMPTY, headers={"Content-Type": "text/xml"})

    with loopback(handler) as server:
        source = cw(server.url)
        try:
            assert await source.fetch() == []
        finally:
            await source.close()
    auth = seen[0].headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/monitoring/aws4_request" in auth
    assert "x-amz-date" in seen[0].headers
    assert b"Action=DescribeAlarms" in seen[0].body
    assert b"StateValue=ALARM" in seen[0].body


EMPTY = b"""<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
<DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult>
</DescribeAlarmsResponse>"""


def composite_page(names: list[str], token: str) -> bytes:
    now = datetime.now(UTC) - timedelta(minutes=3)
    members = "".join(
        f"<member><AlarmName>{n}</AlarmName>"
        f"<AlarmArn>arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{n}</AlarmArn>"
        f"<AlarmRule>ALARM(a) AND ALARM(b)</AlarmRule><StateValue>ALARM</StateValue>"
        f"<StateReason>both children in ALARM</StateReason>"
        f"<StateTransitionedTimestamp>{now.isoformat()}</StateTransitionedTimestamp></member>"
        for n in names
    )
    next_token = f"<NextToken>{token}</NextToken>" if token else ""
    return (
        '<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        f"<DescribeAlarmsResult><MetricAlarms/><CompositeAlarms>{members}</CompositeAlarms>"
        f"{next_token}</DescribeAlarmsResult></DescribeAlarmsResponse>"
    ).encode()


async def test_composite_alarms_and_next_token_paging() -> None:
    def handler(request: Request) -> Reply:
        token = dict(p.split("=", 1) for p in request.body.decode().split("&")).get("NextToken")
        page = {None: (["Checkout-Down"], "page2"), "page2": (["Search-Down"], "")}[token]
        return Reply(body=composite_page(*page), headers={"Content-Type": "text/xml"})

    with loopback(handler) as server:
        source = cw(server.url)
        try:
            alerts = await source.fetch()
        finally:
            await source.close()
        assert len(server.requests) == 2
    assert [a.name for a in alerts] == ["Checkout-Down", "Search-Down"]
    assert alerts[0].labels["alarm_type"] == "composite"
    assert alerts[0].labels["rule"] == "ALARM(a) AND ALARM(b)"
    assert alerts[0].summary == "both children in ALARM"


async def test_garbage_xml_is_a_source_error() -> None:
    with loopback(lambda r: Reply(body=b"<html><body>oops", headers={})) as server:
        source = cw(server.url)
        try:
            with pytest.raises(SourceError, match="not XML"):
                await source.fetch()
        finally:
            await source.close()


async def test_metric_data_from_moto(moto_url: str) -> None:
    client = botocore_client(moto_url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    client.put_metric_data(
        Namespace="App",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Service", "Value": "api"}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": float(m),
            }
            for m in range(1, 4)
        ],
    )
    source = cw(moto_url)
    try:
        series = await source.metric_data(
            "App", "Latency", {"Service": "api"}, now - timedelta(minutes=10), now
        )
    finally:
        await source.close()
    assert sorted(v for _, v in series.points) == [1.0, 2.0, 3.0]
    assert [t for t, _ in series.points] == sorted(t for t, _ in series.points)


def test_coverage_lists_cloudwatch_alarms(moto_url: str, tmp_path: Path) -> None:
    import json

    client = botocore_client(moto_url)
    for name in ("Covered-Alarm", "Lonely-Alarm"):
        client.put_metric_alarm(
            AlarmName=name,
            MetricName="Errors",
            Namespace="App",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "aws.yaml").write_text(
        "kind: response-plan\nname: covered\n"
        'match: {alerts: \'alertname="Covered-Alarm", alarm_type="metric"\'}\n'
        "incident: {title: covered}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"plans: {plans}\nsources:\n  - name: aws\n    type: cloudwatch\n"
        f"    region: eu-west-1\n    endpoint_url: {moto_url}\n"
    )
    result = warroom("--config", str(config), "--db", str(tmp_path / "w.db"), "coverage", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    unplanned = {(u["kind"], u["name"]) for u in report["unplanned"]}
    planned = {(p["kind"], p["name"], p["plan"]) for p in report["planned"]}
    assert ("alarm", "Lonely-Alarm") in unplanned
    assert ("alarm", "Covered-Alarm", "covered") in planned
