"""Prometheus Alertmanager, API v2: alerts to poll, silences to create and expire.

The configured URL may carry a path prefix (Alertmanager's `--web.route-prefix`,
or Grafana's Alertmanager-compatible API at `/api/alertmanager/grafana`); the
API paths are appended to it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from warroom.model import Alert, AlertState, Severity, fingerprint_of
from warroom.model.matchers import Matcher, MatcherError, MatchOp, parse_matchers
from warroom.model.silence import Silence
from warroom.offload import (
    OFFLOAD_BYTES,
    NotAnArray,
    PieceFeed,
    array_items,
    in_thread,
    interactive,
    off_loop,
)
from warroom.sources.base import SourceError, SourceSpec
from warroom.sources.http import HttpClient, HttpSettings
from warroom.sources.normalise import (
    ShapeError,
    SharedText,
    item_labels,
    optional_string,
    string_map,
    timestamp,
)

ALERTS_PATH = "/api/v2/alerts"
_STATES = {
    "active": AlertState.FIRING,
    "unprocessed": AlertState.FIRING,
    "suppressed": AlertState.SUPPRESSED,
}


# fingerprint -> (its startsAt as sent, the Alert built from it): all it takes to
# tell an unchanged item, without keeping any of the item itself
Reuse = dict[str, tuple[str, Alert]]


def normalise_alerts(
    source: str,
    payload: Any,
    reuse: Reuse | None = None,
    shared: SharedText | None = None,
) -> list[Alert]:
    """GettableAlerts (a list, or an iterator of items decoded one at a time) to
    `Alert`s. Volatile fields (endsAt, updatedAt) are left out: Alertmanager moves
    them on every evaluation, and they would turn every poll into a write of every
    row."""
    if not isinstance(payload, list | Iterator):
        raise ShapeError(f"expected a list of alerts, got {type(payload).__name__}")
    shared = shared if shared is not None else SharedText()
    alerts = []
    for index, raw in enumerate(payload):
        # An item that says what last poll's said gives back the same Alert: an
        # unchanged alert costs no normalising, and downstream its digest is
        # reused too. Compared with the Alert itself (plain dicts, no serialising).
        if reuse is not None and type(raw) is dict:
            fingerprint = raw.get("fingerprint")
            previous = reuse.get(fingerprint) if type(fingerprint) is str else None
            if previous is not None and _unchanged(raw, *previous):
                alerts.append(previous[1])
                continue
        try:
            alert = _alert(source, raw, shared)
        except ShapeError as exc:  # the item's position only when it is needed
            raise ShapeError(f"alert {index}: {exc}") from exc
        alerts.append(alert)
        if reuse is not None and _as_sent(raw, alert):
            # Updated in place, not rebuilt beside the old map (a few MB of a 50,000-
            # alert poll's peak). An entry is a fact (this item gives this Alert),
            # true whichever poll made it: a payload that fails half-way leaves the
            # map as good as it was.
            reuse[alert.fingerprint] = (shared.value("startsAt", raw["startsAt"]), alert)
    if reuse is not None and len(reuse) > len(alerts):  # alerts left: let go of them
        kept: Reuse = {}
        for alert in alerts:
            entry = reuse.get(alert.fingerprint)
            if entry is not None and entry[1] is alert:
                kept[alert.fingerprint] = entry
        reuse.clear()
        reuse.update(kept)
    return alerts


def _as_sent(raw: dict[str, Any], alert: Alert) -> bool:
    """Whether normalising kept the item's labels and annotations as they came (no
    value cut or converted) and its fingerprint: then an item equal to this
    Alert's fields normalises to this very Alert, which `_unchanged` relies on."""
    annotations = raw.get("annotations")
    return (
        raw.get("fingerprint") == alert.fingerprint
        and raw["labels"] == alert.labels
        and (annotations == alert.annotations or (annotations is None and not alert.annotations))
    )


