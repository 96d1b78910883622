"""Related items: what else belongs to an incident (Incident Manager's related items).

Some are kept as rows (a link or ticket added by hand, an attachment, a PromQL
query added on the Metrics tab, an incident linked as "see also"); the others are
derived each time from what the store already holds (the plan's links recorded at
declaration, alert annotations such as `runbook_url`, merged incidents, runbook
runs, silences), so one fact is never kept twice and never drifts.

A URL is only ever shown or copied, never fetched and never handed to a shell:
`check_url` admits http(s) with a host and no control character of any kind
(C0, DEL, C1 and the bidi/format characters that could make a URL read as
another one).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from warroom.model.urls import UrlFault, check_http_url
from warroom.model.value import Value

# Attachments are evidence (a log excerpt, a screenshot), not archives: 5 MiB
# keeps a shared SQLite file small enough to copy around for the review.
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024

# Annotations that hold a URL worth keeping with the incident (Prometheus and
# Grafana conventions); any other annotation holding an http(s) URL counts too.
LINK_ANNOTATIONS = ("runbook_url", "dashboard", "dashboard_url", "grafana_url", "playbook")


class RelatedKind(StrEnum):
    LINK = "link"  # url + title
    TICKET = "ticket"  # url + ticket id (`ref`)
    INCIDENT = "incident"  # `ref`: the other incident's id; `relation` says how
    RUNBOOK = "runbook"  # `ref`: the run's id (derived)
    METRIC = "metric"  # `ref`: a PromQL query; `source`: where it runs
    SILENCE = "silence"  # `ref`: the silence id at `source` (derived)
    ATTACHMENT = "attachment"  # a file copied into the store; `title`: its name


class Origin(StrEnum):
    """Where an item comes from; only `hand` items are rows of their own."""

    HAND = "hand"
    PLAN = "plan"
    ANNOTATION = "annotation"
    DERIVED = "derived"


class Relation(StrEnum):
    PARENT = "parent"  # this incident was merged into `ref`
    MERGED = "merged"  # `ref` was merged into this incident
    SEE_ALSO = "see-also"


class RelatedRefused(ValueError):
    """An item that cannot be added; the message is one line for the responder."""


class RelatedItem(Value, frozen=True):
    kind: RelatedKind
    title: str = ""
    url: str = ""
    ref: str = ""
    relation: str = ""
    source: str = ""
    origin: Origin = Origin.HAND
    id: int | None = None  # a stored row's id; None for a derived item
    actor: str = ""
    created_at: datetime | None = None
    size: int | None = None  # attachments
    sha256: str = ""  # attachments


def check_url(raw: str) -> str:
    """`raw` if it is an http(s) URL safe to show and copy; else RelatedRefused."""
    try:
        check_http_url(raw)
    except UrlFault as exc:
        reason = {
            "scheme": "only http and https URLs are kept",
            "host": "it names no host",
            "spaces": "it holds spaces or control characters",
        }.get(exc.fault.value, exc.detail or exc.fault.value)
        raise RelatedRefused(f"not a usable URL: {reason}") from None
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in raw):
        raise RelatedRefused("not a usable URL: it holds spaces or control characters")
    if len(raw) > 4096:
        raise RelatedRefused("not a usable URL: longer than 4096 characters")
    return raw


def ticket_id(url: str) -> str:
    """The ticket's id as responders say it: the URL's last path segment
    (`.../browse/OPS-123` -> `OPS-123`, `.../issues/42` -> `42`), '' if none."""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    tail = path.rsplit("/", 1)[-1] if "/" in path.split("://", 1)[-1] else ""
    return tail if any(c.isdigit() for c in tail) else ""


def annotation_links(annotations: Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, url) of the annotations that are usable URLs, the well-known first."""
    names = [n for n in LINK_ANNOTATIONS if n in annotations]
    names += sorted(n for n in annotations if n not in LINK_ANNOTATIONS)
    found = []
    for name in names:
        value = annotations[name].strip()
        if not value.startswith(("http://", "https://")):
            continue
        try:
            found.append((name, check_url(value)))
        except RelatedRefused:
            continue
    return found
