"""Theme files: the shipped ones load; a broken one is reported by line and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from warroom.themefiles import SHIPPED_THEMES
from warroom.tui.contrast import RED, YELLOW, ansi16, worst_contrast
from warroom.tui.themes import LEVEL_VARIABLES, discover_themes, level_colors, load_theme, surfaces
from warroom.yamlnodes import LocatedError


def test_shipped_themes_load() -> None:
    names = {load_theme(p).name for p in SHIPPED_THEMES.glob("*.yaml")}
    assert {"warroom-night", "warroom-day"} <= names


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: x\nprimary: '#fff'\nsparkle: true\n", 3, "unknown theme key 'sparkle'"),
        ("name: x\nprimary: not-a-colour\n", 1, "not a valid theme"),
        ("name: x\n", 1, "needs 'name' and 'primary'"),
        ("name: x\nprimary: [1, 2]\n", 2, "must be a single value"),
        ("name: x\n  primary: '#fff'\n", 2, "YAML syntax"),
    ],
)
def test_bad_theme_is_located(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LocatedError) as caught:
        load_theme(path)
    assert str(caught.value).startswith(f"{path}:{line}")
    assert message in str(caught.value)


def test_discover_skips_bad_files_and_keeps_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("name: mine\nprimary: '#123456'\n")
    (tmp_path / "bad.yaml").write_text("name: broken\nprimary: '#12'\nwat: 1\n")
    themes, errors = discover_themes(tmp_path)
    assert "mine" in {t.name for t in themes}
    assert "broken" not in {t.name for t in themes}
    assert any(e.startswith(f"{tmp_path / 'bad.yaml'}:3") for e in errors)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "name: x\nprimary: '#fff'\nvariables:\n  severity-crit: '#f00'\n",
            4,
            "unknown theme variable 'severity-crit'",
        ),
        (
            "name: x\nprimary: '#fff'\nvariables:\n  impact-1: reddish\n",
            4,
            "'impact-1' must be a colour",
        ),
        ("name: x\nprimary: '#fff'\nvariables: '#f00'\n", 3, "expected a mapping"),
    ],
)
def test_bad_theme_variable_is_located(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LocatedError) as caught:
        load_theme(path)
    assert str(caught.value).startswith(f"{path}:{line}")
    assert message in str(caught.value)


def test_theme_variables_set_severity_and_impact_colours(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\nprimary: '#123456'\nvariables:\n"
        "  severity-critical: '#00ff00'\n  impact-3: '#0000ff'\n"
    )
    colors = level_colors(load_theme(path))
    assert set(colors) == set(LEVEL_VARIABLES)
    assert colors["severity-critical"] == "#00ff00"
    # impact N follows the severity of the same rank unless set itself
    assert colors["impact-1"] == "#00ff00"
    assert colors["impact-3"] == "#0000ff"
    assert colors["severity-warning"] != "#0000ff"


@pytest.mark.parametrize("name", ["warroom-night", "warroom-day", "textual-dark", "flexoki"])
def test_derived_colours_read_at_4_5_to_1_everywhere(name: str) -> None:
    """Defaults come from the theme's own colours, pushed until every rendition
    (truecolor, 256, 16, NO_COLOR) reads on every surface it is drawn on."""
    themes = {t.name: t for t in discover_themes(None)[0]} | BUILTIN_THEMES
    theme = themes[name]
    _, backgrounds = surfaces(theme)
    colors = level_colors(theme)
    for variable, color in colors.items():
        rgb = Color.parse(color).rgb
        for bg in backgrounds:
            assert worst_contrast(rgb, bg) >= 4.5, (name, variable, color, bg)
    assert ansi16(Color.parse(colors["severity-critical"]).rgb) in RED
    assert ansi16(Color.parse(colors["severity-error"]).rgb) in RED
    assert ansi16(Color.parse(colors["severity-warning"]).rgb) in YELLOW
