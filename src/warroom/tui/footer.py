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

After that first build, a change of keys (a focus move from the tab bar's three
keys to the table's thirteen, and back) updates the key widgets in place: each
keeps its place and takes its new key, label and state; keys beyond those shown
are hidden, not removed, and new widgets are mounted only when more keys are
shown than ever before. A recompose removed and mounted every key, each styled
one by one: 100-190 ms per focus move (issue 9). Bindings in groups (none of the
console's) still recompose, as Textual lays those out.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_CLASS = "-command-palette"


class KeySpec(NamedTuple):
    """One key widget's contents, as `Footer.compose` would build it."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str


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
        if not await self._update_in_place():
            await self.recompose()

    async def _update_in_place(self) -> bool:
        """Show the keys with the widgets there are (mounting only what is missing);
        False when this footer cannot (nothing built yet, grouped bindings, the
        palette key coming or going): then it recomposes."""
        specs = self._key_specs()
        if specs is None:
            return False
        keys, palette_spec = specs
        children = list(self.children)
        if not children or not all(isinstance(c, FooterKey) for c in children):
            return False
        pool = [c for c in children if isinstance(c, FooterKey) and not c.has_class(PALETTE_CLASS)]
        palettes = [c for c in children if isinstance(c, FooterKey) and c.has_class(PALETTE_CLASS)]
        if len(palettes) != (palette_spec is not None):
            return False
        self.styles.grid_size_columns = len(keys)
        for widget, spec in zip(pool, keys, strict=False):
            _show(widget, spec)
        for widget in pool[len(keys) :]:
            widget.display = False
        if palette_spec is not None:
            _show(palettes[0], palette_spec)
        missing = [
            FooterKey(*spec[:4], disabled=spec.disabled, tooltip=spec.tooltip).data_bind(
                compact=Footer.compact
            )
            for spec in keys[len(pool) :]
        ]
        if missing:
            if palettes:
                await self.mount_all(missing, before=palettes[0])
            else:
                await self.mount_all(missing)
        return True

    def _key_specs(self) -> tuple[list[KeySpec], KeySpec | None] | None:
        """The keys `Footer.compose` would show (the first binding of each action),
        and the palette's key; None if some bindings are grouped."""
        by_action: dict[str, KeySpec] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            if binding.action not in by_action:
                by_action[binding.action] = KeySpec(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    not enabled,
                    tooltip,
                )
        palette: KeySpec | None = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                palette = KeySpec(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    not enabled,
                    binding.tooltip or binding.description,
                )
        return list(by_action.values()), palette

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


def _show(widget: FooterKey, spec: KeySpec) -> None:
    """The key widget shows `spec` from now on: a layout only if its text changed."""
    resized = (widget.key_display, widget.description) != (spec.key_display, spec.description)
    widget.key, widget.key_display = spec.key, spec.key_display
    widget.description, widget.action = spec.description, spec.action
    if widget._disabled != spec.disabled:
        widget._disabled = spec.disabled
        widget.set_class(spec.disabled, "-disabled")
    if (widget.tooltip or "") != spec.tooltip:
        widget.tooltip = spec.tooltip or None
    if not widget.display:
        widget.display = True
    elif resized:
        widget.refresh(layout=True)
