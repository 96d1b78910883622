"""A generic webhook, signed per Standard Webhooks 1.0.

`webhook-id` is the notice's key, the same on every attempt, so a receiver that
dedupes on it (as the spec asks) takes a resend after a lost answer once: this
channel is idempotent. `webhook-timestamp` is the send time (receivers refuse
old ones against replay, so each attempt signs anew) and `webhook-signature` is
`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the secret's bytes.
2xx is delivered; 410 means the receiver disabled the endpoint; 429 and 5xx
are retried; other 4xx are the receiver refusing for good (a wrong secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC

from warroom.model.secret import SecretUnset
from warroom.notify.http import Answer, HttpChannel
from warroom.notify.message import Action, Attempt, Delivery, Notice, failed, sent
from warroom.notify.render import clean, safe_link

_TYPE = {
    Action.TRIGGER: "incident.triggered",
    Action.ACKNOWLEDGE: "incident.acknowledged",
    Action.RESOLVE: "incident.resolved",
    Action.NOTIFY: "incident.notice",
}


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value; ValueError for a secret that is not whsec_ + base64."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the secret is not whsec_ + base64") from exc
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class WebhookChannel(HttpChannel):
    idempotent = True
    actions = frozenset(Action)

    def payload(self, notice: Notice, attempt: Attempt) -> dict[str, object]:
        at = (notice.at or attempt.now).astimezone(UTC)
        data: dict[str, object] = {
            "incident": notice.incident_id,
            "action": str(notice.action),
            "title": clean(notice.title, 1000),
            "impact": int(notice.impact),
            "summary": clean(notice.summary, 10000, lines=True),
            "links": [
                {"title": clean(link.title, 200), "url": url}
                for link in notice.links
                if (url := safe_link(link.url))
            ],
            "thread": notice.dedup_key,
        }
        if notice.url and safe_link(notice.url):
            data["url"] = notice.url
        if notice.repeat_of is not None:
            data["repeat_of"] = clean(notice.repeat_of, 200)
        return {"type": _TYPE[notice.action], "timestamp": at.isoformat(), "data": data}

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        attempt = attempt or Attempt()
        try:
            url = self.reveal("url")
            secret = self.reveal("secret")
        except SecretUnset as exc:
            return self.unset(exc)
        body = json.dumps(self.payload(notice, attempt)).encode()
        timestamp = int(attempt.now.timestamp())
        try:
            signature = sign(secret, notice.key, timestamp, body)
        except ValueError as exc:
            return failed(self.label, f"{exc}: make it whsec_ + base64 of 24-64 random bytes")
        headers = {
            "webhook-id": notice.key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        return await self.deliver(url, body, headers, notice, attempt)

    def judge(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery:
        if 200 <= answer.status < 300:
            return sent(self.label, notice.key, f"{notice.action} delivered (HTTP {answer.status})")
        if answer.status == 410:
            return failed(
                self.label, "HTTP 410: the receiver disabled this endpoint; remove or fix it"
            )
        if answer.status in (401, 403):
            return failed(
                self.label,
                f"{self.status_line(answer, 80)}: the receiver refused the signature or"
                " credentials; check the secret",
            )
        return failed(self.label, self.status_line(answer))
