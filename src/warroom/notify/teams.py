"""Microsoft Teams through a Workflows webhook: an Adaptive Card, 202 when queued.

Office 365 connectors are retired, so their URLs are refused with what to do
instead. A Workflow answers 202 with an empty body as soon as it queued the run:
the card may still fail inside the flow, which only its run history shows, so
the detail says "accepted", not "posted". No idempotency key: a resend after a
lost answer says it may be a repeat.

Untrusted text goes into `TextRun`s of a `RichTextBlock`, where Adaptive Cards
parse no Markdown (a `TextBlock` would turn `[x](https://evil)` into a link);
`{{` is broken up so the card's DATE()/TIME() functions do not fire either.
"""

from __future__ import annotations

import json
from datetime import timedelta

from warroom.model.secret import SecretUnset
from warroom.notify.http import Answer, HttpChannel
from warroom.notify.message import Action, Attempt, Delivery, Notice, failed, sent
from warroom.notify.options import LEGACY_TEAMS_MESSAGE, is_legacy_teams
from warroom.notify.render import clean, headline, impact_line, repeat_line, safe_link

MAX_CARD_BYTES = 28 * 1024  # Teams refuses bigger messages with 413


def _run(text: str, **style: object) -> dict[str, object]:
    return {"type": "TextRun", "text": text.replace("{{", "{\u200b{"), **style}


def _block(*runs: dict[str, object]) -> dict[str, object]:
    return {"type": "RichTextBlock", "inlines": list(runs)}


class TeamsChannel(HttpChannel):
    backoff_base = timedelta(seconds=2)
    actions = frozenset(Action)

    def card(self, notice: Notice, summary_limit: int = 3000) -> dict[str, object]:
        body: list[dict[str, object]] = []
        repeat = repeat_line(notice)
        if repeat:
            body.append(_block(_run(repeat, color="Warning")))
        body.append(
            _block(
                _run(f"{headline(notice)}: ", weight="Bolder"),
                _run(clean(notice.title, 300), weight="Bolder"),
            )
        )
        body.append(_block(_run(impact_line(notice), isSubtle=True)))
        if notice.summary:
            body.append(_block(_run(clean(notice.summary, summary_limit, lines=True))))
        actions = [
            {"type": "Action.OpenUrl", "title": clean(link.title, 80) or "link", "url": url}
            for link in notice.links[:6]
            if (url := safe_link(link.url))
        ]
        card: dict[str, object] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.2",
            "body": body,
        }
        if actions:
            card["actions"] = actions
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }

    def payload(self, notice: Notice) -> bytes:
        body = json.dumps(self.card(notice)).encode()
        if len(body) > MAX_CARD_BYTES:  # a summary full of multi-byte text: cut it harder
            body = json.dumps(self.card(notice, summary_limit=1000)).encode()
        return body

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        attempt = attempt or Attempt()
        try:
            url = self.reveal("url")
        except SecretUnset as exc:
            return self.unset(exc)
        if is_legacy_teams(url):
            return failed(self.label, LEGACY_TEAMS_MESSAGE)
        return await self.deliver(url, self.payload(notice), {}, notice, attempt)

    def judge(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery:
        if 200 <= answer.status < 300:
            return sent(
                self.label,
                answer.headers.get("x-ms-workflow-run-id", ""),
                f"{notice.action} accepted by the Teams workflow (a failure inside the flow"
                " shows only in its run history)",
            )
        if answer.status == 413:
            return failed(self.label, "HTTP 413: Teams refused the card as too large")
        if answer.status in (401, 403, 404):
            return failed(
                self.label,
                f"{self.status_line(answer, 80)}: the workflow is gone, off or not"
                " yours any more: create it again and update the URL",
            )
        return failed(self.label, self.status_line(answer))
