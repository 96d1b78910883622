"""What a YAML document may hold, declared once: fields, their types, defaults and docs.

A declaration is plain data. One walker (`walk.py`) decodes nodes against it and
reports every mistake at `file:line:col`; `jsonschema.py` turns the same data into
a JSON Schema for editors. A new plan kind is a `Struct` and a build function,
never another loader: its messages, positions and editor support come for free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from warroom.model.value import Value


class Invalid(ValueError):
    """A value of the right type that can never work.

    `at` leads from the checked node to the part at fault (mapping keys, list
    indexes); `offset` is the character of a string value at fault, when known,
    so the message can point at its column. OptionError carries the same two.
    """

    def __init__(
        self, message: str, at: tuple[str | int, ...] = (), offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.at = at
        self.offset = offset


# A check takes a decoded value and returns it converted (or as is); ValueError
# (Invalid for a position) says why it can never work.
Convert = Callable[[Any], Any]


class Type:
    """Base of the declarations the walker knows."""


class Text(Value, Type, frozen=True):
    """A scalar read as written (`404` is the text '404'), then converted by `convert`."""

    convert: Convert | None = None
    pattern: str | None = None  # for editors only: `convert` is what decides


class Int(Value, Type, frozen=True):
    """A whole number (never a bool); out of range is a mistake in the same words."""

    minimum: int | None = None
    maximum: int | None = None
    # replaces "expected a whole number, got ..." (e.g. "impact must be 1 to 5, got {got}")
    mismatch: str | None = None


class Duration(Value, Type, frozen=True):
    """`15s`, `1m30s`, `500ms`, `2h`: a timedelta."""


class Enum(Value, Type, frozen=True):
    """One of a few words; `subject` names it in the message (`resolve 'x': one of ...`)."""

    values: tuple[str, ...]
    subject: str = "value"
    convert: Convert | None = None


class ListOf(Value, Type, frozen=True):
    item: Type


class MapOf(Value, Type, frozen=True):
    """A mapping with keys of the user's choosing (keymap ids, header names)."""

    value: Type


class Field(Value, frozen=True):
    """One key of a mapping: its type, one line of doc, required or its default."""

    name: str
    type: Type
    doc: str
    required: bool = False
    # what is said when a required field is missing (default: "{noun} needs 'name'")
    missing: str | None = None
    # a default as it would be written in the file (JSON-able), decoded like a value
    default: Any = None
    # mistakes name the key: "'speed' must be a number", "'timeout': not a duration"
    say_key: bool = False
    check: Convert | None = None


class Struct(Value, Type, frozen=True):
    """A mapping of declared fields; any other key is a mistake (with a did-you-mean).

    `noun` says what it is in "{noun} needs 'x'"; `context` follows "unknown key 'k'"
    (" in response-plan"). `extra` gives undeclared keys a type instead (an impact
    map's label values). `checks` look across fields once they are decoded; `build`
    turns the record into the value the rest of warroom uses.
    """

    fields: tuple[Field, ...]
    noun: str = "it"
    context: str = ""
    doc: str = ""
    extra: Type | None = None
    extra_doc: str = ""
    checks: tuple[Callable[[Record], None], ...] = ()
    build: Callable[[Record], Any] | None = None
    closed: bool = True  # False: other keys are ignored (what a variant's fallback checks)
    # keys one of `checks` requires, in its own words: editors are told they are required
    requires: tuple[str, ...] = ()

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


class Either(Value, Type, frozen=True):
    """A scalar or a mapping, each with its own type (`impact: 3` or `impact: {label: ...}`)."""

    scalar: Type
    mapping: Type


class Variant(Value, Type, frozen=True):
    """A mapping whose `tag` field picks its struct (`type: alertmanager`, `kind: contact`).

    With the tag missing or unknown, `fallback` (the fields every variant shares)
    is still checked, so one run reports the name and the interval too.
    """

    tag: str
    variants: Mapping[str, Struct]
    fallback: Struct
    subject: str  # "unknown {subject} 'x' (known: ...)"


class Secret(Value, Type, frozen=True):
    """A credential kept as written (`${ENV}` unresolved) until it is sent."""


class Plain(Value, Type, frozen=True):
    """Data of one of `kinds` (str, int, float, bool, list, dict), `${ENV}` substituted."""

    kinds: tuple[type, ...]


class SecretIfReference(Value, Type, frozen=True):
    """Plain data, except a string with a `${ENV}` reference, which is a credential."""


class Record(dict[str, Any]):
    """A decoded mapping: the values that decoded, and which keys had mistakes under them."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()  # keys with a mistake at or under them
        self.written: set[str] = set()  # keys present in the file
        self.extra: dict[str, Any] = {}  # undeclared keys, when the struct takes them


KINDS_WORDS: dict[type, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping",
}


def words(kind: Type) -> str:
    """How a message names what was expected."""
    if isinstance(kind, (Text, Enum, Duration, Secret)):
        return "text"
    if isinstance(kind, Int):
        return "a whole number"
    if isinstance(kind, ListOf):
        return "a list"
    if isinstance(kind, (Struct, MapOf, Variant)):
        return "a mapping"
    if isinstance(kind, Plain):
        return " or ".join(KINDS_WORDS.get(k, k.__name__) for k in kind.kinds)
    if isinstance(kind, Either):
        return f"{words(kind.scalar)} or {words(kind.mapping)}"
    return "a value"
