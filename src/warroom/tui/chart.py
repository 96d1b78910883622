"""A line chart drawn with braille dots, as rows of (text, role) runs.

Pure: a `Chart` and a size in, rows out; no widget, no terminal. The view maps
roles to styles, so a whole row is a handful of style runs (Textual writes an
SGR per run: per-cell styles would triple the bytes of every redraw).

Series tell apart without colour: the first is a solid braille line, the second
a dotted one (every other column of dots), the rest are point markers. The
threshold is a `╌` rule, incident events are letters on the time axis (D, A, E,
R) with `┆` above them, and a stale chart says why on its first row.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from warroom.model.series import MARKS, Chart, Series
from warroom.model.text import safe_text

Run = tuple[str, str]  # text, role
Row = list[Run]

# roles the view gives styles to
SERIES_ROLES = ("series0", "series1", "series2", "series3")
THRESHOLD, MARK, AXIS, LABEL, STALE, TITLE, EMPTY = (
    "threshold",
    "mark",
    "axis",
    "label",
    "stale",
    "title",
    "empty",
)
# what each series looks like in the legend; points draw their letter in the plot
LEGEND_GLYPHS = ("⠉⠉", "⠁⠁", "o", "+")
POINT_GLYPHS = {2: "o", 3: "+"}
MIN_HEIGHT = 6  # title, two plot rows, axis, times, legend

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [dy][dx]
_TICK_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
_TIME_LABEL = 5  # HH:MM


def number(value: float) -> str:
    """Axis numbers in at most ~6 cells: 0.205, 12.5, 1.2k, 3.4M."""
    size = abs(value)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{value / scale:.3g}{suffix}"
    if size and size < 1e-3:
        return f"{value:.1e}"
    return f"{value:.3g}"


class _Grid:
    """Plot cells: braille bits per cell and who owns it, plus overlays."""

    def __init__(self, width: int, rows: int) -> None:
        self.width, self.rows = width, rows
        self.bits = [[0] * width for _ in range(rows)]
        self.owner = [[-1] * width for _ in range(rows)]
        self.glyph: dict[tuple[int, int], tuple[str, str]] = {}

    def dot(self, x: int, y: int, series: int) -> None:
        col, row = x // 2, y // 4
        if 0 <= col < self.width and 0 <= row < self.rows:
            self.bits[row][col] |= _DOTS[y % 4][x % 2]
            if self.owner[row][col] < 0:
                self.owner[row][col] = series

    def line(self, x0: int, y0: int, x1: int, y1: int, series: int, dotted: bool) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            if not dotted or x0 % 2 == 0:
                self.dot(x0, y0, series)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def used(self, row: int, col: int) -> bool:
        return bool(self.bits[row][col]) or (row, col) in self.glyph


def _scale(chart: Chart) -> tuple[float, float] | None:
    values = [v for s in chart.series for _, v in s.points if math.isfinite(v)]
    if chart.threshold is not None:
        values.append(chart.threshold)
    if not values:
        return None
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _gap_limit(points: Sequence[tuple[datetime, float]]) -> float:
    """Seconds between samples past which the line breaks: 2.5 scrape steps."""
    steps = sorted((b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(points))
    return 2.5 * steps[len(steps) // 2] if steps else math.inf


def _draw_series(
    grid: _Grid, chart: Chart, index: int, series: Series, lo: float, hi: float
) -> None:
    span = (chart.end - chart.start).total_seconds() or 1.0
    xdots, ydots = grid.width * 2 - 1, grid.rows * 4 - 1
    limit = _gap_limit(series.points)
    previous: tuple[datetime, int, int] | None = None
    for at, value in series.points:
        offset = (at - chart.start).total_seconds()
        if not math.isfinite(value) or offset < 0 or offset > span:
            previous = None  # NaN and points outside the window break the line
            continue
        x = round(offset / span * xdots)
        y = round((hi - value) / (hi - lo) * ydots)
        if index >= 2:
            col, row = x // 2, y // 4
            grid.glyph[(row, col)] = (POINT_GLYPHS.get(index, "+"), SERIES_ROLES[min(index, 3)])
        elif previous and (at - previous[0]).total_seconds() <= limit:
            grid.line(previous[1], previous[2], x, y, index, dotted=index == 1)
        else:
            grid.dot(x, y, index)
        previous = (at, x, y)


class _Line:
    """One row being built: runs of the same role merge."""

    def __init__(self) -> None:
        self.runs: Row = []
        self.length = 0

    def add(self, text: str, role: str) -> None:
        if not text:
            return
        if self.runs and self.runs[-1][1] == role:
            self.runs[-1] = (self.runs[-1][0] + text, role)
        else:
            self.runs.append((text, role))
        self.length += len(text)

    def fit(self, width: int) -> Row:
        """Cut or pad to exactly `width` cells."""
        out: Row = []
        left = width
        for text, role in self.runs:
            if left <= 0:
                break
            out.append((text[:left], role))
            left -= len(out[-1][0])
        if left > 0:
            out.append((" " * left, EMPTY))
        return out


def _ticks(start: datetime, end: datetime, width: int, tz: tzinfo) -> list[tuple[int, str]]:
    """(column, HH:MM) at round local times, at most one label per 8 columns."""
    span = (end - start).total_seconds()
    if span <= 0 or width < _TIME_LABEL:
        return []
    most = max(1, width // 8)
    minutes = next((m for m in _TICK_MINUTES if span / 60 / m <= most), _TICK_MINUTES[-1])
    local = start.astimezone(tz)
    # the first round time at or after the start, on the local wall clock
    base = local.replace(second=0, microsecond=0)
    day_minutes = base.hour * 60 + base.minute
    first = base + timedelta(minutes=(-day_minutes) % minutes)
    if first < local:
        first += timedelta(minutes=minutes)
    ticks = []
    at = first
    while at <= end:
        col = round((at - start).total_seconds() / span * (width - 1))
        ticks.append((col, at.astimezone(tz).strftime("%H:%M")))
        at = (at + timedelta(minutes=minutes)).astimezone(tz)
    return ticks


def _spread(cols: list[int], width: int) -> list[int]:
    """Columns for events in time order, each in a column of its own: two a minute
    apart stand side by side, in order, pushed left at the window's right edge."""
    out: list[int] = []
    for col in cols:
        out.append(max(col, out[-1] + 1) if out else col)
    limit = width - 1
    for index in range(len(out) - 1, -1, -1):
        out[index] = max(min(out[index], limit), 0)
        limit = out[index] - 1
    return out