def _unchanged(raw: dict[str, Any], starts_at: str, alert: Alert) -> bool:
    """Whether `raw` would normalise to `alert` (built from an item `_as_sent`)."""
    status = raw.get("status") or {}
    annotations = raw.get("annotations")
    url = raw.get("generatorURL")
    return (
        raw.get("startsAt") == starts_at
        and raw.get("labels") == alert.labels
        and (annotations == alert.annotations or (annotations is None and not alert.annotations))
        and type(status) is dict
        and _STATES.get(str(status.get("state", "active"))) is alert.state
        and (url == alert.url or (url is None and alert.url == ""))
    )


def _alert(source: str, raw: Any, shared: SharedText) -> Alert:
    item, labels = item_labels(raw, "item", shared)
    annotations = string_map(item.get("annotations"), "annotations", shared)
    status = item.get("status") or {}
    if not isinstance(status, dict):
        raise ShapeError("status must be an object")
    state = _STATES.get(str(status.get("state", "active")))
    if state is None:
        raise ShapeError(f"unknown status.state {status.get('state')!r}")
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise ShapeError("fingerprint must be a string")
    url = optional_string(item.get("generatorURL"), "generatorURL")
    return Alert(
        source=source,
        fingerprint=fingerprint or fingerprint_of(labels),
        name=labels.get("alertname", "") or "(no alertname)",
        state=state,
        severity=Severity.parse(labels.get("severity")),
        starts_at=shared.time(item.get("startsAt"), "startsAt"),
        labels=labels,
        annotations=annotations,
        url=shared.value("generatorURL", url),
    )


def _filter_list(value: object) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    matchers: list[str] = []
    for item in items:
        try:
            matchers.extend(str(m) for m in parse_matchers(str(item)))
        except MatcherError as exc:
            raise ValueError(f"filter {item!r}: {exc}") from exc
    return matchers


