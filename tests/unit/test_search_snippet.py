"""Snippets of a search hit: the match in view, one safe line, cut with an ellipsis."""

from __future__ import annotations

from warroom.model.search import like_pattern, snippet


def test_a_snippet_starts_a_little_before_the_match_and_is_cut_to_width() -> None:
    text = "x" * 100 + " the WAL on db-3 was rotated " + "y" * 100
    got = snippet(text, "DB-3", width=30)
    assert got.startswith("…") and got.endswith("…") and len(got) == 30
    assert "db-3" in got


def test_a_match_near_the_end_fills_the_width_unless_told_not_to() -> None:
    text = "a" * 50 + " needle"
    assert snippet(text, "needle", width=20) == "…" + text[-19:]
    assert snippet(text, "needle", width=20, lead=2, fill=False) == "…a needle"


def test_a_snippet_is_one_safe_line() -> None:
    got = snippet("one\ntwo \x1b]52;c;x\x07 \u202e three", "two")
    assert "\n" not in got and "\x1b" not in got and "\u202e" not in got
    assert got.startswith("one two ␛]52")


def test_like_patterns_escape_wildcards() -> None:
    assert like_pattern("50%_A\\b") == "%50\\%\\_a\\\\b%"
