"""The configuration file: where the database is, where plans live, which sources to poll.

Found at `--config`, else `$WARROOM_CONFIG`, else `$XDG_CONFIG_HOME/warroom/config.yaml`.
Every mistake is reported as `config.yaml:LINE:COL: message`, all of them at once, so
they can be fixed in one go.
`${ENV}` references are substituted at load, except in credentials (`bearer_token`,
`password`, a header value with a reference): those stay `Secret`s, resolved when a
request is built, so a spec, a log line or a message never holds the value. An unset
variable in one is no load error (that source fails with its name at use) but is
listed in `Config.unset`, which `warroom check` reports at file:line:col.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from warroom.model.clock import parse_duration
from warroom.model.secret import Secret, SecretUnset, substitute
from warroom.sources.base import SourceSpec
from warroom.sources.options import OptionError
from warroom.sources.registry import SOURCE_TYPES
from warroom.themefiles import shipped
from warroom.yamlnodes import (
    LocatedError,
    Where,
    compose_documents,
    describe,
    inside,
    mapping_items,
    scalar_value,
    where,
)

T = TypeVar("T")

_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
DEFAULT_INTERVAL = timedelta(seconds=15)


LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
    # `file:line:col: environment variable X is not set`, for each credential whose
    # variable is missing now: its source fails at use; `warroom check` reports these
    unset: tuple[str, ...] = field(default=(), compare=False)


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


class _Problems:
    """Every mistake of the file, so one run of `warroom check` shows them all."""

    def __init__(self) -> None:
        self.errors: list[LocatedError] = []
        self.unset: list[LocatedError] = []  # credentials whose variable is not set

    def add(self, error: LocatedError) -> None:
        self.errors.append(error)

    def at(self, name: str, node: yaml.Node, message: str) -> None:
        self.add(LocatedError(where(name, node, True), message))


def _parse(path: Path, text: str) -> Config:
    name = str(path)
    docs = compose_documents(path, text)
    if not docs:
        return Config(database=state_dir() / "warroom.db", path=path)
    if len(docs) > 1:
        raise LocatedError(where(name, docs[1], True), "one YAML document expected in the config")
    problems = _Problems()
    database: Path = state_dir() / "warroom.db"
    plans: Path | None = None
    sources: list[SourceSpec] = []
    keymap: dict[str, str] = {}
    theme: str | None = None
    themes: Path | None = None
    label_column = "instance"
    locations: dict[str, Where] = {}
    for key, key_node, node in _items(name, docs[0], problems, fatal=True):
        try:
            if key == "database":
                database = _relative(path, _string(name, node))
            elif key == "plans":
                plans = _relative(path, _string(name, node))
            elif key == "sources":
                sources = _sources(name, node, problems)
            elif key == "keymap":
                keymap = _keymap(name, node, problems, locations)
            elif key == "theme":
                theme = _string(name, node)
                locations["theme"] = where(name, node, True)
            elif key == "themes":
                themes = _relative(path, _string(name, node))
            elif key == "label_column":
                label_column = _string(name, node)
                if not LABEL_NAME.fullmatch(label_column):
                    problems.at(name, node, f"not a label name: {label_column!r}")
            else:
                known = "database, plans, sources, keymap, theme, themes, label_column"
                problems.at(name, key_node, f"unknown key {key!r} (known: {known})")
        except LocatedError as exc:
            problems.add(exc)
    if problems.errors:
        lines = [str(e) for e in sorted(problems.errors, key=_position)]
        raise ConfigError("\n".join(lines), lines)
    return Config(
        database=database,
        plans=plans,
        sources=tuple(sources),
        keymap=keymap,
        theme=theme,
        themes=themes,
        path=path,
        label_column=label_column,
        locations=locations,
        unset=tuple(str(e) for e in sorted(problems.unset, key=_position)),
    )


def _keymap(
    name: str, node: yaml.Node, problems: _Problems, locations: dict[str, Where]
) -> dict[str, str]:
    keymap: dict[str, str] = {}
    for key, key_node, value in _items(name, node, problems):
        locations[f"keymap.{key}"] = where(name, key_node, True)
        try:
            keymap[key] = _string(name, value)
        except LocatedError as exc:
            problems.add(exc)
    return keymap


def _position(error: LocatedError) -> tuple[int, int]:
    return (error.where.line, error.where.column)


def _items(
    name: str, node: yaml.Node, problems: _Problems, fatal: bool = False
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """A mapping's items; a duplicate key is reported and its later value ignored."""
    if not isinstance(node, yaml.MappingNode):
        error = LocatedError(where(name, node, True), f"expected a mapping, got {describe(node)}")
        if fatal:
            raise error
        problems.add(error)
        return []
    items: dict[str, tuple[str, yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problems.at(name, key_node, "keys must be plain strings")
            continue
        key = str(key_node.value)
        if key in items:
            problems.at(name, key_node, f"duplicate key {key!r}")
            continue
        items[key] = (key, key_node, value_node)
    return list(items.values())


def _relative(config_path: Path, value: str) -> Path:
    """Paths in the config are relative to the config file, as a reader expects; a
    URL (`sqlite:///...`, `postgresql://...`) is no path and is left to the store."""
    p = Path(value).expanduser()
    return p if p.is_absolute() or "://" in value else (config_path.parent / p)


def _sources(name: str, node: yaml.Node, problems: _Problems) -> list[SourceSpec]:
    if not isinstance(node, yaml.SequenceNode):
        raise LocatedError(
            where(name, node, True), f"'sources' must be a list, got {describe(node)}"
        )
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for item in node.value:
        spec, source_name = _source(name, item, problems)
        if source_name is not None and source_name in seen:
            problems.at(name, item, f"duplicate source name {source_name!r}")
            continue
        if source_name is not None:
            seen.add(source_name)
        if spec is not None:
            specs.append(spec)
    return specs


_BASE_KEYS = ("name", "type", "url", "interval")


def _source(
    name: str, node: yaml.Node, problems: _Problems
) -> tuple[SourceSpec | None, str | None]:
    """The spec, or None when the source has mistakes (each one reported); and its name."""
    before = len(problems.errors)
    fields = {k: (kn, v) for k, kn, v in _items(name, node, problems)}
    if not isinstance(node, yaml.MappingNode):
        return None, None
    for required in ("name", "type"):
        if required not in fields:
            problems.at(name, node, f"source needs {required!r}")
    source_name = _checked(name, fields.get("name"), problems, _source_name)
    label = f"source {source_name!r}" if source_name else "source"
    type_name = _checked(name, fields.get("type"), problems, lambda v: v)
    kind = SOURCE_TYPES.get(type_name) if type_name is not None else None
    if type_name is not None and kind is None:
        known = ", ".join(sorted(SOURCE_TYPES))
        problems.at(name, fields["type"][1], f"unknown source type {type_name!r} (known: {known})")
    checked_url = _checked(name, fields.get("url"), problems, lambda v: v)
    url = checked_url or ""
    if kind is not None and url:
        _check_option(name, fields["url"][1], url, kind.url_check, problems)
    elif kind is not None and kind.needs_url and ("url" not in fields or checked_url == ""):
        at = fields["url"][1] if "url" in fields else node
        problems.at(name, at, f"{label} of type {type_name} needs 'url'")
    interval = DEFAULT_INTERVAL
    if "interval" in fields:
        parsed = _checked(name, fields["interval"], problems, _interval)
        interval = parsed if parsed is not None else interval
    options: dict[str, Any] = {}
    typed = True  # every option of the right type: the checks across options can run
    if kind is not None:
        for key, (key_node, value_node) in fields.items():
            if key in _BASE_KEYS:
                continue
            expected = kind.options.get(key)
            if expected is None:
                known = ", ".join([*_BASE_KEYS, *kind.options])
                problems.at(
                    name,
                    key_node,
                    f"unknown key {key!r} for source type {type_name} (known: {known})",
                )
                continue
            try:
                if expected is Secret:
                    options[key] = _secret(name, value_node, problems)
                elif key == "headers":
                    options[key] = _headers(name, value_node, problems)
                else:
                    options[key] = _typed(name, value_node, expected, key)
            except LocatedError as exc:
                problems.add(exc)
                typed = False
                continue
            check = kind.checks.get(key)
            if check is not None:
                _check_option(name, value_node, options[key], check, problems, key)
        if kind.check is not None and typed:
            try:
                kind.check(options)
            except OptionError as exc:
                at = _locate(node, exc.at)
                problems.at(name, at, f"{label}: {exc}")
            except ValueError as exc:
                problems.at(name, node, f"{label}: {exc}")
    if len(problems.errors) > before:
        return None, source_name
    if source_name is None or type_name is None:
        return None, source_name
    spec = SourceSpec(name=source_name, type=type_name, interval=interval, url=url, options=options)
    return spec, source_name


def _source_name(value: str) -> str:
    if not _SOURCE_NAME.match(value):
        raise ValueError(f"source name {value!r}: use letters, digits, '.', '_' or '-' (max 63)")
    return value


def _interval(value: str) -> timedelta:
    interval = parse_duration(value)
    if interval < timedelta(seconds=1):
        raise ValueError("interval must be at least 1s")
    return interval


def _checked(
    name: str,
    field: tuple[yaml.Node, yaml.Node] | None,
    problems: _Problems,
    convert: Callable[[str], T],
) -> T | None:
    """A string field converted, or None with the mistake reported at its value."""
    if field is None:
        return None
    node = field[1]
    try:
        return convert(_string(name, node))
    except LocatedError as exc:
        problems.add(exc)
    except ValueError as exc:
        problems.at(name, node, str(exc))
    return None


def _check_option(
    name: str,
    node: yaml.Node,
    value: Any,
    check: Callable[[Any], None],
    problems: _Problems,
    key: str = "",
) -> None:
    try:
        check(value)
    except OptionError as exc:
        at = _locate(node, exc.at)
        message = str(exc)
        if exc.offset is not None and isinstance(at, yaml.ScalarNode) and "$" not in at.value:
            problems.add(LocatedError(inside(name, at, exc.offset), message))
            return
        problems.at(name, at, f"{key!r}: {message}" if key and key not in message else message)
    except ValueError as exc:
        problems.at(name, node, str(exc))


def _locate(node: yaml.Node, at: tuple[str | int, ...]) -> yaml.Node:
    """The node `at` leads to from `node` (mapping keys, list indexes), as far as it goes."""
    for step in at:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if getattr(k, "value", None) == str(step)]
            if not found:
                break
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            node = node.value[step]
        else:
            break
    return node


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
        raise LocatedError(
            where(name, node, True), f"{key!r} must be {words}, got {describe(node)}"
        )
    return value


def _secret(name: str, node: yaml.Node, problems: _Problems) -> Secret:
    """A credential as written; resolved once here only to report an unset variable."""
    if not isinstance(node, yaml.ScalarNode) or scalar_value(node) is None:
        raise LocatedError(where(name, node, True), f"expected a string, got {describe(node)}")
    secret = Secret(str(node.value))
    try:
        secret.resolve()
    except SecretUnset as exc:
        problems.unset.append(LocatedError(where(name, node, True), str(exc)))
    return secret


def _headers(name: str, node: yaml.Node, problems: _Problems) -> dict[str, Any]:
    """Header values with a `${ENV}` reference are credentials (`Authorization: ${X}`)."""
    if not isinstance(node, yaml.MappingNode):
        raise LocatedError(
            where(name, node, True), f"'headers' must be a mapping, got {describe(node)}"
        )
    headers: dict[str, Any] = {}
    for key, _, value in mapping_items(name, node):
        raw = getattr(value, "value", None)
        if isinstance(value, yaml.ScalarNode) and isinstance(raw, str) and "${" in raw:
            headers[key] = _secret(name, value, problems)
        else:
            headers[key] = _plain(name, value)
    return headers


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
        raise LocatedError(where(name, node, True), f"expected a string, got {describe(node)}")
    value = _plain(name, node)
    if value is None:
        raise LocatedError(where(name, node, True), "expected a string, got nothing (null)")
    if not isinstance(value, str):
        return str(node.value)
    return value


def _substitute(name: str, node: yaml.Node, value: str) -> str:
    try:
        return substitute(value)
    except SecretUnset as exc:
        raise LocatedError(where(name, node, True), str(exc)) from None
