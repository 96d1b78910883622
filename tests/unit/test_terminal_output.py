"""A command's output never drives the responder's terminal: every sequence and control goes."""

from __future__ import annotations

import pytest

from warroom.model.terminal import OutputLines, clean_line

# what a hostile or careless command prints; none of it may reach a terminal
HOSTILE = {
    "osc title (BEL)": ("a\x1b]0;pwned-title\x07b", "ab"),
    "osc 52 clipboard (ST)": ("a\x1b]52;c;SGVsbG8=\x1b\\b", "ab"),
    "osc 8-bit": ("a\x9d0;pwned\x9cb", "ab"),
    "osc never ended": ("a\x1b]0;pwned", "a"),
    "csi sgr": ("\x1b[31mred\x1b[0m", "red"),
    "csi 8-bit clear": ("a\x9b2Jb", "ab"),
    "csi private mode": ("a\x1b[?1049hb", "ab"),
    "csi cut short": ("a\x1b[31", "a"),
    "dcs": ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
    "dcs 8-bit": ("a\x90q\x9cb", "ab"),
    "apc": ("a\x1b_payload\x1b\\b", "ab"),
    "pm and sos": ("a\x1b^x\x1b\\\x1bXy\x1b\\b", "ab"),
    "two-byte escapes": ("a\x1b7\x1b(B\x1bcb", "ab"),
    "lone esc": ("a\x1b", "a"),
    "c0 and del": ("a\x00\x07\x08\x7fb", "ab"),
    "c1": ("a\x85\x8d\x9ab", "ab"),
    "bidi override": ("a\u202eb\u2066c", "abc"),
    "carriage return redraw": ("10%\r50%\r100%", "100%"),
    "crlf": ("done\r", "done"),
    "tab": ("a\tb", "a       b"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_sequence_and_control_is_removed_whole(name: str) -> None:
    raw, shown = HOSTILE[name]
    assert clean_line(raw) == shown


def test_plain_text_and_unicode_pass_untouched() -> None:
    assert clean_line("df -h: /var 93% ünïcødé 漢字 ✓") == "df -h: /var 93% ünïcødé 漢字 ✓"


def test_lines_come_whole_across_chunks_and_a_sequence_split_across_them_goes() -> None:
    reader = OutputLines()
    assert reader.feed("one\ntw") == ["one"]
    assert reader.partial == "tw"
    assert reader.feed("o\x1b]0;ti") == []
    assert reader.feed("tle\x07\nthree") == ["two"]
    assert reader.close() == ["three"]


def test_a_line_without_newline_is_cut_into_pieces_not_read_whole() -> None:
    reader = OutputLines(max_chars=100)
    lines: list[str] = []
    for _ in range(50):  # 5,000 characters, no newline
        lines += reader.feed("x" * 100)
        assert len(reader.partial) <= 200  # never more than a chunk and a piece held
    lines += reader.close()
    assert "".join(lines) == "x" * 5000
    assert all(len(line) <= 100 for line in lines)


def test_a_long_line_is_cut_into_pieces_of_max_chars() -> None:
    reader = OutputLines(max_chars=10)
    assert reader.feed("a" * 25 + "\n") == ["a" * 10, "a" * 10, "a" * 5]
    assert reader.cut == 1
