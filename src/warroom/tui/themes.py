"""Themes as YAML files, so a team can ship its own without touching code.

Searched in the configured `themes` directory, `$XDG_CONFIG_HOME/warroom/themes`,
and the themes shipped in the package (`warroom/data/themes`). A broken file is reported as
`file:line: message` and skipped; it never stops the console from starting.

Severity and impact colours are theme variables (`severity-critical` ...
`severity-none`, `impact-1` ... `impact-5`). A theme may set them under
`variables:`; the rest are derived from its own `error`, `warning`, `primary` and
`foreground`, lightened or darkened until they read at 4.5:1 on its surfaces in
truecolor, 256 and 16 colours and under NO_COLOR (see `contrast`).
"""

from __future__ import annotations

import colorsys
import functools
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from warroom.themefiles import SHIPPED_THEMES, theme_dirs
from warroom.tui.contrast import ALARM, RED, RGB, YELLOW, ansi16, worst_contrast
from warroom.yamlnodes import (
    LocatedError,
    Where,
    compose_documents,
    mapping_items,
    scalar_value,
    where,
)

DEFAULT_THEME = "warroom-night"
_THEME_FIELDS = {f.name for f in fields(Theme)}

SEVERITY_VARIABLES = (
    "severity-critical",
    "severity-error",
    "severity-warning",
    "severity-info",
    "severity-none",
)
IMPACT_VARIABLES = tuple(f"impact-{n}" for n in range(1, 6))
LEVEL_VARIABLES = SEVERITY_VARIABLES + IMPACT_VARIABLES
# WCAG's floor for text, with a little room: the tint of a focused table moves its
# background by a shade or two
FLOOR = 4.6
# where each default starts (a colour of the theme), the 16 colours it may land on
# (red for the top two, yellow for warning, anything but an alarm colour below), and
# the hue to fall back on (HLS, 0-1)
_DERIVED: dict[str, tuple[str, frozenset[int], float | None]] = {
    "severity-critical": ("error", RED, 0.0),
    "severity-error": ("error", RED, 0.0),
    "severity-warning": ("warning", YELLOW, 0.14),
    "severity-info": ("primary", frozenset(range(16)) - ALARM, None),
    "severity-none": ("foreground", frozenset(range(16)) - ALARM, None),
}
# ANSI themes draw with the terminal's palette: the names, bright where text must be light
_ANSI = {
    "severity-critical": "bright_red",
    "severity-error": "bright_red",
    "severity-warning": "yellow",
    "severity-info": "cyan",
    "severity-none": "default",
}


def load_theme(path: Path) -> Theme:
    """One theme file; LocatedError on anything Textual would not accept."""
    name = str(path)
    docs = compose_documents(path)
    if len(docs) != 1:
        raise LocatedError(where(name, docs[1]) if docs else Where(name, 1), "one theme per file")
    values: dict[str, object] = {}
    for key, key_node, node in mapping_items(name, docs[0]):
        if key not in _THEME_FIELDS:
            raise LocatedError(where(name, key_node), f"unknown theme key {key!r}")
        if key == "variables":
            values[key] = _variables(name, node)
            continue
        if not isinstance(node, yaml.ScalarNode):
            raise LocatedError(where(name, node), f"{key!r} must be a single value")
        values[key] = scalar_value(node)
    if "name" not in values or "primary" not in values:
        raise LocatedError(where(name, docs[0]), "a theme needs 'name' and 'primary'")
    try:
        theme = Theme(**values)  # type: ignore[arg-type]
        theme.to_color_system().generate()  # bad colours fail here, not at first paint
        return theme
    except Exception as exc:
        raise LocatedError(where(name, docs[0]), f"not a valid theme: {exc}") from exc


def _variables(name: str, node: yaml.Node) -> dict[str, str]:
    """The `variables:` of a theme file: only the ones warroom reads, each a colour."""
    found: dict[str, str] = {}
    for key, key_node, value_node in mapping_items(name, node):
        if key not in LEVEL_VARIABLES:
            raise LocatedError(
                where(name, key_node),
                f"unknown theme variable {key!r} (known: {', '.join(LEVEL_VARIABLES)})",
            )
        value = scalar_value(value_node) if isinstance(value_node, yaml.ScalarNode) else None
        try:
            Color.parse(str(value))
        except ColorParseError:
            raise LocatedError(
                where(name, value_node), f"{key!r} must be a colour, like '#ff8787'"
            ) from None
        found[key] = str(value)
    return found


def _cached(compute: Callable[[Theme], dict[str, str]]) -> Callable[[Theme], dict[str, str]]:
    """Once per theme object: cells are built by the thousand in an alert storm.
    (A Theme is an unhashable dataclass, hence not `functools.cache`.)"""
    cache: dict[int, tuple[Theme, dict[str, str]]] = {}

    def cached(theme: Theme) -> dict[str, str]:
        hit = cache.get(id(theme))
        if hit is None or hit[0] is not theme:
            hit = cache[id(theme)] = (theme, compute(theme))
        return hit[1]

    return functools.update_wrapper(cached, compute)


