"""The configuration file: where the database is, where plans live, which sources to poll.

Found at `--config`, else `$WARROOM_CONFIG`, else `$XDG_CONFIG_HOME/warroom/config.yaml`.
What it may hold is declared in `config_schema.py` and decoded by the schema walker:
every mistake is reported as `config.yaml:LINE:COL: message`, all of them at once, so
they can be fixed in one go.
`${ENV}` references are substituted at load, except in credentials (`bearer_token`,
`password`, a header value with a reference, a PostgreSQL `database:` URL): those stay
`Secret`s, resolved when a request is built or the store connects, so a spec, a log
line or a message never holds the value. An unset
variable in one is no load error (that source fails with its name at use) but is
listed in `Config.unset`, which `warroom check` reports at file:line:col.

A mistake inside one source costs only that source where the caller allows it
(`lenient`: the console, the engine): the source is kept with its reason and
fails every poll with it. What leaves nothing usable (an unreadable file, a YAML
syntax error, a mistake outside the sources: the database, the plans) refuses
the whole config.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from warroom.config_schema import CONFIG, DEFAULT_INTERVAL
from warroom.model.secret import Secret as SecretValue
from warroom.model.secret import SecretUnset, substitute
from warroom.model.value import Value
from warroom.schema.types import Record
from warroom.schema.walk import Finding, Walk
from warroom.sources.base import SourceSpec
from warroom.themefiles import shipped
from warroom.yamlnodes import LocatedError, Where, compose_documents, where

__all__ = ["DEFAULT_INTERVAL", "Config", "ConfigError", "load_config", "read_config"]


class ConfigError(Exception):
    """A config that cannot be used; each line of the message names file, line and column."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


@dataclass(frozen=True, slots=True)
class Config:
    database: Path
    plans: Path | None = None
    sources: tuple[SourceSpec, ...] = ()
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    themes: Path | None = None
    path: Path | None = None
    # where `theme` and each keymap entry are written (`keymap.ID`), for `warroom check`
    locations: dict[str, Where] = field(default_factory=dict, compare=False)
    # the label the Alerts tab shows in a column of its own (which host, which pod)
    label_column: str = "instance"
    # the mail relay email channels send through, as written (password a Secret)
    smtp: dict[str, Any] | None = field(default=None, repr=False)
    # `file:line:col: environment variable X is not set`, for each credential whose
    # variable is missing now: its source fails at use; `warroom check` reports these
    unset: tuple[str, ...] = field(default=(), compare=False)
    # `file:line:col: message` for each mistake that costs only its source (lenient load)
    problems: tuple[str, ...] = field(default=(), compare=False)


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "warroom"


def default_config_path() -> Path:
    if env := os.environ.get("WARROOM_CONFIG"):
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warroom" / "config.yaml"


# The example plans, shipped as package data: the demo shows triage at work with
# them from a wheel install as from a checkout (it used to look beside site-packages).
SHIPPED_PLANS = shipped("plans")


def demo_config(database: Path | None = None, plans: Path | None = SHIPPED_PLANS) -> Config:
    """`warroom --demo`: the built-in scenario in its own database, no file needed."""
    return Config(
        database=database or state_dir() / "demo.db",
        plans=plans if plans is not None and plans.is_dir() else None,
        sources=(SourceSpec(name="demo", type="demo", interval=timedelta(seconds=5)),),
    )


def load_config(path: Path | None, *, required: bool = False, lenient: bool = False) -> Config:
    """Load the config; a missing default file means "no sources", not an error.

    Any mistake raises ConfigError naming all of them; with `lenient`, a mistake
    inside a source only marks that source (its spec's `problem`, `Config.problems`).
    """
    read = read_config(path, required=required)
    refusing = read.refusing if lenient else read.errors
    if refusing:
        lines = [str(e) for e in refusing]
        raise ConfigError("\n".join(lines), lines)
    return read.config


class ConfigRead(Value, frozen=True):
    """The config as far as it could be read, and every mistake found on the way."""

    config: Config
    errors: list[LocatedError]  # every mistake, in file order
    refusing: list[LocatedError]  # those that do not stay inside one named source


def read_config(path: Path | None, *, required: bool = False) -> ConfigRead:
    """The config and all its mistakes (for `warroom check`); ConfigError only when
    nothing is usable: no such file, unreadable, not UTF-8, not YAML, not a mapping."""
    explicit = path is not None or "WARROOM_CONFIG" in os.environ
    path = path or default_config_path()
    try:
        present = path.exists()
    except OSError as exc:  # a directory on the way that we may not search
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    if not present:
        if explicit or required:
            raise ConfigError(f"{path}: no such config file")
        return ConfigRead(Config(database=state_dir() / "warroom.db"), [], [])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from exc
    try:
        return _read(path, text)
    except LocatedError as exc:
        raise ConfigError(str(exc)) from exc


