"""The config's `smtp:` relay: email channels send through it, `warroom check` names
its mistakes at their place, and its password never shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.cli import clean_env, warroom, warroom_command

from .test_email import Handler, smtp_server

PLANS = """\
kind: contact
name: alice
channels: [{name: mail, type: email, to: alice@example.com}]
"""


def _config(tmp_path: Path, smtp: str) -> Path:
    (tmp_path / "plans").mkdir(exist_ok=True)
    (tmp_path / "plans" / "people.yaml").write_text(PLANS)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"plans: {tmp_path / 'plans'}\ndatabase: {tmp_path / 'w.db'}\n"
        f"sources:\n  - {{name: demo, type: demo}}\nsmtp:\n{smtp}"
    )
    return config


async def test_test_channel_sends_mail_through_the_configured_relay(tmp_path: Path) -> None:
    handler = Handler()
    async with smtp_server(handler) as port:
        config = _config(
            tmp_path,
            f"  host: 127.0.0.1\n  port: {port}\n  from: warroom@bastion.example\n"
            "  security: none\n",
        )
        process = await asyncio.create_subprocess_exec(
            *warroom_command("--config", config, "test-channel", "alice/mail"),
            env=clean_env(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "email alice/mail: sent" in out.decode()
    (message,) = handler.messages
    assert message["To"] == "alice@example.com"
    assert message["From"] == "warroom@bastion.example"


def test_check_names_a_bad_relay_at_its_place_and_never_its_password(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "  host: mail.example.com\n  port: 25\n  from: warroom@bastion.example\n"
        "  security: none\n  username: u\n  password: ${SMTP_PASSWORD}\n",
    )
    env = {**clean_env(tmp_path), "SMTP_PASSWORD": "hunter2-secret"}
    done = warroom("--config", config, "check", env=env)
    assert done.returncode == 1
    assert f"{config}:" in done.stderr + done.stdout
    assert "security none sends mail (and any password) in clear text" in done.stderr + done.stdout
    assert "hunter2-secret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
