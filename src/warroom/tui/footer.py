"""The key footer, rebuilt only when the keys it shows change.

Textual's Footer rebuilds all its key widgets on every bindings refresh (a
focus move, a tab shown, any reactive that may change which actions apply),
each widget styled one by one: at start-up that was four rebuilds of some
thirty keys in the second between the first frame and the first alerts, the
event loop too busy to hand the first poll its database answers (issue 9).
Refreshes in one frame now make one rebuild, and a rebuild that would show the
same keys, enabled the same way, is skipped.

A footer made `waiting` shows no keys until `start()`: the console starts it
once its first data is on screen. Built at start-up, the footer was three
builds (keys dimmed until the console had started, then enabled, then those of
the first tab's table once it had the focus), with a layout each, all before the
first alerts could show (issue 9); now it is one, just after them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _pending = False
    _shown: Hashable | None = None

    def __init__(self, *, waiting: bool = False) -> None:
        super().__init__()
        self._waiting = waiting

    def start(self) -> None:
        """Show the keys from now on (a `waiting` footer shows none until then)."""
        if self._waiting:
            self._waiting = False
            if self.is_attached:
                # from the footer's own queue: its keys are built (and bound) as its own
                self.call_later(self.bindings_changed, self.screen)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if self._waiting or not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()

    def _keys_shown(self) -> Hashable:
        """What `Footer.compose` reads: the bindings (key, display, group), enabled, tooltip."""
        return (
            tuple(
                (binding, enabled, tooltip)
                for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            ),
            self.show_command_palette,
            self.combine_groups,
            self.app.ENABLE_COMMAND_PALETTE,
        )
