"""PagerDuty Events API v2: one alert per incident and channel, keyed by dedup_key.

The same dedup_key on trigger, acknowledge and resolve addresses the same alert,
and a trigger resent after a lost answer joins the open alert instead of paging
twice: this channel is idempotent, so the outbox may resend after `unknown`.
PagerDuty answers 202 when it took the event, 400 for an event it never will
take, 429 and 5xx for "later" (it sends no Retry-After; its docs suggest waiting
tens of seconds, hence the longer backoff).
"""

from __future__ import annotations

import json
from datetime import timedelta

from warroom.model.incident import Impact
from warroom.model.secret import SecretUnset
from warroom.notify.declare import PAGERDUTY_EVENTS_URL, ChannelSpec
from warroom.notify.http import Answer, HttpChannel
from warroom.notify.message import Action, Attempt, Delivery, Notice, failed, sent
from warroom.notify.render import clean, headline, safe_link

_SEVERITY = {
    Impact.CRITICAL: "critical",
    Impact.HIGH: "error",
    Impact.MEDIUM: "warning",
    Impact.LOW: "info",
    Impact.NO_IMPACT: "info",
}
_EVENT_ACTION = {
    Action.TRIGGER: "trigger",
    Action.ACKNOWLEDGE: "acknowledge",
    Action.RESOLVE: "resolve",
}


class PagerDutyChannel(HttpChannel):
    idempotent = True
    backoff_base = timedelta(seconds=30)
    actions = frozenset(_EVENT_ACTION)

    def __init__(self, spec: ChannelSpec) -> None:
        super().__init__(spec)
        self.url = str(spec.options.get("url") or PAGERDUTY_EVENTS_URL)

    def event(self, notice: Notice, attempt: Attempt, routing_key: str) -> dict[str, object]:
        event: dict[str, object] = {
            "routing_key": routing_key,
            "event_action": _EVENT_ACTION[notice.action],
            "dedup_key": notice.dedup_key,
        }
        if notice.action is not Action.TRIGGER:
            return event  # acknowledge and resolve take only the key
        at = notice.at or attempt.now
        details: dict[str, object] = {"incident": notice.incident_id, "impact": notice.impact.label}
        if notice.summary:
            details["summary"] = clean(notice.summary, 4000, lines=True)
        event["payload"] = {
            "summary": clean(f"{headline(notice)}: {notice.title}", 1024),
            "source": clean(notice.source, 255) or "warroom",
            "severity": _SEVERITY[notice.impact],
            "timestamp": at.isoformat(),
            "custom_details": details,
        }
        event["client"] = "warroom"
        if notice.url and safe_link(notice.url):
            event["client_url"] = notice.url
        links = [
            {"href": url, "text": clean(link.title, 200)}
            for link in notice.links
            if (url := safe_link(link.url))
        ]
        if links:
            event["links"] = links
        return event

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        attempt = attempt or Attempt()
        if notice.action not in self.actions:
            return failed(
                self.label, f"PagerDuty takes trigger, acknowledge, resolve: not {notice.action}"
            )
        try:
            routing_key = self.reveal("routing_key")
        except SecretUnset as exc:
            return self.unset(exc)
        body = json.dumps(self.event(notice, attempt, routing_key)).encode()
        return await self.deliver(self.url, body, {}, notice, attempt)

    def judge(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery:
        if answer.status == 202 or 200 <= answer.status < 300:
            try:
                reference = str(json.loads(answer.body).get("dedup_key") or notice.dedup_key)
            except (ValueError, AttributeError):
                reference = notice.dedup_key
            return sent(self.label, reference, f"{notice.action} accepted by PagerDuty")
        if answer.status == 400:
            return failed(self.label, f"PagerDuty refused the event: {self._errors(answer)}")
        if answer.status in (401, 403, 404):
            return failed(
                self.label,
                f"{self.status_line(answer, 80)}: check the routing_key (the service's"
                " Events API v2 integration key) and the url",
            )
        return failed(self.label, self.status_line(answer))

    def _errors(self, answer: Answer) -> str:
        try:
            data = json.loads(answer.body)
            errors = data.get("errors") or []
            text = "; ".join(str(e) for e in errors) or str(data.get("message") or "")
        except (ValueError, AttributeError):
            text = answer.text
        return self.scrub(clean(text, 200)) or "HTTP 400"
