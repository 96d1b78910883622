"""Slack incoming webhooks: a message posted once, `ok` when Slack took it.

Slack answers errors as plain-text words (`channel_not_found`, `invalid_token`),
every one of them permanent until someone fixes the webhook, and 429 with a
Retry-After when the channel is posted to too fast. There is no idempotency key
and no edit through a webhook: acknowledge and resolve are follow-up messages,
and a resend after a lost answer says it may be a repeat.

Untrusted text has `& < >` escaped: in Slack's mrkdwn `<!channel>` pings a whole
channel and `<https://evil|Runbook>` disguises a link, and both need a `<`.
"""

from __future__ import annotations

import json
from datetime import timedelta

from warroom.model.secret import SecretUnset
from warroom.notify.http import Answer, HttpChannel
from warroom.notify.message import Action, Attempt, Delivery, Notice, failed, sent
from warroom.notify.render import clean, headline, impact_line, repeat_line, safe_link, slack_escape

_ADVICE = {
    "invalid_payload": "Slack could not read the message (a warroom bug: please report it)",
    "no_text": "Slack could not read the message (a warroom bug: please report it)",
    "posting_to_general_channel_denied": "only admins may post to this channel: pick another",
    "action_prohibited": "a Slack admin restricted this webhook",
    "invalid_token": "the webhook was revoked: create a new one and update the URL",
    "no_service": "the webhook was revoked or disabled: create a new one and update the URL",
    "no_active_hooks": "the webhook was disabled: create a new one and update the URL",
    "no_service_id": "the URL is not a complete webhook URL: copy it again from Slack",
    "no_team": "the URL is not a complete webhook URL: copy it again from Slack",
    "channel_not_found": "the channel is gone: point the webhook at another channel",
    "channel_is_archived": "the channel is archived: unarchive it or create a new webhook",
    "team_disabled": "the Slack workspace is disabled",
}


class SlackChannel(HttpChannel):
    backoff_base = timedelta(seconds=2)
    actions = frozenset(Action)

    def message(self, notice: Notice) -> dict[str, object]:
        title = slack_escape(clean(notice.title, 150))
        lines = [f"*{slack_escape(headline(notice))}*: {title}", slack_escape(impact_line(notice))]
        if notice.summary:
            lines.append(slack_escape(clean(notice.summary, 2000, lines=True)))
        links = []
        for link in notice.links[:10]:
            url = safe_link(link.url)
            if url:
                # `|` ends the URL part of <url|label>: keep it inside the URL
                target = slack_escape(url.replace("|", "%7C"))
                links.append(f"<{target}|{slack_escape(clean(link.title, 80)) or 'link'}>")
        if links:
            lines.append(" · ".join(links))
        repeat = repeat_line(notice)
        if repeat:
            lines.insert(0, slack_escape(repeat))
        text = "\n".join(lines)[:2900]
        fallback = slack_escape(clean(f"{repeat} {headline(notice)}: {notice.title}", 300))
        return {
            "text": fallback,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            "unfurl_links": False,
            "unfurl_media": False,
        }

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        attempt = attempt or Attempt()
        try:
            url = self.reveal("url")
        except SecretUnset as exc:
            return self.unset(exc)
        body = json.dumps(self.message(notice)).encode()
        return await self.deliver(url, body, {}, notice, attempt)

    def judge(self, answer: Answer, notice: Notice, attempt: Attempt) -> Delivery:
        word = clean(answer.text, 80)
        if answer.status == 200 and word == "ok":
            return sent(self.label, "ok", f"{notice.action} posted to Slack")
        advice = _ADVICE.get(word)
        what = f"Slack said {word!r} (HTTP {answer.status})" if word else f"HTTP {answer.status}"
        if advice:
            return failed(self.label, f"{what}: {advice}")
        if answer.status == 200:
            return failed(self.label, f"{what} instead of 'ok': is the URL a Slack webhook?")
        return failed(self.label, self.scrub(what))
