"""The `/` filter: Alertmanager matchers and free text in one line.

`alertname=~"Disk.*" cluster="c1" db-3` keeps alerts whose labels match both
matchers and whose text contains "db-3". Matchers are the syntax responders
already use in amtool and silences; everything else is free text, every word
of which must appear (case-insensitive) in the name, source, severity, state,
summary or a `label=value`. An unfinished matcher (`alertname=~"Dis`) is read
as text until its quote closes, so typing never flashes errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from warroom.model.alert import TrackedAlert
from warroom.model.matchers import Matcher, MatcherError, parse_matchers
from warroom.model.value import Value

_MATCHER = re.compile(
    r"""[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|[^\s,"]+)"""
)


class AlertFilter(Value, frozen=True):
    matchers: tuple[Matcher, ...] = ()
    words: tuple[str, ...] = ()
    error: str | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> AlertFilter:
        matchers: list[Matcher] = []
        error = None
        for token in _MATCHER.findall(text):
            try:
                matchers.extend(parse_matchers(token))
            except MatcherError as exc:
                error = f"{token}: {str(exc).rsplit(' (at', 1)[0]}"
        rest = _MATCHER.sub(" ", text).replace(",", " ")
        words = tuple(w.casefold() for w in rest.split() if w not in ("{", "}"))
        return cls(tuple(matchers), words, error, text)

    @property
    def empty(self) -> bool:
        return not self.matchers and not self.words

    def matches(self, tracked: TrackedAlert) -> bool:
        alert = tracked.alert
        return self.matches_parts(
            alert.labels,
            lambda: (
                alert.name,
                alert.source,
                alert.severity.value,
                alert.state.value,
                alert.summary,
            ),
        )

    def matches_parts(self, labels: Mapping[str, str], text: Callable[[], Iterable[str]]) -> bool:
        """The test itself, on an alert's labels and (only asked for when there are
        words) its name, source, severity, state and summary: the store runs it on
        rows it never turns into alerts, so a filter counts a storm in place."""
        if not all(m.matches(labels) for m in self.matchers):
            return False
        if not self.words:
            return True
        haystack = " ".join([*text(), *(f"{k}={v}" for k, v in labels.items())]).casefold()
        return all(word in haystack for word in self.words)
