"""The cell a search hit shows in the Incidents tab's TITLE column.

A title hit shows the title; any other shows where the text was found (`note:`,
`escalated:`) and a snippet starting just before the match, so the match is in
view even in the narrow column of an 80-column terminal. The match is bold and
underlined, which survives NO_COLOR.
"""

from __future__ import annotations

from rich.text import Text

from warroom.model.search import SearchHit, snippet

# Characters kept before the match: the column is ~25 wide at 80x24.
LEAD = 6
WIDTH = 200


def hit_cell(hit: SearchHit, needle: str) -> Text:
    cell = Text(no_wrap=True, overflow="ellipsis")
    if hit.field == "title":
        body = snippet(hit.text, needle, WIDTH, lead=WIDTH)
    else:
        where = hit.kind if hit.field == "timeline" and hit.kind else hit.field
        cell.append(f"{where}: ", style="dim")
        body = snippet(hit.text, needle, WIDTH, lead=LEAD, fill=False)
    start = len(cell)
    cell.append(body)
    at = body.lower().find(needle.lower()) if needle else -1
    if at >= 0:
        cell.stylize("bold underline", start + at, start + at + len(needle))
    return cell
