"""Themes as YAML files, so a team can ship its own without touching code.

Searched in the configured `themes` directory, `$XDG_CONFIG_HOME/warroom/themes`,
and the `themes/` folder of a source checkout. A broken file is reported as
`file:line: message` and skipped; it never stops the console from starting.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml
from textual.theme import Theme

from warroom.themefiles import theme_dirs
from warroom.yamlnodes import (
    LocatedError,
    Where,
    compose_documents,
    mapping_items,
    scalar_value,
    where,
)

DEFAULT_THEME = "warroom-night"
_THEME_FIELDS = {f.name for f in fields(Theme)} - {"variables"}


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
    return list(themes.values()), errors
