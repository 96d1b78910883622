"""The Alerts tab's filtered read on PostgreSQL: the filter in the query, not in Python.

Loading every active alert to filter it in Python cost a 50,000-alert storm
its whole table per keystroke. PostgreSQL runs what it can do exactly as
`AlertFilter` does: `=` and `!=` matchers on the label's value, and free words
on rows whose text is ASCII (there `casefold` is plain A-Z lowering, which `lower`
does under the C collation whatever the server's locale). What it cannot run exactly
(a regex, which is Python's `re`; words on text with other letters, where
`casefold` and the server's `lower` differ) it hands to `matches_parts` in
Python with only the parts it needs, so the rows and the count stay exactly
what the model would pick, as SQLite's query functions keep them.
"""

from __future__ import annotations

import json
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
# `label=value ...` as `AlertFilter` builds it: labels are compact JSON with sorted keys
# (`rows.dumps`), so without a backslash (an escape) replacing text does it; jsonb
# unescapes the others
_LABEL_TEXT = (
    "CASE WHEN labels = '{}' THEN '' WHEN strpos(labels, '\\') > 0 THEN"
    " coalesce((SELECT string_agg(key || '=' || value, ' ') FROM jsonb_each_text(labels::jsonb)),"
    " '') ELSE replace(replace(substr(labels, 3, length(labels) - 4), '\":\"', '='),"
    " '\",\"', ' ') END"
)
_HAYSTACK = (
    f"name || ' ' || source || ' ' || severity || ' ' || state || ' ' || summary"
    f" || ' ' || {_LABEL_TEXT}"
)
# printable ASCII and the whitespace that can stand in text: what casefolds as a-z lowering
_ASCII_ONLY = "haystack ~ '^[\\t\\n\\r\\x20-\\x7e]*$'"
# under the C collation lower() maps A-Z alone, whatever the server's locale (translate()
# does the same ten times slower)
_ASCII_LOWER = 'lower(haystack COLLATE "C")'


def filtered_query(wanted: AlertFilter) -> tuple[str, list[Any], bool]:
    """(SQL, parameters, whether Python has a part to play).

    The query returns key and incident id, and where Python has a part, for the
    rows that need it (NULL labels for the others) the labels, the text parts and
    whether the words were already decided. Each row's text is built once
    (MATERIALIZED), not once per word."""
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
    selected = (
        "SELECT source || '/' || fingerprint AS key, incident_id, labels, name, source,"
        f" severity, state, acknowledged_by, starts_at, fingerprint, {_SUMMARY} AS summary"
        f" FROM alerts WHERE {' AND '.join(where)}"
    )
    if not wanted.words:
        extra = ", labels, name, source, severity, state, summary, true" if regexes else ""
        sql = f"SELECT key, incident_id{extra} FROM ({selected}) AS a ORDER BY {ALERT_ORDER}"
        return sql, params, regexes
    found = " AND ".join(f"strpos(folded, {param(w)}) > 0" for w in wanted.words)
    python = "true" if regexes else "NOT plain"
    sql = (
        f"WITH selected AS MATERIALIZED ({selected}),"
        f" texts AS MATERIALIZED (SELECT *, {_HAYSTACK} AS haystack FROM selected),"
        f" judged AS MATERIALIZED (SELECT *, {_ASCII_ONLY} AS plain, {_ASCII_LOWER} AS folded"
        " FROM texts)"
        f" SELECT key, incident_id, CASE WHEN {python} THEN labels END, name, source,"
        f" severity, state, summary, plain FROM judged"
        # ASCII rows are decided here; the others go to Python
        f" WHERE NOT plain OR ({found}) ORDER BY {ALERT_ORDER}"
    )
    return sql, params, True


async def shown_filtered(pool: Any, wanted: AlertFilter) -> list[ShownAlert]:
    sql, params, python = filtered_query(wanted)
    found = await pool.fetch(sql, *params)
    if not python:
        return [(str(r[0]), r[1]) for r in found]
    return await off_loop(len(found), OFFLOAD_ITEMS, _decide, found, wanted)


def _decide(found: list[Any], wanted: AlertFilter) -> list[ShownAlert]:
    """The rest of the filter in Python, on the parts the query handed over."""
    regex_only = AlertFilter(tuple(m for m in wanted.matchers if m.op in _REGEX_OPS))
    everything_left = AlertFilter(regex_only.matchers, wanted.words)
    shown: list[ShownAlert] = []
    for key, incident_id, labels, *parts, checked in found:
        if labels is None:  # decided by the query
            shown.append((str(key), incident_id))
            continue
        rest = regex_only if checked else everything_left
        if rest.empty or rest.matches_parts(json.loads(labels), tuple(parts).__iter__):
            shown.append((str(key), incident_id))
    return shown
