"""One kill -9 trial of paging: `warroom engine` killed while pages are claimed and sent,
a second engine taking over, acknowledgements landing before and after the kill.

Shared by the test (a few trials in every run) and `tests/bench/bench_paging_kill.py`
(the full hundred, with figures). Each trial:
- declares a few incidents whose plan pages alice (a loopback PagerDuty and a
  loopback Slack) at once and carol (Slack, again every second) a second later;
- runs two `warroom engine` processes; the stand-ins answer slowly, so the
  holder usually has requests in flight when it is killed at a random moment
  after its first claim;
- acknowledges every incident at a random moment, from this process, through
  the same service `warroom ack` uses;
- expires the dead holder's lease (what its TTL would do, without waiting ten
  seconds), lets the other engine take over, and waits until every row is done.

`check` then holds the outcome against the outbox's promises and returns the
figures the benchmark prints.
"""

from __future__ import annotations

import asyncio
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tests.e2e.loopback import loopback
from tests.notify.standins import PagerDuty
from tests.support.cli import clean_env, warroom_command
from tests.support.paging import (
    ROUTING_KEY,
    Received,
    contact,
    pagerduty_channel,
    pagerduty_wire,
    slack_wire,
    write_config,
)
from tests.support.waiting import wait_until

from warroom.engine.service import Service
from warroom.engine.wiring import paging_of
from warroom.model import Impact
from warroom.plans import load_plans
from warroom.store import open_store

from .helpers import Db, execute, holder_pid, lease_holder, query, spawn, stop

INCIDENTS = 4
IDEMPOTENT = {"page"}  # the PagerDuty channel; "room" (Slack) has no idempotency key


def plans(pd_url: str, slack_url: str) -> str:
    return "---\n".join(
        [
            contact(
                "alice",
                [
                    pagerduty_channel(pd_url),
                    f'{{name: room, type: slack, url: "{slack_url}/services/T/B/alice"}}',
                ],
            ),
            contact(
                "carol",
                [f'{{name: room, type: slack, url: "{slack_url}/services/T/B/carol"}}'],
                "  - {channel: room, after: 0s, retry_every: 1s}",
            ),
            """\
kind: escalation-plan
name: ep
stages:
  - duration: 1s
    targets: [{contact: alice}]
  - duration: 30m
    targets: [{contact: carol}]
""",
            """\
kind: response-plan
name: p
match: {alerts: 'alertname="KillTrial"'}
incident: {title: "kill trial", impact: 2}
engagements: [escalation-plan:ep]
""",
        ]
    )


@dataclass
class Row:
    id: int
    incident: int
    action: str
    target: str
    channel: str
    state: str
    possible_repeat: bool
    attempts: int
    created_at: float
    done_at: float | None


@dataclass
class Trial:
    rows: list[Row]
    acked: dict[int, float]  # incident -> when its acknowledgement committed
    in_flight: set[int]  # rows claimed when the holder died
    pd: PagerDuty
    pd_received: list[Received]
    slack_received: list[Received]
    killed_after: float  # seconds from the first claim to the kill
    took_over: float  # seconds from the kill (lease expired) to the new holder's first claim
    figures: dict[str, int] = field(default_factory=dict)


