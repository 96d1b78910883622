"""The one walker: YAML nodes decoded against a declaration, every mistake at file:line:col.

It never stops at the first mistake: a responder fixing a config at 3 a.m. wants
the whole list in one run. Each finding keeps the path it was found under
(`("sources", 2, "filter")`), so a caller can tell a mistake that spoils one
source from one that spoils the file.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, Final

import yaml

from warroom.model.clock import parse_duration
from warroom.model.secret import Secret as SecretValue
from warroom.model.secret import SecretUnset, substitute
from warroom.model.value import Value
from warroom.schema.types import (
    Duration,
    Either,
    Enum,
    Field,
    Int,
    ListOf,
    MapOf,
    Plain,
    Record,
    Secret,
    SecretIfReference,
    Struct,
    Text,
    Type,
    Variant,
    words,
)
from warroom.yamlnodes import LocatedError, Where, describe, inside, scalar_value, where

Path = tuple[str | int, ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()  # what a value with a mistake decodes to


class Finding(Value, frozen=True):
    path: Path  # where in the document's structure (keys, indexes)
    error: LocatedError


def hint(word: str, known: list[str] | tuple[str, ...]) -> str:
    """`; did you mean 'x'?` for a near miss, else nothing."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def locate(node: yaml.Node, at: Path) -> yaml.Node:
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


