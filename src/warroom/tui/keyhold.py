"""Type-ahead: the keys typed after a key that opens a field belong to that field.

A responder types `/disk` or `n5 restarted web-1` in one breath, and SSH often
delivers it as one write. Textual runs a binding only when its key bubbles back
up to the app, and moves focus a message later; by then the rest of the burst is
already on its way to the old focus, where `a` acknowledges and `5` sets impact.

So a key that opens a field or a dialog starts a hold: every key the app sees
from then on is kept, in order, and replayed once focus has moved. Replay goes
one key at a time: a key is sent to the focused widget with a marker behind it,
and the next key waits for the marker to come back. Without that, a replayed
backspace (a binding, run when it bubbles back) would land after the letter typed
behind it. A key that may move focus again (enter, tab, escape) or that opens
another field waits for the move.

If the field never opens (the key was refused: nothing to silence, no incident
here) or takes too long, the held keys are dropped, and the responder told: a
burst meant for a comment must never run as commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App, ScreenStackError
from textual.dom import DOMNode
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input

# Opening a dialog may wait on the store; past this, the keys are dropped.
OPEN_WAIT = 5.0
# After a replayed enter/tab/escape: long enough for a dialog to close or a field
# to take focus, short enough that a responder never notices.
SETTLE_WAIT = 0.2
# A replayed key whose marker never comes back (its widget was removed first).
IN_FLIGHT_WAIT = 0.5
# After a refused key: the rest of its burst arrives within this, and is dropped.
REFUSED_WAIT = 0.25
FOCUS_MOVERS = frozenset({"enter", "tab", "shift+tab", "escape"})


class KeyDone(Message, bubble=True):
    """Posted behind a replayed key: when it reaches the app, the key has been handled."""

    def __init__(self, key: events.Key) -> None:
        super().__init__()
        self.key = key


class KeyHold:
    def __init__(self, app: App[Any], dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self._app = app
        self._dispatch = dispatch
        self._held: list[events.Key] | None = None
        self._in_flight: events.Key | None = None
        self._target: DOMNode | None = None
        self._wait_focus = False
        self._opening = False  # waiting for the field that the holding key opens
        self._was_focused: Widget | None = None
        self._timer: Timer | None = None
        # a tab switch: only the new tab, once its content has focus, lets go (the
        # focus events on the way there are the old tab losing it, not the new one)
        self._explicit = False

    @property
    def active(self) -> bool:
        return self._held is not None

    def start(self, wait: float = OPEN_WAIT) -> None:
        """From now on keys are held until focus moves (or `wait` seconds pass)."""
        if self._held is None:
            self._held = []
        self._opening = True
        self._wait_for_focus(wait)

    def start_switch(self, wait: float = OPEN_WAIT) -> None:
        """A key that shows another tab: the keys after it are that tab's, so they are
        held until `release` (after its content took focus) or `wait` seconds, then
        replayed (never dropped: they were typed for the tab, which did open)."""
        if self._held is None:
            self._held = []
        self._explicit = True
        self._wait_for_focus(wait)

    def take(self, event: events.Event) -> bool:
        """Keep a key while holding; True when the caller must not process it."""
        if self._held is None or not isinstance(event, events.Key):
            return False
        if event is self._in_flight:
            return False  # the replayed key on its way back up: handle it as usual
        # a copy: the original may already be marked forwarded or stopped
        self._held.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()
        return True

    async def focus_moved(self) -> None:
        if not self._wait_focus or self._explicit:
            return
        if self._closing():
            return
        focused = self._app.focused
        if focused is self._was_focused:
            return
        if self._opening and not isinstance(focused, Input):
            # a late focus event (the table, from an earlier escape) is not the field
            # this key opens: only a field, or a dialog's explicit release, lets go
            return
        self._wait_focus = self._opening = False
        await self._next()

    def refuse(self) -> None:
        """The field will not open. The rest of the burst is still on its way up to
        the app: keep taking it for a moment, then drop it all (and say so)."""
        if self._held is None:
            self._held = []
        self._opening = True
        self._wait_focus = False
        self._arm(REFUSED_WAIT)

    def drop(self) -> int:
        """Forget the held keys now; how many there were."""
        held, self._held = self._held or [], None
        self._in_flight = self._target = None
        self._wait_focus = self._opening = self._explicit = False
        self._stop_timer()
        return len(held)

    async def key_done(self, message: KeyDone) -> None:
        if message.key is self._in_flight:
            self._in_flight = self._target = None
            await self._next()

    async def release(self) -> None:
        """Go on now: a dialog with nothing to focus is showing, or a tab's content
        has taken focus."""
        self._wait_focus = self._opening = self._explicit = False
        self._in_flight = self._target = None
        await self._next()

    async def _expired(self) -> None:
        if self._opening:  # the field never came: the keys were not meant for the table
            dropped = self.drop()
            if dropped:
                self._app.notify(
                    f"{dropped} key(s) typed after it were not used;"
                    " type them again once the field is open.",
                    severity="warning",
                )
            return
        if self._in_flight is not None and self._target is not None and self._target.is_attached:
            self._arm(IN_FLIGHT_WAIT)  # a busy loop, not a lost key: keep the order
            return
        await self.release()

    async def _next(self) -> None:
        if self._wait_focus or self._in_flight is not None or self._held is None:
            return
        if not self._held:
            self._held = None
            self._stop_timer()
            return
        if self._closing():
            self.drop()
            return
        key = self._held.pop(0)
        self._in_flight = key
        if key.key in FOCUS_MOVERS:
            self._wait_for_focus(SETTLE_WAIT)
        else:
            self._arm(IN_FLIGHT_WAIT)
        target = self._app.focused or self._app.screen
        self._target = target
        await self._dispatch(key)
        target.post_message(KeyDone(key))

    def _closing(self) -> bool:
        """The app is closing: its screens are gone, and with them any focus
        (a focus event or a timer can still arrive then; CI saw ScreenStackError)."""
        try:
            self._app.screen  # noqa: B018 - raises once the screen stack is empty
        except ScreenStackError:
            return True
        return False

    def _wait_for_focus(self, wait: float) -> None:
        self._wait_focus = True
        self._was_focused = None if self._closing() else self._app.focused
        self._arm(wait)

    def _arm(self, wait: float) -> None:
        self._stop_timer()
        self._timer = self._app.set_timer(wait, self._expired)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
