"""Untrusted text made plain for a provider, and the words every channel shares.

Titles and summaries carry alert labels, which anyone who can fire an alert
controls. They are cleaned of control and bidi characters (no header injection
in mail, no escape sequences in a terminal that shows a webhook log) and cut to
what the provider takes; each channel then keeps them out of its markup.
"""

from __future__ import annotations

from warroom.model.text import strip_unsafe
from warroom.notify.message import Action, Notice

_HEADLINE = {
    Action.TRIGGER: "Incident #{id} needs you",
    Action.ACKNOWLEDGE: "Incident #{id} acknowledged",
    Action.RESOLVE: "Incident #{id} resolved",
    Action.NOTIFY: "Incident #{id}",
}


def clean(text: str, limit: int, lines: bool = False) -> str:
    """One line (or several, with `lines`) without control characters, at most `limit` chars."""
    if lines:
        parts = [strip_unsafe(line).rstrip() for line in text.replace("\r\n", "\n").split("\n")]
        value = "\n".join(parts).strip()
    else:
        value = " ".join(strip_unsafe(text.replace("\n", " ").replace("\r", " ")).split())
    if len(value) > limit:
        value = value[: max(0, limit - 1)] + "…"
    return value


def headline(notice: Notice) -> str:
    return _HEADLINE[notice.action].format(id=notice.incident_id)


def impact_line(notice: Notice) -> str:
    return f"impact {notice.impact.label}"


def repeat_line(notice: Notice) -> str:
    """What a channel without an idempotency key says when this may be a second copy."""
    if notice.repeat_of is None:
        return ""
    return f"(repeat of {clean(notice.repeat_of, 80)}: may be a duplicate)"


def safe_link(url: str) -> str | None:
    """A link fit to put behind a button: http(s) only, one line; None otherwise."""
    text = url.strip()
    if not text.lower().startswith(("https://", "http://")):
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def slack_escape(text: str) -> str:
    """Slack's three control characters: `<!channel>`, `<@U1>` and `<url|label>` need `<`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
