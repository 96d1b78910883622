"""The config file: every mistake is `PATH:LINE: message`, pointing at the right line."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.config import ConfigError, load_config


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WARROOM_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def _write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _error(path: Path) -> tuple[int, str]:
    """Load, expect a ConfigError, return (line, message after the location)."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    match = re.match(rf"^{re.escape(str(path))}:(\d+):(?:\d+:)? (.+)$", text, re.DOTALL)
    assert match, f"not PATH:LINE: message -> {text!r}"
    return int(match.group(1)), match.group(2)


# ---------------------------------------------------------------- good files


def test_good_config(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        # the on-call bastion
        database: state/warroom.db
        plans: plans
        keymap:
          acknowledge: ctrl+a
          resolve: R
        sources:
          - name: demo
            type: demo
            interval: 1m30s
            speed: 2
          - name: demo-fast
            type: demo
            scenario: night
        """,
    )
    config = load_config(path)
    assert config.path == path
    assert config.database == tmp_path / "state" / "warroom.db"  # relative to the file
    assert config.plans == tmp_path / "plans"
    assert config.keymap == {"acknowledge": "ctrl+a", "resolve": "R"}
    first, second = config.sources
    assert (first.name, first.type, first.interval) == ("demo", "demo", timedelta(seconds=90))
    assert first.options == {"speed": 2.0}
    assert isinstance(first.options["speed"], float)
    assert (second.name, second.interval) == ("demo-fast", timedelta(seconds=15))  # default
    assert second.options == {"scenario": "night"}


def test_absolute_and_home_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = _write(tmp_path, "database: ~/w.db\nplans: /srv/plans\n")
    config = load_config(path)
    assert config.database == tmp_path / "home" / "w.db"
    assert config.plans == Path("/srv/plans")


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "# nothing yet\n")
    config = load_config(path)
    assert config.sources == ()
    assert config.database == tmp_path / "xdg-state" / "warroom" / "warroom.db"


def test_env_substitution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WR_DB_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("WR_TOKEN", "s3cret")
    path = _write(
        tmp_path,
        """
        database: ${WR_DB_DIR}/warroom.db
        sources:
          - name: am
            type: alertmanager
            url: http://127.0.0.1:9093
            bearer_token: "${WR_TOKEN}-$${literal}"
        """,
    )
    config = load_config(path)
    assert config.database == tmp_path / "from-env" / "warroom.db"
    # a credential is kept as written and resolved at use (issue #9 item 5)
    assert config.sources[0].options["bearer_token"].resolve() == "s3cret-${literal}"


def test_env_default_when_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WR_UNSET_FOR_TEST", raising=False)
    path = _write(tmp_path, "database: ${WR_UNSET_FOR_TEST:-/var/lib/warroom/w.db}\n")
    assert load_config(path).database == Path("/var/lib/warroom/w.db")
    monkeypatch.setenv("WR_UNSET_FOR_TEST", "/opt/w.db")
    assert load_config(path).database == Path("/opt/w.db")


def test_env_default_may_be_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WR_UNSET_FOR_TEST", raising=False)
    path = _write(
        tmp_path,
        """
        sources:
          - name: demo
            type: demo
            scenario: "stea${WR_UNSET_FOR_TEST:-}dy"
        """,
    )
    assert load_config(path).sources[0].options["scenario"] == "steady"


# ---------------------------------------------------------------- missing files


def test_missing_default_file_is_not_an_error(tmp_path: Path) -> None:
    config = load_config(None)
    assert config.sources == ()
    assert config.path is None
    assert config.database == tmp_path / "xdg-state" / "warroom" / "warroom.db"


def test_default_file_is_found_under_xdg_config_home(tmp_path: Path) -> None:
    home = tmp_path / "xdg-config" / "warroom"
    home.mkdir(parents=True)
    path = _write(home, "sources:\n  - {name: demo, type: demo}\n")
    config = load_config(None)
    assert config.path == path
    assert [s.name for s in config.sources] == ["demo"]


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(str(path))
    assert "no such config file" in str(info.value)


def test_missing_file_named_by_env_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.yaml"
    monkeypatch.setenv("WARROOM_CONFIG", str(path))
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(None)


def test_required_default_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(None, required=True)


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param(
            """
            database: w.db
            sources: []
            colour: red
            """,
            3,
            ["unknown key 'colour'", "database"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            """
            sources:
              - name: prom
                type: nosuchtype
                url: http://localhost:9093
            """,
            3,
            ["unknown source type 'nosuchtype'", "demo"],
            id="unknown-source-type",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                interval: 5s
                colour: blue
            """,
            5,
            ["unknown key 'colour'", "speed"],
            id="unknown-source-option",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo

                interval: 5
            """,
            5,
            ["not a duration", "'5'"],
            id="interval-as-int",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                interval: [5s, 10s]
            """,
            4,
            ["a list"],
            id="interval-as-list",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                interval: 5 minutes
            """,
            4,
            ["not a duration", "5 minutes"],
            id="bad-duration",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                interval: 100ms
            """,
            4,
            ["at least 1s"],
            id="interval-too-short",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                speed: fast
            """,
            4,
            ["'speed' must be", "fast"],
            id="option-wrong-type",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
                speed: true
            """,
            4,
            ["'speed' must be", "bool"],
            id="option-bool-is-not-a-number",
        ),
        pytest.param(
            """
            # secrets come from the environment
            database: ${WR_SURELY_NOT_SET_ANYWHERE}/w.db
            """,
            2,
            ["WR_SURELY_NOT_SET_ANYWHERE", "not set"],
            id="missing-env-var",
        ),
        pytest.param(
            """
            sources:
              - name: demo
                type: demo
              - name: other
                type: demo
              - name: demo
                type: demo
                interval: 30s
            """,
            6,
            ["duplicate source name 'demo'"],
            id="duplicate-source-names",
        ),
        pytest.param(
            """
            database: w.db
            plans: x: y
            """,
            2,
            ["YAML syntax"],
            id="yaml-mapping-values",
        ),
        pytest.param(
            """
            database: a.db
            plans: p
            database: b.db
            """,
            3,
            ["duplicate key 'database'"],
            id="duplicate-key",
        ),
        pytest.param(
            """
            sources:
              name: demo
              type: demo
            """,
            2,
            ["'sources' must be a list"],
            id="sources-not-a-list",
        ),
        pytest.param(
            """
            sources:
              - type: demo
                interval: 5s
            """,
            2,
            ["needs 'name'"],
            id="source-without-name",
        ),
        pytest.param(
            """
            sources:
              - name: "has spaces/and slashes"
                type: demo
            """,
            2,
            ["source name"],
            id="bad-source-name",
        ),
        pytest.param(
            """
            database:
            """,
            1,
            ["null"],
            id="null-database",
        ),
        pytest.param(
            """
            - just
            - a list
            """,
            1,
            ["expected a mapping"],
            id="top-level-list",
        ),
        pytest.param(
            """
            database: a.db
            ---
            database: b.db
            """,
            3,
            ["one YAML document"],
            id="two-documents",
        ),
    ],
)
def test_bad_config_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, words: list[str]
) -> None:
    monkeypatch.delenv("WR_SURELY_NOT_SET_ANYWHERE", raising=False)
    path = _write(tmp_path, text, name="bad.yaml")
    got_line, message = _error(path)
    assert got_line == line, message
    for word in words:
        assert word in message


