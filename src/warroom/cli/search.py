"""`warroom incidents --search TEXT`: when did we see this before."""

from __future__ import annotations

from warroom.cli.output import print_json_line, print_table
from warroom.config import Config
from warroom.model.clock import format_age, utcnow
from warroom.model.search import SearchHit, snippet

# Characters of the matching text a row shows: a line of a wide terminal.
SNIPPET_WIDTH = 60


def where(hit: SearchHit) -> str:
    """The field a hit matched in, as a responder reads it: `note`, `escalated`."""
    return hit.kind if hit.field == "timeline" and hit.kind else hit.field


async def run_search(config: Config, text: str, as_json: bool) -> int:
    import sys

    from warroom.store import open_store

    if not text.strip():
        print("warroom: --search needs some text to look for", file=sys.stderr)
        return 2

    # only reads: never creates a database, never waits for a writer's lock
    store = await open_store(config.database, read_only=True)
    try:
        hits = await store.search_incidents(text)
    finally:
        await store.close()
    if as_json:
        for hit in hits:
            i = hit.incident
            print_json_line(
                {
                    "id": i.id,
                    "title": i.title,
                    "status": i.status.value,
                    "impact": int(i.impact),
                    "created_at": i.created_at.isoformat(),
                    "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
                    "field": hit.field,
                    "kind": hit.kind or None,
                    "at": hit.at.isoformat(),
                    "matches": hit.matches,
                    "snippet": snippet(hit.text, text.strip(), SNIPPET_WIDTH),
                }
            )
        return 0
    now = utcnow()
    if not hits:
        print(f"no incident mentions {text.strip()!r}")
        return 0
    print_table(
        ("ID", "STATUS", "WHEN", "MATCH", "N", "TITLE", "TEXT"),
        [
            (
                f"#{hit.incident.id}",
                hit.incident.status.value,
                format_age(now - hit.at),
                where(hit),
                hit.matches,
                hit.incident.title,
                snippet(hit.text, text.strip(), SNIPPET_WIDTH),
            )
            for hit in hits
        ],
    )
    return 0
