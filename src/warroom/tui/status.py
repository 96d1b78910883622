"""The status bar: source health, who polls, who you are, and the time.

The clock is its own small widget: each tick rewrites a dozen cells, not the
whole line, which keeps an idle console under its byte budget over SSH.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len
from rich.text import Span, Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from warroom.model import LeaseInfo, SourceHealth
from warroom.model.clock import format_age
from warroom.model.text import safe_text
from warroom.tui.cells import accent
from warroom.tui.context import console


class Clock(Static):
    _shown_text = ""

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        now = console(self).now().astimezone(UTC)
        local = now.astimezone()
        text = now.strftime("%H:%M:%SZ")
        if local.utcoffset():
            text += local.strftime(" %H:%M %Z")
        # Same width, no layout: a layout repaints every scrollbar on screen (the
        # Runbook tab's output, a long timeline), ~600 bytes a second over SSH
        # for a clock whose size never changed.
        width_changed = len(text) != len(self._shown_text)
        self._shown_text = text
        self.update(text, layout=width_changed)


def sources_text(health: list[SourceHealth], now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if not health:
        text.append("no sources yet", style="dim")
    for i, h in enumerate(health):
        if i:
            text.append(" ")
        stale = h.is_stale(now)
        age = h.age(now)
        if stale:
            text.append("✗ ", style=accent("severity-critical", bold=True, on_panel=True))
        elif h.is_failing:
            text.append("⚠ ", style=accent("severity-warning", bold=True, on_panel=True))
        else:
            text.append("✓ ")
        text.append(safe_text(h.name, 20))
        text.append(f" {format_age(age) if age is not None else 'never'}", style="dim")
        if h.is_failing and h.last_error:
            text.append(
                f" {safe_text(h.last_error, 40)}", style=accent("severity-error", on_panel=True)
            )
    return text


def lease_text(lease: LeaseInfo | None, me: str, now: datetime) -> Text:
    if lease is None or not lease.is_live(now):
        return Text(
            "⚠ nobody polls",
            style=accent("severity-critical", bold=True, on_panel=True),
            no_wrap=True,
        )
    if lease.holder == me:
        return Text("⟳ polling here", no_wrap=True)
    holder = lease.holder.rsplit(":", 1)[0]
    return Text(f"⟳ {safe_text(holder, 24)}", no_wrap=True)


class StatusBar(Horizontal):
    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, tuple[str, tuple[Span, ...], str]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="status-sources")
        yield Static(id="status-lease")
        yield Static(id="status-user")
        yield Clock(id="status-clock")

    def show(
        self,
        health: list[SourceHealth],
        lease: LeaseInfo | None,
        me: str,
        actor: str,
        now: datetime,
    ) -> None:
        self._set("#status-sources", sources_text(health, now))
        self._set("#status-lease", lease_text(lease, me, now))
        self._set("#status-user", Text(safe_text(actor, 16), style="bold"))

    def _set(self, selector: str, text: Text) -> None:
        """Skip identical updates: every repaint is bytes down the SSH link.

        And a layout only when the part's width follows its text and that width
        changed: a layout repaints the whole screen, and the start-up's three
        status changes (the first read, the lease won, the first poll) were three
        of them between the first frame and the first alerts (issue 9).
        """
        key = (text.plain, tuple(text.spans), str(text.style))
        if self._shown.get(selector) != key:
            before = self._shown.get(selector, ("",))[0]
            self._shown[selector] = key
            static = self.query_one(selector, Static)
            width = static.styles.width
            resized = cell_len(before) != text.cell_len
            static.update(text, layout=(width is None or width.is_auto) and resized)
