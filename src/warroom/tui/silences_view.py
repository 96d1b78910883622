"""The Silences tab: what is silenced at the sources right now, and by whom."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from warroom.model.clock import format_age
from warroom.model.silence import Silence
from warroom.model.text import safe_text
from warroom.tui import cells
from warroom.tui.actions import View
from warroom.tui.context import console
from warroom.tui.dialogs import ConfirmScreen, SilenceDetailScreen
from warroom.tui.table import KeyedTable


class SilencesView(View):
    RELOAD_WHEN_SHOWN = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "expire",
            "Expire",
            tooltip="expire the silence under the cursor (asks first)",
            id="silences.expire",
        ),
        Binding(
            "enter",
            "details",
            "Details",
            tooltip="the whole silence: every matcher, the comment, when it ends",
            id="silences.details",
        ),
        Binding(
            "h",
            "toggle_expired",
            "Expired",
            tooltip="show or hide expired silences",
            id="silences.toggle_expired",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.silences: dict[str, Silence] = {}
        self.show_expired = False

    def compose(self) -> ComposeResult:
        yield Static(id="silences-status")
        table = KeyedTable(id="silences-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("SOURCE", key="source", width=9)
        table.add_column("STATE", key="state", width=8)
        table.add_column("ENDS IN", key="ends", width=8)
        table.add_column("BY", key="by", width=11)
        table.add_flex_column("MATCHERS · COMMENT", key="matchers")
        yield table

    async def reload(self) -> None:
        silences, errors = await console(self).service.silences()
        now = console(self).now()
        shown = [s for s in silences if self.show_expired or s.state != "expired"]
        shown.sort(key=lambda s: (s.state != "active", s.ends_at))
        self.silences = {f"{s.source}/{s.id}": s for s in shown}
        status = Text(no_wrap=True, overflow="ellipsis")
        if not console(self).service.silencers:
            status.append("No source here can silence (Alertmanager can).", style="dim")
        for error in errors:
            status.append(f"✗ {safe_text(error, 120)}  ", style="red")
        self.query_one("#silences-status", Static).update(status)
        rows = []
        for key, s in self.silences.items():
            summary = Text(no_wrap=True, overflow="ellipsis")
            summary.append(safe_text(s.matcher_text, 200))
            if s.comment:
                summary.append(f" · {safe_text(s.comment, 200)}", style="dim")
            rows.append(
                (
                    key,
                    (
                        cells.RowMark(" "),
                        cells.plain(s.source, 8),
                        Text(s.state, style="bold" if s.state == "active" else "dim", no_wrap=True),
                        Text(format_age(s.ends_at - now) if s.ends_at > now else "-", no_wrap=True),
                        cells.plain(s.created_by, 10),
                        summary,
                    ),
                )
            )
        self.query_one("#silences-table", KeyedTable).sync(rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        key = self.query_one("#silences-table", KeyedTable).cursor_key
        silence = self.silences.get(key) if key else None
        if silence is None:
            self.notify("No silence under the cursor.", severity="warning")
            return
        self.app.push_screen(SilenceDetailScreen(silence))

    def action_expire(self) -> None:
        key = self.query_one("#silences-table", KeyedTable).cursor_key
        silence = self.silences.get(key) if key else None
        if silence is None or silence.state == "expired":
            self.notify("No active silence under the cursor.", severity="warning")
            return

        async def work() -> None:
            await console(self).perform(
                console(self).service.expire_silence(silence.source, silence.id),
                done=f"Expired silence {silence.id}",
            )
            await self.reload()

        def expire(yes: bool | None) -> None:
            if yes:
                console(self).enqueue(f"Expiring silence {silence.id}", work())

        console(self).hold_keys()
        self.app.push_screen(
            ConfirmScreen(f"Expire silence {safe_text(silence.matcher_text, 60)}?"), expire
        )

    async def action_toggle_expired(self) -> None:
        self.show_expired = not self.show_expired
        await self.reload()
