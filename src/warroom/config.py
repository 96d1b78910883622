"""The configuration file: where the database is, where plans live, which sources to poll.

Found at `--config`, else `$WARROOM_CONFIG`, else `$XDG_CONFIG_HOME/warroom/config.yaml`.
Every mistake is reported as `config.yaml:LINE: message` so it can be fixed at once.
`${ENV}` references are substituted at load: secrets stay in the environment and
the file can live in git.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from warroom.model.clock import parse_duration
from warroom.sources.base import SourceSpec
from warroom.sources.registry import SOURCE_TYPES
from warroom.yamlnodes import (
    LocatedError,
    compose_documents,
    describe,
    mapping_items,
    scalar_value,
    where,
)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$")
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
DEFAULT_INTERVAL = timedelta(seconds=15)


LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(Exception):
    """A config that cannot be used; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Config:
    database: Path
    plans: Path | None = None
    sources: tuple[SourceSpec, ...] = ()
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    themes: Path | None = None
    path: Path | None = None
    # the label the Alerts tab shows in a column of its own (which host, which pod)
    label_column: str = "instance"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "warroom"


def default_config_path() -> Path:
    if env := os.environ.get("WARROOM_CONFIG"):
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warroom" / "config.yaml"


# The example plans of a source checkout: the demo shows triage at work with them.
CHECKOUT_PLANS = Path(__file__).resolve().parents[2] / "plans"


def demo_config(database: Path | None = None, plans: Path | None = CHECKOUT_PLANS) -> Config:
    """`warroom --demo`: the built-in scenario in its own database, no file needed."""
    return Config(
        database=database or state_dir() / "demo.db",
        plans=plans if plans is not None and plans.is_dir() else None,
        sources=(SourceSpec(name="demo", type="demo", interval=timedelta(seconds=5)),),
    )


def load_config(path: Path | None, *, required: bool = False) -> Config:
    """Load the config; a missing default file means "no sources", not an error."""
    explicit = path is not None or "WARROOM_CONFIG" in os.environ
    path = path or default_config_path()
    if not path.exists():
        if explicit or required:
            raise ConfigError(f"{path}: no such config file")
        return Config(database=state_dir() / "warroom.db")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from exc
    try:
        return _parse(path, text)
    except LocatedError as exc:
        raise ConfigError(str(exc)) from exc


def _parse(path: Path, text: str) -> Config:
    name = str(path)
    docs = compose_documents(path, text)
    if not docs:
        return Config(database=state_dir() / "warroom.db", path=path)
    if len(docs) > 1:
        raise LocatedError(where(name, docs[1]), "one YAML document expected in the config")
    database: Path = state_dir() / "warroom.db"
    plans: Path | None = None
    sources: list[SourceSpec] = []
    keymap: dict[str, str] = {}
    theme: str | None = None
    themes: Path | None = None
    label_column = "instance"
    for key, key_node, node in mapping_items(name, docs[0]):
        if key == "database":
            database = _relative(path, _string(name, node))
        elif key == "plans":
            plans = _relative(path, _string(name, node))
        elif key == "sources":
            sources = _sources(name, node)
        elif key == "keymap":
            keymap = {k: _string(name, v) for k, _, v in mapping_items(name, node)}
        elif key == "theme":
            theme = _string(name, node)
        elif key == "themes":
            themes = _relative(path, _string(name, node))
        elif key == "label_column":
            label_column = _string(name, node)
            if not LABEL_NAME.fullmatch(label_column):
                raise LocatedError(where(name, node), f"not a label name: {label_column!r}")
        else:
            known = "database, plans, sources, keymap, theme, themes, label_column"
            raise LocatedError(where(name, key_node), f"unknown key {key!r} (known: {known})")
    return Config(
        database=database,
        plans=plans,
        sources=tuple(sources),
        keymap=keymap,
        theme=theme,
        themes=themes,
        path=path,
        label_column=label_column,
    )