@_cached
def level_colors(theme: Theme) -> dict[str, str]:
    """Every severity and impact variable of `theme`, as a Rich colour ('#RRGGBB').

    The theme's own `variables` win; impact N defaults to the severity of the same
    rank (1 critical, 2 error, 3 warning, 4 info, 5 none), the severities to colours
    derived from the theme.
    """
    own = {
        k: Color.parse(v).rich_color.name
        for k, v in theme.variables.items()
        if k in LEVEL_VARIABLES
    }
    colors = {k: own.get(k) or _derive(theme, k) for k in SEVERITY_VARIABLES}
    for impact, severity in zip(IMPACT_VARIABLES, SEVERITY_VARIABLES, strict=True):
        colors[impact] = own.get(impact) or colors[severity]
    return colors


def surfaces(theme: Theme) -> tuple[bool, list[RGB]]:
    """Whether the theme is dark, and the backgrounds a severity cell is drawn on:
    the screen, a table, a focused table (tinted 5% towards the foreground)."""
    css = theme.to_color_system().generate()
    background = Color.parse(css["background"])
    surface = background + Color.parse(css["surface"])
    foreground = background + Color.parse(css["foreground"])
    focused = surface.tint(foreground.with_alpha(0.05))
    dark = foreground.brightness > background.brightness
    return dark, [c.rgb for c in (background, surface, focused)]


@_cached
def panel_colors(theme: Theme) -> dict[str, str]:
    """The level colours that also read on the theme's panel (the status bar), in
    every rendition; '' for the others, which the status bar draws in its own
    foreground: a mid-grey panel in 16 colours leaves no room for red."""
    css = theme.to_color_system().generate()
    panel = (Color.parse(css["background"]) + Color.parse(css["panel"])).rgb
    colors = level_colors(theme)
    return {
        name: color
        if not theme.ansi and worst_contrast(Color.parse(color).rgb, panel) >= FLOOR
        else ""
        for name, color in colors.items()
    }


def _derive(theme: Theme, variable: str) -> str:
    """The theme's colour for `variable`, made readable: its lightness pushed away
    from the backgrounds a step at a time until every rendition reaches the floor
    and 16 colours land in the variable's family; if no shade does, the same with
    more saturation, then with the family's own hue (a pink `error` becomes red).

    Some pairs cannot pass everywhere (NO_COLOR in 16 colours on a mid-grey
    background leaves only white): then the shade that reads best, in family.
    """
    source, family, own_hue = _DERIVED[variable]
    if theme.ansi:  # the terminal's own palette: nothing to measure, use its names
        return _ANSI[variable]
    css = theme.to_color_system().generate()
    dark, backgrounds = surfaces(theme)
    background = Color.parse(css["background"])
    start = background + Color.parse(css[source])
    if variable == "severity-none":  # quieter than the text around it
        start = start.blend(background, 0.35)
    hue, light, saturation = colorsys.rgb_to_hls(*start.normalized)
    tries = [(hue, saturation), (hue, (saturation + 1) / 2), (hue, 1.0)]
    if own_hue is not None:
        tries.append((own_hue, 1.0))
    best: tuple[bool, float, RGB] | None = None
    for hue, saturation in tries:
        for step in range(101):
            shade = light + (step if dark else -step) / 100
            if not 0.0 <= shade <= 1.0:
                break
            r, g, b = (round(c * 255) for c in colorsys.hls_to_rgb(hue, shade, saturation))
            score = (
                ansi16((r, g, b)) in family,
                min(worst_contrast((r, g, b), bg) for bg in backgrounds),
            )
            if score[0] and score[1] >= FLOOR:
                return Color(r, g, b).hex
            if best is None or score > best[:2]:
                best = (*score, (r, g, b))
    assert best is not None
    return Color(*best[2]).hex


def discover_themes(configured: Path | None) -> tuple[list[Theme], list[str]]:
    """Every loadable theme (first found wins per name) and the errors of the rest."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for directory in theme_dirs(configured):
        for path in sorted(directory.glob("*.y*ml")):
            try:
                theme = load_theme(path)
            except (LocatedError, OSError) as exc:
                errors.append(str(exc))
                continue
            themes.setdefault(theme.name, theme)
    if DEFAULT_THEME not in themes:
        # Only a broken install gets here; without a word the console would just
        # look wrong (Textual's own theme), so name what is missing and where.
        errors.append(
            f"default theme {DEFAULT_THEME!r} not found (looked in {SHIPPED_THEMES});"
            " reinstall warroom or set `theme:` to one of your own"
        )
    return list(themes.values()), errors
