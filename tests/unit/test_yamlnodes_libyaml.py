"""Plans and config are composed by libyaml when it is there (ten times faster: the plans
are read before the console's first frame); every node must be what the
pure-Python parser makes, marks included, so each message points where it did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from warroom.config import SHIPPED_PLANS
from warroom.themefiles import SHIPPED_THEMES
from warroom.yamlnodes import compose_documents, compose_documents_partial, inside

TRICKY = {
    "crlf, non-ascii, aliases, folded": (
        'a: "é\\u00e9 \\t x"\r\nb: &x [1, 2]\r\nc: *x\r\nd: >\r\n  folded\r\n  ünï\r\n'
    ),
    "emoji, documents, end marker": "name: 🔥 fire\n---\n---\nk: 2\n...\n",
    "quotes, null, complex key": "x: 'it''s'\ny: \"q\\\\\\\"\"\nz: ~\n? [a]\n: b\n",
    "directive and tag": "%YAML 1.1\n--- !!str\nfoo\n",
    "block scalar": "run: |\n  first line\n  second (line\n",
    "byte order mark": "\ufeffa: 1\nb: [x, 'y']\n",
}


def _python(text: str) -> list[yaml.Node]:
    return [
        d
        for d in yaml.compose_all(text, Loader=yaml.SafeLoader)
        if not (isinstance(d, yaml.ScalarNode) and d.value in ("", "~", "null"))
    ]


def _signature(node: yaml.Node) -> list[Any]:
    marks = [
        (m.name, m.index, m.line, m.column, m.pointer, m.buffer)
        for m in (node.start_mark, node.end_mark)
    ]
    out: list[Any] = [
        type(node).__name__,
        node.tag,
        getattr(node, "style", None),
        getattr(node, "flow_style", None),
        marks,
    ]
    if isinstance(node, yaml.ScalarNode):
        out.append(node.value)
    elif isinstance(node, yaml.MappingNode):
        out.append([(_signature(k), _signature(v)) for k, v in node.value])
    else:
        out.append([_signature(c) for c in node.value])
    return out


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        return [node]
    children = (
        [n for pair in node.value for n in pair]
        if isinstance(node, yaml.MappingNode)
        else node.value
    )
    return [s for child in children for s in _scalars(child)]


def _shipped() -> list[Path]:
    return sorted([*SHIPPED_PLANS.glob("*.yaml"), *SHIPPED_THEMES.glob("*.yaml")])


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.name)
def test_shipped_files_compose_as_the_pure_python_parser_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [_signature(d) for d in compose_documents(path)] == [
        _signature(d) for d in _python(text)
    ]


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_text_composes_as_the_pure_python_parser_does(text: str) -> None:
    ours = compose_documents("t.yaml", text)
    theirs = _python(text)
    assert [_signature(d) for d in ours] == [_signature(d) for d in theirs]
    # a position inside a value (a bad regex, say) is found the same way
    for a, b in zip(
        [s for d in ours for s in _scalars(d)],
        [s for d in theirs for s in _scalars(d)],
        strict=True,
    ):
        for offset in range(len(a.value)):
            assert inside("t.yaml", a, offset) == inside("t.yaml", b, offset)


def test_a_syntax_error_keeps_the_documents_before_it_and_its_line() -> None:
    documents, error = compose_documents_partial("p.yaml", "a: 1\n---\nb: [1,\n---\nc: 3\n")
    assert [d.value[0][0].value for d in documents] == ["a"]
    assert error is not None and error.where.line == 4  # where PyYAML gave up
