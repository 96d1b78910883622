"""`warroom check` judges contacts' channels; `warroom test-channel` sends through them.
Real processes, and a loopback Slack that answers as Slack does."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.loopback import loopback
from tests.notify.standins import Slack
from tests.support.cli import clean_env, warroom

from .helpers import locate, split_located, write

CONTACTS = """\
kind: contact
name: ops
channels:
  - {name: room, type: slack, url: "${SLACK_OPS}"}
  - {name: gone, type: slack, url: "${SLACK_GONE}"}
---
kind: contact
name: typo
channels:
  - {name: page, type: pagerduty, routing_kee: abc}
"""


def setup(tmp_path: Path, text: str) -> tuple[Path, Path]:
    plans = write(tmp_path / "plans", "people.yaml", text)
    config = tmp_path / "config.yaml"
    config.write_text(f"plans: {tmp_path / 'plans'}\nsources:\n  - {{name: demo, type: demo}}\n")
    return config, plans


def test_check_reports_a_channels_mistakes_at_the_channel(tmp_path: Path) -> None:
    config, plans = setup(tmp_path, CONTACTS)
    env = {**clean_env(tmp_path), "SLACK_OPS": "https://hooks.slack.com/services/T/B/x"}
    env["SLACK_GONE"] = env["SLACK_OPS"]
    done = warroom("--config", config, "check", env=env)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "contact 'typo'" in line]
    assert errors, done.stderr
    path, line, column, said = split_located(errors[0])
    assert (path, (line, column)) == (str(plans), locate(CONTACTS, "{name: page"))
    assert "routing_kee" in said or "routing_key" in said
    assert "contact 'ops'" not in done.stderr  # its channels are fine


def test_test_channel_sends_and_says_what_became_of_each(tmp_path: Path) -> None:
    good = CONTACTS.split("---\n")[0]
    config, _ = setup(tmp_path, good)
    slack = Slack()
    with loopback(slack) as server:
        env = {
            **clean_env(tmp_path),
            "SLACK_OPS": f"{server.url}/services/T000/B000/XXXXsecret",
            "SLACK_GONE": f"{server.url}/services/T000/B000/XXXXsecret/gone",
        }
        one = warroom("--config", config, "test-channel", "ops/room", env=env)
        both = warroom("--config", config, "test-channel", "ops", env=env)
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("slack ops/room: sent")
    assert len(slack.posted) == 2 and "test message" in slack.posted[0]["text"]
    assert both.returncode == 1  # one channel failed: the script's exit says so
    lines = both.stdout.splitlines()
    assert lines[0].startswith("slack ops/room: sent")
    assert lines[1].startswith("slack ops/gone: failed") and "channel is gone" in lines[1]
    assert "XXXXsecret" not in one.stdout + both.stdout + one.stderr + both.stderr


def test_test_channel_of_an_unknown_contact_or_channel_exits_2(tmp_path: Path) -> None:
    config, _ = setup(tmp_path, CONTACTS.split("---\n")[0])
    env = clean_env(tmp_path)
    nobody = warroom("--config", config, "test-channel", "nobody", env=env)
    assert nobody.returncode == 2 and "no contact named 'nobody' (known: ops)" in nobody.stderr
    no_channel = warroom("--config", config, "test-channel", "ops/sms", env=env)
    assert no_channel.returncode == 2
    assert "contact 'ops' has no channel 'sms' (room, gone)" in no_channel.stderr
