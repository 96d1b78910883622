"""Alertmanager's label matchers: `alertname=~"Disk.*", severity!="info"`.

Responders already know this syntax from amtool and silences, so the filter,
response plans and silences all speak it. Regexes are fully anchored, as in
Alertmanager: `=~"Disk"` matches exactly "Disk", not "DiskFull".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


class MatcherError(ValueError):
    """A matcher that does not parse; `position` is the 0-based offset in the text."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(cls, name: str, op: MatchOp, value: str) -> Matcher:
        regex = None
        if op in (MatchOp.RE, MatchOp.NRE):
            try:
                # compiled as written and matched whole (fullmatch): the anchoring of
                # Alertmanager, and leading flags such as (?i) keep working
                regex = re.compile(value, re.DOTALL)
            except re.error as exc:
                raise MatcherError(f"bad regex {value!r}: {exc.msg}", exc.pos or 0) from exc
        return cls(name, op, value, regex)

    @property
    def is_regex(self) -> bool:
        return self.op in (MatchOp.RE, MatchOp.NRE)

    @property
    def is_equal(self) -> bool:
        return self.op in (MatchOp.EQ, MatchOp.RE)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """A missing label is the empty string, as in Alertmanager."""
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(actual) is not None
        return found if self.op is MatchOp.RE else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op.value}"{escaped}"'


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("=~", "!~", "!=", "=")
_UNQUOTED_END = re.compile(r"[,}\s]")


def parse_matchers(text: str) -> list[Matcher]:
    """`{a="1", b=~"x|y"}` or `a="1",b=~"x|y"`; raises MatcherError with a position."""
    pos = 0
    length = len(text)
    matchers: list[Matcher] = []

    def skip_space(p: int) -> int:
        while p < length and text[p].isspace():
            p += 1
        return p

    pos = skip_space(pos)
    braced = pos < length and text[pos] == "{"
    if braced:
        pos += 1
    while True:
        pos = skip_space(pos)
        if pos >= length or (braced and text[pos] == "}"):
            break
        name_match = _NAME.match(text, pos)
        if not name_match:
            raise MatcherError("expected a label name", pos)
        name = name_match.group()
        pos = skip_space(name_match.end())
        op = next((o for o in _OPS if text.startswith(o, pos)), None)
        if op is None:
            raise MatcherError(f"expected one of = != =~ !~ after {name!r}", pos)
        pos = skip_space(pos + len(op))
        value_start = pos + 1 if text.startswith('"', pos) else pos
        value, pos = _value(text, pos)
        try:
            matchers.append(Matcher.create(name, MatchOp(op), value))
        except MatcherError as exc:
            # where in the value the regex broke (exact unless the value had escapes)
            at = value_start + min(exc.position, len(value))
            raise MatcherError(str(exc).rsplit(" (at", 1)[0], at) from exc
        pos = skip_space(pos)
        if pos < length and text[pos] == ",":
            pos += 1
            continue
        if pos >= length or (braced and text[pos] == "}"):
            break
        raise MatcherError("expected ',' between matchers", pos)
    if braced:
        if pos >= length or text[pos] != "}":
            raise MatcherError("missing closing '}'", pos)
        pos = skip_space(pos + 1)
    if pos != length:
        raise MatcherError("unexpected text after the matchers", pos)
    return matchers


def _value(text: str, pos: int) -> tuple[str, int]:
    if pos < len(text) and text[pos] == '"':
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            if char == '"':
                return "".join(out), i + 1
            out.append(char)
            i += 1
        raise MatcherError("unterminated quoted value", pos)
    end = _UNQUOTED_END.search(text, pos)
    stop = end.start() if end else len(text)
    return text[pos:stop], stop


def matches_all(matchers: list[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def matchers_for(label_sets: list[Mapping[str, str]]) -> list[Matcher]:
    """Matchers that catch exactly these alerts, as a silence form's starting point.

    Labels shared with one value become `=`; labels every alert has with
    different values become an anchored alternation `=~"a|b"`; the rest are left
    out (they would not match every alert).
    """
    if not label_sets:
        return []
    common = set(label_sets[0]).intersection(*label_sets[1:])
    matchers = []
    for name in sorted(common, key=lambda n: (n != "alertname", n)):
        values = sorted({labels[name] for labels in label_sets})
        if len(values) == 1:
            matchers.append(Matcher.create(name, MatchOp.EQ, values[0]))
        else:
            matchers.append(
                Matcher.create(name, MatchOp.RE, "|".join(re.escape(v) for v in values))
            )
    return matchers
