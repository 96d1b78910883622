"""The console: tabs, status bar, footer; the engine and the change feed as workers.

Data flows one way: the store's change feed wakes the app, the app reloads the
visible view (hidden ones are marked stale and reload when shown), and every
key goes through the service API, whose commit wakes the feed again -- for this
console and every other one on the bastion.

The app is composed, not self-assembled: the CLI opens a `Runtime` (store,
plans, engine, service, actor, clock) and hands it over, and the tabs come from
the registry in `tabs.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Coroutine, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from warroom import offload
from warroom.engine.errors import ActionError
from warroom.engine.wiring import Runtime
from warroom.model.text import safe_text
from warroom.plans import PlanIndex, PlanSet
from warroom.store import Store, StoreError
from warroom.tui.actions import View
from warroom.tui.console_screen import ConsoleScreen
from warroom.tui.dialogs import HelpScreen
from warroom.tui.footer import KeyFooter
from warroom.tui.heap import TIDY_SECONDS, HeapKeeper
from warroom.tui.keyhold import OPEN_WAIT, KeyDone, KeyHold
from warroom.tui.status import StatusBar
from warroom.tui.tabs import ACTED_ON, CURRENT_INCIDENT, STALE_SOURCES, TABS, TabRegistry
from warroom.tui.themes import DEFAULT_THEME, discover_themes

if TYPE_CHECKING:
    from warroom.engine.runtime import Engine
    from warroom.engine.service import Service

log = logging.getLogger(__name__)

# feed entities shown by the status bar rather than by a tab
STATUS_ENTITIES = frozenset({"source", "lease"})
STATUS_REFRESH_SECONDS = 5.0
FEED_REST_MAX = 2.0  # seconds the feed may rest after a slow reload
SETTLE_WAIT = 1.0  # seconds after the first frame to wait for the first data at most


class WarroomApp(App[None]):
    # beside this module, whichever module a subclass (with more tabs) is in
    CSS_PATH = Path(__file__).with_name("warroom.tcss")
    TITLE = "warroom"
    ENABLE_COMMAND_PALETTE = True
    # A subclass with more tabs sets both: its registry and, from it, its keys
    # (`BINDINGS = TAB_REGISTRY.bindings()`; Textual merges them with these).
    TAB_REGISTRY: ClassVar[TabRegistry] = TABS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", tooltip="every key of this tab", id="app.help"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            priority=True,
            tooltip="quit the console (the engine lease passes to another process)",
            id="app.quit",
        ),
        Binding(
            "H",
            "handoff",
            "Hand-off",
            show=False,
            tooltip="the shift hand-off: the last 12 h, as `warroom handoff` prints it",
            id="app.handoff",
        ),
        *TABS.bindings(),
    ]

    def __init__(self, runtime: Runtime) -> None:
        """`runtime` is opened by the caller, who closes it after the app has exited."""
        super().__init__()
        self.runtime = runtime
        self.config = runtime.config
        self.actor = runtime.actor
        self.identity = runtime.identity
        self.current_incident: int | None = None
        # sources whose last poll failed or is overdue: their alerts are shown as stale
        self.stale_sources: set[str] = set()
        self.tabs = self.TAB_REGISTRY
        self._stale: set[str] = set(self.tabs.ids)
        self._started = False
        self._settled = False
        self._store_down = False  # the last status read failed: said once, until it answers
        self.ready = asyncio.Event()
        self._heap = HeapKeeper()
        self._hold = KeyHold(self, self._dispatch_held)
        self._switching = False  # a tab key was pressed: its tab releases the keys held
        # responder actions, in the order their keys came: (what, the work)
        self._actions: asyncio.Queue[tuple[str, Coroutine[Any, Any, Any]]] = asyncio.Queue()
        self._pending: deque[str] = deque()
        self._building = asyncio.Lock()
        self._quitting = False
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._theme_errors = self._load_themes()

    def _load_themes(self) -> list[str]:
        themes, errors = discover_themes(self.config.themes)
        for theme in themes:
            self.register_theme(theme)
        wanted = self.config.theme or DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        elif self.config.theme:
            errors.append(f"theme {wanted!r} not found; using {self.theme}")
        return errors

    # -- the Console protocol ------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def plan_index(self) -> PlanIndex:
        return self.runtime.plan_index

    @property
    def planset(self) -> PlanSet:
        return self.runtime.planset

    @property
    def alert_label(self) -> str:
        return self.config.label_column

    @property
    def source_names(self) -> list[str]:
        return self.runtime.source_names

    @property
    def service(self) -> Service:
        return self.runtime.service

    @property
    def chartable(self) -> bool:
        # from the sources alone: the service is not built for the first frame
        from warroom.engine.metrics import can_chart

        return can_chart(self.runtime.engine.sources)

    async def perform(self, action: Awaitable[Any], done: str | None = None) -> Any:
        if not self.ready.is_set():
            if asyncio.iscoroutine(action):
                action.close()
            self.notify("Still starting; try again in a moment.", severity="warning")
            return None
        try:
            result = await action
        except ActionError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return None
        except Exception as exc:
            log.exception("action failed")
            self.notify(f"Action failed: {exc}", severity="error", markup=False)
            return None
        if done:
            self.notify(done, markup=False)
        await self.reload_visible()
        return result

    def enqueue(self, what: str, work: Coroutine[Any, Any, Any]) -> None:
        """Run a responder action in the background, after those queued before it.

        Keys never wait on the network: the key handler returns at once, the
        pending line says what is under way, and the result is a notification.
        Actions run one at a time so that `a` then `r` happen in that order.
        """
        self._pending.append(what)
        self._show_pending()
        self._actions.put_nowait((what, work))

    @property
    def pending_actions(self) -> list[str]:
        return list(self._pending)

    def _start_actions(self) -> None:
        self.run_worker(self._run_actions(), name="actions", group="actions", exit_on_error=False)

    async def _run_actions(self) -> None:
        while True:
            what, work = await self._actions.get()
            try:
                await work
            except Exception as exc:
                log.exception("action %r failed", what)
                self.notify(f"{what} failed: {exc}", severity="error", markup=False)
            finally:
                self._pending.popleft()
                self._show_pending()
                self._actions.task_done()

    async def action_quit(self) -> None:
        """Quit once the actions under way are done; a second ctrl+q quits at once.

        Quitting used to cancel the queue: a note typed a moment before was lost,
        an acknowledgement committed without its silence.
        """
        if not self._pending or self._quitting:
            self.exit()
            return
        self._quitting = True
        self.notify(
            f"Finishing {len(self._pending)} action(s) first ({self._pending[0]} …);"
            " ctrl+q again quits now.",
            severity="warning",
            markup=False,
        )
        self.run_worker(self._quit_when_done(), group="quit", exit_on_error=False)

    async def _quit_when_done(self) -> None:
        await self._actions.join()
        self.exit()

    def _show_pending(self) -> None:
        line = self._main().query_one("#pending", Static)
        line.display = bool(self._pending)
        if self._pending:
            more = len(self._pending) - 1
            text = f"⧗ {self._pending[0]} …" + (f" (+{more} queued)" if more else "")
            line.update(Text(safe_text(text, 200), no_wrap=True, overflow="ellipsis"))

    def hold_keys(self) -> None:
        """The key being handled opens a field or a dialog: the keys after it go there."""
        self._hold.start()

    def hold_keys_for(self, work: Awaitable[object]) -> None:
        """The keys typed from now on wait for `work` (the rows a filter shows), then
        go on in order; never dropped, since what they were typed for is coming."""
        self._hold.start_switch()

        async def then_release() -> None:
            try:
                # past the hold's own wait the keys go on anyway: never wait forever
                await asyncio.wait_for(work, OPEN_WAIT)
            except (TimeoutError, StoreError):
                pass
            finally:
                await self._hold.release()

        self.run_worker(then_release(), group="hold", exit_on_error=False)

    async def release_keys(self) -> None:
        await self._hold.release()

    def drop_keys(self) -> None:
        """The key that held them was refused: the keys typed after it go nowhere
        (the hold says how many, once the burst is in)."""
        self._hold.refuse()

    def open_dialog(self, work: Coroutine[Any, Any, Any]) -> None:
        """Read what a dialog needs, then open it: the keys typed meanwhile wait for it.

        A failure to read (the store locked, say) is one line, and the held keys
        are dropped; it must never close the console.
        """
        self.hold_keys()

        async def guarded() -> None:
            try:
                await work
            except StoreError as exc:
                self.drop_keys()
                self.notify(str(exc), severity="error", markup=False)

        self.run_worker(guarded(), group="dialog", exit_on_error=False)

    async def on_key_done(self, message: KeyDone) -> None:
        await self._hold.key_done(message)

    async def _dispatch_held(self, key: events.Key) -> None:
        await super().on_event(key)

    def now(self) -> datetime:
        return self.runtime.clock()

    def open_incident(self, incident_id: int, tab: str = "incident") -> None:
        self.current_incident = incident_id
        self._stale.update(self.tabs.watching({CURRENT_INCIDENT}))
        if self.screen is not self._main():
            # called from a closing dialog: a tab built under a dialog is not composed
            # until the dialog has gone, so show it once it has
            self.call_after_refresh(self.show_tab, tab)
        else:
            self.show_tab(tab)

    def show_tab(self, tab: str) -> None:
        tabs = self._main().query_one(TabbedContent)
        if tabs.active == tab:
            self.run_worker(self._activate(tab), group="activate")
        else:
            tabs.active = tab

    # -- layout -----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return ConsoleScreen(id="_default")

    def compose(self) -> ComposeResult:
        with TabbedContent(initial=self.tabs.first.id):
            for tab in self.tabs:
                with TabPane(tab.label, id=tab.id):
                    if not tab.lazy:
                        yield tab.build(tab.view_id)
        pending = Static(id="pending")
        pending.display = False
        yield pending
        yield StatusBar()
        yield KeyFooter(waiting=True)  # its keys are shown once the first data is (_settle)

    def _main(self) -> Screen[Any]:
        """The screen with the tabs: queries must not look into a dialog on top of it."""
        return self.screen_stack[0]

    def view(self, tab: str) -> View | None:
        found = self._main().query(f"#view-{tab}")
        return found.first(View) if found else None

    async def _build_view(self, tab: str) -> View:
        """Hidden tabs are built when first shown: the first frame pays only for Alerts.

        One at a time: the feed and a key may both show a tab for the first time,
        and the second must get the view once composed, not a half-mounted one.
        """
        async with self._building:
            existing = self.view(tab)
            if existing is not None:
                return existing
            return await self._mount_view(tab)

    async def _mount_view(self, tab: str) -> View:
        spec = self.tabs[tab]
        view = spec.build(spec.view_id)
        await self._main().query_one(f"TabPane#{tab}", TabPane).mount(view)
        return view

    def on_mount(self) -> None:
        # a screen to keep drawing: large parses yield to the event loop
        offload.set_interactive(True, settle=self._heap.tidy)
        # what the start-up puts off waits for the first data this long at most,
        # whatever the sources do
        self.set_timer(SETTLE_WAIT, self._settle)
        # Paint first: tabs, table header and status bar are on screen before the
        # engine and the feed start (the first frame is what a responder waits
        # for); the data fills in a moment later, the footer's keys just after.
        self.call_after_refresh(self._start)
        # the first tab's content has the focus from the first frame, so the keys
        # the footer will show are its own from the start (one build of the footer)
        first = self.view(self.tabs.first.id)
        if first is not None:
            first.focus_content()
        # views copy styles when they draw: a new theme redraws them from the store
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        if self._started:
            self.run_worker(self.reload_visible(), group="theme", exclusive=True)

    async def _start(self) -> None:
        # The feed position before anything of ours writes: nothing is missed.
        since = await self.store.last_change()
        self._started = True
        if self.runtime.run_engine:
            self.run_worker(self.engine.run(), name="engine", group="engine", exit_on_error=False)
        self.run_worker(self._follow_feed(since), name="feed", group="feed", exit_on_error=False)
        self._start_actions()
        self.set_interval(STATUS_REFRESH_SECONDS, self._refresh_status)
        self.set_interval(TIDY_SECONDS, self._heap.tidy)
        await self._refresh_status()
        await self._activate(self.tabs.first.id)
        for error in self._theme_errors:
            self.notify(error, severity="warning", markup=False, timeout=10)
        planset = self.runtime.planset
        if planset.errors:
            files = ", ".join(str(p) for p in planset.rejected)
            self.notify(
                f"{len(planset.errors)} error(s) in plan files ({files}); their valid plans"
                f" still run. `warroom check` shows each by line. First: {planset.errors[0]}",
                severity="error",
                markup=False,
                timeout=30,
            )
        self.ready.set()
        self.refresh_bindings()
        if not self.runtime.run_engine:
            # nobody polls here: what is stored, shown above, is the first data
            self._settle()

    def _settle(self) -> None:
        """The first data is on screen (or SETTLE_WAIT has passed): now what the
        start-up put off, so the first alerts did not wait for it (issue 9). The
        footer's keys (some fifteen widgets, styled one by one, and a layout: the
        keys work before they are shown) and the cycle collector, which `warroom`
        paused for the start-up (`offload.pause_for_start`). Once; later calls
        do nothing."""
        if self._settled:
            return
        self._settled = True
        # closing already: no footer, or (a slow start met the exit) no screen
        with contextlib.suppress(NoMatches, IndexError):
            self._main().query_one(KeyFooter).start()
        offload.start_done()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self._heap.input_seen()  # no full collection while keys arrive
        if self._hold.take(event):
            return
        await super().on_event(event)
        if isinstance(event, events.DescendantFocus):
            await self._hold.focus_moved()

    async def on_unmount(self) -> None:
        # the runtime (store, lease, sources) is closed by whoever opened it
        self._heap.release()
        offload.set_interactive(False)
        self.workers.cancel_all()
        # actions still queued when the app goes without ctrl+q (a test's end, a
        # signal) never run: close them, so none is left half-made
        while not self._actions.empty():
            what, work = self._actions.get_nowait()
            work.close()
            log.info("action %r dropped: the console closed before it ran", what)

    # -- data flow --------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The engine and the feed must never die quietly: say so and start again."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.name not in ("engine", "feed", "actions"):
            return
        log.error("the %s stopped: %r", worker.name, worker.error, exc_info=worker.error)
        self.notify(
            f"The {worker.name} stopped ({worker.error}); restarting it.",
            severity="error",
            markup=False,
        )
        self.set_timer(1.0, lambda: self._restart(worker.name))

    async def _restart(self, name: str) -> None:
        if name == "engine":
            self.run_worker(self.engine.run(), name="engine", group="engine", exit_on_error=False)
        elif name == "actions":
            self.run_worker(
                self._run_actions(), name="actions", group="actions", exit_on_error=False
            )
        elif name == "feed":
            try:
                since = await self.store.last_change()
            except StoreError:
                # still unreachable (a database server down): the screen stays as it
                # is, the notification already said why; try again in a moment
                self.set_timer(1.0, lambda: self._restart(name))
                return
            self._stale.update(self.tabs.ids)
            self.run_worker(
                self._follow_feed(since), name="feed", group="feed", exit_on_error=False
            )
            await self.reload_visible()

    async def _follow_feed(self, since: int) -> None:
        loop = asyncio.get_running_loop()
        async for batch in self.store.watch(since):
            entities = {c.entity for c in batch}
            self._stale.update(self.tabs.watching(entities))
            if entities & STATUS_ENTITIES:
                await self._refresh_status()
            started = loop.time()
            await self._activate(self._main().query_one(TabbedContent).active, focus=False)
            if entities - STATUS_ENTITIES:
                self._settle()  # the first data is on screen
            # A big poll commits in many short chunks, each a wake-up. Reloading
            # 50,000 alerts after every one starved the poll itself (the first
            # storm took two minutes to land): rest as long as the reload took,
            # twice over, so the screen trails by a moment and the poll runs.
            await asyncio.sleep(min(FEED_REST_MAX, 2 * (loop.time() - started)))

    async def reload_visible(self) -> None:
        """After a user action: show its effect now, without waiting for the feed."""
        self._stale.update(self.tabs.watching(ACTED_ON))
        await self._activate(self._main().query_one(TabbedContent).active, focus=False)

    async def _activate(self, tab: str, focus: bool = True) -> None:
        if not self._started:  # not started yet: _start shows the first tab itself
            return
        view = await self._build_view(tab) if tab in self.tabs else None
        if view is None:
            return
        if tab in self._stale or (focus and view.RELOAD_WHEN_SHOWN):
            self._stale.discard(tab)
            try:
                await view.reload()
            except Exception as exc:
                log.exception("reloading the %s tab failed", tab)
                label = self.tabs[tab].label
                self.notify(f"Could not load {label}: {exc}", severity="error", markup=False)
        if focus:
            # the view may be going away under us (the console is closing)
            with contextlib.suppress(NoMatches):
                view.focus_content()
            if self._switching:  # focus moves a message later: release after it
                self._switching = False
                self.call_after_refresh(self._release_after_switch)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            await self._activate(event.pane.id)

    async def _refresh_status(self) -> None:
        if not self._started:
            return
        try:
            health = await self.store.source_health()
            lease = await self.store.lease()
        except StoreError as exc:
            # a database server gone (PostgreSQL restarting, a link down): say so once,
            # keep the screen as it is, and read again at the next tick
            if not self._store_down:
                self._store_down = True
                self.notify(str(exc), severity="error", markup=False)
            return
        self._store_down = False
        if not self.is_running:  # closed while the store answered
            return
        self._main().query_one(StatusBar).show(health, lease, self.identity, self.actor, self.now())
        now = self.runtime.clock()
        stale = {h.name for h in health if h.is_stale(now)}
        if stale != self.stale_sources:
            self.stale_sources = stale
            watching = self.tabs.watching({STALE_SOURCES})
            self._stale.update(watching)
            active = self._main().query_one(TabbedContent).active
            if active in watching:
                await self._activate(active, focus=False)

    # -- actions ----------------------------------------------------------------------------

    async def _release_after_switch(self) -> None:
        await self._hold.release()

    def action_show_tab(self, tab: str) -> None:
        # `F1/abc` in one burst: until the Alerts tab's content has focus, `/abc`
        # would reach the old tab's table, where `a` acknowledges (found in the #8
        # trial). The keys wait for the new tab, which releases them once focused.
        self._hold.start_switch()
        self._switching = True
        self.show_tab(tab)

    def _active_view(self) -> Widget | None:
        return self.view(self._main().query_one(TabbedContent).active)

    def _tab_label(self, view: Widget) -> str:
        tab = view.id.removeprefix("view-") if view.id else ""
        return self.tabs[tab].label if tab in self.tabs else "View"

    def action_handoff(self) -> None:
        from warroom.tui.handoff_screen import show_handoff

        self.open_dialog(show_handoff(self))

    def action_help(self) -> None:
        sections: list[tuple[str, Iterable[tuple[str, str]]]] = []
        view = self._active_view()
        if view is not None:
            sections.append(
                (
                    self._tab_label(view),
                    _describe(self, view._bindings.key_to_bindings.values()),
                )
            )
        sections.append(
            (
                "Everywhere",
                [
                    *_describe(self, self._bindings.key_to_bindings.values()),
                    ("tab", "Next field or pane"),
                ],
            )
        )
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        view = self._active_view()
        if view is not None:
            for bindings in view._bindings.key_to_bindings.values():
                for binding in bindings:
                    action = binding.action
                    yield SystemCommand(
                        f"{binding.description or action}",
                        f"{self.get_key_display(binding)} · {binding.tooltip or action}",
                        lambda a=action, v=view: self.run_worker(v.run_action(a)),
                    )
        for tab in self.tabs:
            yield SystemCommand(
                f"Go to {tab.label}",
                f"show the {tab.label} tab",
                lambda t=tab.id: self.show_tab(t),
            )
        yield SystemCommand("Help", "every key of this tab", self.action_help)
        yield from super().get_system_commands(screen)


def _describe(app: App[Any], groups: Iterable[list[Binding]]) -> list[tuple[str, str]]:
    """Keys as a responder types them (`*`, `/`, `F1`), with their full description."""
    rows = []
    for bindings in groups:
        for b in bindings:
            if b.system or not b.description:
                continue
            rows.append((app.get_key_display(b), b.tooltip or b.description))
    return rows
