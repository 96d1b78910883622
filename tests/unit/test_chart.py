"""The braille chart, read back from its cells: what a responder would see."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.model.series import Chart, Mark, Series
from warroom.tui.chart import render

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
END = T0 + timedelta(minutes=60)


def _points(values: list[float], step: int = 30) -> tuple[tuple[datetime, float], ...]:
    return tuple((T0 + timedelta(seconds=step * i), v) for i, v in enumerate(values))


def _chart(*series: Series, **kw: object) -> Chart:
    return Chart("k", "Title", "q", "prom", T0, END, tuple(series), **kw)  # type: ignore[arg-type]


def _text(rows: list[list[tuple[str, str]]]) -> list[str]:
    return ["".join(t for t, _ in row) for row in rows]


def _plot(lines: list[str]) -> list[str]:
    """The plot area: the rows between the title and the axis, right of the gutter."""
    body = lines[1:-3]
    gutter = body[0].index("┤") + 1
    return [line[gutter:] for line in body]


def _top_dot_rows(plot: list[str]) -> dict[int, int]:
    """For each column holding a braille dot, the highest row it is in."""
    found: dict[int, int] = {}
    for r, line in enumerate(plot):
        for c, ch in enumerate(line):
            if "\u2801" <= ch <= "\u28ff" and c not in found:
                found[c] = r
    return found


def test_every_row_is_exactly_the_width() -> None:
    chart = _chart(Series({"job": "a"}, _points([1, 2, 3])), threshold=2.5, operator=">")
    rows = render(chart, 61, 12, UTC)
    assert len(rows) == 12
    assert all(sum(len(t) for t, _ in row) == 61 for row in rows)


def test_a_rising_series_draws_rising() -> None:
    rows = _text(render(_chart(Series({}, _points([float(i) for i in range(121)]))), 60, 14, UTC))
    tops = _top_dot_rows(_plot(rows))
    columns = sorted(tops)
    assert len(columns) > 40  # it spans the width
    heights = [tops[c] for c in columns]
    assert heights == sorted(heights, reverse=True)  # never goes down, left to right
    assert heights[0] == 9 and heights[-1] == 0  # from the bottom row to the top one


def test_the_threshold_is_on_the_row_of_its_value() -> None:
    # values 0..100, threshold 75: a quarter of the way down from the top
    values = [0.0, 100.0] + [50.0] * 10
    chart = _chart(Series({}, _points(values)), threshold=75.0, operator=">")
    lines = _text(render(chart, 60, 14, UTC))
    body = lines[1:-3]  # ten plot rows, 40 dots: 75 sits at dot 10, row 2
    rule_rows = [r for r, line in enumerate(body) if "╌" in line]
    assert rule_rows == [2]
    assert body[2].lstrip().startswith("75┤")
    assert body[0].lstrip().startswith("100┤") and body[9].lstrip().startswith("0┤")
    legend = lines[-1]
    assert "╌ > 75" in legend


def test_a_series_above_the_threshold_is_drawn_above_its_rule() -> None:
    chart = _chart(Series({}, _points([10.0, 9.0] * 50)), threshold=5.0, operator="<")
    plot = _plot(_text(render(chart, 60, 12, UTC)))
    rule = next(r for r, line in enumerate(plot) if "╌" in line)
    assert max(_top_dot_rows(plot).values()) < rule


def test_times_are_in_the_responders_zone_and_say_which() -> None:
    chart = _chart(Series({}, _points([1.0] * 121)))
    utc = _text(render(chart, 70, 10, UTC))
    ny = _text(render(chart, 70, 10, ZoneInfo("America/New_York")))
    assert "12:00" in utc[-2] and "12:30" in utc[-2] and utc[-2].lstrip().startswith("UTC")
    # 12:00 UTC on Nov 26 is 07:00 in New York (EST, UTC-5)
    assert "07:00" in ny[-2] and "07:30" in ny[-2] and "12:00" not in ny[-2]
    assert ny[-2].lstrip().startswith("EST")


def test_a_gap_in_the_samples_is_a_gap_in_the_line() -> None:
    values = [float(i % 7) for i in range(121)]
    points = tuple(p for i, p in enumerate(_points(values)) if not 40 <= i < 80)
    plot = _plot(_text(render(_chart(Series({}, points)), 62, 10, UTC)))
    columns = sorted(_top_dot_rows(plot))
    # 40 missing samples of 120 across 60 columns: about 20 columns without a dot
    gaps = [b - a for a, b in itertools.pairwise(columns)]
    assert max(gaps) >= 15


def test_nan_breaks_the_line_and_does_not_crash() -> None:
    values = [1.0, 2.0, math.nan, math.inf, 3.0, 4.0] * 20
    lines = _text(render(_chart(Series({}, _points(values))), 60, 10, UTC))
    assert "nan" not in "".join(lines).lower() and "inf" not in "".join(lines).lower()
    assert _top_dot_rows(_plot(lines))


def test_series_differ_without_colour() -> None:
    """NO_COLOR and 16 colours: the second series' dots and the legend differ in shape."""
    flat = [5.0] * 121
    one = _plot(_text(render(_chart(Series({"s": "a"}, _points(flat))), 60, 8, UTC)))
    two = _text(
        render(
            _chart(Series({"s": "x"}, _points([0.0, 10.0])), Series({"s": "b"}, _points(flat))),
            60,
            8,
            UTC,
        )
    )
    solid = {ch for line in one for ch in line if "\u2801" <= ch <= "\u28ff"}
    dotted = {ch for line in _plot(two) for ch in line if "\u2801" <= ch <= "\u28ff"}
    # a solid flat line sets dots in both columns of a cell; the dotted one only the left
    assert any((ord(ch) - 0x2800) & 0x38 for ch in solid)
    flat_row = [
        line
        for line in _plot(two)
        if line.count("\u2801") + line.count("\u2802") + line.count("\u2804") + line.count("\u2840")
        > 20
    ]
    assert flat_row and not any(
        (ord(ch) - 0x2800) & 0xB8 for ch in flat_row[0] if "\u2801" <= ch <= "\u28ff"
    )
    assert dotted
    legend = two[-1]
    assert '⠉⠉ {s="x"}' in legend and '⠁⠁ {s="b"}' in legend


