"""`warroom related ID [add TARGET]` and `warroom metrics ID`: an incident's related
items, and the series its Metrics tab draws, for a person or a script.

Listing only reads (never a new database, never a writer's wait); adding goes
through the service, as the console's keys do. URLs are printed as plain text
to be selected, never opened. `metrics` asks the configured sources as the
console would: a source that is down gives a stale chart with its reason and
exit 1, never an empty chart that looks calm.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from typing import Any

from warroom.cli.outcome import EXIT_DONE, EXIT_REFUSED, acting, existing_store
from warroom.cli.output import print_json_line
from warroom.cli.records import iso
from warroom.config import Config
from warroom.model.clock import format_local
from warroom.model.related import RelatedItem
from warroom.model.series import Chart
from warroom.model.text import safe_text

BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 40


def item_record(item: RelatedItem) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "origin": item.origin.value,
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "ref": item.ref,
        "relation": item.relation,
        "source": item.source,
        "actor": item.actor,
        "created_at": iso(item.created_at),
        "size": item.size,
        "sha256": item.sha256,
    }


def item_line(item: RelatedItem) -> str:
    """One line: kind, what it is, where it came from; terminal-safe."""
    what = {
        "incident": f"#{item.ref} {item.relation}",
        "runbook": f"run {item.ref}",
        "silence": f"{item.source}/{item.ref}",
        "metric": f"{item.source}: {item.ref}",
        "attachment": f"{item.size} bytes sha256:{item.sha256}",
        "ticket": f"{item.ref} {item.url}",
    }.get(item.kind.value, item.url)
    title = f"  {item.title}" if item.title else ""
    number = f"[{item.id}] " if item.id is not None else ""
    return safe_text(f"{number}{item.kind.value:<10} {what}{title}  ({item.origin.value})")


async def run_related(
    config: Config, incident_id: int, target: str | None, title: str, as_json: bool
) -> int:
    from warroom.engine import ActionError, Service, current_actor

    if target is not None:
        async with acting(config) as service:
            try:
                added = await service.add_related(incident_id, target, title)
            except ActionError as exc:
                print(f"warroom: related #{incident_id}: {exc}", file=sys.stderr)
                return EXIT_REFUSED
        if as_json:
            print_json_line(item_record(added.item))
        else:
            print(safe_text(f"#{incident_id}: {added.message}"))
        return EXIT_DONE
    async with existing_store(config, read_only=True) as store:
        try:
            items = await Service(store, current_actor()).related(incident_id)
        except ActionError as exc:
            print(f"warroom: {exc}", file=sys.stderr)
            return EXIT_REFUSED
    if as_json:
        print_json_line({"incident": incident_id, "items": [item_record(i) for i in items]})
    else:
        for item in items:
            print(item_line(item))
        if not items:
            print("none")
    return EXIT_DONE


def sparkline(values: list[float], width: int = SPARK_WIDTH) -> str:
    """The last `width` values as block characters, scaled to their own range."""
    values = [v for v in values if v == v][-width:]  # NaN is a gap, not a value
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    if span == 0:
        return BLOCKS[3] * len(values)
    return "".join(BLOCKS[min(7, int((v - low) / span * 8))] for v in values)


def chart_record(chart: Chart) -> dict[str, Any]:
    return {
        "key": chart.key,
        "title": chart.title,
        "query": chart.query,
        "source": chart.source,
        "start": iso(chart.start),
        "end": iso(chart.end),
        "threshold": chart.threshold,
        "operator": chart.operator,
        "stale": chart.stale or None,
        "stale_at": iso(chart.stale_at),
        "fetched_at": iso(chart.fetched_at),
        "marks": [{"at": iso(m.at), "kind": m.kind} for m in chart.marks],
        "series": [
            {"labels": s.labels, "points": [[iso(t), v] for t, v in s.points]} for s in chart.series
        ],
    }


def chart_lines(chart: Chart) -> list[str]:
    head = f"{chart.title}  [{chart.source}]"
    if chart.threshold is not None:
        head += f"  threshold {chart.operator} {chart.threshold:g}"
    out = [safe_text(head)]
    window = f"  {format_local(chart.start, True)} to {format_local(chart.end, True)}"
    out.append(window)
    if chart.stale:
        out.append(safe_text(f"  ✗ stale: {chart.stale}"))
    for series in chart.series:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(series.labels.items()))
        values = [v for _, v in series.points]
        last = f"{values[-1]:g}" if values else "-"
        line = f"  {{{labels}}} {len(values)} pts last {last} {sparkline(values)}"
        out.append(safe_text(line))
    if not chart.series and not chart.stale:
        out.append("  no points in the window")
    return out


async def run_metrics(config: Config, incident_id: int, as_json: bool, now: datetime) -> int:
    from warroom.engine import Service, current_actor
    from warroom.plans import load_plans
    from warroom.sources.registry import build_source

    planset = load_plans(config.plans, {s.name for s in config.sources})

    sources = []
    for spec in config.sources:
        with contextlib.suppress(Exception):  # a broken source: its charts say so
            sources.append(build_source(spec))
    try:
        async with existing_store(config, read_only=True) as store:
            if await store.incident(incident_id) is None:
                print(f"warroom: no incident #{incident_id}", file=sys.stderr)
                return EXIT_REFUSED
            service = Service(store, current_actor(), sources, plans=planset.plans)
            charts = await service.metrics.charts(incident_id, now=now)
    finally:
        for source in sources:
            with contextlib.suppress(Exception):
                await source.close()
    stale = [c for c in charts if c.stale]
    if as_json:
        print_json_line({"incident": incident_id, "charts": [chart_record(c) for c in charts]})
    else:
        for chart in charts:
            print("\n".join(chart_lines(chart)))
        if not charts:
            print("no series: no Prometheus or CloudWatch source knows this incident's alerts")
    for chart in stale:
        print(safe_text(f"warroom: stale: {chart.stale}"), file=sys.stderr)
    return EXIT_REFUSED if stale else EXIT_DONE
