"""The declarations as JSON Schema (draft-07), for editors (yaml-language-server and the like).

Made from the same data the walker decodes with, so the editor's squiggles and
`warroom check` never disagree on a key, a type, a default or an allowed word.
What only code can judge (a matcher's syntax, a template's fields, a URL's host)
is left to `warroom check`; the description says so where it matters.
"""

from __future__ import annotations

from typing import Any

from warroom.schema.types import (
    Duration,
    Either,
    Enum,
    Int,
    ListOf,
    MapOf,
    Plain,
    Secret,
    SecretIfReference,
    Struct,
    Text,
    Type,
    Variant,
)

DRAFT = "http://json-schema.org/draft-07/schema#"
# what model.clock.parse_duration reads: one or more number+unit parts
DURATION_PATTERN = r"^\s*([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+\s*$"
_PLAIN = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
}


def document(title: str, kind: Type, description: str = "") -> dict[str, Any]:
    """A whole schema: `kind` is what each YAML document of the file holds."""
    schema: dict[str, Any] = {"$schema": DRAFT, "title": title}
    if description:
        schema["description"] = description
    schema.update(json_schema(kind))
    return schema


def json_schema(kind: Type) -> dict[str, Any]:
    if isinstance(kind, Text):
        found: dict[str, Any] = {"type": "string"}
        if kind.pattern:
            found["pattern"] = kind.pattern
        return found
    if isinstance(kind, Enum):
        return {"type": "string", "enum": list(kind.values)}
    if isinstance(kind, Duration):
        return {"type": "string", "pattern": DURATION_PATTERN}
    if isinstance(kind, Int):
        found = {"type": "integer"}
        if kind.minimum is not None:
            found["minimum"] = kind.minimum
        if kind.maximum is not None:
            found["maximum"] = kind.maximum
        return found
    if isinstance(kind, ListOf):
        return {"type": "array", "items": json_schema(kind.item)}
    if isinstance(kind, MapOf):
        return {"type": "object", "additionalProperties": json_schema(kind.value)}
    if isinstance(kind, Struct):
        return _struct(kind)
    if isinstance(kind, Either):
        return {"anyOf": [json_schema(kind.scalar), json_schema(kind.mapping)]}
    if isinstance(kind, Variant):
        return _variant(kind)
    if isinstance(kind, Secret):
        return {"type": "string"}
    if isinstance(kind, Plain):
        types = [_PLAIN[k] for k in kind.kinds if k in _PLAIN]
        return {"type": types[0] if len(types) == 1 else types}
    if isinstance(kind, SecretIfReference):
        return {"type": ["string", "number", "boolean"]}
    raise TypeError(f"no JSON Schema for {kind!r}")


def _struct(kind: Struct) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in kind.fields:
        entry = json_schema(field.type)
        entry["description"] = field.doc
        if field.default is not None:
            entry["default"] = field.default
        properties[field.name] = entry
    found: dict[str, Any] = {"type": "object"}
    if kind.doc:
        found["description"] = kind.doc
    found["properties"] = properties
    required = [f.name for f in kind.fields if f.required or f.name in kind.requires]
    if required:
        found["required"] = required
    if kind.extra is not None:
        extra = json_schema(kind.extra)
        if kind.extra_doc:
            extra["description"] = kind.extra_doc
        found["additionalProperties"] = extra
    elif kind.closed:
        found["additionalProperties"] = False
    return found


def _variant(kind: Variant) -> dict[str, Any]:
    """The tag's word picks the struct: `if tag is X then X's struct`, one clause per word."""
    found = _struct(kind.fallback)
    found.pop("additionalProperties", None)
    tag = dict(found["properties"].get(kind.tag, {}))
    tag.update({"type": "string", "enum": list(kind.variants)})
    found["properties"] = {**found["properties"], kind.tag: tag}
    found["required"] = sorted({*found.get("required", ()), kind.tag})
    found["allOf"] = [
        {
            "if": {"properties": {kind.tag: {"const": word}}, "required": [kind.tag]},
            "then": _struct(struct),
        }
        for word, struct in kind.variants.items()
    ]
    return found
