"""`warroom analysis ID answer|mark|action ...`: the analysis written from a script.

The same service calls as the console's Analysis tab (`engine.analysis`), so each
write is checked the same way and lands on the timeline in the same transaction.
Words are checked before the database is opened: a misspelt question, mark or
status is a usage error (exit 2) naming what is allowed; a write the incident
refuses (no such incident, event or item) is exit 1 with the reason.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from warroom.cli.outcome import EXIT_DONE, EXIT_REFUSED, acting
from warroom.cli.output import print_json_line
from warroom.cli.records import iso
from warroom.config import Config
from warroom.model.analysis import QUESTION_IDS, ActionItem, ActionStatus, EventMark
from warroom.model.text import safe_text
from warroom.model.value import Value, replace

EXIT_USAGE = 2
MARKS = ", ".join(m.value for m in EventMark)
STATUSES = ", ".join(s.value for s in ActionStatus)
USAGE = (
    "write `analysis ID answer QUESTION TEXT`, `analysis ID mark EVENT_ID MARK`,"
    " `analysis ID action add TITLE` or `analysis ID action ITEM_ID STATUS`"
)


class Usage(ValueError):
    """The words do not make a write: one line, exit 2."""


class ItemFields(Value, frozen=True):
    """--owner, --due and --link as given; None where not given (kept as they are)."""

    owner: str | None = None
    due: str | None = None
    link: str | None = None

    def due_date(self) -> date | None:
        if not self.due:
            return None
        try:
            return date.fromisoformat(self.due)
        except ValueError:
            raise Usage(f"--due: not a date (YYYY-MM-DD): {self.due!r}") from None

    def any(self) -> bool:
        return any(v is not None for v in (self.owner, self.due, self.link))

    def applied(self, item: ActionItem) -> ActionItem:
        due = item.due if self.due is None else self.due_date()
        return replace(
            item,
            owner=item.owner if self.owner is None else self.owner.strip(),
            due=due,
            link=item.link if self.link is None else self.link.strip(),
        )


def _number(text: str, what: str) -> int:
    try:
        value = int(text.removeprefix("#"))
    except ValueError:
        raise Usage(f"not {what}: {text!r}") from None
    if value <= 0:
        raise Usage(f"not {what}: {text!r}")
    return value


def _text(words: list[str]) -> str:
    """The words as one text; `-` alone reads it from stdin, as `warroom note` does."""
    return sys.stdin.read() if words == ["-"] else " ".join(words)


def item_record(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "owner": item.owner,
        "due": item.due.isoformat() if item.due else None,
        "status": item.status.value,
        "link": item.link,
        "created_by": item.created_by,
        "created_at": iso(item.created_at),
    }


async def run_write(
    config: Config, incident_id: int, words: list[str], fields: ItemFields, as_json: bool
) -> int:
    try:
        return await _write(config, incident_id, words, fields, as_json)
    except Usage as exc:
        print(f"warroom: analysis: {safe_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


async def _write(
    config: Config, incident_id: int, words: list[str], fields: ItemFields, as_json: bool
) -> int:
    from warroom.engine import ActionError

    if not words:
        raise Usage(USAGE)
    verb, rest = words[0], words[1:]
    if fields.any() and verb != "action":
        raise Usage("--owner, --due and --link go with `action`")
    if verb == "answer":
        if len(rest) < 2:
            raise Usage("write `analysis ID answer QUESTION TEXT` (`-` reads TEXT from stdin)")
        if rest[0] not in QUESTION_IDS:
            raise Usage(f"no question {rest[0]!r} (one of: {', '.join(QUESTION_IDS)})")
        question, text = rest[0], _text(rest[1:])
        write = "answer"
    elif verb == "mark":
        if len(rest) != 2:
            raise Usage(f"write `analysis ID mark EVENT_ID MARK` (MARK: {MARKS})")
        event_id = _number(rest[0], "an event id (`warroom show ID --json` lists them)")
        if rest[1] not in {m.value for m in EventMark}:
            raise Usage(f"no mark {rest[1]!r} (one of: {MARKS})")
        mark = EventMark(rest[1])
        write = "mark"
    elif verb == "action" and rest[:1] == ["add"]:
        title = " ".join(rest[1:]).strip()
        if not title:
            raise Usage("write `analysis ID action add TITLE [--owner O] [--due D] [--link URL]`")
        new = fields.applied(ActionItem(title))
        write = "add"
    elif verb == "action" and rest:
        item_id = _number(rest[0], "an action item id")
        if len(rest) > 2 or (len(rest) == 1 and not fields.any()):
            raise Usage(f"write `analysis ID action ITEM_ID STATUS` (STATUS: {STATUSES})")
        status = None
        if len(rest) == 2:
            if rest[1] not in {s.value for s in ActionStatus}:
                raise Usage(f"no status {rest[1]!r} (one of: {STATUSES})")
            status = ActionStatus(rest[1])
        fields.due_date()  # a bad date is a usage error before the database is opened
        write = "update"
    else:
        raise Usage(USAGE)

    async with acting(config) as service:
        actions = service.analysis
        store = service.context.store
        try:
            if write == "answer":
                await actions.answer(incident_id, question, text)
                message = f"#{incident_id}: {question} answered"
                record: dict[str, Any] = {"question": question, "answer": text.strip()}
            elif write == "mark":
                await actions.mark(incident_id, event_id, mark)
                message = f"#{incident_id}: event {event_id} marked {mark.value}"
                record = {"event": event_id, "mark": mark.value}
            elif write == "add":
                item_id = await actions.add_item(incident_id, new)
                message = f"#{incident_id}: action item #{item_id} added"
                record = {}
            else:
                items = {i.id: i for i in await store.action_items(incident_id)}
                if item_id not in items:
                    if await store.incident(incident_id) is None:
                        raise ActionError(f"no incident #{incident_id}")
                    raise ActionError(f"no action item {item_id} on incident #{incident_id}")
                changed = fields.applied(items[item_id])
                if status is not None:
                    changed = replace(changed, status=status)
                await actions.update_item(incident_id, item_id, changed)
                message = f"#{incident_id}: action item #{item_id} is {changed.status.value}"
                record = {}
            if write in ("add", "update"):
                saved = {i.id: i for i in await store.action_items(incident_id)}[item_id]
                record = {"item": item_record(saved)}
        except ActionError as exc:
            print(f"warroom: analysis: {safe_text(str(exc))}", file=sys.stderr)
            return EXIT_REFUSED
    if as_json:
        print_json_line({"incident": incident_id, "actor": service.context.actor, **record})
    else:
        print(safe_text(message))
    return EXIT_DONE
