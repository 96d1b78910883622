"""The Alerts tab's filtered read on PostgreSQL: the filter in the query, not in Python.

Loading every active alert to filter it in Python cost a 50,000-alert storm
its whole table per keystroke. PostgreSQL runs what it can do exactly as
`AlertFilter` does: `=` and `!=` matchers on the label's value, and free words
on rows whose text is ASCII (there `casefold` is plain a-z lowering, which
`translate` does whatever the server's locale). What it cannot run exactly
(a regex, which is Python's `re`; words on text with other letters, where
`casefold` and the server's `lower` differ) it hands to `matches_parts` in
Python with only the parts it needs, so the rows and the count stay exactly
what the model would pick, as SQLite's query functions keep them.
"""

from __future__ import annotations

import json
import string
from typing import Any

from warroom.model.filter import AlertFilter
from warroom.model.matchers import MatchOp
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.store.alert_listing import ALERT_ORDER
from warroom.store.values import ShownAlert

_REGEX_OPS = (MatchOp.RE, MatchOp.NRE)
_SUMMARY = "coalesce({}, '')".format(
    ", ".join(
        f"nullif(annotations::jsonb ->> '{name}', '')"
        for name in ("summary", "message", "description", "title")
    )
)
_LABEL_TEXT = (
    "coalesce((SELECT string_agg(key || '=' || value, ' ')"
    " FROM jsonb_each_text(labels::jsonb)), '')"
)
HAYSTACK = (
    f"name || ' ' || source || ' ' || severity || ' ' || state || ' ' || {_SUMMARY}"
    f" || ' ' || {_LABEL_TEXT}"
)
_ASCII_LOWER = f"translate({{}}, '{string.ascii_uppercase}', '{string.ascii_lowercase}')"
# printable ASCII and the whitespace that can stand in text: what casefolds as a-z lowering
_ASCII_ONLY = "{} ~ '^[\\t\\n\\r\\x20-\\x7e]*$'"


def filtered_query(wanted: AlertFilter) -> tuple[str, list[Any], bool, bool]:
    """(SQL, parameters, regexes left to Python, words left to Python on some rows).

    The query returns key, incident id, and -- when something is left to Python --
    the labels, the text parts and whether the words were already checked."""
    where = ["state != 'resolved'"]
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    regexes = False
    for matcher in wanted.matchers:
        if matcher.op in _REGEX_OPS:
            regexes = True
            continue
        value = f"coalesce(labels::jsonb ->> {param(matcher.name)}, '')"
        compare = "=" if matcher.op is MatchOp.EQ else "!="
        where.append(f"{value} {compare} {param(matcher.value)}")
    words_checked = "true"
    if wanted.words:
        haystack = f"({HAYSTACK})"
        ascii_only = _ASCII_ONLY.format(haystack)
        lowered = _ASCII_LOWER.format(haystack)
        found = " AND ".join(f"strpos({lowered}, {param(w)}) > 0" for w in wanted.words)
        # ASCII rows are decided here; the others go to Python
        where.append(f"(NOT {ascii_only} OR ({found}))")
        words_checked = ascii_only
    python = regexes or bool(wanted.words)
    extra = (
        f", labels, name, source, severity, state, {_SUMMARY}, {words_checked}" if python else ""
    )
    sql = (
        f"SELECT source || '/' || fingerprint, incident_id{extra} FROM alerts"
        f" WHERE {' AND '.join(where)} ORDER BY {ALERT_ORDER}"
    )
    return sql, params, regexes, bool(wanted.words)


async def shown_filtered(pool: Any, wanted: AlertFilter) -> list[ShownAlert]:
    sql, params, regexes, words = filtered_query(wanted)
    found = await pool.fetch(sql, *params)
    if not regexes and not words:
        return [(str(r[0]), r[1]) for r in found]
    return await off_loop(len(found), OFFLOAD_ITEMS, _decide, found, wanted)


def _decide(found: list[Any], wanted: AlertFilter) -> list[ShownAlert]:
    """The rest of the filter in Python, on the parts the query handed over."""
    regex_only = AlertFilter(tuple(m for m in wanted.matchers if m.op in _REGEX_OPS))
    everything_left = AlertFilter(regex_only.matchers, wanted.words)
    shown: list[ShownAlert] = []
    for key, incident_id, labels, *parts, checked in found:
        rest = regex_only if checked else everything_left
        if rest.empty or rest.matches_parts(json.loads(labels), tuple(parts).__iter__):
            shown.append((str(key), incident_id))
    return shown