def test_yaml_syntax_error_tab_indent(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("database: w.db\nsources:\n\t- name: demo\n", encoding="utf-8")
    line, message = _error(path)
    assert line == 3
    assert "YAML syntax" in message


def test_yaml_syntax_error_unclosed_quote_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('database: "w.db\nplans: p\n', encoding="utf-8")
    line, message = _error(path)
    assert line in (1, 3), message  # where the scalar starts, or where the file ends
    assert "YAML syntax" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"database: \xff\xfe.db\n")
    line, message = _error(path)
    assert line == 1
    assert "UTF-8" in message


def test_error_message_does_not_leak_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrongly typed value that came from the environment is reported by reference."""
    monkeypatch.setenv("WR_SECRET_SPEED", "hunter2")
    path = _write(
        tmp_path,
        """
        sources:
          - name: demo
            type: demo
            speed: ${WR_SECRET_SPEED}
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "hunter2" not in str(info.value)


def test_a_bad_url_is_reported_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WR_SECRET_PW", "hunter2")
    path = _write(
        tmp_path,
        """
        sources:
          - name: am
            type: alertmanager
            url: "ftp://oncall:${WR_SECRET_PW}@am.internal:9093"
        """,
    )
    line, message = _error(path)
    assert line == 4
    assert "must start with http:// or https://" in message
    assert "hunter2" not in message and "ftp://***@am.internal:9093" in message


