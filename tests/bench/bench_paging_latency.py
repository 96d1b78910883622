"""Paging speed with real parts (prints figures, asserts nothing about time).

    python tests/bench/bench_paging_latency.py [--runs 10] [--interval 1s]

A real Alertmanager, `warroom engine` as a process polling it every --interval, a
loopback PagerDuty and Slack. Each run posts a new alert to Alertmanager, so a new
incident pages alice through PagerDuty at once and through Slack 5 s later, then
acknowledges it with `warroom ack` (a separate process) while the Slack page is
still pending. Printed:
- alert posted to Alertmanager -> first PagerDuty trigger on the wire (the target
  is one poll interval + 1 s);
- acknowledgement committed -> PagerDuty acknowledge on the wire;
- pages cancelled by the acknowledgement, and triggers that arrived after it
  committed (the promise is 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.loopback import loopback  # noqa: E402
from tests.e2e.servers import alertmanager, am_alert, post_alerts  # noqa: E402
from tests.process.helpers import lease_holder, query, spawn, stop  # noqa: E402
from tests.support.cli import clean_env, warroom, warroom_command  # noqa: E402
from tests.support.paging import (  # noqa: E402
    ROUTING_KEY,
    Received,
    Wire,
    contact,
    pagerduty_channel,
    pagerduty_wire,
    slack_wire,
    write_config,
)
from tests.support.waiting import wait_until  # noqa: E402

SLACK_AFTER = 5.0  # seconds: alice's second channel, pending when the ack lands


def plans(pd_url: str, slack_url: str) -> str:
    return "---\n".join(
        [
            contact(
                "alice",
                [
                    pagerduty_channel(pd_url),
                    f'{{name: room, type: slack, url: "{slack_url}/services/T/B/alice"}}',
                ],
                f"  - {{channel: page, after: 0s}}\n  - {{channel: room, after: {SLACK_AFTER:g}s}}",
            ),
            """\
kind: response-plan
name: bench
match: {alerts: 'alertname="BenchPage"'}
incident:
  title: "bench {labels.instance}"
  impact: 2
  dedupe: "bench/{labels.instance}"
engagements: [contact:alice]
""",
        ]
    )


def incident_of(db: Path, instance: str) -> int | None:
    rows = query(db, "SELECT id FROM incidents WHERE dedupe_key = ?", (f"bench/{instance}",))
    return cast(int, rows[0][0]) if rows else None


def on_wire(received: list[Received], incident: int, action: str) -> list[Received]:
    key = f"/incident/{incident}/"
    head = f"Incident #{incident} "
    return [
        r
        for r in received
        if (r.body.get("event_action") == action and key in str(r.body.get("dedup_key")))
        or (action == "trigger" and str(r.body.get("text", "")).startswith(head + "needs you"))
    ]


def figures(name: str, values: list[float], target: float | None = None) -> str:
    line = (
        f"{name}: median {statistics.median(values):.2f} s, max {max(values):.2f} s,"
        f" min {min(values):.2f} s"
    )
    if target is not None:
        within = sum(1 for v in values if v <= target)
        line += f"; within {target:g} s: {within}/{len(values)}"
    return line


@dataclass
class Setup:
    db: Path
    config: Path
    env: dict[str, str]
    am_url: str
    pd: Wire
    slack: Wire


@dataclass
class Run:
    first_page: float
    ack_to_wire: float
    ack_command: float
    cancelled: int
    after_ack: int


def one_run(setup: Setup, run: int) -> Run:
    """Post a new alert, wait for its page, acknowledge it while its Slack page is pending."""
    db = setup.db
    instance = f"h{run}"
    posted = time.time()
    post_alerts(setup.am_url, [am_alert("BenchPage", "critical", instance=instance)])
    incident = wait_until(lambda: incident_of(db, instance), 30, "the incident")
    trigger = wait_until(lambda: on_wire(setup.pd.snapshot(), incident, "trigger"), 30, "a page")
    time.sleep(1.0)  # the Slack page is pending (due 5 s after the first)
    started = time.perf_counter()
    acked = warroom("--config", setup.config, "ack", str(incident), env=setup.env)
    ack_command = time.perf_counter() - started
    assert acked.returncode == 0, acked.stderr
    (row,) = query(db, "SELECT acknowledged_at FROM incidents WHERE id = ?", (incident,))
    ack_at = cast(float, row[0])
    ack = wait_until(lambda: on_wire(setup.pd.snapshot(), incident, "acknowledge"), 30, "an ack")
    time.sleep(max(0.0, trigger[0].at + SLACK_AFTER + 1.5 - time.time()))
    everything = setup.pd.snapshot() + setup.slack.snapshot()
    late = [r for r in on_wire(everything, incident, "trigger") if r.at >= ack_at]
    (count,) = query(
        db,
        "SELECT count(*) FROM outbox WHERE incident_id = ? AND state = 'cancelled'",
        (incident,),
    )
    return Run(
        trigger[0].at - posted, ack[0].at - ack_at, ack_command, cast(int, count[0]), len(late)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--interval", default="1s", help="the Alertmanager source's interval")
    args = parser.parse_args()
    interval = float(args.interval.removesuffix("s"))
    pd, pd_w = pagerduty_wire()
    _slack, sl_w = slack_wire()
    first_page: list[float] = []
    ack_to_wire: list[float] = []
    ack_command: list[float] = []
    cancelled = after_ack = 0
    with (
        tempfile.TemporaryDirectory(prefix="warroom-bench-") as name,
        loopback(pd_w) as pd_server,
        loopback(sl_w) as slack_server,
    ):
        tmp = Path(name)
        with alertmanager(tmp / "am") as am_url:
            db = tmp / "w.db"
            source = f"{{name: am, type: alertmanager, url: '{am_url}', interval: {args.interval}}}"
            config = write_config(tmp, plans(pd_server.url, slack_server.url), [source], db)
            env = {**clean_env(tmp), "PD_KEY": ROUTING_KEY}
            engine = spawn(warroom_command("--config", config, "engine"), env)
            try:
                wait_until(lambda: lease_holder(db), 30, "the engine to take the lease")
                time.sleep(interval * 2)  # its first polls are done: posts land mid-cycle
                for run in range(args.runs):
                    got = one_run(Setup(db, config, env, am_url, pd_w, sl_w), run)
                    first_page.append(got.first_page)
                    ack_to_wire.append(got.ack_to_wire)
                    ack_command.append(got.ack_command)
                    cancelled += got.cancelled
                    after_ack += got.after_ack
                    print(
                        f"run {run}: first page {got.first_page:.2f} s after the post,"
                        f" ack -> PagerDuty {got.ack_to_wire:.2f} s, {got.after_ack} after the ack",
                        flush=True,
                    )
            finally:
                stop(engine)
    print(f"\n{args.runs} runs, poll interval {args.interval}, PagerDuty alerts {len(pd.alerts)}")
    print(figures("alert posted -> first page on the wire", first_page, interval + 1))
    print(figures("ack committed -> PagerDuty acknowledge on the wire", ack_to_wire))
    print(figures("`warroom ack` as a process, start to exit", ack_command))
    print(f"pending pages cancelled by the acknowledgements: {cancelled}")
    print(f"triggers on the wire after an acknowledgement committed: {after_ack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
