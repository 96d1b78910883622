"""Issue 13's "done when": two bastions, one PostgreSQL.

Two "hosts", each its own config file, state directory and user, each running
`warroom engine` and a console's view of the change feed (`watch_feed.py`, a
separate process), all sharing one PostgreSQL database. Each host polls its own
loopback Alertmanager (both serve the same alerts), so the requests tell which
engine polled; both page alice through one loopback PagerDuty and one Slack.

Checked: exactly one engine polls; an action taken on one host (the CLI, as a
responder's script) reaches the other host's console within a second; killing
the polling engine (kill -9) moves the lease to the other once it has expired,
and an alert that fires after the kill is paged once, by the new holder, while
nothing paged before is paged again and no action is lost.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.loopback import Reply, Request, loopback
from tests.support.cli import clean_env, warroom, warroom_command
from tests.support.paging import (
    ROUTING_KEY,
    contact,
    pagerduty_channel,
    pagerduty_wire,
    slack_wire,
    triggers,
    write_config,
)
from tests.support.waiting import wait_until

from .helpers import HERE, LineReader, holder_pid, lease_holder, query, spawn, stop

LEASE_TTL = 10.0  # warroom.engine.runtime.LEASE_TTL


def _plans(pd_url: str, slack_url: str) -> str:
    return "---\n".join(
        [
            contact(
                "alice",
                [
                    pagerduty_channel(pd_url),
                    f'{{name: room, type: slack, url: "{slack_url}/services/T/B/alice"}}',
                ],
            ),
            "kind: escalation-plan\nname: ep\nstages:\n"
            "  - duration: 30m\n    targets: [{contact: alice}]\n",
            "kind: response-plan\nname: p\nmatch: {alerts: 'alertname=\"TwoHosts\"'}\n"
            'incident: {title: "two hosts", impact: 2, dedupe: "two/{labels.instance}"}\n'
            "engagements: [escalation-plan:ep]\n",
        ]
    )


class Alertmanager:
    """One host's source: the shared firing set, and how often this host asked."""

    def __init__(self, firing: list[str]) -> None:
        self.firing = firing
        self.asked: list[float] = []
        self._lock = threading.Lock()
        self._since = datetime.now(UTC) - timedelta(minutes=2)

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            self.asked.append(time.time())
            names = list(self.firing)
        body = [
            {
                "labels": {"alertname": "TwoHosts", "instance": name},
                "annotations": {"summary": f"{name} is down"},
                "startsAt": self._since.isoformat(),
                "fingerprint": f"two-{name}",
                "status": {"state": "active"},
            }
            for name in names
        ]
        return Reply(200, json.dumps(body).encode())


class Console:
    """A host's console on the feed: waits for a change of one entity."""

    def __init__(self, db: str, env: dict[str, str]) -> None:
        self.proc = spawn([sys.executable, str(HERE / "watch_feed.py"), db], env)
        self.lines = LineReader(self.proc.stdout)
        assert self.lines.next(timeout=20) == "ready", self.proc.stderr.read()  # type: ignore[union-attr]

    def drain(self) -> None:
        """Forget the changes seen so far (a host's console also sees its own)."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.lines.next(timeout=0.3)

    def seen(self, entity: str, entity_id: str, timeout: float = 5.0) -> float:
        """When this console saw a change of (`entity`, `entity_id`)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = self.lines.next(timeout=left)
            assert line is not None, self.proc.stderr.read()  # type: ignore[union-attr]
            batch = json.loads(line)
            if any(e == entity and i == entity_id for _, e, i in batch["changes"]):
                return float(batch["seen_at"])
        raise AssertionError(f"no change of {entity} {entity_id} within {timeout}s")


def _host(tmp: Path, name: str, plans: str, db: str, am_url: str) -> tuple[Path, dict[str, str]]:
    home = tmp / name
    source = f"{{name: am, type: alertmanager, url: '{am_url}', interval: 1s, timeout: 10s}}"
    config = write_config(home, plans, [source], db)
    env = {**clean_env(home), "PD_KEY": ROUTING_KEY, "SUDO_USER": f"{name}-user"}
    return config, env


def _note(config: Path, env: dict[str, str], db: str, text: str) -> float:
    """A note on incident 1 from this host's CLI; when its transaction began (the
    event's time), which is before it committed: latencies from it are upper bounds."""
    done = warroom("--config", config, "note", "1", text, env=env)
    assert done.returncode == 0, done.stderr
    [(at,)] = query(db, "SELECT at FROM timeline WHERE text = ?", (text,))
    return float(at)  # type: ignore[arg-type]


def _settled(db: str) -> bool:
    left = query(db, "SELECT count(*) FROM outbox WHERE state IN ('pending', 'claimed')")
    return bool(left) and left[0][0] == 0


