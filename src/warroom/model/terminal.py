"""A command's output made safe for a responder's terminal, line by line.

Textual 8.2.8's `Log` and `RichLog` replace only U+0000-U+0014: ESC, DEL and
the 8-bit C1 controls reach the terminal as they are, so a command printing
`\\x1b]0;title\\x07` would retitle the responder's window and `\\x9b2J` clear
it (research note §1.7). So every ECMA-48 sequence is removed whole -- CSI,
OSC, DCS, SOS, PM and APC, in their 7-bit (ESC x) and 8-bit (C1) spellings,
and two-byte escapes -- then any control left (C0 but tab, DEL, C1, and the
bidi overrides that reorder what is read). A carriage return redraws its line
on a terminal: only the text after the last one is kept, so a progress bar is
one line, not thousands.

`OutputLines` takes output in chunks as they were read (never `readline`:
one 1 MB line must not be read whole) and gives back complete, clean lines,
each at most `max_chars` long; a longer line is cut into pieces.
"""

from __future__ import annotations

import re

# a string sequence (OSC, DCS, SOS, PM, APC): to its terminator (BEL, ST as ESC \ or
# U+009C), or to the end of the line when it never comes
_STRING = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)"
# CSI: parameters, intermediates, a final byte (an unfinished one runs to the line's end)
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*(?:[@-~]|$)"
# any other escape: intermediates and one final byte (ESC 7, ESC ( B, ESC c ...)
_ESC = r"\x1b[ -/]*[0-~]?"
_SEQUENCE = re.compile(f"{_STRING}|{_CSI}|{_ESC}")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ufeff]")
TAB = 8
MAX_CHARS = 4096  # a line longer than this is cut into pieces of this many characters


def clean_line(line: str) -> str:
    """One line of output (no newline in it) as plain text: no sequence, no control."""
    if "\r" in line:
        line = line.rstrip("\r")  # a CRLF ending is no redraw
        line = line[line.rfind("\r") + 1 :]
    if line.isascii() and line.isprintable():  # the usual case, checked at C speed
        return line
    line = _CONTROL.sub("", _SEQUENCE.sub("", line))
    return line.expandtabs(TAB) if "\t" in line else line


class OutputLines:
    """Chunks in, complete clean lines out; the unfinished last line is kept back."""

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars
        self._partial = ""
        self.cut = 0  # lines that were longer than max_chars, cut into pieces

    @property
    def partial(self) -> str:
        """The line being written (no newline yet), clean, to show as the last line."""
        return clean_line(self._partial)

    def feed(self, chunk: str) -> list[str]:
        if not chunk:
            return []
        text = self._partial + chunk
        pieces = text.split("\n")
        self._partial = pieces.pop()
        lines: list[str] = []
        for raw in pieces:
            self._cut_into(raw, lines)
        if len(self._partial) > self.max_chars:  # no newline in sight: emit what came
            raw, self._partial = self._partial, ""
            self._cut_into(raw, lines, whole=False)
        return lines

    def close(self) -> list[str]:
        """The output ended: its unfinished last line is a line too."""
        raw, self._partial = self._partial, ""
        lines: list[str] = []
        if raw:
            self._cut_into(raw, lines)
        return lines

    def _cut_into(self, raw: str, lines: list[str], whole: bool = True) -> None:
        line = clean_line(raw)
        if len(line) <= self.max_chars:
            lines.append(line)
            return
        if whole:
            self.cut += 1
        size = self.max_chars
        lines.extend(line[i : i + size] for i in range(0, len(line), size))
