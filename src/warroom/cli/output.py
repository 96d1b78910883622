"""Printing for scripts and humans: JSON lines or aligned columns, always escape-free."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from warroom.model.text import escape_json_output, safe_text

# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def json_line(obj: dict[str, Any]) -> str:
    return escape_json_output(_ENCODER.encode(obj)) + "\n"


def print_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json_line(obj))


def print_json_lines(objs: Iterable[dict[str, Any]]) -> None:
    """Many lines at once: encoded one by one, made terminal-safe in one pass."""
    encode = _ENCODER.encode
    text = "\n".join(encode(obj) for obj in objs)
    if text:
        sys.stdout.write(escape_json_output(text) + "\n")


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
