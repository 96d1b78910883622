"""Where theme files are found, and the names they give, without loading Textual.

The console loads the themes (tui.themes); `warroom check` only needs to know
whether `theme:` names one, and must not pay for Textual to find out.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import yaml


# The shipped themes are package data, so a wheel install has them as a checkout
# does (the folder beside the sources was missing from every installed copy).
# Wheels install unpacked, so the resource is a real directory.
def shipped(folder: str) -> Path:
    """Where the shipped `themes/` or `plans/` are: in a checkout, the folders at the
    top of the repository; in a wheel, package data. A broken install (the folder
    deleted) gives a path that does not exist, for the callers to report."""
    try:
        return Path(str(files(f"warroom.data.{folder}")))
    except ModuleNotFoundError:
        return Path(str(files("warroom"))) / "data" / folder


SHIPPED_THEMES = shipped("themes")


def theme_dirs(configured: Path | None) -> list[Path]:
    """The configured `themes` directory, ~/.config/warroom/themes, the shipped themes."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    dirs = [d for d in (configured, Path(base) / "warroom" / "themes", SHIPPED_THEMES) if d]
    return [d for d in dirs if d.is_dir()]


def theme_files(configured: Path | None) -> list[Path]:
    return [p for d in theme_dirs(configured) for p in sorted(d.glob("*.y*ml"))]


def theme_names(configured: Path | None) -> set[str]:
    """The `name` of every theme file that has one (a broken file is the console's to report)."""
    names: set[str] = set()
    for path in theme_files(configured):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names.add(data["name"])
    return names
