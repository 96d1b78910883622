"""Which silences mute exactly the alerts a responder chose, and what a silence mutes now.

A silence is a conjunction of matchers, so it can only describe a product of
label values. Two alerts chosen out of the cross product
(c1,web-1) (c1,web-2) (c2,web-1) (c2,web-2) -- say (c1,web-1) and (c2,web-2) --
cannot share one silence without muting the other two. Alerts whose labels agree
everywhere but in one label can: `instance=~"web-1|web-2"` with every other label
`=` matches those alerts and no other alert with those label names. So the
chosen alerts are split into such groups, largest first, and every alert left
over gets a silence of its own. An alert storm of one rule over 200 instances is
two silences of 100 values each (MAX_VALUES); nothing nobody chose is muted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from warroom.model.matchers import Matcher, MatchOp, matches_all

# More values than this in one alternation makes a silence nobody can read at the
# source; a storm over 1,000 instances becomes ten silences.
MAX_VALUES = 100

T = TypeVar("T")
# Only what is special in both Python's re and Alertmanager's RE2 (outside a
# class): `web-1` stays readable at the source, where re.escape would write `web\-1`.
_SPECIAL = re.compile(r"([\\.^$*+?()\[\]{}|])")


def _escape(value: str) -> str:
    return _SPECIAL.sub(r"\\\1", value)


def exact_silences(
    label_sets: Sequence[Mapping[str, str]],
    others: Iterable[Mapping[str, str]] = (),
) -> list[tuple[list[Matcher], list[int]]]:
    """(matchers, indexes of the label sets they silence), covering every label set once.

    Alerts with identical labels (the same alert twice) share a silence. An
    alert among `others` (what the source has now) whose labels extend a chosen
    alert's would be muted too; each such extra label gets a `name=""` matcher,
    which Alertmanager reads as "has no such label".
    """
    remaining = set(range(len(label_sets)))
    silences: list[tuple[list[Matcher], list[int]]] = []
    candidates: list[tuple[str, list[int]]] = []
    by_names: dict[frozenset[str], list[int]] = {}
    for i, labels in enumerate(label_sets):
        by_names.setdefault(frozenset(labels), []).append(i)
    for names, members in by_names.items():
        for varying in sorted(names, key=lambda n: (n == "alertname", n)):
            rest: dict[tuple[tuple[str, str], ...], list[int]] = {}
            for i in members:
                labels = label_sets[i]
                rest.setdefault(
                    tuple(sorted((k, v) for k, v in labels.items() if k != varying)), []
                ).append(i)
            candidates += [(varying, group) for group in rest.values() if len(group) > 1]
    # largest first; ties in a stable order, so the same alerts give the same silences
    candidates.sort(key=lambda c: (-len(c[1]), c[0], c[1]))
    for varying, group in candidates:
        free = [i for i in group if i in remaining]
        for chunk in _chunks(free, label_sets, varying):
            if len(chunk) < 2:
                continue
            silences.append((_matchers(label_sets, chunk, varying), chunk))
            remaining.difference_update(chunk)
    for i in sorted(remaining):
        silences.append((_matchers(label_sets, [i], None), [i]))
    silences.sort(key=lambda s: s[1][0])
    chosen = {tuple(sorted(labels.items())) for labels in label_sets}
    extra = [o for o in others if tuple(sorted(o.items())) not in chosen]
    return [(_excluding(matchers, extra), members) for matchers, members in silences]


def _excluding(matchers: list[Matcher], others: list[Mapping[str, str]]) -> list[Matcher]:
    """Add `name=""` for the labels by which unchosen alerts would slip into the silence."""
    named = {m.name for m in matchers}
    absent: set[str] = set()
    for other in others:
        if matches_all(matchers, other):
            absent.update(name for name in other if name not in named)
    return matchers + [Matcher.create(name, MatchOp.EQ, "") for name in sorted(absent)]


def _chunks(
    members: list[int], label_sets: Sequence[Mapping[str, str]], varying: str
) -> Iterable[list[int]]:
    """Split so that no silence lists more than MAX_VALUES distinct values."""
    chunk: list[int] = []
    values: set[str] = set()
    for i in members:
        value = label_sets[i][varying]
        if value not in values and len(values) == MAX_VALUES:
            yield chunk
            chunk, values = [], set()
        chunk.append(i)
        values.add(value)
    if chunk:
        yield chunk


def _matchers(
    label_sets: Sequence[Mapping[str, str]], members: list[int], varying: str | None
) -> list[Matcher]:
    first = label_sets[members[0]]
    matchers = []
    for name in sorted(first, key=lambda n: (n != "alertname", n)):
        values = sorted({label_sets[i][name] for i in members})
        if name == varying and len(values) > 1:
            pattern = "|".join(_escape(v) for v in values)
            matchers.append(Matcher.create(name, MatchOp.RE, pattern))
        else:
            matchers.append(Matcher.create(name, MatchOp.EQ, values[0]))
    return matchers


def silenced_by(
    matchers: Sequence[Matcher], items: Iterable[T], labels_of: Callable[[T], Mapping[str, str]]
) -> list[T]:
    """What a silence with these matchers mutes among `items` (Alertmanager's rule)."""
    wanted = list(matchers)
    return [item for item in items if matches_all(wanted, labels_of(item))]
