"""Type-ahead: the keys typed after a key that opens a field belong to that field.

A responder types `/disk` or `n5 restarted web-1` in one breath, and SSH often
delivers it as one write. Textual runs a binding only when its key bubbles back
up to the app, and moves focus a message later; by then the rest of the burst is
already on its way to the old focus, where `a` acknowledges and `5` sets impact.

So a key that opens a field or a dialog starts a hold: every key the app sees
from then on is kept, in order, and replayed as fresh keys once focus has moved
(the field, or the dialog's first field, has it). A replayed key that can move
focus again (enter, tab, escape) ends the replay; the rest wait for the next move.
Nothing is ever dropped: if focus never moves, the keys go where focus is after
a short wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events
from textual.timer import Timer
from textual.widget import Widget

# Opening a dialog may wait on the store; the keys wait with it, then go on.
OPEN_WAIT = 2.0
# After a replayed enter/tab/escape: long enough for a dialog to close or a field
# to take focus, short enough that a responder never notices.
SETTLE_WAIT = 0.2
FOCUS_MOVERS = frozenset({"enter", "tab", "shift+tab", "escape"})


class KeyHold:
    def __init__(
        self,
        dispatch: Callable[[events.Key], Awaitable[None]],
        focused: Callable[[], Widget | None],
        set_timer: Callable[[float, Callable[[], Awaitable[None]]], Timer],
    ) -> None:
        self._dispatch = dispatch
        self._focused = focused
        self._set_timer = set_timer
        self._held: list[events.Key] | None = None
        self._was_focused: Widget | None = None
        self._timer: Timer | None = None

    @property
    def active(self) -> bool:
        return self._held is not None

    def start(self, wait: float = OPEN_WAIT) -> None:
        """From now on keys are held until focus moves (or `wait` seconds pass)."""
        if self._held is None:
            self._held = []
        self._was_focused = self._focused()
        self._arm(wait)

    def take(self, event: events.Event) -> bool:
        """Keep a key while holding; True when the caller must not process it."""
        if self._held is None or not isinstance(event, events.Key):
            return False
        # a copy: the original may already be marked forwarded or stopped
        self._held.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()
        return True

    async def focus_moved(self) -> None:
        if self._held is not None and self._focused() is not self._was_focused:
            await self.release()

    async def release(self) -> None:
        held, self._held = self._held, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        for i, key in enumerate(held or ()):
            await self._dispatch(key)
            rest = (held or [])[i + 1 :]
            if key.key in FOCUS_MOVERS and rest:
                self._held = rest
                self._was_focused = self._focused()
                self._arm(SETTLE_WAIT)
                return

    def _arm(self, wait: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._set_timer(wait, self.release)