def test_two_bastions_share_one_postgresql(tmp_path: Path, pg_db: str) -> None:
    firing = ["db-1"]
    sources = {"a": Alertmanager(firing), "b": Alertmanager(firing)}
    pd, pd_wire = pagerduty_wire()
    _slack, slack = slack_wire()
    with (
        loopback(pd_wire) as pd_server,
        loopback(slack) as slack_server,
        loopback(sources["a"]) as am_a,
        loopback(sources["b"]) as am_b,
    ):
        plans = _plans(pd_server.url, slack_server.url)
        hosts = {
            "a": _host(tmp_path, "a", plans, pg_db, am_a.url),
            "b": _host(tmp_path, "b", plans, pg_db, am_b.url),
        }
        engines = {
            h: spawn(warroom_command("--config", c, "engine"), e) for h, (c, e) in hosts.items()
        }
        consoles: dict[str, Console] = {}
        try:
            holder = wait_until(lambda: lease_holder(pg_db), 30, "an engine to take the lease")
            polling = next(h for h, p in engines.items() if p.pid == holder_pid(holder[0]))
            idle = "b" if polling == "a" else "a"
            consoles = {h: Console(pg_db, e) for h, (_, e) in hosts.items()}

            # the alert becomes incident 1, paged once (PagerDuty and Slack)
            wait_until(lambda: pd.alerts, 30, "incident 1 to be paged")
            wait_until(lambda: _settled(pg_db), 30, "the first pages to be done")
            time.sleep(2.0)  # several more polls: only the holder's host is asked
            asked_idle = len(sources[idle].asked)
            assert asked_idle == 0, f"the engine without the lease polled {asked_idle} times"
            assert len(sources[polling].asked) >= 3

            # each host's action reaches the other's console within a second
            latencies = {}
            for acting, watching in (("a", "b"), ("b", "a")):
                config, env = hosts[acting]
                consoles[watching].drain()
                written = _note(config, env, pg_db, f"note from {acting}")
                seen = consoles[watching].seen("timeline", "1")
                latencies[acting] = seen - written
                assert seen - written < 1.0, (
                    f"{watching} saw {acting}'s note {seen - written:.2f}s late"
                )

            # kill -9 the polling engine; the lease moves once it has expired
            _, expires_at = lease_holder(pg_db)  # type: ignore[misc]
            killed = time.time()
            engines[polling].send_signal(signal.SIGKILL)
            engines[polling].wait(timeout=10)
            # while nobody polls, responders still act, and the other host sees it
            config, env = hosts[idle]
            consoles[polling].drain()
            written = _note(config, env, pg_db, "note while the engine is down")
            assert consoles[polling].seen("timeline", "1") - written < 1.0
            firing.append("db-2")  # a new alert fires after the kill
            wait_until(
                lambda: (h := lease_holder(pg_db)) and holder_pid(h[0]) == engines[idle].pid,
                LEASE_TTL + 10,
                "the other engine to take the lease",
                interval=0.05,
            )
            took = time.time() - killed
            for console in consoles.values():
                console.seen("lease", "engine", timeout=5)
            assert took >= expires_at - killed - 0.2, "taken before the dead holder's lease ran out"
            first_by_idle = wait_until(lambda: sources[idle].asked, 10, "the new holder to poll")[0]
            assert first_by_idle >= expires_at - 0.2

            wait_until(lambda: len(pd.alerts) == 2, 30, "incident 2 to be paged")
            wait_until(lambda: _settled(pg_db), 30, "every page to be done")
            time.sleep(2.0)  # a paged-twice would have arrived by now
            for engine in engines.values():
                assert engine is engines[polling] or engine.poll() is None
        finally:
            for proc in [*engines.values(), *(c.proc for c in consoles.values())]:
                stop(proc)

    keys = sorted(a["dedup_key"] for a in pd.alerts)
    assert keys == ["warroom/incident/1/alice/page", "warroom/incident/2/alice/page"], keys
    assert len(triggers(pd_wire)) == 2, "PagerDuty triggered more than once per incident"
    posts = [r for r in slack.snapshot() if r.path.endswith("/alice")]
    assert len(posts) == 2, f"Slack paged {len(posts)} times for two incidents"
    incidents = query(pg_db, "SELECT id, dedupe_key FROM incidents ORDER BY id")
    assert incidents == [(1, "two/db-1"), (2, "two/db-2")], incidents
    notes = query(pg_db, "SELECT actor, text FROM timeline WHERE kind = 'note' ORDER BY id")
    assert notes == [
        ("a-user", "note from a"),
        ("b-user", "note from b"),
        (f"{idle}-user", "note while the engine is down"),
    ], notes
    print(
        f"\ntwo bastions: note seen by the other host's console"
        f" {latencies['a'] * 1000:.0f} ms / {latencies['b'] * 1000:.0f} ms after its"
        f" transaction began; kill -9 take-over after {took:.2f}s"
        f" (lease had {expires_at - killed:.2f}s left); pages: {len(pd.alerts)} PagerDuty"
        f" alerts, {len(triggers(pd_wire))} triggers,"
        f" {len(posts)} Slack posts for 2 incidents"
    )
