"""The `warroom` CLI as a responder or a script runs it: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def warroom_command(*args: str | os.PathLike[str]) -> list[str]:
    """`python -m warroom ARGS` with this interpreter, for `subprocess`."""
    return [sys.executable, "-m", "warroom", *(os.fspath(arg) for arg in args)]


def warroom(
    *args: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `warroom ARGS` to the end, output captured as text.

    `env` None inherits this process's environment; `cwd` is the repository root,
    so no stray `warroom` folder where pytest was started can stand in for the package.
    """
    return subprocess.run(
        warroom_command(*args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a responder with nothing configured, all state under tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WARROOM_CONFIG", "SUDO_USER") and not k.startswith("PYTEST")
    }
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    return env


def alertmanager_config(
    tmp_path: Path,
    url: str,
    *,
    database: Path | str | None = None,
    name: str = "am",
    interval: str | None = None,
    timeout: str = "60s",
    more_sources: str = "",
) -> Path:
    """A config.yaml with one Alertmanager source at `url` (plus any `more_sources`
    lines), for the commands run as separate processes against loopback servers."""
    options = f"name: {name}, type: alertmanager, url: '{url}'"
    if interval is not None:
        options += f", interval: {interval}"
    options += f", timeout: {timeout}"
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database: {database or tmp_path / 'shared.db'}\n"
        f"sources:\n  - {{{options}}}\n{more_sources}"
    )
    return path