def _read(path: Path, text: str) -> ConfigRead:
    name = str(path)
    docs = compose_documents(path, text)
    if not docs:
        return ConfigRead(Config(database=state_dir() / "warroom.db", path=path), [], [])
    if len(docs) > 1:
        raise LocatedError(where(name, docs[1], True), "one YAML document expected in the config")
    walk = Walk(name, env=True)
    record = walk.decode(docs[0], CONFIG)
    if not isinstance(record, Record):  # not a mapping: nothing in it is usable
        raise LocatedError(walk.errors()[0].where, walk.errors()[0].message)
    sources, owned = _sources(walk, record.get("sources") or [])
    database = _database(walk, path, record.get("database"))
    errors = walk.errors()
    refusing = [f.error for f in walk.findings if _owner(f, owned) is None]
    refusing.sort(key=_position)
    problems = [str(e) for e in errors if e not in refusing]
    config = Config(
        database=database,
        plans=_relative(path, record["plans"]) if "plans" in record else None,
        sources=tuple(sources),
        keymap=dict(record.get("keymap") or {}),
        theme=record.get("theme"),
        themes=_relative(path, record["themes"]) if "themes" in record else None,
        path=path,
        label_column=record.get("label_column") or "instance",
        smtp=dict(record["smtp"]) if isinstance(record.get("smtp"), Mapping) else None,
        locations=_locations(walk, record),
        unset=tuple(str(e) for e in sorted(walk.unset, key=_position)),
        problems=tuple(problems),
    )
    return ConfigRead(config, errors, refusing)


def _sources(walk: Walk, items: list[Any]) -> tuple[list[SourceSpec], dict[int, str]]:
    """Every source with a usable name, those with mistakes carrying them as `problem`.

    Returns the specs and, by list index, the name of the source each index is: a
    mistake under that index costs only that source.
    """
    specs: list[SourceSpec] = []
    owned: dict[int, str] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, Record):
            continue
        path = ("sources", index)
        source_name = item.get("name")
        if not isinstance(source_name, str) or "name" in item.failed:
            continue  # a source without a usable name: its mistakes refuse the config
        if source_name in seen:
            # not the second source's own mistake: which one is meant is the reader's call
            duplicate = LocatedError(walk.at[path], f"duplicate source name {source_name!r}")
            walk.findings.append(Finding(("sources",), duplicate))
            continue
        seen.add(source_name)
        owned[index] = source_name
        mistakes = walk.errors(path)
        problem = ""
        if mistakes:
            first = mistakes[0]
            more = f"; {len(mistakes) - 1} more: see warroom check" if len(mistakes) > 1 else ""
            problem = f"{first.message} ({first.where}){more}"
        base = ("name", "type", "url", "interval")
        specs.append(
            SourceSpec(
                name=source_name,
                type=str(item.get("type", "")),
                interval=item.get("interval", DEFAULT_INTERVAL),
                url=str(item.get("url", "")),
                options={k: v for k, v in item.items() if k not in base},
                problem=problem,
            )
        )
    return specs, owned


def _owner(finding: Finding, owned: dict[int, str]) -> str | None:
    """The source a mistake stays inside, if any."""
    path = finding.path
    if len(path) >= 2 and path[0] == "sources" and isinstance(path[1], int):
        return owned.get(path[1])
    return None


def _locations(walk: Walk, record: Record) -> dict[str, Where]:
    locations = {
        f"keymap.{binding_id}": walk.key_at[("keymap", binding_id)]
        for binding_id in record.get("keymap") or {}
    }
    if "theme" in record:
        locations["theme"] = walk.at[("theme",)]
    return locations


def _position(error: LocatedError) -> tuple[int, int]:
    return (error.where.line, error.where.column)


def _database(walk: Walk, config_path: Path, value: SecretValue | None) -> Path:
    """Where the store is. A PostgreSQL URL stays as written, so a `${PGPASS}` password
    is resolved only when the store connects (`store.opener.PgAddress`) and the config
    never holds it; a path is no secret: its `${ENV}` references are resolved now."""
    if value is None:
        return state_dir() / "warroom.db"
    template = value.template
    if _PG_URL.match(template):
        return Path(template)
    walk.unset[:] = [u for u in walk.unset if u.where != walk.at[("database",)]]
    try:
        return _relative(config_path, substitute(template))
    except SecretUnset as exc:
        walk.findings.append(Finding(("database",), LocatedError(walk.at[("database",)], str(exc))))
        return state_dir() / "warroom.db"


_PG_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)


def _relative(config_path: Path, value: str) -> Path:
    """Paths in the config are relative to the config file, as a reader expects; a
    URL (`sqlite:///...`, `postgresql://...`) is no path and is left to the store."""
    p = Path(value).expanduser()
    return p if p.is_absolute() or "://" in value else (config_path.parent / p)
