"""Where the store is, as the config and `--db` say it: a path, a sqlite URL, or refused."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom


@pytest.mark.parametrize("how", ["config", "--db"])
def test_an_unsupported_url_is_one_line_without_its_password(tmp_path: Path, how: str) -> None:
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    url = "mysql://alice:s3cret@db.internal/warroom"
    if how == "config":
        config.write_text(f"database: {url}\n", encoding="utf-8")
        args: list[str] = ["--config", str(config), "incidents"]
    else:
        config.write_text("sources: []\n", encoding="utf-8")
        args = ["--config", str(config), "--db", url, "ack", "3"]
    result = warroom(*args, env=clean_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "warroom: mysql://alice@db.internal/warroom: 'mysql' stores are not supported yet;"
        " give a file path, sqlite:///ABSOLUTE/PATH or postgresql://USER@HOST/DATABASE"
    ]
    assert "s3cret" not in result.stdout + result.stderr
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yaml"]


def test_a_sqlite_url_in_the_config_is_the_file_it_names(tmp_path: Path) -> None:
    """Not a path relative to the config (which made a directory named `sqlite:`)."""
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    db = tmp_path / "state" / "w.db"
    config.write_text(f"database: sqlite://{db}\n", encoding="utf-8")
    env = clean_env(tmp_path)
    assert warroom("--config", config, "engine", "--once", env=env).returncode == 0
    assert db.is_file()
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yaml"]
    listed = warroom("--db", f"sqlite://{db}", "incidents", env=env)
    assert listed.returncode == 0, listed.stderr


@pytest.mark.parametrize("how", ["config", "--db"])
def test_an_unreachable_postgresql_is_one_line_without_its_password(
    tmp_path: Path, how: str
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = tmp_path / "conf" / "config.yaml"
    config.parent.mkdir()
    url = f"postgresql://alice:s3cret@127.0.0.1:{port}/warroom"
    if how == "config":
        config.write_text(f"database: {url}\n", encoding="utf-8")
        args: list[str] = ["--config", str(config), "incidents"]
    else:
        config.write_text("sources: []\n", encoding="utf-8")
        args = ["--config", str(config), "--db", url, "ack", "3"]
    result = warroom(*args, env=clean_env(tmp_path))
    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith(f"warroom: postgresql://127.0.0.1:{port}/warroom: database unreachable")
    assert "s3cret" not in result.stdout + result.stderr
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yaml"]
