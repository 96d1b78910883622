"""The baseline for bench_startup.py: the same widgets as the console, nothing else.

Four tabs in a TabbedContent, a DataTable of a few rows and columns, a Footer;
no store, no engine, no CSS file. `MARKER` is a cell value, so seeing it on
screen proves the first frame with data was painted.

    python tests/bench/bare_app.py
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, TabbedContent, TabPane

MARKER = "KubePodCrashLooping"
TAB_MARKER = "Incidents"

_ROWS = (
    ("CRIT", MARKER, "demo", "1h22m", "firing", "Pod payments/payments-api is crash looping"),
    ("CRIT", "HighErrorRate", "demo", "3m", "firing", "checkout 5xx ratio is 7.3%"),
    ("WARN", "DiskAlmostFull", "demo", "1h22m", "firing", "Disk /var/lib/postgresql 91% full"),
    ("WARN", "TargetDown", "demo", "40s", "firing", "Target cache-2 of job node is down"),
    ("INFO", "CertificateExpiringSoon", "demo", "1h22m", "firing", "TLS cert expires in 9 days"),
)


class BareApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="alerts"):
            with TabPane("Alerts", id="alerts"):
                yield DataTable(cursor_type="row")
            for tab in ("Incidents", "Incident", "Timeline"):
                with TabPane(tab, id=tab.lower()):
                    pass
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("SEV", "NAME", "SOURCE", "AGE", "STATE", "SUMMARY")
        table.add_rows(_ROWS)


if __name__ == "__main__":
    BareApp().run()
