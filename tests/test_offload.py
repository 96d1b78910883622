"""loads_yielding must be json.loads, result and error alike, only kinder to the loop."""

from __future__ import annotations

import json

import pytest

from warroom.offload import NotAnArray, array_items, loads_yielding

CASES = [
    "[]",
    " [ ] ",
    "[1]",
    '[1, {"a": [1, 2]}, "x", null, true]',
    '{"a": [1]}',
    '"s"',
    "3",
    "[1,2",
    "[1 2]",
    "[1],",
    "",
    "[1,]",
    "[",
    "]",
    '[{"a": 1}] x',
    "\n[\n1\n]\n",
    '[\n  {"a": 1},\n  {"b": 2} {"c": 3}\n]',
    '[\n  {"a": 1},\n  {"b": "x\\q"}\n]',
    '[1,\n2,\n3\n]\n\n  x',
    '[\n"é", "unterminated\n]',
    "[1, 2",
]


@pytest.mark.parametrize("text", CASES)
def test_same_as_json_loads(text: str) -> None:
    try:
        expected: object = json.loads(text)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as caught:
            loads_yielding(text)
        assert (caught.value.msg, caught.value.pos) == (exc.msg, exc.pos)
    else:
        assert loads_yielding(text) == expected
        assert loads_yielding(text.encode()) == expected


def test_large_array_round_trips() -> None:
    items = [{"labels": {"i": str(i)}, "n": i} for i in range(5000)]
    assert loads_yielding(json.dumps(items).encode()) == items


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("window", [1, 2, 3, 7])
def test_items_decoded_a_window_at_a_time_are_json_loads(text: str, window: int) -> None:
    """Windows so small that every value, number and escape is cut at an edge."""
    body = text.encode()
    try:
        expected: object = json.loads(body)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as caught:
            list(array_items(body, window))
        assert (caught.value.msg, caught.value.pos) == (exc.msg, exc.pos)
        assert str(caught.value) == str(exc)
        return
    if isinstance(expected, list):
        assert list(array_items(body, window)) == expected
    else:
        with pytest.raises(NotAnArray) as not_array:
            list(array_items(body, window))
        assert not_array.value.value == expected


@pytest.mark.parametrize("window", [1, 2, 5])
def test_numbers_and_characters_cut_at_a_window_edge(window: int) -> None:
    items = [12345, -6.5e10, "é€😀", {"k": "é 😀"}, True, None, 0, [1, [2]]]
    body = json.dumps(items, ensure_ascii=False).encode()
    assert list(array_items(body, window)) == items
    assert list(array_items(json.dumps(items).encode(), window)) == items


def test_a_utf8_byte_order_mark_is_read_as_json_loads_reads_it() -> None:
    assert list(array_items(b"\xef\xbb\xbf[1, 2]")) == [1, 2]


def test_pieces_are_released_once_decoded() -> None:
    items = [{"labels": {"i": str(i)}} for i in range(2000)]
    body = json.dumps(items).encode()
    pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    decoded = array_items(pieces, window=4096)
    half = [next(decoded) for _ in range(1000)]
    # dropped once decoded (all but the first window's): never held whole
    assert not any(pieces[5 : len(pieces) // 3]) and all(pieces[-5:])
    assert [*half, *decoded] == items
    assert not any(pieces[5:])
