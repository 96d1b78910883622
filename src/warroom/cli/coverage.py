"""`warroom coverage`: the OPS10-BP02 gap, measured -- what could alert with no plan.

Three kinds of things are checked against the response plans: every alert name
the database has seen, every alerting rule of the Prometheus sources, and every
alarm of the CloudWatch sources. Each counts as covered when a plan would match
an alert of it.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime

from warroom.cli.check import plans_for
from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.model import Alert, AlertState, Severity
from warroom.model.value import Value
from warroom.plans import PlanIndex
from warroom.sources.base import RuleSource, SourceError
from warroom.sources.registry import BrokenSource, build_source


class Item(Value, frozen=True):
    kind: str  # alert | rule | alarm
    source: str
    name: str
    plan: str | None


def _probe(source: str, name: str, labels: dict[str, str]) -> Alert:
    labels = {"alertname": name, **labels}
    return Alert(
        source=source,
        fingerprint="",
        name=name,
        state=AlertState.FIRING,
        severity=Severity.parse(labels.get("severity")),
        starts_at=datetime.now(UTC),
        labels=labels,
    )


async def _alert_names(config: Config) -> list[tuple[str, str, dict[str, str]]]:
    """Names the database has seen; none before there is a database (never create one)."""
    from warroom.store import StoreMissing, open_store

    try:
        store = await open_store(config.database, read_only=True)
    except StoreMissing:
        return []
    try:
        return await store.alert_names()
    finally:
        await store.close()


async def run_coverage(config: Config, as_json: bool) -> int:
    planset = plans_for(config)
    for error in planset.errors:
        print(error, file=sys.stderr)
    index = PlanIndex(planset.plans)
    items: dict[tuple[str, str, str], Item] = {}
    for source, name, labels in await _alert_names(config):
        plan = index.match(_probe(source, name, labels))
        items[("alert", source, name)] = Item("alert", source, name, plan.name if plan else None)
    failed = False
    for spec in config.sources:
        built = build_source(spec)
        try:
            if not isinstance(built, RuleSource):
                if isinstance(built, BrokenSource):
                    failed = True
                    print(f"warroom: {spec.name}: {built.reason}", file=sys.stderr)
                continue
            kind = "alarm" if spec.type == "cloudwatch" else "rule"
            for rule in await built.alert_rules():
                labels = dict(rule.labels)
                if spec.type == "cloudwatch":
                    labels.setdefault("alarm_type", "metric")
                plan = index.match(_probe(spec.name, rule.name, labels))
                items[(kind, spec.name, rule.name)] = Item(
                    kind, spec.name, rule.name, plan.name if plan else None
                )
        except SourceError as exc:
            failed = True
            print(f"warroom: {exc} (its rules are not counted)", file=sys.stderr)
        except Exception as exc:  # a source bug: this source's rules are missing, say so
            failed = True
            print(
                f"warroom: {spec.name}: internal error: {type(exc).__name__}: {exc}"
                " (its rules are not counted)",
                file=sys.stderr,
            )
        finally:
            with contextlib.suppress(Exception):
                await built.close()
    ordered = sorted(items.values(), key=lambda i: (i.plan is not None, i.kind, i.source, i.name))
    covered = sum(1 for i in ordered if i.plan)
    percent = 100.0 * covered / len(ordered) if ordered else 100.0
    if as_json:
        print_json_line(
            {
                "covered": covered,
                "total": len(ordered),
                "percent": round(percent, 1),
                "unplanned": [
                    {"kind": i.kind, "source": i.source, "name": i.name}
                    for i in ordered
                    if not i.plan
                ],
                "planned": [
                    {"kind": i.kind, "source": i.source, "name": i.name, "plan": i.plan}
                    for i in ordered
                    if i.plan
                ],
            }
        )
    else:
        print_table(
            ("PLAN", "KIND", "SOURCE", "NAME"),
            [(i.plan or "✗ none", i.kind, i.source, i.name) for i in ordered],
        )
        print(
            f"\n{covered} of {len(ordered)} covered by a response plan ({percent:.1f}%);"
            f" {len(ordered) - covered} unplanned"
        )
    return 1 if failed or planset.errors else 0
