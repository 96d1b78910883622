"""Just enough PromQL to chart an alerting rule: its expression and its comparison.

A rule such as `rate(errors[5m]) > 0.5` returns only the samples that cross the
threshold, so drawing it as-is shows nothing before the alert fired. Splitting
it on its top-level comparison gives the series to draw (the left side) and the
line to draw it against (the right side). This is a scanner, not a parser: it
tracks brackets, strings and comments, and refuses (None) whatever it is not
sure of -- `bool` comparisons, set operators, several comparisons at the top.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

from warroom.model.value import Value

COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_WORD = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# keywords that end a comparison's operand (`> on(job)`, `> bool`) or mean a set op
_MODIFIERS = {"bool", "on", "ignoring", "group_left", "group_right"}
_SET_OPS = {"and", "or", "unless"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:Inf|NaN)", re.I)


class Comparison(Value, frozen=True):
    left: str
    operator: str
    right: str

    @property
    def threshold(self) -> float | None:
        """The right side as a number, when it is one (`0.5`, `1e3`, `(90)`)."""
        text = self.right.strip()
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        if _NUMBER.fullmatch(text):
            value = float(text)
            return value if math.isfinite(value) else None
        return None


def _top_level(expr: str) -> list[tuple[int, str]] | None:
    """The top-level tokens that matter here (comparisons, words) with their offsets;
    None for unbalanced brackets or an unterminated string."""
    found: list[tuple[int, str]] = []
    depth: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            end = i + 1
            while end < n and expr[end] != c:
                end += 2 if expr[end] == "\\" and c != "`" else 1
            if end >= n:
                return None
            i = end + 1
            continue
        if c == "#":  # a comment runs to the end of the line
            found.append((i, "#"))
            newline = expr.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        if c in _OPEN:
            depth.append(_OPEN[c])
        elif c in ")]}":
            if not depth or depth.pop() != c:
                return None
        elif not depth:
            two = expr[i : i + 2]
            if two in COMPARISONS:
                found.append((i, two))
                i += 2
                continue
            if c in "<>":
                found.append((i, c))
            elif c == "=":  # `=~` and `=` only inside braces; anything else is not PromQL
                return None
            else:
                word = _WORD.match(expr, i)
                if word and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] in "_:.")):
                    found.append((i, word.group()))
                    i = word.end()
                    continue
        i += 1
    return None if depth else found


def split_comparison(expr: str) -> Comparison | None:
    """`a > 5` → (a, >, 5); None when there is no single, plain top-level comparison."""
    tokens = _top_level(expr)
    if tokens is None:
        return None
    comparisons = [(at, tok) for at, tok in tokens if tok in COMPARISONS]
    if len(comparisons) != 1:
        return None
    if any(tok.lower() in _SET_OPS for _, tok in tokens):
        return None
    at, operator = comparisons[0]
    comments = [pos for pos, tok in tokens if tok == "#" and pos > at]
    right = expr[at + len(operator) : comments[0] if comments else len(expr)]
    # a modifier right after the operator (`> bool`, `> on(x)`) changes what it returns
    first = _WORD.match(right.lstrip())
    if first and first.group().lower() in _MODIFIERS:
        return None
    left = expr[:at]
    for pos in sorted((p for p, tok in tokens if tok == "#" and p < at), reverse=True):
        newline = left.find("\n", pos)
        left = left[:pos] + (left[newline:] if newline >= 0 else "")
    left, right = left.strip(), right.strip()
    if not left or not right:
        return None
    return Comparison(left, operator, right)


def expr_from_url(url: str) -> str:
    """The expression Prometheus puts in an alert's generatorURL (`/graph?g0.expr=`)."""
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return ""
    values = query.get("g0.expr") or []
    return values[0].strip() if values else ""