def _relative(config_path: Path, value: str) -> Path:
    """Paths in the config are relative to the config file, as a reader expects."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else (config_path.parent / p)


def _sources(name: str, node: yaml.Node) -> list[SourceSpec]:
    if not isinstance(node, yaml.SequenceNode):
        raise LocatedError(where(name, node), f"'sources' must be a list, got {describe(node)}")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for item in node.value:
        spec = _source(name, item)
        if spec.name in seen:
            raise LocatedError(where(name, item), f"duplicate source name {spec.name!r}")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def _source(name: str, node: yaml.Node) -> SourceSpec:
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {
        k: (kn, v) for k, kn, v in mapping_items(name, node)
    }
    for required in ("name", "type"):
        if required not in fields:
            raise LocatedError(where(name, node), f"source needs {required!r}")
    source_name = _string(name, fields["name"][1])
    if not _SOURCE_NAME.match(source_name):
        raise LocatedError(
            where(name, fields["name"][1]),
            f"source name {source_name!r}: use letters, digits, '.', '_' or '-' (max 63)",
        )
    type_name = _string(name, fields["type"][1])
    kind = SOURCE_TYPES.get(type_name)
    if kind is None:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise LocatedError(
            where(name, fields["type"][1]), f"unknown source type {type_name!r} (known: {known})"
        )
    url = _string(name, fields["url"][1]) if "url" in fields else ""
    if kind.needs_url and not url:
        raise LocatedError(
            where(name, node), f"source {source_name!r} of type {type_name} needs 'url'"
        )
    interval = DEFAULT_INTERVAL
    if "interval" in fields:
        interval_node = fields["interval"][1]
        try:
            interval = parse_duration(_string(name, interval_node))
        except ValueError as exc:
            raise LocatedError(where(name, interval_node), str(exc)) from exc
        if interval < timedelta(seconds=1):
            raise LocatedError(where(name, interval_node), "interval must be at least 1s")
    options: dict[str, Any] = {}
    for key, (key_node, value_node) in fields.items():
        if key in ("name", "type", "url", "interval"):
            continue
        expected = kind.options.get(key)
        if expected is None:
            known = ", ".join(["name", "type", "url", "interval", *kind.options])
            raise LocatedError(
                where(name, key_node),
                f"unknown key {key!r} for source type {type_name} (known: {known})",
            )
        options[key] = _typed(name, value_node, expected, key)
    if kind.check is not None:
        try:
            kind.check(options)
        except ValueError as exc:
            raise LocatedError(where(name, node), f"source {source_name!r}: {exc}") from exc
    return SourceSpec(name=source_name, type=type_name, interval=interval, url=url, options=options)


_TYPE_WORDS = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def _typed(name: str, node: yaml.Node, expected: type | tuple[type, ...], key: str) -> Any:
    """A source option checked against its declared type(s), `${ENV}` substituted."""
    allowed = expected if isinstance(expected, tuple) else (expected,)
    if allowed == (str,):
        return _string(name, node)
    value = _plain(name, node)
    if isinstance(value, str) and str not in allowed and "$" in str(getattr(node, "value", "")):
        # `${ENV}` always yields text; read it as YAML would read a literal here
        value = yaml.safe_load(value) if value.strip() else None
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    ok = isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))
    if not ok:
        words = " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in allowed)
        raise LocatedError(where(name, node), f"{key!r} must be {words}, got {describe(node)}")
    return value


def _plain(name: str, node: yaml.Node) -> Any:
    """A node as plain Python data, with `${ENV}` substituted in every string."""
    if isinstance(node, yaml.MappingNode):
        return {k: _plain(name, v) for k, _, v in mapping_items(name, node)}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(name, v) for v in node.value]
    value = scalar_value(node)  # type: ignore[arg-type]
    return _substitute(name, node, value) if isinstance(value, str) else value


def _string(name: str, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode) or isinstance(_plain(name, node), (list, dict)):
        raise LocatedError(where(name, node), f"expected a string, got {describe(node)}")
    value = _plain(name, node)
    if value is None:
        raise LocatedError(where(name, node), "expected a string, got nothing (null)")
    if not isinstance(value, str):
        return str(node.value)
    return value


def _substitute(name: str, node: yaml.Node, value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        var, default = match.group(1), match.group(2)
        env = os.environ.get(var)
        if env is not None:
            return env
        if default is not None:
            return default
        raise LocatedError(where(name, node), f"environment variable {var} is not set")

    return _ENV_REF.sub(replace, value)
