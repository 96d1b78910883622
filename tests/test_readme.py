"""README.md stays true: its config example loads, its keys exist in the console."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from warroom.config import load_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_config_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.split("## Configuration", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example, "README's Configuration section has a yaml example"
    path = tmp_path / "config.yaml"
    path.write_text(example.group(1))
    monkeypatch.setenv("AM_TOKEN", "secret")
    config = load_config(path)
    assert [s.type for s in config.sources] == [
        "demo",
        "alertmanager",
        "prometheus",
        "cloudwatch",
        "http-json",
    ]
    assert config.keymap == {"incident.acknowledge": "a,k"}


def test_documented_binding_ids_exist() -> None:
    from warroom.cli.keymap_check import binding_scopes

    # every console class with bindings, as `warroom check` finds them
    ids = {binding_id for scope in binding_scopes() for binding_id in scope.keys}
    documented = set(re.findall(r"`([a-z]+\.[a-z_0-9.]+)`", README.split("## Keys", 1)[1]))
    documented = {d for d in documented if not d.endswith("…")}
    missing = {d for d in documented if d not in ids and not d.startswith("app.tab.")}
    assert not missing, f"README documents binding ids that do not exist: {missing}"


def test_plan_example_is_a_valid_plan(tmp_path: Path) -> None:
    from warroom.plans import load_plans

    section = _section("Response plans")
    examples = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(examples) == 2, "README's Response plans section has a plan and an engagement"
    (tmp_path / "p.yaml").write_text("---\n".join(examples))  # they refer to each other
    planset = load_plans(tmp_path, sources={"am"})
    assert planset.errors == [] and [p.name for p in planset.plans] == ["disk-full"]
    assert list(planset.contacts) == ["alice", "bob"]
    assert list(planset.schedules) == ["primary"] and list(planset.escalation_plans) == ["storage"]


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_each_command_is_listed_once() -> None:
    from warroom.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = re.findall(r"^\| `(warroom[^`]*)`", _section("Commands"), re.M)
    words = [c.split() for c in commands if c != "warroom --version"]
    listed = [w[1] if len(w) > 1 and not w[1].startswith("-") else "console" for w in words]
    assert sorted(listed) == sorted(set(listed)), f"listed twice: {listed}"
    assert set(listed) == set(sub.choices), set(listed) ^ set(sub.choices)


def test_no_link_leaves_the_repository() -> None:
    """A README is read in a fresh clone: a path outside it (or a web page) can break."""
    prose = re.sub(r"```.*?```", "", README, flags=re.S)  # config examples name example hosts
    outside = re.findall(r"\]\((?!#)[^)]*\)|\.\./[\w./-]+|https?://\S+", prose)
    assert not outside, outside


def test_several_bastions_setup_is_true(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The section's config line loads, keeping the password a reference, and its
    `warroom migrate` line is a command the parser takes as written."""
    from warroom.cli.main import build_parser
    from warroom.store.opener import pg_address, postgres_url

    section = _section("Several bastions")
    setup, migrate = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert setup.count("&&") == 1 and "createuser" in setup and "createdb -O warroom" in setup
    (example,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    path = tmp_path / "config.yaml"
    path.write_text(example)
    monkeypatch.setenv("PGPASS", "not-in-the-config")
    config = load_config(path)
    assert "not-in-the-config" not in repr(config)
    address = pg_address(postgres_url(config.database) or "")
    assert address.location == "postgresql://db.internal/warroom"
    assert address.connect_args()["password"] == "not-in-the-config"
    args = build_parser().parse_args(migrate.split()[1:])
    assert (args.command, args.source, args.replace) == (
        "migrate",
        "sqlite:/var/lib/warroom/warroom.db",
        False,
    )
    assert postgres_url(args.target) == "postgresql://warroom@db.internal/warroom"
