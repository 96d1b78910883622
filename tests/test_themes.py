"""Theme files: the shipped ones load; a broken one is reported by line and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.tui.themes import discover_themes, load_theme
from warroom.yamlnodes import LocatedError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_themes_load() -> None:
    names = {load_theme(p).name for p in (ROOT / "themes").glob("*.yaml")}
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
