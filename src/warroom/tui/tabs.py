"""The console's tabs, declared once: a new tab is one entry here and one view module.

The app composes its tab panes, its F-key bindings (ids `app.tab.ID`), the
palette's "Go to" commands and help from this list, and refreshes a view only
when something it watches changed and it is the one on screen: hidden tabs
do no work, and are refreshed when next shown.

What a tab watches are change-feed entities (written by any process through
the store) and the console's own changes below, which no other process sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from warroom.model.value import Value

if TYPE_CHECKING:
    from warroom.tui.actions import View

# The console's own changes, told to tabs like feed entities.
CURRENT_INCIDENT = "current-incident"  # the responder opened another incident
STALE_SOURCES = "stale-sources"  # a source went stale or came back: its rows read differently

# Change-feed entities a responder's own action may have written, refreshed at
# once after it rather than when the feed wakes.
ACTED_ON = frozenset({"alerts", "incident", "timeline"})


class Tab(Value, frozen=True):
    id: str  # the pane's id, `app.tab.ID` for the keymap, `view-ID` for its view
    label: str
    key: str  # the default key that shows it (remappable through `app.tab.ID`)
    build: Callable[[str], View]  # the view, given its widget id; imports its module
    watches: frozenset[str]  # feed entities and console changes that make it stale
    lazy: bool = True  # built when first shown; eager ones are in the first frame

    @property
    def view_id(self) -> str:
        return f"view-{self.id}"


class TabRegistry:
    """Tabs in the order they are shown; ids and keys each used once."""

    def __init__(self, tabs: Iterable[Tab]) -> None:
        self._tabs: dict[str, Tab] = {}
        keys: set[str] = set()
        for tab in tabs:
            if tab.id in self._tabs:
                raise ValueError(f"tab id {tab.id!r} declared twice")
            if tab.key in keys:
                raise ValueError(f"tab key {tab.key!r} given to two tabs")
            self._tabs[tab.id] = tab
            keys.add(tab.key)
        if not self._tabs:
            raise ValueError("a console needs at least one tab")

    def __iter__(self) -> Iterator[Tab]:
        return iter(self._tabs.values())

    def __contains__(self, tab_id: object) -> bool:
        return tab_id in self._tabs

    def __getitem__(self, tab_id: str) -> Tab:
        return self._tabs[tab_id]

    def __len__(self) -> int:
        return len(self._tabs)

    @property
    def ids(self) -> list[str]:
        return list(self._tabs)

    @property
    def first(self) -> Tab:
        return next(iter(self._tabs.values()))

    def plus(self, *tabs: Tab) -> TabRegistry:
        """These tabs after the existing ones (a plugin's or a test's)."""
        return TabRegistry([*self, *tabs])

    def watching(self, changed: Iterable[str]) -> set[str]:
        """The tabs that something in `changed` makes stale."""
        changed = set(changed)
        return {tab.id for tab in self if tab.watches & changed}

    def bindings(self) -> list[BindingType]:
        """One key per tab, each with the id `app.tab.ID` that `keymap:` remaps."""
        return [
            Binding(
                tab.key,
                f"show_tab('{tab.id}')",
                tab.label,
                show=False,
                tooltip=f"the {tab.label} tab",
                id=f"app.tab.{tab.id}",
            )
            for tab in self
        ]


# -- the views, each imported when its tab is first shown ------------------------------


def _alerts(widget_id: str) -> View:
    from warroom.tui.alerts_view import AlertsView

    return AlertsView(id=widget_id)


def _incidents(widget_id: str) -> View:
    from warroom.tui.incidents_view import IncidentsView

    return IncidentsView(id=widget_id)


def _incident(widget_id: str) -> View:
    from warroom.tui.incident_view import IncidentView

    return IncidentView(id=widget_id)


def _timeline(widget_id: str) -> View:
    from warroom.tui.timeline_view import TimelineView

    return TimelineView(id=widget_id)


def _silences(widget_id: str) -> View:
    from warroom.tui.silences_view import SilencesView

    return SilencesView(id=widget_id)


def _sources(widget_id: str) -> View:
    from warroom.tui.sources_view import SourcesView

    return SourcesView(id=widget_id)


def _oncall(widget_id: str) -> View:
    from warroom.tui.oncall_view import OncallView

    return OncallView(id=widget_id)


def _runbook(widget_id: str) -> View:
    from warroom.tui.runbook_view import RunbookView

    return RunbookView(id=widget_id)


def _metrics(widget_id: str) -> View:
    from warroom.tui.metrics_view import MetricsView

    return MetricsView(id=widget_id)


def _analysis(widget_id: str) -> View:
    from warroom.tui.analysis_view import AnalysisView

    return AnalysisView(id=widget_id)


def _watch(*entities: str) -> frozenset[str]:
    return frozenset(entities)


TABS = TabRegistry(
    [
        # in the first frame: what a responder opens the console for
        Tab(
            "alerts",
            "Alerts",
            "f1",
            _alerts,
            _watch("alerts", "incident", STALE_SOURCES),
            lazy=False,
        ),
        # the current incident is marked in the list
        Tab(
            "incidents",
            "Incidents",
            "f2",
            _incidents,
            _watch("alerts", "incident", CURRENT_INCIDENT),
        ),
        Tab(
            "incident",
            "Incident",
            "f3",
            _incident,
            _watch("alerts", "incident", "timeline", "engagement", "outbox", CURRENT_INCIDENT),
        ),
        Tab(
            "timeline",
            "Log",  # the incident's timeline or the console log; short, so ten tabs fit 80 columns
            "f4",
            _timeline,
            _watch("alerts", "incident", "timeline", CURRENT_INCIDENT),
        ),
        # drawn from the sources, not the store: it reloads each time it is shown too
        # (SilencesView.RELOAD_WHEN_SHOWN)
        Tab("silences", "Silences", "f5", _silences, _watch("silence")),
        Tab("sources", "Sources", "f6", _sources, _watch("source", "lease")),
        # overrides from any console or `warroom override`; hand-offs redraw on a timer
        Tab("oncall", "On-call", "f7", _oncall, _watch("oncall")),
        # runs of the current incident; elapsed times and output tick while it is shown
        Tab("runbook", "Runbook", "f8", _runbook, _watch("runbook", CURRENT_INCIDENT)),
        # fetched from Prometheus in a worker, and again on a timer while shown
        Tab("metrics", "Metrics", "f9", _metrics, _watch("timeline", CURRENT_INCIDENT)),
        # the post-incident analysis; its writes are timeline events too
        Tab(
            "analysis",
            "Analysis",
            "f10",
            _analysis,
            _watch("analysis", "incident", "timeline", "runbook", CURRENT_INCIDENT),
        ),
    ]
)
