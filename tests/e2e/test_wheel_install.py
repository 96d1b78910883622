"""An installed wheel, not the checkout, must carry the themes and example plans.

A wheel install once had no themes (the console fell back to Textual's theme
without a word) and `--demo` looked for `site-packages/../plans`. These tests
build the wheel from a copy of the sources, install it into a fresh venv (the
dependencies come from this venv through a .pth, so no network is needed) and
run its own `warroom` from a directory outside the repository.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PIP = (sys.executable, "-m", "pip")
HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The wheel, built from a copy so the build leaves nothing in the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("src", "themes", "plans"):
        shutil.copytree(
            ROOT / folder,
            source / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    built = subprocess.run(
        [*PIP, "wheel", "-q", "--no-deps", "-w", str(work / "dist"), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("warroom-*.whl")
    yield found


def install(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding only the wheel; this venv's packages serve as its dependencies."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A path added by a .pth is not itself a site dir: this venv's editable
    # install of the checkout (its own .pth) is not seen by the fresh venv.
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "outer-deps.pth").write_text("\n".join(sorted(outer)) + "\n")
    return Path(site)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No user config or themes, state in tmp, nothing pointing at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_", "PYTHON"))}
    env |= {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "st")}
    return env | extra


def headless_screen(venv: Path, tmp_path: Path) -> str:
    """Start the installed `warroom --demo` headless; the text on screen after a few seconds."""
    shots = tmp_path / "shots"
    shots.mkdir()
    env = environment(
        tmp_path,
        TEXTUAL_DRIVER=HEADLESS,
        TEXTUAL_SCREENSHOT="6",
        TEXTUAL_SCREENSHOT_LOCATION=str(shots),
        TEXTUAL_SCREENSHOT_FILENAME="screen.svg",
    )
    run = subprocess.run(
        [str(venv / "bin" / "warroom"), "--demo", "--db", str(tmp_path / "w.db")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return (shots / "screen.svg").read_text(encoding="utf-8")


def screen_text(svg: str) -> str:
    """The words on screen in reading order, a toast's border (▌) and line wraps dropped."""
    words = (html.unescape(t) for t in re.findall(r">([^<]*)</text>", svg))
    return " ".join(" ".join(words).replace("▌", " ").split())


def test_installed_demo_finds_the_shipped_plans(wheel: Path, tmp_path: Path) -> None:
    site = install(wheel, tmp_path / "venv")
    warroom = tmp_path / "venv" / "bin" / "warroom"
    run = subprocess.run(
        [str(warroom), "--demo", "--db", str(tmp_path / "w.db"), "check"],
        cwd=tmp_path,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    files = len(list((ROOT / "plans").glob("*.yaml")))
    assert f"{files} plan file(s) in {site / 'warroom' / 'data' / 'plans'} with" in run.stdout
    assert str(ROOT) not in run.stdout


def test_installed_console_starts_in_the_shipped_theme_with_plans(
    wheel: Path, tmp_path: Path
) -> None:
    site = install(wheel, tmp_path / "venv")
    shipped = site / "warroom" / "data" / "themes" / "warroom-night.yaml"
    night = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    svg = headless_screen(tmp_path / "venv", tmp_path)
    text = screen_text(svg)
    assert night["background"].lower() in svg.lower()  # the default theme, not Textual's
    assert "not found" not in text
    # The demo's alerts that the shipped plans match are declared as incidents (#1 ...).
    assert re.search(r" #\d+ ", text), text


def test_a_missing_default_theme_is_said_once(wheel: Path, tmp_path: Path) -> None:
    site = install(wheel, tmp_path / "venv")
    shutil.rmtree(site / "warroom" / "data" / "themes")
    text = screen_text(headless_screen(tmp_path / "venv", tmp_path))
    assert text.count("default theme 'warroom-night' not found") == 1, text