class AlertmanagerSource:
    def __init__(self, spec: SourceSpec) -> None:
        self.name = spec.name
        self.interval = spec.interval
        self.spec = spec
        self.filters = _filter_list(spec.options.get("filter"))
        # Acknowledging in warroom silences the alert here until it resolves.
        self.silence_on_ack = bool(spec.options.get("silence_on_ack", False))
        self.http = HttpClient(spec.name, HttpSettings.from_spec(spec))
        self._reuse: Reuse = {}
        self._shared = SharedText()

    def _params(self) -> list[tuple[str, str]]:
        opts = self.spec.options
        params = [
            ("active", "true"),
            ("silenced", str(bool(opts.get("silenced", True))).lower()),
            ("inhibited", str(bool(opts.get("inhibited", True))).lower()),
        ]
        params += [("filter", f) for f in self.filters]
        if opts.get("receiver"):
            params.append(("receiver", str(opts["receiver"])))
        return params

    def send_early(self) -> None:
        self.http.send_early(ALERTS_PATH, self._params())

    async def fetch(self) -> list[Alert]:
        if interactive():
            return await self._fetch_as_it_arrives()
        pieces = await self.http.request_chunks("GET", ALERTS_PATH, params=self._params())
        head = b"".join(pieces[:64])[:4096]  # to name an answer that is not JSON
        size = sum(len(p) for p in pieces)
        try:
            return await off_loop(size, OFFLOAD_BYTES, self._normalise, pieces)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.http.json_error(head, exc) from exc
        except ShapeError as exc:
            raise self.http.error(f"unexpected response: {exc}") from exc

    async def _fetch_as_it_arrives(self) -> list[Alert]:
        """The answer decoded in a worker thread while it arrives, each piece dropped
        once decoded: with a screen drawing, the console never holds the answer
        whole (20 MB at 50,000 alerts, the largest part of a poll's peak). Failures
        read as those of `fetch` without a screen, in the same words."""
        feed = PieceFeed()
        work = asyncio.ensure_future(in_thread(self._normalise, feed))
        work.add_done_callback(lambda _: feed.unbound())  # the loop never waits on it then
        try:
            await self.http.request_chunks("GET", ALERTS_PATH, params=self._params(), feed=feed)
        except BaseException:
            feed.abort()  # the reader stops; what it raises then is nobody's news
            work.add_done_callback(_forget)
            raise
        feed.close()
        try:
            return await work
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if all(not p or p.isspace() for p in feed.pieces):  # nothing but spaces
                raise self.http.error(
                    "unexpected response: expected a list of alerts, got NoneType"
                ) from None
            raise self.http.json_error(feed.head, exc) from exc
        except ShapeError as exc:
            raise self.http.error(f"unexpected response: {exc}") from exc

    def _normalise(self, body: list[bytes] | PieceFeed) -> list[Alert]:
        """The answer decoded an item at a time, each turned into its Alert (or
        reused) before the next is decoded, each piece of the body dropped once
        decoded: neither the body whole nor its decoded tree (six times its size)
        ever exists at once."""
        if isinstance(body, list) and all(not p or p.isspace() for p in body):
            raise ShapeError("expected a list of alerts, got NoneType")
        items = array_items(body, fix_surrogates=True)
        del body  # array_items releases each piece; no other reference may hold it
        try:
            return normalise_alerts(self.name, items, self._reuse, self._shared)
        except NotAnArray as exc:
            raise ShapeError(f"expected a list of alerts, got {type(exc.value).__name__}") from None

    # -- silences ---------------------------------------------------------------------------

    async def create_silence(
        self,
        matchers: Sequence[Matcher],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        if not matchers:
            raise self.http.error("a silence needs at least one matcher")
        body = {
            "matchers": [
                {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
                for m in matchers
            ],
            "startsAt": starts_at.isoformat(),
            "endsAt": ends_at.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = await self.http.request_json("POST", "/api/v2/silences", json_body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("silenceID"), str):
            raise self.http.error("silence created but no silenceID in the answer")
        silence_id: str = answer["silenceID"]
        return silence_id

    async def silences(self) -> list[Silence]:
        payload = await self.http.get_json("/api/v2/silences")
        try:
            return [self._silence(item) for item in _list(payload, "silences")]
        except ShapeError as exc:
            raise self.http.error(f"unexpected silences: {exc}") from exc

    async def expire_silence(self, silence_id: str) -> None:
        if not silence_id or "/" in silence_id:
            raise self.http.error(f"not a silence id: {silence_id!r}")
        await self.http.request("DELETE", f"/api/v2/silence/{silence_id}")

    def _silence(self, item: Any) -> Silence:
        if not isinstance(item, dict):
            raise ShapeError("a silence must be an object")
        matchers = []
        for raw in _list(item.get("matchers"), "matchers"):
            if not isinstance(raw, dict):
                raise ShapeError("a matcher must be an object")
            regex, equal = bool(raw.get("isRegex")), raw.get("isEqual", True) is not False
            op = {
                (False, True): MatchOp.EQ,
                (False, False): MatchOp.NE,
                (True, True): MatchOp.RE,
                (True, False): MatchOp.NRE,
            }[(regex, equal)]
            try:
                matchers.append(Matcher.create(str(raw.get("name")), op, str(raw.get("value"))))
            except MatcherError as exc:
                raise ShapeError(str(exc)) from exc
        status = item.get("status") or {}
        return Silence(
            id=str(item.get("id")),
            source=self.name,
            matchers=tuple(matchers),
            starts_at=timestamp(item.get("startsAt"), "silence startsAt"),
            ends_at=timestamp(item.get("endsAt"), "silence endsAt"),
            created_by=optional_string(item.get("createdBy"), "createdBy"),
            comment=optional_string(item.get("comment"), "comment"),
            state=str(status.get("state", "")) if isinstance(status, dict) else "",
        )

    async def close(self) -> None:
        await self.http.close()


def _forget(work: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned reader's end (FeedAborted, or an error of a part of the
    answer that the request's own failure outranks), so asyncio does not log it."""
    if not work.cancelled():
        work.exception()


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ShapeError(f"{what} must be a list, got {type(value).__name__}")
    return value


__all__ = ["AlertmanagerSource", "SourceError", "normalise_alerts"]