def test_an_empty_url_is_no_url(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        sources:
          - name: am
            type: alertmanager
            url: ""
        """,
    )
    line, message = _error(path)
    assert (line, message) == (4, "source 'am' of type alertmanager needs 'url'")


# ---------------------------------------------------------------- one source's mistake

ONE_BAD_SOURCE = """
database: w.db
sources:
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9
    filter: 'team=~"["'
    timeout: 2x
  - name: demo
    type: demo
"""


def test_a_bad_source_option_costs_only_that_source_when_lenient(tmp_path: Path) -> None:
    """Before: one bad option refused the whole config, so the console would not start."""
    path = _write(tmp_path, ONE_BAD_SOURCE)
    config = load_config(path, lenient=True)
    am, demo = config.sources
    assert demo.problem == ""
    assert am.problem == (
        f"""filter 'team=~"["': bad regex '[': unterminated character set (at character 8)"""
        f" ({path}:6:21);"
        " 1 more: see warroom check"
    )
    assert config.problems == (
        f"""{path}:6:21: filter 'team=~"["': bad regex '[': unterminated character set"""
        " (at character 8)",
        f"{path}:7:14: 'timeout': not a duration: '2x' (use e.g. 15s, 1m30s, 500ms, 2h)",
    )
    # the same mistakes refuse the config where every mistake does (check, alerts, coverage)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == list(config.problems)


def test_a_misconfigured_source_fails_with_its_reason(tmp_path: Path) -> None:
    from warroom.sources.registry import BrokenSource, build_source

    am, demo = load_config(_write(tmp_path, ONE_BAD_SOURCE), lenient=True).sources
    broken = build_source(am)
    assert isinstance(broken, BrokenSource)
    assert broken.reason.startswith("misconfigured: filter 'team=~\"[\"': bad regex")
    assert "\n" not in broken.reason
    assert not isinstance(build_source(demo), BrokenSource)
    assert "problem=" in repr(am) and "problem=" not in repr(demo)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param(
            "databse: w.db\nsources: [{name: demo, type: demo}]\n",
            1,
            "unknown key 'databse'",
            id="top-level-key",  # a typo here would open another database
        ),
        pytest.param(
            "sources:\n  - type: demo\n", 2, "source needs 'name'", id="source-without-name"
        ),
        pytest.param(
            "sources:\n  - {name: d, type: demo}\n  - {name: d, type: demo, speed: x}\n",
            3,
            "duplicate source name 'd'",
            id="duplicate-name",
        ),
        pytest.param(
            "sources: {name: demo}\n", 1, "'sources' must be a list", id="sources-not-a-list"
        ),
    ],
)
def test_lenient_still_refuses_what_no_source_owns(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, lenient=True)
    assert info.value.problems[0].startswith(f"{path}:{line}:")
    assert words in info.value.problems[0]


def test_unknown_source_type_is_that_sources_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sources:\n  - {name: x, type: prometheus2, url: 'http://a'}\n  - {name: d, type: demo}\n",
    )
    bad, good = load_config(path, lenient=True).sources
    assert bad.problem.startswith("unknown source type 'prometheus2'")
    assert "did you mean 'prometheus'?" in bad.problem
    assert good.problem == ""


def test_a_misconfigured_source_keeps_only_values_that_decoded(tmp_path: Path) -> None:
    """The spec of a source with mistakes still drives a poller: no `interval: soon` in it."""
    path = _write(
        tmp_path,
        "sources:\n  - {name: d, type: demo, interval: soon, speed: fast, scenario: night}\n",
    )
    (spec,) = load_config(path, lenient=True).sources
    assert spec.interval == timedelta(seconds=15)
    assert spec.options == {"scenario": "night"}
    assert spec.problem.startswith("not a duration: 'soon'")
