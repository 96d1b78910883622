"""Text fields that never echo control sequences to the terminal.

Textual's Input shows what is pasted as it is typed: a paste carrying ESC, a C1
CSI (U+009B) or an OSC 52 clipboard write would reach the responder's terminal
while they edit. Every way text enters the field goes through `strip_unsafe`.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from warroom.model.text import strip_unsafe


class SafeInput(Input):
    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        super().__init__(value=strip_unsafe(value or ""), **kwargs)
        # a blinking cursor costs bytes every half second over SSH
        self.cursor_blink = False

    def validate_value(self, value: str) -> str:
        return strip_unsafe(value)

    def insert(self, text: str, index: int) -> None:
        super().insert(strip_unsafe(text), index)

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(strip_unsafe(text), start, end)
