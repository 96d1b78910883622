"""YAML read as nodes, so every complaint can say `file:line: message`.

`yaml.safe_load` forgets where each value came from; responders fixing a plan
or a config at 3 a.m. need the line. We compose nodes (safe: no tags that
construct objects) and convert them ourselves, keeping each node's mark.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from warroom.model.value import Value


class Where(Value, frozen=True):
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
    documents, error = compose_documents_partial(path, text)
    if error is not None:
        raise error
    return documents


def compose_documents_partial(
    path: Path | str, text: str | None = None
) -> tuple[list[yaml.Node], LocatedError | None]:
    """The documents before the first syntax error, and that error (or None).

    A typo in the third plan of a file must not take the first two with it.
    Empty documents (a trailing `---`) are dropped, not reported.
    """
    name = str(path)
    if text is None:
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n") + 1
            column = exc.start - (before.rfind(b"\n") + 1) + 1
            return [], LocatedError(Where(name, line, column), f"not UTF-8 text ({exc.reason})")
    fast = _compose_with_libyaml(text)
    if fast is not None:
        return fast, None
    documents: list[yaml.Node] = []
    try:
        for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if document is None or _is_empty(document):
                continue
            lone = _lone_surrogate(document)
            if lone is not None:
                node, found = lone
                return documents, LocatedError(where(name, node, True), _surrogate_problem(found))
            documents.append(document)
    except yaml.MarkedYAMLError as exc:
        return documents, _syntax_error(name, exc)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (ESC, say): no mark
        return documents, _reader_error(name, text, exc)
    return documents, None


def _reader_error(name: str, text: str, exc: yaml.reader.ReaderError) -> LocatedError:
    """Where the character is, counted in the text, since PyYAML gives only an offset."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return LocatedError(
        Where(name, line, column),
        f"YAML syntax: the control character U+{exc.character:04X} is not allowed;"
        ' remove it, or write it as an escape inside double quotes ("\\x1b")',
    )


def _compose_with_libyaml(text: str) -> list[yaml.Node] | None:
    """The documents as the pure-Python parser would compose them, ten times faster,
    or None when libyaml is missing or finds anything amiss.

    Plans are read before the console's first frame; the pure-Python parser was
    a tenth of a second of it. Any error (or lone surrogate) goes back to the
    pure-Python path, so what is reported, and where, stays exactly as before.
    Marks are rebuilt with the source text (which `inside` reads) and plain
    scalars get the pure-Python style, so every node is the same as before.
    """
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None or "\ufeff" in text:  # libyaml does not count a BOM in its marks
        return None
    try:
        composed = list(yaml.compose_all(text, Loader=loader))
    except (yaml.YAMLError, UnicodeError):
        return None
    documents: list[yaml.Node] = []
    for document in composed:
        if document is None or _is_empty(document):
            continue
        if _lone_surrogate(document) is not None:
            return None
        documents.append(document)
    buffer = text + "\0"  # what the pure-Python reader holds, so pointers mean the same
    for document in documents:
        _with_buffer(document, buffer)
    return documents


def _with_buffer(node: yaml.Node, buffer: str) -> None:
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:  # an alias is its anchor's node
            continue
        seen.add(id(current))
        for attr in ("start_mark", "end_mark"):
            mark = getattr(current, attr)
            setattr(
                current,
                attr,
                yaml.Mark(mark.name, mark.index, mark.line, mark.column, buffer, mark.index),
            )
        if isinstance(current, yaml.ScalarNode) and not current.style:
            current.style = None  # libyaml says '' for plain; the pure-Python parser None
        elif isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


_SURROGATE = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")


def _surrogate_problem(found: str) -> str:
    """PyYAML keeps `\\ud83d\\udd25` as two halves (YAML's \\u is one UTF-16 unit)."""
    if len(found) == 2:
        high, low = (ord(c) for c in found)
        code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return (
            f"\\u{high:04x}\\u{low:04x} is a UTF-16 pair, which YAML keeps as two halves:"
            f" write \\U{code:08x} or the character itself"
        )
    return (
        f"\\u{ord(found):04x} is half of a UTF-16 pair, not a character: write the character itself"
    )


