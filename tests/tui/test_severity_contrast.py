"""Severity and impact cells stay readable and ranked in every shipped theme and colour mode.

The colours are read from what the console paints, not from the theme: the
compositor's strips (after Textual's line filters, so NO_COLOR's monochrome is
included) are encoded by Rich for a truecolor, 256-colour or 16-colour terminal,
exactly as the driver would write them, then decoded back from the SGR codes.
A 16-colour code is measured with Rich's standard palette, the one its downgrade
matches against; a 256-colour code with the xterm palette.

Contrast is WCAG's (relative luminance); 4.5:1 is the floor for every cell, the
row under the cursor included. Ranking: critical is filled (reverse) and bold,
error and high are bold, the milder ones plain, so critical never looks milder
than medium even where every colour is grey.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich._palettes import EIGHT_BIT_PALETTE, STANDARD_PALETTE
from rich.ansi import AnsiDecoder
from rich.color import Color, ColorSystem, ColorType
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.color import Color as TextualColor
from textual.css.query import NoMatches
from textual.geometry import Region

from warroom.model import Impact, Severity
from warroom.model.value import replace
from warroom.themefiles import SHIPPED_THEMES
from warroom.tui.cells import SEVERITY_CELL
from warroom.tui.themes import level_colors

THEMES = sorted(p.stem for p in SHIPPED_THEMES.glob("*.yaml"))
SYSTEMS = ("truecolor", "256", "standard")  # "standard": Rich's name for 16 colours
FLOOR = 4.5

SEVERITY_LABELS = {sev: SEVERITY_CELL[sev][0] for sev in Severity}
IMPACT_LABELS = {impact: impact.label for impact in Impact}
# most to least urgent
SEVERITY_ORDER = [Severity.CRITICAL, Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.NONE]
IMPACT_ORDER = sorted(Impact)
# 16 colours: the ANSI colour each urgent level must land on (normal or bright)
RED = {1, 9}
YELLOW = {3, 11}


def luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(color: Color | None) -> tuple[int, int, int]:
    """The colour a terminal shows for a decoded SGR colour."""
    assert color is not None and color.type is not ColorType.DEFAULT, (
        "a severity cell left to the terminal's default colours"
    )
    if color.type is ColorType.TRUECOLOR:
        assert color.triplet is not None
        return tuple(color.triplet)  # type: ignore[return-value]
    assert color.number is not None
    palette = STANDARD_PALETTE if color.type is ColorType.STANDARD else EIGHT_BIT_PALETTE
    return tuple(palette[color.number])  # type: ignore[return-value]


@dataclass(frozen=True)
class Painted:
    """One character cell as the terminal draws it."""

    fg: tuple[int, int, int]
    bg: tuple[int, int, int]
    bold: bool
    filled: bool  # reverse video: the text is drawn in the background's colour

    @property
    def ratio(self) -> float:
        return contrast(self.fg, self.bg)

    @property
    def emphasis(self) -> int:
        return 2 * self.filled + self.bold


def paint(style: Style) -> Painted:
    fg, bg = style.color, style.bgcolor
    if style.reverse:
        fg, bg = bg, fg
    fg_rgb, bg_rgb = rgb(fg), rgb(bg)
    if style.dim:  # a terminal halves a dim foreground towards the background
        fg_rgb = tuple((f + b) // 2 for f, b in zip(fg_rgb, bg_rgb, strict=True))  # type: ignore[assignment]
    return Painted(fg_rgb, bg_rgb, bool(style.bold), bool(style.reverse))


def encode(style: Style, text: str, system: ColorSystem) -> str:
    """SGR codes and text as the driver writes them for a terminal of `system` colours.

    `Strip.render` and `Style.render` cache their first encoding whatever the colour
    system, so each style is rebuilt fresh before Rich encodes (and downgrades) it.
    """
    fresh = Style(
        color=style.color,
        bgcolor=style.bgcolor,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        reverse=style.reverse,
        strike=style.strike,
    )
    return fresh.render(text, color_system=system)


def screen_lines(app: Any, system: str) -> list[Text]:
    """The screen as a terminal of `system` colours receives it, decoded back."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    colors = ColorSystem.EIGHT_BIT if system == "256" else ColorSystem[system.upper()]
    decoder = AnsiDecoder()
    lines = [
        decoder.decode_line(
            "".join(
                text if style is None else encode(style, text, colors)
                for strip in line
                for text, style, _ in strip
            )
        )
        for line in update.strips
    ]
    assert len(lines) == app.size.height
    return lines


def find_cells(
    lines: list[Text], label: str, region: Region
) -> Iterator[tuple[int, list[Painted]]]:
    """Every place `label` is painted inside `region`: its line and each character's paint."""
    console = Console(width=200)
    for y in range(region.y, region.bottom):
        line = lines[y]
        start = line.plain.find(label, region.x)
        while start != -1 and start + len(label) <= region.right:
            yield (
                y,
                [
                    paint(line.get_style_at_offset(console, x))
                    for x in range(start, start + len(label))
                    if not line.plain[x].isspace()
                ],
            )
            start = line.plain.find(label, start + 1)