class Walk:
    """Decodes the nodes of one file; `env` substitutes `${ENV}` in text (the config)."""

    def __init__(self, file: str, *, env: bool = False) -> None:
        self.file = file
        self.env = env
        self.findings: list[Finding] = []
        self.unset: list[LocatedError] = []  # credentials whose variable is not set now
        self.at: dict[Path, Where] = {}  # where each decoded value is written
        self.key_at: dict[Path, Where] = {}  # where each mapping key is written

    # -- findings ----------------------------------------------------------------------

    def where(self, node: yaml.Node) -> Where:
        return where(self.file, node, True)

    def add(self, path: Path, node: yaml.Node, message: str) -> None:
        self.findings.append(Finding(path, LocatedError(self.where(node), message)))

    def report(self, path: Path, message: str) -> None:
        """A mistake found after decoding (a name that refers elsewhere), at the value."""
        self.findings.append(Finding(path, LocatedError(self.at[path], message)))

    def errors(self, under: Path = ()) -> list[LocatedError]:
        """The mistakes found under `under`, in file order."""
        found = [f.error for f in self.findings if f.path[: len(under)] == under]
        return sorted(found, key=lambda e: (e.where.line, e.where.column))

    def _mismatch(self, node: yaml.Node, path: Path, field: Field | None, expected: str) -> None:
        got = describe(node)
        if field is not None and field.say_key:
            self.add(path, node, f"{field.name!r} must be {expected}, got {got}")
        else:
            self.add(path, node, f"expected {expected}, got {got}")

    def invalid(self, node: yaml.Node, path: Path, field: Field | None, exc: ValueError) -> None:
        """A value that can never work, at the part `exc` names (its `at`, its `offset`)."""
        target = locate(node, tuple(getattr(exc, "at", ())))
        offset = getattr(exc, "offset", None)
        message = str(exc)
        if (
            offset is not None
            and isinstance(target, yaml.ScalarNode)
            and not (self.env and "$" in str(target.value))  # substitution moved the characters
        ):
            self.findings.append(
                Finding(path, LocatedError(inside(self.file, target, offset), message))
            )
            return
        if field is not None and field.say_key and field.name not in message:
            message = f"{field.name!r}: {message}"
        self.add(path, target, message)

    def convert(self, node: yaml.Node, path: Path, field: Field | None, fn: Any, value: Any) -> Any:
        """`fn(value)`, or MISSING with the mistake reported (a value that failed its
        check never reaches a spec or a plan: `interval: soon` is no interval)."""
        try:
            return fn(value)
        except ValueError as exc:
            self.invalid(node, path, field, exc)
            return MISSING

    # -- decoding ----------------------------------------------------------------------

    def decode(
        self, node: yaml.Node, kind: Type, path: Path = (), field: Field | None = None
    ) -> Any:
        """The value `node` holds as `kind` declares it, or MISSING with the mistake reported."""
        self.at[path] = self.where(node)
        before = len(self.findings)
        value = self._decode(node, kind, path, field)
        if value is MISSING or field is None or field.check is None:
            return value
        if len(self.findings) > before:
            return value  # a mistake under it already: its check would only repeat it
        return self.convert(node, path, field, field.check, value)

    def _decode(self, node: yaml.Node, kind: Type, path: Path, field: Field | None) -> Any:
        if isinstance(kind, Text):
            return self._text(node, path, field, kind.convert)
        if isinstance(kind, Enum):
            return self._enum(node, kind, path, field)
        if isinstance(kind, Duration):
            text = self._text(node, path, field)
            return MISSING if text is MISSING else self.convert(node, path, field, _duration, text)
        if isinstance(kind, Int):
            return self._int(node, kind, path, field)
        if isinstance(kind, ListOf):
            if not isinstance(node, yaml.SequenceNode):
                self._mismatch(node, path, field, "a list")
                return MISSING
            items = (self.decode(item, kind.item, (*path, i)) for i, item in enumerate(node.value))
            return [item for item in items if item is not MISSING]
        if isinstance(kind, MapOf):
            if not isinstance(node, yaml.MappingNode):
                self._mismatch(node, path, field, "a mapping")
                return MISSING
            decoded = {
                k: self.decode(v, kind.value, (*path, k)) for k, _, v in self._items(node, path)
            }
            return {k: v for k, v in decoded.items() if v is not MISSING}
        if isinstance(kind, Struct):
            return self._struct(node, kind, path, field)
        if isinstance(kind, Variant):
            return self._variant(node, kind, path, field)
        if isinstance(kind, Either):
            chosen = kind.mapping if isinstance(node, yaml.MappingNode) else kind.scalar
            return self._decode(node, chosen, path, field)
        if isinstance(kind, Secret):
            return self._secret(node, path, field)
        if isinstance(kind, Plain):
            return self._plain_of(node, kind, path, field)
        if isinstance(kind, SecretIfReference):
            raw = getattr(node, "value", None)
            if isinstance(node, yaml.ScalarNode) and isinstance(raw, str) and "${" in raw:
                return self._secret(node, path, field)
            return self._plain(node, path)
        raise TypeError(f"no decoder for {kind!r}")

    def _items(self, node: yaml.MappingNode, path: Path) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """A mapping's items; a duplicate key is reported and its later value ignored."""
        items: dict[str, tuple[str, yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.add(path, key_node, "keys must be plain strings")
                continue
            key = str(key_node.value)
            if key in items:
                self.add(path, key_node, f"duplicate key {key!r}")
                continue
            self.key_at[(*path, key)] = self.where(key_node)
            items[key] = (key, key_node, value_node)
        return list(items.values())

    def _text(self, node: yaml.Node, path: Path, field: Field | None, fn: Any = None) -> Any:
        value = scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
        if value is None:
            self._mismatch(node, path, field, "text")
            return MISSING
        if not isinstance(value, str):
            text = str(node.value)  # `name: 404`, `title: 3.10`: the characters written
        elif self.env:
            try:
                text = substitute(value)
            except SecretUnset as exc:
                self.add(path, node, str(exc))
                return MISSING
        else:
            text = value
        return text if fn is None else self.convert(node, path, field, fn, text)

    def _enum(self, node: yaml.Node, kind: Enum, path: Path, field: Field | None) -> Any:
        text = self._text(node, path, field)
        if text is MISSING:
            return MISSING
        if text not in kind.values:
            known = ", ".join(kind.values)
            self.add(
                path,
                node,
                f"{kind.subject} {text!r}: one of {known}{hint(text, kind.values)}",
            )
            return MISSING
        return text if kind.convert is None else kind.convert(text)

    def _int(self, node: yaml.Node, kind: Int, path: Path, field: Field | None) -> Any:
        value = scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (kind.minimum is None or value >= kind.minimum)
            and (kind.maximum is None or value <= kind.maximum)
        ):
            return value
        if kind.mismatch is not None:
            self.add(path, node, kind.mismatch.format(got=describe(node)))
        else:
            self._mismatch(node, path, field, "a whole number")
        return MISSING

    def _secret(self, node: yaml.Node, path: Path, field: Field | None) -> Any:
        if not isinstance(node, yaml.ScalarNode) or scalar_value(node) is None:
            self._mismatch(node, path, field, "text")
            return MISSING
        secret = SecretValue(str(node.value))
        try:
            secret.resolve()  # only to say now that its variable is missing, never to keep it
        except SecretUnset as exc:
            self.unset.append(LocatedError(self.where(node), str(exc)))
        return secret

    def _plain(self, node: yaml.Node, path: Path) -> Any:
        """A node as plain Python data, `${ENV}` substituted in every string."""
        if isinstance(node, yaml.MappingNode):
            return {k: self._plain(v, (*path, k)) for k, _, v in self._items(node, path)}
        if isinstance(node, yaml.SequenceNode):
            return [self._plain(v, (*path, i)) for i, v in enumerate(node.value)]
        value = scalar_value(node)  # type: ignore[arg-type]
        if isinstance(value, str) and self.env:
            try:
                return substitute(value)
            except SecretUnset as exc:
                self.add(path, node, str(exc))
                return MISSING
        return value

    def _plain_of(self, node: yaml.Node, kind: Plain, path: Path, field: Field | None) -> Any:
        if kind.kinds == (str,):
            return self._text(node, path, field)
        before = len(self.findings)
        value = self._plain(node, path)
        if len(self.findings) > before:
            return MISSING
        raw = str(getattr(node, "value", ""))
        if isinstance(value, str) and str not in kind.kinds and "$" in raw:
            # `${ENV}` always yields text; read it as YAML would read a literal here
            value = yaml.safe_load(value) if value.strip() else None
        if float in kind.kinds and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, kind.kinds) and (bool in kind.kinds or not isinstance(value, bool)):
            return value
        self._mismatch(node, path, field, words(kind))
        return MISSING

    def _struct(self, node: yaml.Node, kind: Struct, path: Path, field: Field | None) -> Any:
        if not isinstance(node, yaml.MappingNode):
            self._mismatch(node, path, field, "a mapping")
            return MISSING
        before = len(self.findings)
        record = Record()
        known = [f.name for f in kind.fields]
        unknown = False
        for key, key_node, value_node in self._items(node, path):
            record.written.add(key)
            declared = kind.field(key)
            mark = len(self.findings)
            if declared is not None:
                value = self.decode(value_node, declared.type, (*path, key), declared)
                if value is not MISSING:
                    record[key] = value
            elif kind.extra is not None:
                value = self.decode(value_node, kind.extra, (*path, key))
                if value is not MISSING:
                    record.extra[key] = value
            elif kind.closed:
                unknown = True
                self.add(
                    path,
                    key_node,
                    f"unknown key {key!r}{kind.context} (known: {', '.join(known)})"
                    f"{hint(key, known)}",
                )
            if len(self.findings) > mark:
                record.failed.add(key)
        for declared in kind.fields:
            if declared.name in record.written:
                continue
            if declared.required and not unknown:
                # with an unknown key beside it, that key is most likely this one misspelt
                message = declared.missing or f"{kind.noun} needs {declared.name!r}"
                self.add(path, node, message)
            elif declared.default is not None:
                record[declared.name] = default_of(declared)
        for check in kind.checks:
            try:
                check(record)
            except ValueError as exc:
                self.invalid(node, path, None, exc)
        if kind.build is None:
            return record
        if len(self.findings) > before:
            return MISSING
        return self.convert(node, path, field, kind.build, record)

    def _variant(self, node: yaml.Node, kind: Variant, path: Path, field: Field | None) -> Any:
        if not isinstance(node, yaml.MappingNode):
            self._mismatch(node, path, field, "a mapping")
            return MISSING
        tag_node = next((v for k, v in node.value if getattr(k, "value", None) == kind.tag), None)
        chosen = kind.fallback
        if tag_node is not None:
            tag = self._text(tag_node, (*path, kind.tag), None)
            if tag is not MISSING and tag in kind.variants:
                chosen = kind.variants[tag]
            elif tag is not MISSING:
                known = list(kind.variants)
                self.add(
                    path,
                    tag_node,
                    f"unknown {kind.subject} {tag!r} (known: {', '.join(known)}){hint(tag, known)}",
                )
            if chosen is kind.fallback:
                # the tag's own mistake is reported; decode the rest without repeating it
                chosen = _without(kind.fallback, kind.tag)
        return self._struct(node, chosen, path, field)


def _duration(text: str) -> Any:
    return parse_duration(text)


def _without(kind: Struct, name: str) -> Struct:
    from warroom.model.value import replace

    return replace(kind, fields=tuple(f for f in kind.fields if f.name != name), closed=False)


_DEFAULTS: dict[int, Any] = {}


def default_of(declared: Field) -> Any:
    """A field's default, decoded like a value written in the file (so doc and code agree)."""
    key = id(declared)
    if key not in _DEFAULTS:
        walk = Walk("<default>")
        node = yaml.compose(json.dumps(declared.default), Loader=yaml.SafeLoader)
        assert node is not None
        value = walk.decode(node, declared.type, (), declared)
        if walk.findings:
            raise AssertionError(f"default of {declared.name!r}: {walk.findings[0].error}")
        _DEFAULTS[key] = (declared, value)
    return _DEFAULTS[key][1]
