"""The Alerts tab's TREND column: a one-row sparkline of each alert's series.

It appears only where the terminal is wide enough that no other column gives up
width (SPARK_WIDE columns); at 80 the tab is as it was. Points are asked for the
rows on screen only, by one worker at a time, through the engine's cache
(`engine.sparklines`): drawing and scrolling read what is cached and never wait
on a source. An alert with no series shows blank; a source that failed shows its
last points with a ✗ (or ✗ stale with none), never a calm flat line. The block
characters carry the shape, so it reads under NO_COLOR.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rich.text import Text

from warroom.engine.sparklines import POINTS, Spark, Sparklines
from warroom.model.alert import TrackedAlert
from warroom.tui.context import console

log = logging.getLogger(__name__)

SPARK_WIDE = 100  # table columns from which TREND is shown
SPARK_COLUMN = POINTS + 2  # the blocks, the stale mark and a gap
BLOCKS = "▁▂▃▄▅▆▇█"
STALE = "✗"


def blocks(values: Sequence[float], threshold: float | None = None) -> str:
    """The values as block characters, scaled to their range and the threshold's
    (NaN: a gap)."""
    finite = [v for v in values if v == v]
    if not finite:
        return ""
    within = finite if threshold is None else [*finite, threshold]
    low, high = min(within), max(within)
    span = high - low
    out = []
    for value in values:
        if value != value:
            out.append(" ")
        elif span == 0:
            out.append(BLOCKS[3])
        else:
            out.append(BLOCKS[min(7, int((value - low) / span * 8))])
    return "".join(out)


def spark_cell(spark: Spark | None) -> Text:
    if spark is None or (not spark.values and not spark.stale):
        return Text("")  # not known yet, or nothing to draw: blank
    text = Text(
        blocks(spark.values, spark.threshold).rjust(POINTS), style="cyan", no_wrap=True, end=""
    )
    if spark.stale:
        if not spark.values:
            return Text(f"{STALE} stale".rjust(POINTS + 1), style="bold", no_wrap=True, end="")
        text.stylize("dim")
        text.append(STALE, style="bold")
    return text


class AlertSparks:
    """Mixed into the Alerts view: which rows need points, and the worker that asks."""

    _sparks: Sparklines | None = None
    _sparks_running = False
    _sparks_deferred = False

    def sparks(self) -> Sparklines | None:
        if self._sparks is None:
            service = console(self).service  # type: ignore[arg-type]
            if not service.metrics.available:
                return None
            self._sparks = Sparklines(service.metrics, console(self).now)  # type: ignore[arg-type]
        return self._sparks

    def sparks_requested(self) -> int:
        """Requests sent for sparklines: a test's witness."""
        return self._sparks.requests if self._sparks is not None else 0

    def trend_cell(self, key: str, tracked: TrackedAlert) -> Text:
        sparks = self._sparks
        return spark_cell(sparks.peek(key, tracked) if sparks is not None else None)

    def on_screen_alerts(self) -> list[tuple[str, TrackedAlert]]:
        raise NotImplementedError

    def trend_shown(self) -> bool:
        raise NotImplementedError

    def want_sparks(self) -> None:
        """Ask for the points of the rows on screen that are due, in the background."""
        if self._sparks_running or not self.trend_shown():
            return
        if self._sparks is None and not self._sparks_deferred:
            # the first frame first: the service (and its imports) is built after it
            self._sparks_deferred = True
            self.call_after_refresh(self.want_sparks)  # type: ignore[attr-defined]
            return
        sparks = self.sparks()
        if sparks is None or not any(sparks.due(k) for k, _ in self.on_screen_alerts()):
            return
        self._sparks_running = True
        self.run_worker(self._fetch_sparks(sparks), group="sparks")  # type: ignore[attr-defined]

    async def _fetch_sparks(self, sparks: Sparklines) -> None:
        try:
            for _ in range(8):  # the rows on screen now, again if they moved meanwhile
                due = [(k, t) for k, t in self.on_screen_alerts() if sparks.due(k)]
                if not due or not self.trend_shown():
                    break
                await sparks.fetch(due)
                self.sparks_fetched()
        except Exception:  # the column stays blank; the console goes on
            log.exception("fetching sparklines failed")
        finally:
            self._sparks_running = False

    def sparks_fetched(self) -> None:
        raise NotImplementedError
