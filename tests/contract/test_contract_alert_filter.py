"""The filtered Alerts view picks exactly what the model's `AlertFilter` picks, in the
unfiltered order, on every backend, for text where SQL and Python could disagree:
letters whose case folding differs from lowering (ß, the Kelvin sign, the long s),
labels with quotes and backslashes, a missing label, a word spanning `label=value`,
the summary taken from another annotation, control characters, and regexes."""

from __future__ import annotations

from tests.unit.helpers import T0, make_alert

from warroom.model import Severity
from warroom.model.alert import Alert
from warroom.model.filter import AlertFilter
from warroom.model.value import replace
from warroom.store import Store

TEXTS = (
    "strasse",
    "STRAßE",
    "kelvin",
    "ſtop",
    "stop",
    'path="C:\\\\tmp"',
    'quote=~".*\\".*"',
    "zone!=eu",
    "zone=",
    "zone=eu db",
    "team=db",
    "=db",
    "team=db critical",
    "backlog",
    "bell",
    "instance=~web-[12] firing",
    "alertname!~Disk.* warn",
    "ü",
)


def alerts() -> list[Alert]:
    made = [
        make_alert("DiskFull", severity=Severity.CRITICAL, team="db", zone="eu", instance="web-1"),
        make_alert("DiskFull", team="db", instance="web-2", summary="Straße blocked"),
        make_alert("CpuHigh", team="web", instance="web-3", summary="\u212aelvin scale"),
        make_alert("Latency", team="dbx", zone="us", instance="db-1", summary="\u017ftop it"),
        make_alert("Backups", path="C:\\tmp", quote='say "hi"', summary="bell \x07 rang"),
        make_alert("Über", severity=Severity.INFO, zone="eu", summary=""),
    ]
    queue = make_alert("Queue", team="ops", instance="q-1")
    queue = replace(queue, annotations={"summary": "", "message": "backlog growing"})
    return [*made, queue]


async def test_the_filter_is_the_model_filter_in_the_unfiltered_order(store: Store) -> None:
    async with store.transaction(T0) as tx:
        await tx.apply_snapshot("prom", alerts())
    tracked = {str(t.key): t for t in await store.active_alerts()}
    order = [key for key, _ in await store.shown_alerts("")]
    assert len(order) == 7
    for text in TEXTS:
        wanted = AlertFilter.parse(text)
        expected = [key for key in order if wanted.matches(tracked[key])]
        assert [key for key, _ in await store.shown_alerts(text)] == expected, text
    # the cases mean something: each side of each tricky one is met
    picked = {text: len([k for k in order if AlertFilter.parse(text).matches(tracked[k])])
              for text in ("strasse", "kelvin", "stop", "backlog", "zone!=eu", "bell")}  # fmt: skip
    assert picked == {"strasse": 1, "kelvin": 1, "stop": 1, "backlog": 1, "zone!=eu": 5, "bell": 1}
