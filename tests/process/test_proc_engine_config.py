"""`warroom engine` (running) with one misconfigured source: it polls the others.

Before, one bad option refused the whole config: the engine exited 2 at start and
nothing was polled at all. A real process, as systemd would start it.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.cli import clean_env, warroom_command

from .helpers import LineReader, query, spawn, stop

CONFIG = """\
database: {database}
sources:
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9
    interval: 1s
    timeout: 2x
  - {{name: demo, type: demo, interval: 1s, scenario: steady}}
"""


def test_the_engine_polls_the_good_sources_and_records_why_not_the_bad(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(database=db), encoding="utf-8")
    proc = spawn(warroom_command("--config", path, "engine"), clean_env(tmp_path))
    try:
        errors = LineReader(proc.stderr)
        line = errors.next(timeout=60)
        # the mistake, logged once at start where journald keeps it
        assert line is not None and f"{path}:7:14: 'timeout': not a duration: '2x'" in line
        deadline = time.monotonic() + 60
        health: dict[object, tuple[object, ...]] = {}
        while time.monotonic() < deadline:
            rows = query(db, "SELECT name, last_success, last_error FROM source_health")
            health = {row[0]: row for row in rows}
            if health.get("demo", (None, None))[1] and health.get("am", (0, 0, None))[2]:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the engine must keep running"
        assert health["demo"][1] is not None  # polled
        reason = str(health["am"][2])
        assert reason.startswith("misconfigured: 'timeout': not a duration: '2x'"), reason
        assert f"({path}:7:14)" in reason
    finally:
        stop(proc)
