"""Triage speed: N new alerts against P response plans (prints figures, asserts nothing).

    python tests/bench/bench_triage.py [--alerts 10000] [--plans 200]

Plans are generated like a real estate of them: most pin an alertname (with a
severity or team matcher), a tenth match by labels only (regex). Alerts spread
over more names than there are plans, so some are unplanned. Prints the time to
load the plans, to store the snapshot, to triage it (first pass: incidents
declared) and to triage it again unchanged (must declare nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from warroom.engine.triage import Triage
from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.plans import load_plans
from warroom.store import open_store
from warroom.store.snapshot import snapshot_digests


def plans_yaml(count: int) -> str:
    docs = []
    for i in range(count):
        if i % 10 == 9:
            match = f'team=~"team-{i % 13}|team-x", severity="critical"'
        else:
            match = f'alertname="App{i}Alert", severity=~"critical|warning"'
        docs.append(
            f"kind: response-plan\nname: plan-{i}\nmatch:\n  alerts: '{match}'\n"
            f'incident:\n  title: "{{name}} on {{labels.cluster}}"\n'
            f"  impact: {{label: severity, critical: 2, warning: 4}}\n"
            f'  dedupe: "plan-{i}/{{labels.cluster}}"\n'
        )
    return "---\n".join(docs)


def alerts(count: int, names: int) -> list[Alert]:
    now = datetime.now(UTC) - timedelta(minutes=10)
    out = []
    for i in range(count):
        labels = {
            "alertname": f"App{i % names}Alert",
            "severity": ("critical", "warning", "info")[i % 3],
            "cluster": f"c{i % 5}",
            "team": f"team-{i % 13}",
            "instance": f"host-{i}:9100",
        }
        out.append(
            Alert(
                "bench",
                fingerprint_of(labels),
                labels["alertname"],
                AlertState.FIRING,
                Severity.parse(labels["severity"]),
                now,
                labels,
                {"summary": "x"},
            )
        )
    return out


async def run(count: int, plan_count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plan_dir = Path(tmp) / "plans"
        plan_dir.mkdir()
        (plan_dir / "plans.yaml").write_text(plans_yaml(plan_count))
        started = time.perf_counter()
        planset = load_plans(plan_dir)
        load_s = time.perf_counter() - started
        assert not planset.errors, planset.errors[:3]
        snapshot = alerts(count, names=int(plan_count * 1.5))
        digests = snapshot_digests(snapshot)
        triage = Triage(planset.plans)
        store = await open_store(Path(tmp) / "w.db")
        try:
            for label in ("first pass", "unchanged"):
                async with store.transaction() as tx:
                    started = time.perf_counter()
                    await tx.apply_snapshot("bench", snapshot, digests)
                    stored_s = time.perf_counter() - started
                    started = time.perf_counter()
                    result = await triage.run(tx, "bench", snapshot, digests, tx.now)
                    triage_s = time.perf_counter() - started
                attached = sum(result.joined.values())
                print(
                    f"{label:11} store {stored_s:6.3f} s   triage {triage_s:6.3f} s"
                    f"   declared {len(result.declared):4}  joined {attached:5}"
                )
            incidents = await store.incidents()
            in_incidents = sum(i.alert_count for i in incidents)
        finally:
            await store.close()
        print(
            f"{count:,} alerts, {plan_count} plans (loaded in {load_s:.3f} s):"
            f" {len(incidents)} incidents holding {in_incidents:,} alerts;"
            f" {count - in_incidents:,} unplanned or info"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--plans", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.alerts, args.plans))


if __name__ == "__main__":
    main()
