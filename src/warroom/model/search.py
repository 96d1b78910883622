"""A search across incidents and their timelines: "when did we see this before".

A hit is one incident with the first place the text was found in it (title,
summary, a note or another timeline event) and a snippet around the match, so a
responder sees why it matched without opening it. Matching is a plain
case-insensitive substring: responders search for a host name, an error text or
an alert name, not for word stems.
"""

from __future__ import annotations

from datetime import datetime

from warroom.model.incident import Incident
from warroom.model.text import safe_text
from warroom.model.value import Value

# Most hits a search returns: past this a responder narrows the text instead.
SEARCH_LIMIT = 200
# Characters of context kept before the match in a snippet.
SNIPPET_LEAD = 20

# where the text was found, most telling first: a title says more than an event
FIELD_ORDER = ("title", "summary", "note", "timeline")


class SearchHit(Value, frozen=True):
    """`field` is title, summary, note or timeline; `text` is the whole matching
    text (untrusted: make it safe before showing), `at` when it was written
    (the incident's creation for its title and summary), `kind` the event's kind."""

    incident: Incident
    field: str
    text: str
    at: datetime
    kind: str = ""
    matches: int = 1


def like_pattern(needle: str) -> str:
    """`needle` lower-cased as a LIKE pattern for a substring, with `%`, `_` and the
    escape itself escaped (`ESCAPE '\\'`): a search for `50%` is not a wildcard."""
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def snippet(
    text: str, needle: str, width: int = 60, lead: int = SNIPPET_LEAD, fill: bool = True
) -> str:
    """One safe line of at most `width` characters around the first match of
    `needle` in `text` (`lead` characters before it), with an ellipsis where it
    was cut. `fill`: a match near the end shows more before it, to fill `width`
    (not for a column narrower than `width`, where the match would scroll out)."""
    flat = " ".join(text.split())
    at = flat.lower().find(needle.lower()) if needle else -1
    start = 0
    if at >= 0:
        # `lead` before it, but the match whole even with an ellipsis at both ends
        start = max(0, at - lead, at + len(needle) - (width - 2))
        if fill and len(flat) - start < width - 1:  # near the end: show more before it
            start = max(0, len(flat) - (width - 1))
    return safe_text(("…" if start else "") + flat[start:], width)


def best_hits(hits: list[SearchHit]) -> list[SearchHit]:
    """One hit per incident, the most telling field (then the latest event) kept,
    with how many matches the incident had; newest incident first."""
    by_incident: dict[int, list[SearchHit]] = {}
    for hit in hits:
        by_incident.setdefault(hit.incident.id, []).append(hit)
    best: list[SearchHit] = []
    for found in by_incident.values():
        top = min(found, key=lambda h: (FIELD_ORDER.index(h.field), -h.at.timestamp()))
        best.append(
            SearchHit(top.incident, top.field, top.text, top.at, top.kind, matches=len(found))
        )
    best.sort(key=lambda h: h.incident.id, reverse=True)
    return best
