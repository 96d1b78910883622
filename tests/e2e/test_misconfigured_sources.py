"""A misconfigured source, as the commands meet it: found by `check`, never a traceback or a hang.

Options that can never work are config mistakes at `config.yaml:LINE:COL`, for
`check` (exit 1) and for every other command (exit 2, before anything polls).
What no config check can see -- a dependency missing on this host, a profile
missing from ~/.aws -- fails that source with its reason while the others go
on. Every command runs as a separate process with a timeout: a hang fails.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import clean_env
from tests.support.cli import warroom as run_warroom

from warroom.store import open_store

pytestmark = pytest.mark.e2e

GUARD = 60  # seconds; far above any honest run, so only a hang reaches it


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_warroom(*args, env=env or clean_env(tmp_path), timeout=GUARD)


def write_config(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {tmp_path / 'w.db'}\nsources:\n{sources}", encoding="utf-8")
    return path


# One mistake per line; each is (the line, the column, the message).
BAD_SOURCES = """\
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9
    filter: 'team=~"["'
    timeout: 2x
  - name: am2
    type: alertmanager
    url: ftp://127.0.0.1
    filter: ['nonsense', 'a="b"']
    ca_file: /no/such/ca.pem
    headers: {"bad name": x}
    receiver: '(unclosed'
  - name: cw
    type: cloudwatch
    region: eu-west
    severity: urgent
    endpoint_url: http://127.0.0.1:99999
  - name: hj
    type: http-json
    url: http://127.0.0.1:9/api?status=1
    items: result..problems
    fields: {name: title, fingerprint: [id]}
  - name: demo
    type: demo
    scenario: outage
    speed: 0
    interval: 10ms
"""
EXPECTED = [
    (6, 21, """filter 'team=~"["': bad regex '[': unterminated character set"""),
    (7, 14, "'timeout': not a duration: '2x'"),
    (10, 10, "URL 'ftp://127.0.0.1' must start with http:// or https://"),
    (11, 23, "filter 'nonsense': expected one of = != =~ !~ after 'nonsense'"),
    (12, 14, "'ca_file': CA file '/no/such/ca.pem' does not exist"),
    (13, 27, "'headers': header name 'bad name' is not a valid HTTP header name"),
    (14, 15, "'receiver': bad regex '(unclosed': missing ), unterminated subpattern"),
    (17, 13, "'eu-west' is not an AWS region (e.g. eu-west-1)"),
    (18, 15, "unknown severity 'urgent'"),
    (19, 19, "'endpoint_url': not a URL: 'http://127.0.0.1:99999' (Port out of range"),
    (23, 12, "'items': JSON path 'result..problems' has an empty part"),
    (24, 40, "'fields': 'fingerprint' must be a JSON path (a string), got ['id']"),
    (27, 15, "demo scenario 'outage': one of night, steady"),
    (28, 12, "'speed': must be above 0, got 0.0"),
    (29, 15, "interval must be at least 1s"),
]


def assert_every_mistake(path: Path, stderr: str, prefix: str = "") -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == len(EXPECTED), stderr
    for line, (row, column, message) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"{prefix}{path}:{row}:{column}: {message}"), (line, message)
    assert "Traceback" not in stderr


def test_check_reports_every_bad_option_at_its_line_and_column(tmp_path: Path) -> None:
    path = write_config(tmp_path, BAD_SOURCES)
    done = run(tmp_path, "--config", str(path), "check")
    assert done.returncode == 1
    assert_every_mistake(path, done.stderr)


@pytest.mark.parametrize("command", [["alerts"], ["coverage"], ["engine", "--once"]], ids=" ".join)
def test_other_commands_refuse_the_config_with_the_same_lines(
    tmp_path: Path, command: list[str]
) -> None:
    """Before: `alerts` and `coverage` printed a traceback, `engine --once` hung after one."""
    path = write_config(tmp_path, BAD_SOURCES)
    done = run(tmp_path, "--config", str(path), *command)
    assert done.returncode == 2, done.stderr
    # main.py prefixes the whole message once
    first, *rest = done.stderr.splitlines()
    assert first.startswith("warroom: ")
    assert_every_mistake(path, "\n".join([first.removeprefix("warroom: "), *rest]))
    assert done.stdout == ""


def test_a_good_filter_still_passes(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9',"
        """ filter: ['team=~"pay.*"', 'severity!="info"'], timeout: 2s}\n""",
    )
    done = run(tmp_path, "--config", str(path), "check")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# -- what no config check can see: the source fails with its reason, the others go on ---------

AWS = (
    "  - {name: aws, type: cloudwatch, region: eu-west-1, profile: on-call,"
    " endpoint_url: 'http://127.0.0.1:9'}\n"
    "  - {name: demo, type: demo, scenario: steady}\n"
)


def without_botocore(tmp_path: Path) -> dict[str, str]:
    """This host lacks `warroom[aws]`: a `botocore` that cannot be imported shadows the real one."""
    stub = tmp_path / "no-botocore" / "botocore"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('No module named botocore')\n")
    env = clean_env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(stub.parent), env.get("PYTHONPATH", "")) if p
    )
    return env


def without_profile(tmp_path: Path) -> dict[str, str]:
    """~/.aws has no profile `on-call`: botocore says so when the chain is resolved."""
    env = clean_env(tmp_path)
    env["AWS_CONFIG_FILE"] = str(tmp_path / "aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "aws-credentials")
    return env


HOSTS = {
    "no-botocore": (without_botocore, "needs botocore: pip install 'warroom[aws]'"),
    "no-profile": (
        without_profile,
        "AWS credentials: The config profile (on-call) could not be found",
    ),
}


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_alerts_names_the_failed_source_and_prints_the_others(tmp_path: Path, host: str) -> None:
    make_env, reason = HOSTS[host]
    path = write_config(tmp_path, AWS)
    done = run(tmp_path, "--config", str(path), "alerts", env=make_env(tmp_path))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"warroom: aws: {reason}"]
    assert "Watchdog" in done.stdout  # the demo's alerts


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_engine_once_records_the_reason_and_polls_the_others(tmp_path: Path, host: str) -> None:
    make_env, reason = HOSTS[host]
    path = write_config(tmp_path, AWS)
    done = run(tmp_path, "--config", str(path), "engine", "--once", env=make_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "aws: poll failed" in done.stderr
    assert "demo: 10 new" in done.stdout
    health = {h.name: h for h in asyncio.run(source_health(tmp_path / "w.db"))}
    assert reason in (health["aws"].last_error or "")
    assert not health["demo"].failures


def test_coverage_names_the_source_it_could_not_ask(tmp_path: Path) -> None:
    path = write_config(tmp_path, AWS)
    done = run(tmp_path, "--config", str(path), "coverage", env=without_botocore(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "warroom: aws: needs botocore: pip install 'warroom[aws]'" in done.stderr
    assert "covered by a response plan" in done.stdout


async def source_health(path: Path) -> list:  # type: ignore[type-arg]
    store = await open_store(path)
    try:
        return await store.source_health()
    finally:
        await store.close()