def _lone_surrogate(node: yaml.Node) -> tuple[yaml.ScalarNode, str] | None:
    """The first scalar holding a lone surrogate (from a `\\ud800` escape).

    PyYAML decodes it into a str no UTF-8 encoder accepts; a title made of it
    would fail every write of the incident it names.
    """
    if isinstance(node, yaml.ScalarNode):
        found = None if node.value.isascii() else _SURROGATE.search(node.value)
        return (node, found.group()) if found else None
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        lone = _lone_surrogate(child)
        if lone is not None:
            return lone
    return None


def _is_empty(node: yaml.Node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:null"
        and node.value in ("", "~", "null")
    )


_UNCLOSED = (
    "while scanning a quoted scalar",
    "while parsing a flow",
    "while scanning a simple key",
)


_FOUND = {
    "<block mapping start>": "a key indented differently from the keys above it",
    "<block sequence start>": "a list indented differently from the lines above it",
    "<scalar>": "more text after a value",
    "-": "a list item",
    "?": "a complex key",
}


def _syntax_error(name: str, exc: yaml.MarkedYAMLError) -> LocatedError:
    problem = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    # For an unclosed quote or bracket PyYAML reports where it gave up (the end of
    # the file, a later line); where the quote or bracket opened is what helps.
    # For a block ("while parsing a block mapping") the context is only where the
    # enclosing block began, often the top of the file: the problem mark is the line.
    context = exc.context_mark
    unclosed = exc.context is not None and exc.context.startswith(_UNCLOSED)
    if context is not None and (
        "end of stream" in problem
        or "stream end" in problem
        or (unclosed and exc.problem_mark is not None and context.line < exc.problem_mark.line)
    ):
        mark = context
    if not unclosed and context is not None and mark is not context and "<block end>" in problem:
        found = problem.rsplit("but found ", 1)[-1].strip("'")
        what = _FOUND.get(found, repr(found))
        problem = (
            f"{what} where the block that begins on line {context.line + 1} should end"
            " (check the indentation, or quote the value)"
        )
    elif exc.context and exc.context not in problem:
        problem = f"{exc.context}: {problem}"
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 0
    return LocatedError(Where(name, line, column), f"YAML syntax: {problem}")


def inside(name: str, node: yaml.Node, offset: int) -> Where:
    """Where character `offset` of a scalar's value stands in the file.

    The value is not the source text: quotes, escapes (`\\"`, `''`) and block
    scalars (`>-`, `|`) shift it. Walk the source from the node's start, one
    value character at a time, so a bad regex on the third line of a block
    scalar is reported on that line, at that column.
    """
    mark = node.start_mark
    buffer = getattr(mark, "buffer", None)
    style = getattr(node, "style", None)
    if not isinstance(buffer, str) or mark.pointer is None:
        return Where(name, mark.line + 1, mark.column + 1 + offset)
    i, end = mark.pointer, node.end_mark.pointer
    if style in ("'", '"'):
        i += 1  # past the opening quote
        for _ in range(offset):
            if i >= end:
                break
            escaped = (style == '"' and buffer[i] == "\\") or (
                style == "'" and buffer.startswith("''", i)
            )
            i += 2 if escaped else 1
    elif style in (">", "|"):
        i = buffer.index("\n", i) + 1  # the content starts on the line after the indicator
        remaining = offset
        while i < end:
            line_end = buffer.find("\n", i, end)
            line_end = end if line_end < 0 else line_end
            content = i + len(buffer[i:line_end]) - len(buffer[i:line_end].lstrip(" "))
            if remaining <= line_end - content:
                i = content + remaining
                break
            remaining -= line_end - content + 1  # the line and the space or newline joining it
            i = line_end + 1
    else:
        i += offset
    line = buffer.count("\n", 0, i)
    column = i - (buffer.rfind("\n", 0, i) + 1)
    return Where(name, line + 1, column + 1)


def scalar_value(node: yaml.ScalarNode) -> Any:
    """The plain Python value of a scalar, resolved as SafeLoader would.

    SafeLoader's constructor alone: the node is composed (and its tag resolved)
    already, and a whole loader per scalar (reader, scanner, parser) was a third
    of the time the console's start-up spent loading its plans (issue 9).
    """
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def mapping_items(path: str, node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping; duplicate or non-string keys are errors."""
    if not isinstance(node, yaml.MappingNode):
        raise LocatedError(where(path, node, True), f"expected a mapping, got {describe(node)}")
    seen: set[str] = set()
    items: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise LocatedError(where(path, key_node, True), "keys must be plain strings")
        key = str(key_node.value)
        if key in seen:
            raise LocatedError(where(path, key_node, True), f"duplicate key {key!r}")
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
