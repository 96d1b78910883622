"""`p` on the Metrics tab takes a CloudWatch spec too (issue 12): typed as in a
plan's `metrics:`, drawn from moto's server, kept with the incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.e2e.test_cloudwatch import aws_env, moto_url
from tests.e2e.test_metrics_cloudwatch_by_hand import SPEC, _put
from tests.tui.test_metrics_tab import _opened

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.related import RelatedKind
from warroom.model.value import replace
from warroom.sources.base import SourceSpec

pytestmark = pytest.mark.e2e
__all__ = ["aws_env", "moto_url"]  # fixtures, used by name


async def test_p_adds_a_cloudwatch_metric(console, moto_url: str) -> None:
    _put(moto_url, "i-88")
    options = {"region": "eu-west-1", "endpoint_url": moto_url}
    spec = SourceSpec("cw", "cloudwatch", options=options, interval=timedelta(hours=1))
    console.config = replace(console.config, sources=(spec,))
    async with console.store() as store:
        incident = await Service(store, "bob").declare_incident([], "CPU", Impact.HIGH)
    async with console.start(size=(80, 24)) as ui:
        view = await _opened(ui, incident)
        assert view.charts == {}
        await ui.press("p", *SPEC, "enter")
        await ui.wait_for(lambda: len(view.charts) == 1, 10, "the CloudWatch chart")
        (chart,) = [c.chart for c in view.charts.values()]
        assert chart.title == "by hand · AWS/EC2 CPUUtilization{InstanceId=i-88} Maximum 60s"
        assert chart.points > 0 and not chart.stale
        assert ui.shows("#metrics-status", "1 chart(s)")
        items = await ui.app.store.related_items(incident)
        assert [(i.kind, i.ref, i.source) for i in items] == [(RelatedKind.METRIC, SPEC, "cw")]
