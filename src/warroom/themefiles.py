"""Where theme files are found, and the names they give, without loading Textual.

The console loads the themes (tui.themes); `warroom check` only needs to know
whether `theme:` names one, and must not pay for Textual to find out.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CHECKOUT_THEMES = Path(__file__).resolve().parents[2] / "themes"


def theme_dirs(configured: Path | None) -> list[Path]:
    """The configured `themes` directory, ~/.config/warroom/themes, a checkout's themes/."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    dirs = [d for d in (configured, Path(base) / "warroom" / "themes", CHECKOUT_THEMES) if d]
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
