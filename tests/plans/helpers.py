"""Shared helpers for the response-plan tests: plan text, positions, alerts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

# Re-exported: the plan tests read the example plans where the package ships them.
from tests.support.alerts import alert

from warroom.config import SHIPPED_PLANS as SHIPPED_PLANS
from warroom.model import Alert, Severity

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

# `FILE:LINE:COL: message`, LINE and COL 1-based.
LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.DOTALL)


def plan_doc(name: str, alertname: str | None = None, extra: str = "") -> str:
    """One small valid response plan, as YAML text ending in a newline."""
    alertname = alertname or name.title().replace("-", "")
    return (
        "kind: response-plan\n"
        f"name: {name}\n"
        "match:\n"
        f"  alerts: 'alertname=\"{alertname}\"'\n"
        "incident:\n"
        '  title: "{labels.instance} is unwell"\n'
        f"{extra}"
    )


def join_docs(*docs: str) -> str:
    return "---\n".join(docs)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def locate(text: str, needle: str, *, after: str = "", shift: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the one occurrence of `needle` after `after`, plus `shift`.

    Asserts the needle is unique there, so a test can not point at the wrong copy.
    """
    start = text.index(after) + len(after) if after else 0
    assert text.count(needle, start) == 1, f"{needle!r} must occur exactly once in the text"
    index = text.index(needle, start) + shift
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def split_located(message: str) -> tuple[str, int, int, str]:
    match = LOCATED.match(message)
    assert match, f"not FILE:LINE:COL: message -> {message!r}"
    return match["path"], int(match["line"]), int(match["col"]), match["message"]


def make_alert(
    name: str = "DiskFull",
    source: str = "prom",
    annotations: dict[str, str] | None = None,
    *,
    level: Severity | None = None,
    **labels: str,
) -> Alert:
    """An alert as a source would give it; `severity=` is a label, `level` the parsed field."""
    return alert(
        name,
        source=source,
        severity=level,
        starts_at=T0,
        labels=labels,
        annotations={"summary": "it is bad"} if annotations is None else annotations,
    )
