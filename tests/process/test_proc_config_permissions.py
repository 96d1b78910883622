"""A config file warroom may not even look at is one line, never a traceback.

Found in the #8 acceptance trial: run as a responder whose `$XDG_CONFIG_HOME`
(or `--config`) lies under another user's 0700 directory, every command
printed a `PermissionError` traceback from checking whether the file exists.
"""

from __future__ import annotations

from pathlib import Path

from tests.process.test_proc_store import (  # noqa: F401 - shared_dir is a fixture
    _as_nobody,
    _nobody_env,
    _one_clean_line,
    shared_dir,
)


def test_a_config_under_another_users_private_directory(shared_dir: Path) -> None:  # noqa: F811
    private = shared_dir / "private"
    (private / "warroom").mkdir(parents=True)
    private.chmod(0o700)  # root's: nobody may not search it
    config = private / "warroom" / "config.yaml"
    config.write_text("sources: []\n")
    env = _nobody_env(shared_dir)
    env["XDG_CONFIG_HOME"] = str(private)  # the default path lies in there
    for args in (("incidents",), ("--config", str(config), "incidents")):
        result = _as_nobody(*args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        line = _one_clean_line(result.stderr)
        assert line == f"warroom: {config}: cannot read: Permission denied", (args, line)
    # `check` reports it as it reports any config it cannot read: a mistake, exit 1
    checked = _as_nobody("check", env=env)
    assert checked.returncode == 1, checked.stderr
    assert _one_clean_line(checked.stderr) == f"{config}: cannot read: Permission denied"