def _rows(db: Db) -> list[Row]:
    got = query(
        db,
        "SELECT id, incident_id, action, target, channel, state, possible_repeat, attempts,"
        " created_at, done_at FROM outbox ORDER BY id",
    )
    return [
        Row(
            cast(int, r[0]),
            cast(int, r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            bool(r[6]),
            cast(int, r[7]),
            cast(float, r[8]),
            cast("float | None", r[9]),
        )
        for r in got
    ]


def _claimed(db: Db) -> set[int]:
    return {cast(int, r[0]) for r in query(db, "SELECT id FROM outbox WHERE state = 'claimed'")}


async def _declare(db: Db, plans_dir: Path, count: int) -> list[int]:
    paging = paging_of(load_plans(plans_dir, set()))
    store = await open_store(db)
    try:
        service = Service(store, "tester", paging=paging)
        return [
            await service.declare_incident([], "kill trial", Impact.HIGH, plan="p")
            for _ in range(count)
        ]
    finally:
        await store.close()


async def _acknowledge(db: Db, plans_dir: Path, at: dict[int, float]) -> None:
    """Each incident at its moment, in its own transaction, as `warroom ack` does."""
    paging = paging_of(load_plans(plans_dir, set()))
    store = await open_store(db)
    try:
        service = Service(store, "responder", paging=paging)
        for incident, when in sorted(at.items(), key=lambda kv: kv[1]):
            await asyncio.sleep(max(0.0, when - time.time()))
            assert await service.acknowledge(incident)
    finally:
        await store.close()


def _settled(db: Db, incidents: list[int]) -> bool:
    acked = query(db, "SELECT count(*) FROM incidents WHERE acknowledged_at IS NOT NULL")
    left = query(db, "SELECT count(*) FROM outbox WHERE state IN ('pending', 'claimed')")
    return bool(acked and left) and acked[0][0] == len(incidents) and left[0][0] == 0


def run_trial(tmp: Path, rng: random.Random, database: Db | None = None) -> Trial:
    """One trial on `database` (a fresh PostgreSQL URL), or on a new SQLite file."""
    pd, pd_wire = pagerduty_wire(lambda: rng.uniform(0.05, 0.5))
    _slack, sl_wire = slack_wire(lambda: rng.uniform(0.05, 0.5))
    db = tmp / "w.db" if database is None else database
    with loopback(pd_wire) as pd_server, loopback(sl_wire) as slack_server:
        config = write_config(tmp, plans(pd_server.url, slack_server.url), [], db)
        env = {**clean_env(tmp), "PD_KEY": ROUTING_KEY}
        incidents = asyncio.run(_declare(db, tmp / "plans", INCIDENTS))
        command = warroom_command("--config", config, "engine")
        engines = [spawn(command, env), spawn(command, env)]
        acker: threading.Thread | None = None
        failures: list[BaseException] = []
        try:
            holder = wait_until(lambda: lease_holder(db), 30, "an engine to take the lease")
            by_pid = {e.pid: e for e in engines}
            victim = by_pid[holder_pid(holder[0])]
            survivor = next(e for e in engines if e is not victim)
            ack_at = {i: time.time() + rng.uniform(0.3, 4.0) for i in incidents}

            def acknowledge() -> None:
                try:
                    asyncio.run(_acknowledge(db, tmp / "plans", ack_at))
                except BaseException as exc:
                    failures.append(exc)

            acker = threading.Thread(target=acknowledge, daemon=True)
            acker.start()
            wait_until(
                lambda: query(db, "SELECT 1 FROM outbox WHERE attempts > 0 LIMIT 1"),
                30,
                "the holder's first claim",
                interval=0.01,
            )
            first_claim = time.time()
            time.sleep(rng.uniform(0.0, 1.5))
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            killed_after = time.time() - first_claim
            in_flight = _claimed(db)
            # the TTL runs out, at once
            execute(db, "UPDATE lease SET expires_at = 0 WHERE name = 'engine'")
            expired = time.time()
            wait_until(
                lambda: (h := lease_holder(db)) and holder_pid(h[0]) == survivor.pid,
                15,
                "the other engine to take the lease over",
                interval=0.02,
            )
            if in_flight:
                wait_until(
                    lambda: not (_claimed(db) & in_flight),
                    15,
                    "the new holder to take the dead one's rows back",
                    interval=0.01,
                )
            took_over = time.time() - expired
            acker.join(timeout=30)
            assert not failures, failures
            wait_until(
                lambda: _settled(db, incidents),
                60,
                lambda: f"every page to be done: {query(db, 'SELECT key, state FROM outbox')}",
            )
            assert survivor.poll() is None, survivor.stderr.read()  # type: ignore[union-attr]
        finally:
            for engine in engines:
                stop(engine)
            if acker is not None:
                acker.join(timeout=30)
    acked = {
        cast(int, r[0]): cast(float, r[1])
        for r in query(db, "SELECT id, acknowledged_at FROM incidents")
    }
    return Trial(
        _rows(db),
        acked,
        in_flight,
        pd,
        pd_wire.snapshot(),
        sl_wire.snapshot(),
        killed_after,
        took_over,
    )


def _slack_triggers(trial: Trial, incident: int, who: str) -> list[Received]:
    headline = f"Incident #{incident} needs you"
    return [
        r
        for r in trial.slack_received
        if r.path.endswith(f"/{who}") and headline in str(r.body.get("text", ""))
    ]


def _pd_triggers(trial: Trial, incident: int, who: str) -> list[Received]:
    key = f"warroom/incident/{incident}/{who}/page"
    return [
        r
        for r in trial.pd_received
        if r.body.get("event_action") == "trigger" and r.body.get("dedup_key") == key
    ]


def check(trial: Trial) -> dict[str, int]:
    """Assert the outbox's promises after one kill; the trial's figures."""
    figures: Counter[str] = Counter()
    rows = trial.rows
    figures["in flight at the kill"] = len(trial.in_flight)
    figures["non-idempotent in flight"] = sum(
        1 for r in rows if r.id in trial.in_flight and r.channel not in IDEMPOTENT
    )
    marked = {r.id for r in rows if r.possible_repeat}
    # every row the dead holder had claimed, and only those, is marked a possible repeat
    assert marked == trial.in_flight, (marked, trial.in_flight)
    # nothing is left half done, nothing failed
    states = Counter(r.state for r in rows)
    assert set(states) <= {"sent", "cancelled", "unknown"}, states
    for r in rows:  # unknown: a lost outcome not sent again (no key, or acknowledged since)
        if r.state == "unknown":
            assert r.possible_repeat, r

    for incident, acked in trial.acked.items():
        triggers = [r for r in rows if r.incident == incident and r.action == "trigger"]
        late = [r for r in triggers if r.created_at >= acked]
        assert late == [], f"#{incident}: pages written after its acknowledgement: {late}"
        for who, channel, received in (
            ("alice", "page", _pd_triggers(trial, incident, "alice")),
            ("alice", "room", _slack_triggers(trial, incident, "alice")),
            ("carol", "room", _slack_triggers(trial, incident, "carol")),
        ):
            mine = [r for r in triggers if (r.target, r.channel) == (who, channel)]
            sent = [r for r in mine if r.state == "sent"]
            tried = [r for r in mine if r.attempts > 0]
            if channel in IDEMPOTENT:
                key = f"warroom/incident/{incident}/{who}/page"
                alerts = [a for a in trial.pd.alerts if a["dedup_key"] == key]
                # one alert per dedup key, whatever was resent; none lost
                assert len(alerts) == (1 if received else 0), (key, alerts)
                assert not sent or alerts, f"{key}: recorded sent, never arrived"
                for alert in alerts:  # the acknowledge reached it after every trigger
                    assert alert["status"] == "acknowledged", (key, trial.pd.events)
                figures["PagerDuty resends deduplicated"] += max(0, len(received) - 1)
            else:
                repeats = [r for r in received if "may be a duplicate" in str(r.body["text"])]
                first = len(received) - len(repeats)
                # each row arrives once unmarked, at most once more marked "may repeat"
                assert first <= len(tried), (incident, who, first, len(tried))
                assert len(repeats) <= sum(1 for r in tried if r.possible_repeat)
                assert len(received) >= len(sent), f"#{incident} {who}: a page was lost"
                figures["marked duplicates delivered"] += len(repeats)
            # after the acknowledgement commits: only the sends under way when it did,
            # once each (a row the dead holder had claimed is not sent again after it)
            after = [r for r in received if r.at >= acked]
            allowed = sum(
                1
                for r in mine
                if r.state != "cancelled"
                and r.created_at < acked
                and (r.done_at is None or r.done_at >= acked)
            )
            assert len(after) <= allowed, (
                f"#{incident} {who}/{channel}: {len(after)} triggers arrived after the"
                f" acknowledgement, {allowed} were claimed before it"
            )
            figures["triggers after ack (claimed before it)"] += len(after)
    figures["rows cancelled by an acknowledgement"] = states["cancelled"]
    figures["rows sent"] = states["sent"]
    figures["rows not sent again (outcome lost)"] = states["unknown"]
    return dict(figures)


def trial_figures(trial: Trial) -> dict[str, Any]:
    return {**check(trial), "killed_after": trial.killed_after, "took_over": trial.took_over}
