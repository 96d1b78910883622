"""Shared harness for console behaviour tests: a temp database per test, seeded through
the real store, and the real `WarroomApp`, built as the CLI builds it (`open_console`), driven by
Textual's Pilot.

Tests get a `console` fixture (a `Harness`) and use `async with console.start(...) as ui`
to run the app; `ui` bundles the app, the pilot and helpers that read what the
responder would see (table rows, cursor, screen text).
"""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from rich.color import ColorSystem
from rich.console import Console as RichConsole
from rich.text import Text
from tests.support.alerts import alert
from tests.support.waiting import until_awaited
from textual._compositor import CompositorUpdate
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static, TabbedContent

from warroom.cli.console import open_console
from warroom.config import Config, demo_config
from warroom.engine import Service
from warroom.model import Alert, AlertKey, AlertState, Impact, Severity
from warroom.model.clock import utcnow
from warroom.store import Store, open_store
from warroom.tui.app import WarroomApp
from warroom.tui.line_log import LineLog
from warroom.tui.line_table import LineTable
from warroom.tui.table import KeyedTable

SIZE = (80, 24)
ACTOR = "alice"
SOURCE = "demo"
# Characters that must never reach the terminal from untrusted text: ESC, CSI (C1),
# NUL, BEL and the right-to-left override.
RAW_CONTROLS = ("\x1b", "\x9b", "\x00", "\x07", "\u202e")
# One string with every kind of hostile content: Rich markup (closed, unclosed, a link),
# SGR and OSC 52 escapes, a C1 CSI, a NUL and a right-to-left override.
HOSTILE = (
    "[bold]x[/bold] [/ [link=http://x]y \x1b[31mred\x1b]52;c;SGVsbG8=\x07 \x9b2J nul\x00 \u202eevil"
)
HOSTILE_MARKUP = "[bold]x[/bold]"

# One fixed reference time for the whole session, so ages and ordering never race.
BASE_TIME = datetime.now(UTC).replace(microsecond=0)


def make_alert(
    fingerprint: str,
    name: str | None = None,
    severity: Severity = Severity.WARNING,
    *,
    minutes_ago: int = 10,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    state: AlertState = AlertState.FIRING,
    source: str = SOURCE,
) -> Alert:
    """An alert whose fingerprint is also its readable identity in tests."""
    return alert(
        name or fingerprint.capitalize(),
        source=source,
        fingerprint=fingerprint,
        state=state,
        severity=severity,
        starts_at=BASE_TIME - timedelta(minutes=minutes_ago),
        labels=labels,
        annotations=annotations,
    )


def key(fingerprint: str, source: str = SOURCE) -> str:
    """The table row key (str(AlertKey)) of a seeded alert."""
    return f"{source}/{fingerprint}"


def _recorded(app: WarroomApp, color_system: str) -> tuple[RichConsole, CompositorUpdate]:
    width, height = app.size
    # Typed `RenderableType | None`, but a full update is always a CompositorUpdate.
    update = cast(
        CompositorUpdate,
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens),
    )
    recorder = RichConsole(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=color_system,  # type: ignore[arg-type]
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    recorder.print(update)
    return recorder, update


def render_screen(app: WarroomApp) -> tuple[str, str]:
    """(text, raw) of what the app would paint now, screen stack included.

    `text` is the visible characters, line by line, as `export_screenshot` records
    them; `raw` is the byte stream a terminal would receive (escape sequences of
    our own styling included), for checking that no *content* smuggles a sequence.
    """
    recorder, update = _recorded(app, "truecolor")
    return recorder.export_text(styles=False), update.render_segments(recorder)


def render_styled(app: WarroomApp, color_system: str) -> tuple[str, str]:
    """(text, text with its styles as `color_system` escapes): the screen as a terminal
    of that many colours shows it. Styles are rendered from the segments each time:
    Textual caches each strip's escapes for whichever colour system rendered it
    first, Rich's `export_text` renders styles in truecolor whatever its console's
    system, and a Style keeps the escapes it was first rendered with: each would
    make a snapshot depend on what rendered the screen before."""
    recorder, update = _recorded(app, color_system)
    system = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT}.get(
        color_system, ColorSystem.TRUECOLOR
    )
    parts = []
    for segment in recorder.render(cast(Any, update)):
        if segment.control or segment.style is None:
            parts.append(segment.text)
            continue
        # not Style.render: a Style keeps the escapes of the first system it was
        # rendered for (`_ansi`), and Textual shares Style objects across apps, so
        # what an earlier test rendered in truecolor came back here (CI saw it)
        codes = segment.style._make_ansi_codes(system)
        parts.append(f"\x1b[{codes}m{segment.text}\x1b[0m" if codes else segment.text)
    return recorder.export_text(styles=False), "".join(parts)


