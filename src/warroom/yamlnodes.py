"""YAML read as nodes, so every complaint can say `file:line: message`.

`yaml.safe_load` forgets where each value came from; responders fixing a plan
or a config at 3 a.m. need the line. We compose nodes (safe: no tags that
construct objects) and convert them ourselves, keeping each node's mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Where:
    path: str
    line: int  # 1-based
    column: int = 0  # 1-based; 0 when unknown

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        )


class LocatedError(Exception):
    """An error in a file, printed as `file:line: message`."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def where(path: str, node: yaml.Node, with_column: bool = False) -> Where:
    mark = node.start_mark
    return Where(path, mark.line + 1, mark.column + 1 if with_column else 0)


def compose_documents(path: Path | str, text: str | None = None) -> list[yaml.Node]:
    """All documents of a file as nodes; a syntax error becomes a LocatedError."""
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise LocatedError(Where(name, 1), f"not UTF-8 text ({exc.reason})") from exc
    try:
        return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise LocatedError(Where(name, line, column), f"YAML syntax: {problem}") from exc


def scalar_value(node: yaml.ScalarNode) -> Any:
    """The plain Python value of a scalar, resolved as SafeLoader would."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def mapping_items(path: str, node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping; duplicate or non-string keys are errors."""
    if not isinstance(node, yaml.MappingNode):
        raise LocatedError(where(path, node), f"expected a mapping, got {describe(node)}")
    seen: set[str] = set()
    items: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise LocatedError(where(path, key_node), "keys must be plain strings")
        key = str(key_node.value)
        if key in seen:
            raise LocatedError(where(path, key_node), f"duplicate key {key!r}")
        seen.add(key)
        items.append((key, key_node, value_node))
    return items


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {node.value!r}"
