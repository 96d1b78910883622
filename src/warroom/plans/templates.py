"""Templates over alert fields: `Disk full on {labels.instance}`.

Deliberately tiny: fields are looked up, never evaluated, so a plan can not run
code. A label the alert lacks renders as a visible placeholder (`‹labels.x?›`)
rather than failing triage; `{{` and `}}` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from warroom.model import Alert
from warroom.model.value import Value

SCALARS = ("name", "source", "severity", "fingerprint")
MAPS = ("labels", "annotations")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class TemplateError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class Field(Value, frozen=True):
    root: str
    key: str = ""

    def __str__(self) -> str:
        return f"{self.root}.{self.key}" if self.key else self.root


class Template(Value, frozen=True):
    text: str
    parts: tuple[str | Field, ...]

    def render(
        self, alert: Alert, plan: str = "", escape: Callable[[str], str] | None = None
    ) -> str:
        """`escape`, when given, is applied to every value filled in (never to the
        template's own text): a label value inside a PromQL string literal."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.root == "plan":
                value = plan
            elif part.root in MAPS:
                found = (alert.labels if part.root == "labels" else alert.annotations).get(part.key)
                value = found if found is not None else f"‹{part}?›"
            else:
                value = str(getattr(alert, part.root))
            out.append(escape(value) if escape is not None else value)
        return "".join(out)

    def render_strict(
        self, alert: Alert, plan: str = "", escape: Callable[[str], str] | None = None
    ) -> str | None:
        """As `render`, but None when the alert lacks a field: a runbook parameter
        must have a real value, never the placeholder a title shows."""
        for part in self.fields:
            if part.root in MAPS:
                values = alert.labels if part.root == "labels" else alert.annotations
                if part.key not in values:
                    return None
        return self.render(alert, plan, escape)

    @property
    def fields(self) -> list[Field]:
        return [p for p in self.parts if isinstance(p, Field)]


def parse_template(text: str) -> Template:
    """Raise TemplateError (with the offset of the problem) for anything but known fields."""
    parts: list[str | Field] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        if char == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
            continue
        if char == "}":
            raise TemplateError("single '}' (write '}}' for a literal brace)", i)
        if char != "{":
            literal.append(char)
            i += 1
            continue
        end = text.find("}", i)
        if end < 0:
            raise TemplateError("'{' without a closing '}'", i)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(_field(text[i + 1 : end].strip(), i + 1))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _field(spec: str, position: int) -> Field:
    if spec in SCALARS or spec == "plan":
        return Field(spec)
    root, _, key = spec.partition(".")
    if root in MAPS and _NAME.match(key):
        return Field(root, key)
    known = ", ".join([*(f"{m}.NAME" for m in MAPS), *SCALARS, "plan"])
    raise TemplateError(f"unknown template field {{{spec}}} (known: {known})", position)