def test_a_third_series_is_drawn_as_points() -> None:
    s = [Series({"n": str(i)}, _points([float(i)] * 10, step=360)) for i in range(3)]
    lines = _text(render(_chart(*s), 60, 10, UTC))
    assert "o" in "".join(_plot(lines)) and 'o {n="2"}' in lines[-1]


def test_incident_events_are_letters_on_the_time_axis() -> None:
    marks = (
        Mark(T0 + timedelta(minutes=15), "declared"),
        Mark(T0 + timedelta(minutes=30), "acknowledged"),
        Mark(T0 + timedelta(minutes=31), "escalated"),
        Mark(T0 + timedelta(minutes=45), "resolved"),
        Mark(T0 - timedelta(minutes=5), "declared"),  # outside the window: not drawn
    )
    lines = _text(render(_chart(Series({}, _points([1.0, 2.0] * 60)), marks=marks), 64, 10, UTC))
    axis = lines[-3]
    start = axis.index("└") + 1
    letters = {ch: axis.index(ch) - start for ch in "DAER" if ch in axis}
    assert set(letters) == set("DAER")
    width = len(axis) - start
    assert abs(letters["D"] - round(0.25 * (width - 1))) <= 1
    assert letters["A"] < letters["E"] <= letters["A"] + 2  # a minute apart: side by side
    assert abs(letters["R"] - round(0.75 * (width - 1))) <= 1
    assert axis.count("D") == 1
    assert "D declared" in lines[-1] and "R resolved" in lines[-1]


def test_a_stale_chart_says_why_and_keeps_its_points() -> None:
    chart = _chart(
        Series({}, _points([1.0, 2.0, 3.0])),
        stale="prometheus: connection refused",
        stale_at=T0 + timedelta(minutes=3),
    )
    lines = _text(render(chart, 70, 10, ZoneInfo("Europe/Berlin")))
    assert lines[0].startswith("! STALE prometheus: connection refused, 13:03")
    assert _top_dot_rows(_plot(lines))


def test_a_stale_chart_without_points_is_never_blank() -> None:
    chart = _chart(stale="prometheus: connection refused", stale_at=T0)
    lines = _text(render(chart, 70, 10, UTC))
    assert any("no data: prometheus: connection refused" in line for line in lines[1:-3])


def test_an_empty_answer_says_so() -> None:
    lines = _text(render(_chart(), 70, 10, UTC))
    assert any("no points 12:00–13:00" in line for line in lines[1:-3])


def test_untrusted_titles_and_labels_carry_no_escapes() -> None:
    chart = Chart(
        "k",
        "evil\x1b]0;pwned\x07",
        "q",
        "p",
        T0,
        END,
        (Series({"job": "\x1b[31mred\x9b"}, _points([1.0, 2.0])),),
        stale="down\x1b[2J",
    )
    text = "".join(_text(render(chart, 80, 10, UTC)))
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text


def test_events_at_the_right_edge_both_show() -> None:
    """Declared and acknowledged in the same minute, at the window's end (now)."""
    marks = (Mark(END, "declared"), Mark(END, "acknowledged"))
    axis = _text(render(_chart(Series({}, _points([1.0, 2.0])), marks=marks), 60, 10, UTC))[-3]
    assert axis.endswith("DA")
