"""The Sources tab: each source's health, so "no alerts" is never mistaken for "all fine"."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from warroom.model.clock import format_age, format_duration, format_local
from warroom.tui import cells
from warroom.tui.actions import View
from warroom.tui.context import console
from warroom.tui.table import KeyedTable


class SourcesView(View):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "retry",
            "Retry now",
            tooltip="poll the source under the cursor now, without waiting out its backoff",
            id="sources.retry",
        ),
    ]

    def compose(self) -> ComposeResult:
        table = KeyedTable(id="sources-table")
        table.add_column(" ", key="mark", width=2)
        table.add_column("SOURCE", key="name", width=10)
        # the widest word ("⚠ failing", "… waiting") and a space before LAST OK
        table.add_column("HEALTH", key="health", width=10)
        table.add_column("LAST OK", key="ok", width=9)
        table.add_column("ALERTS", key="alerts", width=7)
        table.add_column("EVERY", key="interval", width=6)
        table.add_flex_column("LAST ERROR", key="error")
        yield table

    async def reload(self) -> None:
        health = {h.name: h for h in await console(self).store.source_health()}
        now = console(self).now()
        rows = []
        for name in sorted(set(health) | set(console(self).source_names)):
            h = health.get(name)
            if h is None:
                rows.append(
                    (
                        name,
                        (
                            cells.RowMark(" "),
                            cells.plain(name, 9),
                            Text("… waiting", style="dim"),
                            Text("-"),
                            Text("-"),
                            Text("-"),
                            Text(""),
                        ),
                    )
                )
                continue
            stale = h.is_stale(now)
            age = h.age(now)
            rows.append(
                (
                    name,
                    (
                        cells.RowMark(" "),
                        cells.plain(name, 9),
                        Text("✗ stale", style="bold red")
                        if stale
                        else Text("⚠ failing", style="bold yellow")
                        if h.is_failing
                        else Text("✓ ok", style="green"),
                        Text(format_age(age) if age is not None else "never", no_wrap=True),
                        Text(str(h.alert_count), no_wrap=True),
                        Text(format_duration(h.interval), no_wrap=True),
                        cells.plain(
                            f"{h.last_error} ({format_local(h.last_attempt)}, {h.failures}x)"
                            if h.last_error
                            else "",
                            300,
                            style="red",
                        ),
                    ),
                )
            )
        self.query_one("#sources-table", KeyedTable).sync(rows)

    def action_retry(self) -> None:
        name = self.query_one("#sources-table", KeyedTable).cursor_key
        if name is None:
            self.notify("No source under the cursor.", severity="warning")
            return

        async def work() -> None:
            asked = await console(self).perform(console(self).service.retry_sources([name]))
            if asked:
                self.notify(f"Polling {name} now", markup=False)
            elif asked is not None:
                self.notify(f"{name} has not been polled yet; its first poll is on its way")

        console(self).enqueue(f"Asking for a poll of {name}", work())