def worst(cells: list[Painted]) -> Painted:
    return min(cells, key=lambda p: p.ratio)


def check_rank(found: dict[Any, Painted], order: list[Any], colour: bool, where: str) -> None:
    """Emphasis never rises as urgency falls: the top level filled and bold, the second
    bold, the rest plain; in 16 colours the top two are red and the third yellow."""
    emphasis = [found[level].emphasis for level in order]
    assert emphasis == [3, 1, 0, 0, 0], f"{where}: emphasis by level {emphasis}"
    if colour:
        reds = {tuple(STANDARD_PALETTE[n]) for n in RED}
        yellows = {tuple(STANDARD_PALETTE[n]) for n in YELLOW}
        top, second, third = (found[level] for level in order[:3])
        assert top.bg in reds, f"{where}: {order[0]!r} is filled with {top.bg}, not red"
        assert second.fg in reds, f"{where}: {order[1]!r} is {second.fg}, not red"
        assert third.fg in yellows, f"{where}: {order[2]!r} is {third.fg}, not yellow"


def cursor_line(table: Any) -> int:
    """The screen row of the table's cursor."""
    return int(table.region.y + table.header_height + table.cursor_row - int(table.scroll_y))


def check_screen(
    app: Any,
    widget: str,
    labels: dict[Any, str],
    order: list[Any],
    where: str,
    ranked: dict[str, dict[Any, Painted]],
    expect: int = 1,
) -> None:
    """The floor for every label painted in `widget`, in every colour system (at least
    `expect` levels must be there); each level's first paint off the cursor's line goes
    into `ranked`, per system, for the ranking."""
    shown = app.query_one(widget)
    region = shown.region
    skip_line = cursor_line(shown) if hasattr(shown, "cursor_row") else None
    for system in SYSTEMS:
        lines = screen_lines(app, system)
        painted = 0
        for level in order:
            places = list(find_cells(lines, labels[level], region))
            painted += bool(places)
            for y, chars in places:
                drawn = worst(chars)
                assert drawn.ratio >= FLOOR, (
                    f"{where} {widget}, {system} colours: {labels[level]!r} on line {y} drawn"
                    f" {drawn.fg} on {drawn.bg} = {drawn.ratio:.2f}:1"
                )
                if y != skip_line:
                    ranked[system].setdefault(level, drawn)
        assert painted >= expect, f"{where} {widget}: {painted} of {expect} levels found"


def new_ranking() -> dict[str, dict[Any, Painted]]:
    return {system: {} for system in SYSTEMS}


