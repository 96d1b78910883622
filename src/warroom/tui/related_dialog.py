"""The incident's related items, and copying a link to the responder's own machine.

On a bastion a browser is no use: the link must reach the laptop the responder
SSHed from. Enter copies it with OSC 52 (Textual's `copy_to_clipboard`, written
through its driver: terminals and tmux with `set-clipboard on` pass it on), and
the URL is also shown alone on a line, as plain text, for selecting by mouse
where the terminal drops OSC 52. A URL is never opened, fetched or given to a
shell; every item's text is made terminal-safe and never read as markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from warroom.model.related import RelatedItem, RelatedKind
from warroom.model.text import safe_text

ORIGIN_MARK = {"hand": "+", "plan": "P", "annotation": "A", "derived": "·"}


def item_text(item: RelatedItem) -> Text:
    """One item on one line: what kind, what it names, where it came from."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{ORIGIN_MARK.get(item.origin.value, ' ')} ", style="dim")
    text.append(f"{item.kind.value:<10} ", style="bold")
    if item.kind is RelatedKind.INCIDENT:
        text.append(f"#{item.ref} {item.relation} ")
    elif item.kind is RelatedKind.SILENCE:
        text.append(safe_text(f"{item.source}/{item.ref} ", 80))
    elif item.kind is RelatedKind.RUNBOOK:
        text.append(f"run {item.ref} ")
    elif item.kind is RelatedKind.METRIC:
        text.append(safe_text(f"{item.ref} ", 200))
    elif item.kind is RelatedKind.ATTACHMENT:
        text.append(f"{item.size} B sha256:{item.sha256[:12]} ")
    elif item.kind is RelatedKind.TICKET:
        text.append(safe_text(f"{item.ref} ", 40), style="bold")
    if item.title:
        text.append(safe_text(item.title, 120))
    if item.url:
        text.append(" ")
        text.append(safe_text(item.url, 300), style="underline")
    return text


def related_summary(items: list[RelatedItem]) -> Text:
    """The Incident tab's section: counts by kind, and how to reach them."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind.value] = counts.get(item.kind.value, 0) + 1
    text = Text()
    text.append("Related (l lists, enter copies a link)\n", style="bold underline")
    text.append(", ".join(f"{n} {kind}" for kind, n in counts.items()) or "none")
    return text


class RelatedScreen(ModalScreen[None]):
    """The related items of one incident; enter on one with a URL copies it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="related.close"),
        Binding("c", "copy", "Copy", tooltip="copy the link (OSC 52)", id="related.copy"),
    ]

    def __init__(self, incident_id: int, items: list[RelatedItem]) -> None:
        super().__init__()
        self._incident_id = incident_id
        self._items = items
        self.copied: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(f"Related to #{self._incident_id}", style="bold"))
            options = [Option(item_text(item), id=str(n)) for n, item in enumerate(self._items)]
            listing = OptionList(*options, id="related-list")
            if not options:
                listing.display = False
                yield Static(Text("none yet: warroom related ID add URL|incident:N|file:PATH"))
            yield listing
            yield Static(id="related-url", markup=False)
            yield Label(Text("enter/c copy link · escape close", style="dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._copy(event.option_index)

    def action_copy(self) -> None:
        index = self.query_one("#related-list", OptionList).highlighted
        if index is not None:
            self._copy(index)

    def _copy(self, index: int) -> None:
        item = self._items[index]
        shown = self.query_one("#related-url", Static)
        if not item.url:
            shown.update(Text(f"{item.kind.value} {safe_text(item.ref, 200)}: no link to copy"))
            return
        url = safe_text(item.url, 4096)  # checked when added or derived; safe_text is belt
        self.app.copy_to_clipboard(url)
        self.copied = url
        # plain text alone on its line, so a mouse selection takes exactly the URL
        shown.update(Text(f"copied (OSC 52); or select it:\n{url}"))

    def action_close(self) -> None:
        self.dismiss(None)
