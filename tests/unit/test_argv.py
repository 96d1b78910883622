"""A command step's argv, never a shell (issue 11, item 2): each element rendered on its own,
hostile values one literal argument or refused, with the step and argument named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.model.argv import MAX_VALUE_BYTES, ArgvRefused, TemplateSyntax, parse, render_argv

ARGV = ("du", "-sh", "--", "{params.path}")


@pytest.mark.parametrize(
    "hostile",
    ["$(touch /tmp/x)", "`touch /tmp/x`", "a; touch /tmp/x", "a && b | c > d", "*", "~root"],
)
def test_shell_syntax_is_one_literal_argument(hostile: str) -> None:
    argv = render_argv("usage", ("du", "-sh", "{params.path}"), {"path": hostile})
    assert argv == ("du", "-sh", hostile)


def test_shell_syntax_runs_as_a_literal_argument_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "x"
    hostile = f"$(touch {marker}); touch {marker}; `touch {marker}`"
    script = "import sys; print(repr(sys.argv[1:]))"
    argv = render_argv("echo", (sys.executable, "-c", script, "{params.p}"), {"p": hostile})
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == repr([hostile])
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("-rf", "starts with '-', so the program would read it as an option"),
        ("--output=/etc/passwd", "starts with '-'"),
        ("a\0b", "control character U+0000"),
        ("a\nb", "control character U+000A"),
        ("\x1b]0;title\x07", "control character U+001B"),
        ("\x9b31m", "control character U+009B"),
        ("x" * (MAX_VALUE_BYTES + 1), f"is {MAX_VALUE_BYTES + 1} bytes long"),
        ("", "is empty"),
        ("\ud800", "lone surrogate"),
    ],
)
def test_a_hostile_value_is_refused_naming_step_and_argument(value: str, said: str) -> None:
    with pytest.raises(ArgvRefused) as refused:
        render_argv("usage", ("du", "-sh", "{params.path}"), {"path": value})
    message = str(refused.value)
    assert message.startswith("step 'usage', argument 2 ('{params.path}'): ")
    assert "parameter 'path'" in message and said in message


def test_a_missing_value_is_refused() -> None:
    with pytest.raises(ArgvRefused, match="parameter 'path' has no value"):
        render_argv("usage", ("du", "{params.path}"), {"path": None})
    with pytest.raises(ArgvRefused, match="parameter 'path' has no value"):
        render_argv("usage", ("du", "{params.path}"), {})


def test_a_literal_option_is_fine_and_a_dash_value_after_double_dash_too() -> None:
    assert render_argv("u", ARGV, {"path": "-weird-dir"}) == ("du", "-sh", "--", "-weird-dir")
    assert render_argv("u", ("ls", "--color={params.c}"), {"c": "never"}) == (
        "ls",
        "--color=never",
    )


def test_the_program_is_never_a_template() -> None:
    with pytest.raises(ArgvRefused, match=r"argument 0 .*the program must be a literal"):
        render_argv("run", ("{params.tool}", "x"), {"tool": "rm"})


def test_a_1_mib_label_is_refused() -> None:
    with pytest.raises(ArgvRefused, match="bytes long"):
        render_argv("u", ("du", "{params.p}"), {"p": "a" * (1 << 20)})


def test_step_templates_name_parameters_only() -> None:
    with pytest.raises(TemplateSyntax, match="a step names parameters") as raised:
        parse("du {labels.instance}")
    assert raised.value.position == 3
    with pytest.raises(TemplateSyntax, match="unknown template field"):
        parse("{whatever}")
    assert parse("{{literal}} {params.a}")[0] == "{literal} "


# Any text at all, as a hostile label could hold: control characters, quotes, shell syntax.
VALUES = st.text(
    alphabet=st.characters(blacklist_categories=()), min_size=0, max_size=64
) | st.sampled_from(["$(id)", "`id`", ";id", "|id", "&&id", "'", '"', "\\", "-x", "--x=1"])


@settings(max_examples=400, deadline=None)
@given(value=VALUES, prefix=st.sampled_from(["", "x=", "--path="]))
def test_any_value_is_one_argument_verbatim_or_refused(value: str, prefix: str) -> None:
    argv = ("du", "-sh", prefix + "{params.p}", "end")
    try:
        rendered = render_argv("s", argv, {"p": value})
    except ArgvRefused as refused:
        assert refused.step == "s" and refused.index == 2
        assert (
            not value
            or value.startswith("-")
            or len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES
            or any(
                ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in value
            )
        )
        return
    # never split, never joined: exactly the elements written, the value verbatim
    assert rendered == ("du", "-sh", prefix + value, "end")
    assert not value.startswith("-")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in value)