def shows(ui: Any, selector: str, text: str) -> bool:
    try:
        return text in ui.static(selector)
    except NoMatches:  # the tab is not composed yet
        return False


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
@pytest.mark.parametrize("theme", THEMES)
async def test_severity_and_impact_read_at_4_5_to_1_and_rank(
    console: Any, monkeypatch: pytest.MonkeyPatch, theme: str, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    console.config = replace(console.config, theme=theme)
    by_severity = [
        console.alert(f"sev-{sev.name.lower()}", severity=sev, minutes_ago=i)
        for i, sev in enumerate(SEVERITY_ORDER, start=1)
    ]
    others = [console.alert(f"imp-{n}", minutes_ago=10 + n) for n in range(2, 6)]
    await console.seed(by_severity + others)
    incidents = {
        Impact.CRITICAL: await console.declare(
            [a.fingerprint for a in by_severity], impact=Impact.CRITICAL
        )
    }
    for n in range(2, 6):
        incidents[Impact(n)] = await console.declare([f"imp-{n}"], impact=Impact(n))
    colour = not no_color

    async with console.start() as ui:
        app = ui.app
        assert app.theme == theme
        where = f"{theme}{' NO_COLOR' if no_color else ''}"

        # Alerts tab: the cursor on each row in turn
        table = ui.table
        table.focus()
        await ui.pilot.pause()
        ranked = new_ranking()
        for row in range(len(ui.rows())):
            await ui.wait_for(lambda row=row: table.cursor_row == row)
            check_screen(
                app, "#alerts-table", SEVERITY_LABELS, SEVERITY_ORDER, where, ranked, expect=5
            )
            await ui.press("down")
        for system in SYSTEMS:
            check_rank(
                ranked[system],
                SEVERITY_ORDER,
                colour and system == "standard",
                f"{where} alerts {system}",
            )

        # Incidents tab
        await ui.press("f2")
        await ui.wait_for(lambda: len(ui.rows("#incidents-table")) == 5)
        inc_table = app.query_one("#incidents-table")
        inc_table.focus()
        await ui.pilot.pause()
        ranked = new_ranking()
        for row in range(5):
            await ui.wait_for(lambda row=row: inc_table.cursor_row == row)
            check_screen(
                app, "#incidents-table", IMPACT_LABELS, IMPACT_ORDER, where, ranked, expect=5
            )
            await ui.press("down")
        for system in SYSTEMS:
            check_rank(
                ranked[system],
                IMPACT_ORDER,
                colour and system == "standard",
                f"{where} incidents {system}",
            )

        # Incident tab: each impact in the overview, and the first incident's alerts
        ranked = new_ranking()
        for impact, incident_id in incidents.items():
            app.open_incident(incident_id)
            await ui.wait_for(lambda i=incident_id: shows(ui, "#incident-overview", f"#{i} "))
            check_screen(app, "#incident-overview", IMPACT_LABELS, IMPACT_ORDER, where, ranked)
            if impact is Impact.CRITICAL:
                await ui.wait_for(lambda: len(ui.rows("#incident-alerts")) == len(by_severity))
                await ui.pilot.pause()
                check_screen(
                    app,
                    "#incident-alerts",
                    SEVERITY_LABELS,
                    SEVERITY_ORDER,
                    where,
                    new_ranking(),
                    expect=5,
                )
        for system in SYSTEMS:
            check_rank(
                ranked[system],
                IMPACT_ORDER,
                colour and system == "standard",
                f"{where} incident {system}",
            )


def all_painted(app: Any, widget: str, label: str) -> dict[str, list[Painted]]:
    """Per colour system, the paint of every place `label` shows in `widget`."""
    region = app.query_one(widget).region
    return {
        system: [worst(chars) for _, chars in find_cells(screen_lines(app, system), label, region)]
        for system in SYSTEMS
    }


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
@pytest.mark.parametrize("theme", THEMES)
async def test_status_bar_and_stale_marks_read_at_4_5_to_1(
    console: Any, monkeypatch: pytest.MonkeyPatch, theme: str, no_color: bool
) -> None:
    """The same colours mark a stale source, a failing one and nobody polling."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    console.config = replace(console.config, theme=theme)
    await console.seed([console.alert("disk")])
    async with console.start() as ui:
        async with ui.app.store.transaction() as tx:
            # demo never answered: stale; am answered once, then failed: failing
            await tx.record_poll("demo", 5.0, ok=False, error="refused")
            await tx.record_poll("am", 5.0, ok=True)
            await tx.record_poll("am", 5.0, ok=False, error="502")
        await ui.wait_for(lambda: "502" in ui.static("#status-sources"))
        await ui.wait_for(lambda: ui.cell_texts(console.key("disk"))[5] == "? stale")
        ui.table.focus()
        await ui.press("f2", "f1")  # the cursor row and a plain row both drawn
        marks = {
            "#status-sources": ["✗", "⚠", "refused", "502"],
            "#status-lease": ["⚠ nobody polls"],
            "#alerts-table": ["? stale"],
        }
        for widget, labels in marks.items():
            for label in labels:
                painted = all_painted(ui.app, widget, label)
                for system, places in painted.items():
                    assert places, f"{label!r} not shown in {widget}"
                    for drawn in places:
                        assert drawn.ratio >= FLOOR, (
                            f"{theme} NO_COLOR={no_color} {system}: {label!r} drawn"
                            f" {drawn.fg} on {drawn.bg} = {drawn.ratio:.2f}:1"
                        )


async def test_theme_variables_colour_the_cells_and_a_theme_switch_recolours_them(
    console: Any, tmp_path: Path
) -> None:
    """A theme's `variables` reach the screen; switching theme recolours cells the
    views keep cached."""
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "mine.yaml").write_text(
        "name: mine\ndark: true\nprimary: '#5fafd7'\nbackground: '#000000'\n"
        "surface: '#000000'\nvariables:\n  severity-critical: '#00ff00'\n"
        "  impact-1: '#ffff00'\n"
    )
    console.config = replace(console.config, theme="mine", themes=themes)
    await console.seed(
        [console.alert("disk", severity=Severity.CRITICAL), console.alert("calm", minutes_ago=20)]
    )
    incident = await console.declare(["disk"], impact=Impact.CRITICAL)
    crit, impact1 = SEVERITY_LABELS[Severity.CRITICAL], IMPACT_LABELS[Impact.CRITICAL]

    def fill(widget: str, label: str) -> tuple[int, int, int]:
        [drawn] = all_painted(ui.app, widget, label)["truecolor"]
        assert drawn.filled
        return drawn.bg

    async with console.start() as ui:
        assert ui.app.theme == "mine"
        await ui.cursor_to(console.key("calm"))  # off the critical row
        assert fill("#alerts-table", crit) == (0, 255, 0)
        ui.app.open_incident(incident)
        await ui.wait_for(lambda: shows(ui, "#incident-overview", impact1))
        assert fill("#incident-overview", impact1) == (255, 255, 0)

        ui.app.theme = "warroom-day"
        await ui.press("f1")
        day = level_colors(ui.app.current_theme)
        assert fill("#alerts-table", crit) == TextualColor.parse(day["severity-critical"]).rgb
        # the incident overview copies its styles when drawn: a theme switch redraws it
        await ui.press("f3")
        want = TextualColor.parse(day["impact-1"]).rgb
        await ui.wait_for(
            lambda: fill("#incident-overview", impact1) == want, what="the overview recoloured"
        )
