"""loads_yielding must be json.loads, result and error alike, only kinder to the loop."""

from __future__ import annotations

import json

import pytest

from warroom.offload import loads_yielding

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
