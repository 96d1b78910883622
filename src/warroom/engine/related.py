"""An incident's related items: those kept by hand, and those the store already knows.

`gather` derives the implicit ones each time (the plan's links recorded at
declaration, link annotations of its alerts, the incident it was merged into
and those merged into it, its runbook runs and silences) so a fact is never
kept twice; `add` checks and keeps what a responder adds: a URL (a ticket
when it ends in an id and says so), another incident, or a file copied into
the store with its size and sha256.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from warroom.engine.context import Context
from warroom.engine.errors import ActionError
from warroom.engine.metrics import IncidentMetrics
from warroom.model import EventKind, events
from warroom.model.related import (
    ATTACHMENT_MAX_BYTES,
    Origin,
    RelatedItem,
    RelatedKind,
    RelatedRefused,
    Relation,
    annotation_links,
    check_url,
    ticket_id,
)
from warroom.model.text import safe_text
from warroom.model.value import Value, replace
from warroom.store import Store

MAX_TITLE = 200


class Added(Value, frozen=True):
    item: RelatedItem
    message: str


async def gather(store: Store, incident_id: int) -> list[RelatedItem]:
    """Every item of the incident: derived first (plan, annotations, incidents,
    runs, silences), then those kept by hand in the order added. The console, the
    CLI and the analysis export all list these, so they agree."""
    incident = await store.incident(incident_id)
    if incident is None:
        raise ActionError(f"no incident #{incident_id}")
    found: list[RelatedItem] = []
    seen_urls: set[str] = set()

    def link(item: RelatedItem) -> None:
        if item.url not in seen_urls:
            seen_urls.add(item.url)
            found.append(item)

    timeline = await store.timeline(incident_id)
    merged_in: list[RelatedItem] = []
    for event in timeline:
        if event.kind not in (EventKind.DECLARED, EventKind.MERGED):
            continue
        try:
            read = events.read(event)
        except events.EventUnreadable:
            continue
        if isinstance(read, events.Declared):
            for plan_link in read.links:
                try:
                    url = check_url(plan_link.url)
                except RelatedRefused:
                    continue
                link(RelatedItem(RelatedKind.LINK, plan_link.title, url, origin=Origin.PLAN))
        elif isinstance(read, events.Merged) and read.merged_from is not None:
            merged_in.append(
                RelatedItem(
                    RelatedKind.INCIDENT,
                    read.title,
                    ref=str(read.merged_from),
                    relation=Relation.MERGED.value,
                    origin=Origin.DERIVED,
                )
            )
    for tracked in await store.incident_alerts(incident_id):
        for name, url in annotation_links(tracked.alert.annotations):
            link(
                RelatedItem(
                    RelatedKind.LINK, f"{tracked.alert.name} {name}", url, origin=Origin.ANNOTATION
                )
            )
    if incident.parent_id is not None:
        parent = await store.incident(incident.parent_id)
        found.append(
            RelatedItem(
                RelatedKind.INCIDENT,
                parent.title if parent else "",
                ref=str(incident.parent_id),
                relation=Relation.PARENT.value,
                origin=Origin.DERIVED,
            )
        )
    found.extend(merged_in)
    for run in await store.runbook_runs(incident_id):
        found.append(
            RelatedItem(
                RelatedKind.RUNBOOK,
                f"{run.name} ({run.run.status})",
                ref=str(run.id),
                origin=Origin.DERIVED,
                actor=run.started_by,
                created_at=run.started_at,
            )
        )
    for source, silence_id, reason in await store.incident_silences(incident_id):
        found.append(
            RelatedItem(
                RelatedKind.SILENCE,
                f"{reason} silence",
                ref=silence_id,
                source=source,
                origin=Origin.DERIVED,
            )
        )
    found.extend(await store.related_items(incident_id))
    return found


def parse_target(target: str, title: str = "") -> tuple[RelatedItem, Path | None]:
    """What `related add TARGET` means: `incident:N`, `file:PATH`, or a URL (a
    ticket when `title` starts with `ticket` or the URL ends in an id under
    /browse/ or /issues/); RelatedActionError with one line otherwise."""
    title = safe_text(title.strip(), MAX_TITLE)
    if target.startswith("incident:"):
        number = target.removeprefix("incident:").lstrip("#")
        if not number.isdigit() or int(number) <= 0:
            raise RelatedRefused(f"{safe_text(target, 60)}: write incident:N with N a number")
        item = RelatedItem(
            RelatedKind.INCIDENT, title, ref=str(int(number)), relation=Relation.SEE_ALSO.value
        )
        return item, None
    if target.startswith("file:"):
        raw = target.removeprefix("file:")
        if not raw:
            raise RelatedRefused("file: names no path")
        path = Path(raw).expanduser()
        return RelatedItem(RelatedKind.ATTACHMENT, title or path.name), path
    url = check_url(target.strip())
    ticket = ticket_id(url)
    is_ticket = bool(ticket) and (
        title.lower().startswith("ticket") or any(p in url for p in ("/browse/", "/issues/"))
    )
    if is_ticket:
        return RelatedItem(RelatedKind.TICKET, title, url, ref=ticket), None
    return RelatedItem(RelatedKind.LINK, title, url), None


def read_attachment(path: Path, cap: int = ATTACHMENT_MAX_BYTES) -> bytes:
    """The file's bytes, read once through one descriptor (no check-then-open race);
    RelatedRefused naming the path when it is not a regular file, too big, or
    unreadable."""
    shown = safe_text(str(path), 200)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise RelatedRefused(f"{shown}: no such file") from None
    except PermissionError:
        raise RelatedRefused(f"{shown}: not readable (permission denied)") from None
    except OSError as exc:
        raise RelatedRefused(f"{shown}: cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RelatedRefused(f"{shown}: not a regular file")
        if info.st_size > cap:
            raise RelatedRefused(
                f"{shown}: {info.st_size} bytes, over the attachment cap of {cap} bytes"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(cap + 1)
        if len(data) > cap:  # it grew while we read
            raise RelatedRefused(f"{shown}: over the attachment cap of {cap} bytes")
        return data
    except OSError as exc:
        raise RelatedRefused(f"{shown}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


async def add(context: Context, incident_id: int, target: str, title: str = "") -> Added:
    """Check and keep one item added by a responder; ActionError with one line."""
    store = context.store
    try:
        item, path = parse_target(target, title)
        content = None if path is None else read_attachment(path)
    except RelatedRefused as exc:
        raise ActionError(str(exc)) from None
    if await store.incident(incident_id) is None:
        raise ActionError(f"no incident #{incident_id}")
    if item.kind is RelatedKind.INCIDENT:
        if int(item.ref) == incident_id:
            raise ActionError(f"#{incident_id} cannot be related to itself")
        other = await store.incident(int(item.ref))
        if other is None:
            raise ActionError(f"no incident #{item.ref}")
        if not item.title:
            item = replace(item, title=safe_text(other.title, MAX_TITLE))
    if content is not None:
        item = replace(item, sha256=hashlib.sha256(content).hexdigest())
    async with store.transaction(context.now()) as tx:
        item_id = await tx.add_related(incident_id, item, context.actor, content)
    size = None if content is None else len(content)
    kept = replace(item, id=item_id, actor=context.actor, created_at=context.now(), size=size)
    return Added(kept, _message(item, content))


def _message(item: RelatedItem, content: bytes | None) -> str:
    if item.kind is RelatedKind.ATTACHMENT and content is not None:
        return f"attached {item.title} ({len(content)} bytes, sha256 {item.sha256[:12]}…)"
    if item.kind is RelatedKind.INCIDENT:
        return f"related #{item.ref} (see also)"
    return f"added {item.kind.value} {item.url}"


async def add_metric(
    context: Context, metrics: IncidentMetrics, incident_id: int, expr: str
) -> str:
    """Keep a query typed on the Metrics tab with the incident, once: PromQL for the
    first Prometheus (the one the tab asks), a CloudWatch spec for its CloudWatch
    source; ValueError when unusable."""
    expr, source = metrics.check_query(expr)
    store = context.store
    if await store.incident(incident_id) is None:
        raise ActionError(f"no incident #{incident_id}")
    kept = await store.related_items(incident_id)
    if any(i.kind is RelatedKind.METRIC and i.ref == expr for i in kept):
        return expr
    async with context.transaction() as tx:
        item = RelatedItem(RelatedKind.METRIC, ref=expr, source=source)
        await tx.add_related(incident_id, item, context.actor)
    return expr
