"""`warroom check` finds in one run what a responder would otherwise find one at a time.

Every mistake of a file (not the first of each document), YAML syntax errors at
the line that breaks, misspelt keymap ids, keys bound twice and unknown themes:
each as `file:line:col: message`, exit 1. Real processes, as a responder runs it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tests.support.cli import clean_env, warroom

from .helpers import locate, plan_doc, write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def check(path: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    done = warroom("--config", path, "check", env=env)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stderr.splitlines()


def test_every_mistake_of_the_config_in_one_run(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(
        tmp_path,
        """
        databse: w.db
        sources:
          - name: demo
            type: demo
            scenaro: night
          - name: am
            type: alertmanager
            url: http://127.0.0.1:9
            interval: soon
        theme: 7
        """,
    )
    code, lines = check(path, env)
    assert code == 1
    assert lines == [
        f"{path}:1:1: unknown key 'databse' (known: database, plans, sources, keymap, theme,"
        " themes, smtp, label_column); did you mean 'database'?",
        f"{path}:5:5: unknown key 'scenaro' for source type demo (known: name, type, url,"
        " interval, scenario, speed, seed); did you mean 'scenario'?",
        f"{path}:9:15: not a duration: 'soon' (use e.g. 15s, 1m30s, 500ms, 2h)",
        # before: hidden behind the mistakes above (the config was refused at the first group)
        f"{path}:10:8: unknown theme '7' (theme files: warroom-day, warroom-night)",
    ]


def test_every_mistake_of_a_plan_document(tmp_path: Path, env: dict[str, str]) -> None:
    plans = tmp_path / "plans"
    text = plan_doc("one").replace("{labels.instance}", "{label.instance}") + (
        "resolve: later\nreopen_within: a while\nrunbok: x\n"
    )
    plan = write(plans, "p.yaml", text)
    path = write_config(tmp_path, f"plans: {plans}\nsources: [{{name: demo, type: demo}}]\n")
    code, lines = check(path, env)
    assert code == 1
    located = [line.split(": ", 1)[0] for line in lines]
    assert located == [
        f"{plan}:{line}:{column}"
        for line, column in (
            locate(text, "label.instance"),
            locate(text, "later"),
            locate(text, "a while"),
            locate(text, "runbok"),
        )
    ]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param(
            "sources:\n  - name: demo\n    type: demo\n   interval: 5s\n", 4, 4, id="key-indent"
        ),
        pytest.param("database: w.db\n- demo\nplans: p\n", 2, 1, id="list-in-mapping"),
        pytest.param("database: w.db\nplans: p\ntheme: 'warroom's'\n", 3, 17, id="quote-in-quote"),
    ],
)
def test_yaml_syntax_error_at_the_line_that_breaks(
    tmp_path: Path, env: dict[str, str], text: str, line: int, column: int
) -> None:
    """Before: the line where the enclosing block began (often line 1)."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    code, lines = check(path, env)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:{line}:{column}: YAML syntax: ")
    assert f"block that begins on line {1 if line != 4 else 2}" in lines[0]


def test_yaml_syntax_error_in_a_plan_at_its_line(tmp_path: Path, env: dict[str, str]) -> None:
    plans = tmp_path / "plans"
    text = plan_doc("one") + "engagements:\n  - storage\n - dba\n"
    plan = write(plans, "p.yaml", text)
    path = write_config(tmp_path, f"plans: {plans}\n")
    code, lines = check(path, env)
    assert code == 1
    assert lines[0].startswith(f"{plan}:{text.count(chr(10))}:2: YAML syntax: ")


def test_keymap_ids_keys_and_theme(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(
        tmp_path,
        """
        keymap:
          incident.acknowldge: k
          incident.note: h
          alerts.silence: x
          incident.resolve: "?"
          incident.reopen: O
        theme: warroom-nite
        """,
    )
    code, lines = check(path, env)
    assert code == 1
    assert lines == [
        f"{path}:2:3: unknown binding id 'incident.acknowldge'"
        " (did you mean 'incident.acknowledge'?)",
        # `h` shows resolved incidents on the Incidents tab, where `n` (note) is also bound
        f"{path}:3:3: key 'h' is bound twice: 'incident.note' and 'incidents.toggle_resolved'"
        " (in IncidentsView)",
        # `?` is help everywhere
        f"{path}:5:3: key '?' is bound twice: 'incident.resolve' and 'app.help' (in AlertsView)",
        f"{path}:7:8: unknown theme 'warroom-nite' (theme files: warroom-day, warroom-night;"
        " did you mean 'warroom-night'?)",
    ]


def test_two_keymap_ids_given_one_key(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(
        tmp_path,
        """
        keymap:
          incident.acknowledge: k
          incident.resolve: k
          silences.expire: k
        """,
    )
    code, lines = check(path, env)
    assert code == 1
    # ack and resolve share the Alerts, Incidents and Incident tabs; expire lives on Silences
    assert lines == [
        f"{path}:2:3: key 'k' is bound twice: 'incident.acknowledge' and 'incident.resolve'"
        " (in AlertsView)"
    ]


def test_a_good_keymap_and_theme_pass(tmp_path: Path, env: dict[str, str]) -> None:
    themes = tmp_path / "themes"
    write(themes, "ops.yaml", "name: ops-green\nprimary: '#00aa00'\n")
    path = write_config(
        tmp_path,
        f"""
        keymap:
          incident.acknowledge: a,k
          incident.note: N
        theme: ops-green
        themes: {themes}
        """,
    )
    code, lines = check(path, env)
    assert (code, lines) == (0, [])


def test_textual_builtin_theme_passes(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, "theme: nord\n")
    assert check(path, env) == (0, [])


def test_keymap_and_theme_mistakes_beside_a_source_mistake(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Before: a mistake in a source refused the config, and the keymap and theme went unread."""
    path = write_config(
        tmp_path,
        """
        sources:
          - name: demo
            type: demo
            speed: fast
        keymap:
          incident.acknowldge: k
        theme: warroom-nite
        """,
    )
    code, lines = check(path, env)
    assert code == 1
    assert lines == [
        f"{path}:4:12: 'speed' must be a number, got str 'fast'",
        f"{path}:6:3: unknown binding id 'incident.acknowldge'"
        " (did you mean 'incident.acknowledge'?)",
        f"{path}:7:8: unknown theme 'warroom-nite' (theme files: warroom-day, warroom-night;"
        " did you mean 'warroom-night'?)",
    ]
