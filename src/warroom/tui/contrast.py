"""How a colour pair reads once a terminal has drawn it, not as the theme wrote it.

A theme speaks in 24-bit colours, but the pair a responder sees depends on the
terminal: Rich downgrades to the 256-colour cube or the 16 ANSI colours, and under
NO_COLOR Textual turns every colour to grey by its luminance. A severity colour
that reads at 5:1 in truecolor can land on 2.8:1 in one of those; the theme code
checks all of them.

Contrast is WCAG's (relative luminance). 16 colours are measured with Rich's own
ANSI palette, the one its downgrade matches against: a real terminal's palette is
its own, so that figure is an estimate, the best one there is.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from rich._palettes import EIGHT_BIT_PALETTE, STANDARD_PALETTE
from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.color import Color

RGB = tuple[int, int, int]

# 16-colour indices, normal and bright
RED = frozenset({1, 9})
YELLOW = frozenset({3, 11})
# what reads as alarm in 16 colours: red, yellow, magenta
ALARM = frozenset({1, 3, 5, 9, 11, 13})


@lru_cache(maxsize=4096)
def luminance(rgb: RGB) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@lru_cache(maxsize=4096)
def ansi16(rgb: RGB) -> int:
    """The ANSI colour (0-15) Rich sends for `rgb` to a 16-colour terminal."""
    number = RichColor.from_rgb(*rgb).downgrade(ColorSystem.STANDARD).number
    assert number is not None
    return number


def on_16(rgb: RGB) -> RGB:
    return tuple(STANDARD_PALETTE[ansi16(rgb)])  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def on_256(rgb: RGB) -> RGB:
    number = RichColor.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).number
    assert number is not None
    return tuple(EIGHT_BIT_PALETTE[number])  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def grey(rgb: RGB) -> RGB:
    """NO_COLOR: Textual's monochrome filter."""
    mono = Color(*rgb).monochrome
    return (mono.r, mono.g, mono.b)


def renditions(fg: RGB, bg: RGB) -> Iterator[tuple[str, RGB, RGB]]:
    """The pair as drawn in truecolor, 256 and 16 colours, with and without NO_COLOR."""
    for mode, (f, b) in (("", (fg, bg)), ("NO_COLOR ", (grey(fg), grey(bg)))):
        yield f"{mode}truecolor", f, b
        yield f"{mode}256", on_256(f), on_256(b)
        yield f"{mode}16", on_16(f), on_16(b)


def worst_contrast(fg: RGB, bg: RGB) -> float:
    return min(contrast(f, b) for _, f, b in renditions(fg, bg))
