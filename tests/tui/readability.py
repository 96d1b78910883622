"""Text a 16-colour terminal would show in its background's colour: unreadable.

The screen is encoded as the driver would for that terminal (Rich downgrades each
truecolor to the nearest of the 16 ANSI colours, `tests/tui/conftest.py`); two
colours that were distinct in the theme can land on the same ANSI colour there.
In a real terminal: `TEXTUAL_COLOR_SYSTEM=standard warroom`, or TERM=xterm.
"""

from __future__ import annotations

from typing import Any, cast

from rich.color import ColorSystem, ColorType

from warroom.tui.app import WarroomApp

from .conftest import _recorded


def invisible_text(app: WarroomApp) -> list[str]:
    """Each run of text whose foreground and background are one ANSI colour in 16
    colours (spaces, lines and boxes, and default colours left out: those are not
    text, or not known). Braille chart dots count: they are the data."""
    recorder, update = _recorded(app, "standard")
    found = []
    for segment in recorder.render(cast(Any, update)):
        style = segment.style
        if segment.control or style is None or not segment.text.strip():
            continue
        if all("\u2500" <= c <= "\u259f" for c in segment.text.strip()):
            continue  # rules and boxes (the tab bar's unlit underline): no text, no data
        fg, bg = style.color, style.bgcolor
        if fg is None or bg is None or ColorType.DEFAULT in (fg.type, bg.type):
            continue
        low_fg, low_bg = fg.downgrade(ColorSystem.STANDARD), bg.downgrade(ColorSystem.STANDARD)
        if low_fg.number == low_bg.number:
            found.append(f"{segment.text!r} in ANSI colour {low_fg.number} on itself")
    return found
