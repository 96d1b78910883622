"""Printing for scripts and humans: JSON lines or aligned columns, always escape-free."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from warroom.model.text import escape_json_bytes, escape_json_output, safe_text

# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def json_line(obj: dict[str, Any]) -> str:
    return escape_json_output(_ENCODER.encode(obj)) + "\n"


def print_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json_line(obj))


def print_json_records(records: Sequence[dict[str, Any]], first_key: str) -> None:
    """JSON Lines for many records, encoded by orjson in one call.

    Per call, orjson and the stdlib encoder both pay a few microseconds of
    setup, which at 10,000 alerts is most of the cost: one call for the list and
    a split is seven times cheaper than one call per record. The split is exact
    when every record starts with `first_key` and nests no list of objects: then
    `},{"<first_key>":` occurs only between records (inside a JSON string its
    quotes would be escaped). The line count checks it; anything orjson refuses
    goes through the stdlib encoder instead, one record at a time.
    """
    if not records:
        return
    try:
        encoded = orjson.dumps(records)
    except TypeError:  # orjson.JSONEncodeError is one: a key or value it will not take
        encoded = b""
    boundary = b'},{"' + first_key.encode() + b'":'
    data = encoded.replace(boundary, boundary[:1] + b"\n" + boundary[2:])
    if encoded and data.count(b"\n") == len(records) - 1:
        data = escape_json_bytes(data)
    else:
        text = "\n".join(_ENCODER.encode(r) for r in records)
        data = escape_json_output(f"[{text}]").encode()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(data[1:-1].decode() + "\n")
        return
    # 5 MB at 10,000 alerts: written from a view, not copied again
    sys.stdout.flush()
    out.write(memoryview(data)[1:-1])
    out.write(b"\n")
    out.flush()


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], last_wide: bool = True
) -> None:
    """Columns sized to content; every cell passed through `safe_text`."""
    cells = [[safe_text(c, 60 if last_wide else 40) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(row: Sequence[str]) -> str:
        return "  ".join(c if i == len(row) - 1 else c.ljust(widths[i]) for i, c in enumerate(row))

    sys.stdout.write(line(headers) + "\n")
    for row in cells:
        sys.stdout.write(line(row) + "\n")