def static_text(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


@dataclass
class UI:
    """A running console: the app, its pilot, and ways to read the screen."""

    app: WarroomApp
    pilot: Pilot[Any]

    # -- reading ---------------------------------------------------------------------

    @property
    def table(self) -> LineTable:
        return self.app.query_one("#alerts-table", LineTable)

    def rows(self, table_id: str = "#alerts-table") -> list[str]:
        """Every row's key, in order (the Alerts tab: every alert the filter shows)."""
        if table_id == "#alerts-table":
            return self.table.row_keys()
        table = self.app.query_one(table_id, KeyedTable)
        return [str(row.key.value) for row in table.ordered_rows]

    def cell_texts(self, row_key: str, table_id: str = "#alerts-table") -> list[str]:
        """The row's cells (on the Alerts tab, a row that is loaded: on screen or near)."""
        if table_id == "#alerts-table":
            return [c.plain for c in self.table.cells_of(row_key) or ()]
        table = self.app.query_one(table_id, KeyedTable)
        return [c.plain if isinstance(c, Text) else str(c) for c in table.get_row(row_key)]

    def static(self, selector: str) -> str:
        widget = self.app.screen.query_one(selector)
        if isinstance(widget, LineLog):  # drawn with the Line API: its whole text
            return widget.plain_text()
        assert isinstance(widget, Static)
        return static_text(widget)

    def shows(self, selector: str, text: str) -> bool:
        """`text` is in the widget; False while it does not exist yet (tabs are built
        when first shown)."""
        try:
            return text in self.static(selector)
        except NoMatches:
            return False

    def screen(self) -> str:
        return render_screen(self.app)[0]

    def raw_output(self) -> str:
        return render_screen(self.app)[1]

    def top_screen(self) -> Screen[Any]:
        """`app.screen`, read through a call: after a key press the dialog an earlier
        `isinstance` saw may be gone, which mypy cannot know of an attribute."""
        return self.app.screen

    @property
    def active_tab(self) -> str:
        return str(self.app.query_one(TabbedContent).active)

    def notifications(self) -> list[str]:
        return [str(n.message) for n in self.app._notifications]

    # -- acting ----------------------------------------------------------------------

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def wait_for(
        self,
        check: Callable[[], Any] | Callable[[], Awaitable[Any]],
        within: float = 3.0,
        what: str = "condition",
    ) -> Any:
        """Poll `check` (sync or async) until it returns something truthy, letting the
        app settle (`pilot.pause`) between calls."""

        async def checked() -> Any:
            result = check()
            return await result if inspect.isawaitable(result) else result

        return await until_awaited(checked, within, what, pause=self.pilot.pause)

    async def cursor_to(self, row_key: str) -> None:
        """Move the cursor with the arrow keys, as a responder would."""
        table = self.table
        table.focus()
        await self.pilot.pause()
        target = self.rows().index(row_key)
        for _ in range(len(self.rows()) + 1):
            current = table.cursor_row
            if current == target:
                break
            await self.pilot.press("down" if current < target else "up")
        await self.pilot.pause()
        assert table.cursor_key == row_key

    async def seed(self, alerts: Sequence[Alert], source: str = SOURCE) -> None:
        """A source poll through the app's own store (wakes the change feed)."""
        async with self.app.store.transaction() as tx:
            await tx.apply_snapshot(source, list(alerts))


class Harness:
    """Owns the temp database of one test; starts consoles on it.

    Carries the shared helpers too (`alert`, `key`, `HOSTILE`, ...) so test modules
    need no import from this conftest.
    """

    HOSTILE = HOSTILE
    HOSTILE_MARKUP = HOSTILE_MARKUP
    RAW_CONTROLS = RAW_CONTROLS
    ACTOR = ACTOR
    alert = staticmethod(make_alert)
    key = staticmethod(key)

    def __init__(self, tmp_path: Path) -> None:
        # no plans: these tests drive keys, and the demo's plans would declare incidents
        self.config: Config = demo_config(tmp_path / "w.db", plans=None)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        store = await open_store(self.config.database)
        try:
            yield store
        finally:
            await store.close()

    async def seed(self, alerts: Iterable[Alert], source: str = SOURCE) -> None:
        async with self.store() as store, store.transaction() as tx:
            await tx.apply_snapshot(source, list(alerts))

    async def declare(
        self,
        fingerprints: Sequence[str],
        title: str = "Checkout is down",
        impact: Impact = Impact.MEDIUM,
        actor: str = "bob",
    ) -> int:
        """An incident declared beforehand (by someone else) over seeded alerts."""
        async with self.store() as store:
            return await Service(store, actor).declare_incident(
                [AlertKey(SOURCE, fp) for fp in fingerprints], title, impact
            )

    @asynccontextmanager
    async def start(
        self,
        *,
        size: tuple[int, int] = SIZE,
        run_engine: bool = False,
        actor: str = ACTOR,
        clock: Callable[[], datetime] = utcnow,
    ) -> AsyncIterator[UI]:
        async with open_console(
            self.config, actor=actor, run_engine=run_engine, clock=clock
        ) as app:
            # Tab underlines animate; Pilot waits for animations after every key, which
            # costs half a second per tab switch and tells these tests nothing.
            app.animation_level = "none"
            async with app.run_test(size=size) as pilot:
                await asyncio.wait_for(app.ready.wait(), timeout=5)
                await pilot.pause()
                yield UI(app, pilot)


@pytest.fixture
def console(tmp_path: Path) -> Harness:
    return Harness(tmp_path)