def zone_name(tz: tzinfo, at: datetime) -> str:
    local = at.astimezone(tz)
    name = local.strftime("%Z")
    return name if name and not name.startswith(("+", "-")) else local.strftime("UTC%z")[:8]


def render(chart: Chart, width: int, height: int, tz: tzinfo) -> list[Row]:
    """The chart as `height` rows of exactly `width` cells each."""
    height = max(height, MIN_HEIGHT)
    rows: list[Row] = []
    scale = _scale(chart)
    lo, hi = scale if scale else (0.0, 1.0)
    plot_rows = height - 4
    labels: dict[int, tuple[str, str]] = {}
    if scale:
        labels[0] = (number(hi), LABEL)
        labels[plot_rows - 1] = (number(lo), LABEL)
        if plot_rows >= 5:
            labels[(plot_rows - 1) // 2] = (number((hi + lo) / 2), LABEL)
    threshold_row = None
    if scale and chart.threshold is not None:
        ydots = plot_rows * 4 - 1
        threshold_row = round((hi - chart.threshold) / (hi - lo) * ydots) // 4
        labels[threshold_row] = (number(chart.threshold), THRESHOLD)
    zone = zone_name(tz, chart.end)
    gutter = max([len(text) for text, _ in labels.values()] + [len(zone), 3])
    plot_width = max(width - gutter - 1, 4)

    # the title row: a stale chart says so first, and why
    title = _Line()
    if chart.stale:
        when = chart.stale_at.astimezone(tz).strftime("%H:%M") if chart.stale_at else ""
        title.add(f"! STALE {safe_text(chart.stale, 120)}{', ' + when if when else ''} ", STALE)
    title.add(safe_text(chart.title, 200), TITLE)
    rows.append(title.fit(width))

    grid = _Grid(plot_width, plot_rows)
    if scale:
        for index, series in enumerate(chart.series):
            _draw_series(grid, chart, index, series, lo, hi)
    span = (chart.end - chart.start).total_seconds() or 1.0
    mark_cols: list[tuple[int, str]] = []
    for mark in sorted(chart.marks, key=lambda m: m.at):
        offset = (mark.at - chart.start).total_seconds()
        if mark.kind in MARKS and 0 <= offset <= span:
            mark_cols.append((round(offset / span * (plot_width - 1)), mark.kind))

    empty = ""
    if not chart.points:
        start = chart.start.astimezone(tz).strftime("%H:%M")
        end = chart.end.astimezone(tz).strftime("%H:%M")
        empty = (
            f"no data: {safe_text(chart.stale, 120)}"
            if chart.stale
            else f"no points {start}–{end} (the query returned nothing)"
        )
    event_cols = {col for col, _ in mark_cols}
    for r in range(plot_rows):
        line = _Line()
        text, role = labels.get(r, ("", LABEL))
        line.add(text.rjust(gutter), role)
        line.add("┤" if r in labels else "│", AXIS)
        if empty and r == plot_rows // 2:
            line.add(f" {empty}"[:plot_width].ljust(plot_width), STALE if chart.stale else EMPTY)
            rows.append(line.fit(width))
            continue
        for c in range(plot_width):
            if (r, c) in grid.glyph:
                line.add(*grid.glyph[(r, c)])
            elif grid.bits[r][c]:
                line.add(chr(0x2800 + grid.bits[r][c]), SERIES_ROLES[min(grid.owner[r][c], 3)])
            elif r == threshold_row:
                line.add("╌", THRESHOLD)
            elif c in event_cols:
                line.add("┆", EMPTY)  # unstyled: it joins the blank run around it
            else:
                line.add(" ", EMPTY)
        rows.append(line.fit(width))

    # the time axis: ticks, and incident events as letters on it
    axis = [("─", AXIS)] * plot_width
    ticks = _ticks(chart.start, chart.end, plot_width, tz)
    for col, _ in ticks:
        axis[col] = ("┴", AXIS)
    spread = _spread([c for c, _ in mark_cols], plot_width)
    for col, (_, event) in zip(spread, mark_cols, strict=True):
        axis[col] = (MARKS[event][0], MARK)
    line = _Line()
    line.add(" " * gutter + "└", AXIS)
    for text, role in axis:
        line.add(text, role)
    rows.append(line.fit(width))

    times = [" "] * plot_width
    taken = -1
    for col, text in ticks:
        at = min(max(col - _TIME_LABEL // 2, 0), plot_width - _TIME_LABEL)
        if at > taken:
            times[at : at + _TIME_LABEL] = list(text)
            taken = at + _TIME_LABEL
    line = _Line()
    line.add(zone[:gutter].rjust(gutter) + " ", LABEL)
    line.add("".join(times), LABEL)
    rows.append(line.fit(width))

    legend = _Line()
    for index, series in enumerate(chart.series[: len(LEGEND_GLYPHS)]):
        legend.add(LEGEND_GLYPHS[index], SERIES_ROLES[index])
        legend.add(f" {safe_text(series_name(series), 40)}  ", LABEL)
    if len(chart.series) > len(LEGEND_GLYPHS):
        legend.add(f"+{len(chart.series) - len(LEGEND_GLYPHS)} more  ", LABEL)
    if chart.threshold is not None:
        legend.add("╌", THRESHOLD)
        rule = " ".join(filter(None, (chart.operator, number(chart.threshold))))
        legend.add(f" {rule}  ", LABEL)
    for kind in dict.fromkeys(kind for _, kind in mark_cols):
        letter, word = MARKS[kind]
        legend.add(letter, MARK)
        legend.add(f" {word} ", LABEL)
    rows.append(legend.fit(width))
    return rows


def series_name(series: Series) -> str:
    """`{job="api", instance="a:9"}` without `__name__`, or the metric name alone."""
    labels = {k: v for k, v in series.labels.items() if k != "__name__"}
    name = series.labels.get("__name__", "")
    if not labels:
        return name or "value"
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"
