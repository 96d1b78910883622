"""The Alerts tab's reads: what the filter shows, in its order, without loading alerts.

In a storm of 50,000 alerts the console must not hold 50,000 alerts (that was
half a gigabyte). SQLite sorts and filters; the console keeps one short string
per shown alert (its key, and its incident for bulk actions) and loads whole
alerts only for the rows on screen (`alerts_by_key`). The filter is the model's
own `AlertFilter`, run inside the query as a function, so the count and the rows
are exactly what it would pick in Python.
"""

from __future__ import annotations

from functools import lru_cache

import aiosqlite

from warroom.model import Severity, TrackedAlert
from warroom.model.filter import AlertFilter
from warroom.model.matchers import MatchOp
from warroom.offload import OFFLOAD_ITEMS, off_loop
from warroom.store import rows
from warroom.store.values import ShownAlert

# Most urgent first: severity, unacknowledged before acknowledged, newest, then by
# key, so that every order is total and a page never shows a row twice.
_RANK = " ".join(f"WHEN '{s.value}' THEN {s.rank}" for s in Severity)
ALERT_ORDER = (
    f"CASE severity {_RANK} ELSE {len(Severity)} END,"
    " acknowledged_by IS NOT NULL, starts_at DESC, source, fingerprint"
)
LABEL_FUNCTION = "warroom_label_matches"
WORDS_FUNCTION = "warroom_words_match"

# (key, incident id) of one shown alert; the key is str(AlertKey)


@lru_cache(maxsize=8)
def _parsed(text: str) -> AlertFilter:
    return AlertFilter.parse(text)


def _label_matches(text: str, index: int, value: str) -> int:
    """One matcher of the filter on one label's value (SQLite extracts the value)."""
    matcher = _parsed(text).matchers[index]
    return int(matcher.matches({matcher.name: value}))


def _words_match(text: str, haystack: str) -> int:
    """Every free-text word of the filter in the row's text (Python's casefold, as
    `AlertFilter` does; SQLite's lower() knows only ASCII)."""
    folded = haystack.casefold()
    return int(all(word in folded for word in _parsed(text).words))


# The text free words search, built by SQLite as `AlertFilter.matches` builds it:
# name, source, severity, state, the summary (first non-empty of these
# annotations) and every label as name=value. Labels are stored as compact JSON
# with sorted keys; without a backslash (an escape) in it, `{"a":"b","c":"d"}`
# becomes `a=b c=d` by replacing text, far cheaper than walking it with json_each.
_SUMMARY = ", ".join(
    f"nullif(json_extract(annotations, '$.{name}'), '')"
    for name in ("summary", "message", "description", "title")
)
_LABEL_TEXT = (
    "CASE WHEN labels = '{}' THEN '' WHEN instr(labels, '\\') THEN"
    " coalesce((SELECT group_concat(key || '=' || value, ' ') FROM json_each(labels)), '')"
    " ELSE replace(replace(substr(labels, 3, length(labels) - 4), '\":\"', '='), '\",\"', ' ')"
    " END"
)
HAYSTACK = (
    "name || ' ' || source || ' ' || severity || ' ' || state"
    f" || ' ' || coalesce({_SUMMARY}, '') || ' ' || {_LABEL_TEXT}"
)


def filter_sql(text: str, wanted: AlertFilter) -> tuple[str, list[str | int]]:
    """SQL conditions for the filter, with their parameters: SQLite takes labels
    and text apart and compares for equality; regexes and case folding, which it
    cannot do as Python does, run in Python on the parts it hands over."""
    where: list[str] = []
    params: list[str | int] = []
    for index, matcher in enumerate(wanted.matchers):
        value = "coalesce(json_extract(labels, ?), '')"  # a missing label is ""
        path = f'$."{matcher.name}"'
        if matcher.op is MatchOp.EQ:
            where.append(f"{value} = ?")
            params += [path, matcher.value]
        elif matcher.op is MatchOp.NE:
            where.append(f"{value} != ?")
            params += [path, matcher.value]
        else:
            where.append(f"{LABEL_FUNCTION}(?, ?, {value})")
            params += [text, index, path]
    if wanted.words:
        where.append(f"{WORDS_FUNCTION}(?, {HAYSTACK})")
        params.append(text)
    return " AND ".join(where), params


class AlertListing:
    _reader: aiosqlite.Connection

    async def shown_alerts(self, filter_text: str = "") -> list[ShownAlert]:
        """Every active alert the filter shows, most urgent first (see ALERT_ORDER)."""
        wanted = _parsed(filter_text)
        where = "state != 'resolved'"
        params: list[str | int] = []
        if not wanted.empty:
            condition, params = filter_sql(filter_text, wanted)
            where += f" AND {condition}"
        async with self._reader.execute(
            f"SELECT source || '/' || fingerprint, incident_id FROM alerts WHERE {where}"
            f" ORDER BY {ALERT_ORDER}",
            params,
        ) as cursor:
            found: list[ShownAlert] = list(await cursor.fetchall())  # type: ignore[arg-type]
        return found

    async def active_alert_count(self) -> int:
        async with self._reader.execute(
            "SELECT count(*) FROM alerts WHERE state != 'resolved'"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def active_alerts_at(self, sources: list[str]) -> list[TrackedAlert]:
        """The active alerts of these sources: what a silence there could mute."""
        marks = ",".join("?" for _ in sources)
        async with self._reader.execute(
            f"SELECT {rows.ALERT_COLUMNS} FROM alerts"
            f" WHERE state != 'resolved' AND source IN ({marks})",
            sources,
        ) as cursor:
            found = list(await cursor.fetchall())
        return await off_loop(len(found), OFFLOAD_ITEMS, _tracked, found)


async def register_filter_functions(reader: aiosqlite.Connection) -> None:
    """The filter's regex and word matching, registered once as the reader opens:
    SQLite refuses to (re)define a function while any statement on the connection
    is active, which a lazy registration met when two reads overlapped."""
    await reader.create_function(LABEL_FUNCTION, 3, _label_matches, deterministic=True)
    await reader.create_function(WORDS_FUNCTION, 2, _words_match, deterministic=True)


def _tracked(found: list[object]) -> list[TrackedAlert]:
    return [rows.tracked_alert(r) for r in found]  # type: ignore[arg-type]
