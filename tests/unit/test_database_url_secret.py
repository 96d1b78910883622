"""A `${ENV}` password in the database URL is kept as written and resolved at connect.

The config may sit in git; `database: postgresql://warroom:${PGPASS}@db/warroom`
must work without the value ever reaching the Config, its repr, a message or
the store's location (issue 13 item 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.config import ConfigError, load_config
from warroom.store import StoreError
from warroom.store.opener import pg_address, postgres_url

SECRET = "pa:ss@w/rd-9f1c"


def write(tmp_path: Path, database: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f'database: "{database}"\n', encoding="utf-8")
    return path


def test_the_config_keeps_the_reference_and_never_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASS", SECRET)
    monkeypatch.setenv("PGHOSTNAME", "db.internal")
    config = load_config(write(tmp_path, "postgresql://warroom:${PGPASS}@${PGHOSTNAME}/w"))
    assert SECRET not in repr(config) and SECRET not in str(config.database)
    address = pg_address(postgres_url(config.database) or "")
    assert address.dsn == "postgresql://warroom@db.internal/w"
    assert address.location == "postgresql://db.internal/w"
    assert SECRET not in repr(address)
    assert address.connect_args() == {"dsn": address.dsn, "password": SECRET}


def test_an_unset_password_variable_is_no_load_error_but_one_line_at_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASS", raising=False)
    config = load_config(write(tmp_path, "postgresql://warroom:${PGPASS}@db/w"))
    assert [u.split(": ", 1)[1] for u in config.unset] == ["environment variable PGPASS is not set"]
    with pytest.raises(StoreError) as refused:
        pg_address(postgres_url(config.database) or "").connect_args()
    assert str(refused.value) == (
        "postgresql://db/w: the password in the URL is PGPASS, which is not set;"
        " export PGPASS (or use PGPASSWORD or ~/.pgpass)"
    )


def test_a_literal_password_is_unquoted_and_kept_out_of_the_dsn() -> None:
    address = pg_address("postgresql://warroom:p%40ss@db:5433/w")
    assert address.dsn == "postgresql://warroom@db:5433/w"
    assert address.connect_args()["password"] == "p@ss"
    assert "p@ss" not in repr(address) and "p%40ss" not in repr(address)


def test_a_path_is_no_secret_its_references_resolve_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE", str(tmp_path / "state"))
    assert load_config(write(tmp_path, "${STATE}/w.db")).database == tmp_path / "state" / "w.db"
    assert load_config(write(tmp_path, "rel.db")).database == tmp_path / "rel.db"
    monkeypatch.delenv("STATE")
    with pytest.raises(ConfigError, match=r"config.yaml:1:11: environment variable STATE"):
        load_config(write(tmp_path, "${STATE}/w.db"))
