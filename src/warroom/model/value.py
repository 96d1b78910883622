"""The base of warroom's value types: frozen, slotted records built by msgspec.

They were frozen dataclasses. CPython 3.11 builds each dataclass by compiling
its `__init__`, `__repr__`, `__eq__`, `__hash__` and `__setattr__` from source
when the module is imported: about 1.4 ms a class, and the console imports some
140 of them before it can show its first alerts, 0.2 s of a start-up that issue
9 holds to twice a bare Textual app. A msgspec `Struct` is built in C in some
0.04 ms, and its instances are built and compared faster too.

What a `Value` keeps of a frozen dataclass: positional and keyword construction
in field order, `__post_init__` (also run by `replace`), value equality within
one class, hashing, a `Name(field=value)` repr, `__match_args__`, pickling, and
an `AttributeError` on assignment. What it does not have: per-field `repr`,
`compare` or `init` options. The few types that need one (a config holding
credentials, a matcher caching its regex) stay dataclasses.

Type checkers read a `Value` subclass as a frozen dataclass (msgspec declares
`dataclass_transform`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from msgspec import Struct, field
from msgspec.structs import force_setattr
from msgspec.structs import replace as _replace

__all__ = ["Value", "field", "field_defaults", "force_setattr", "replace"]

T = TypeVar("T")


class Value(Struct, frozen=True):
    """A frozen value. Subclass it with annotated fields, as a dataclass would have them."""

    def __rich_repr__(self) -> None:  # type: ignore[override]
        """None: Rich shows `repr()`. A Struct's own `__rich_repr__` lists every field,
        and Rich asks for it before `__repr__`, so a crash's traceback (Textual's
        shows locals) would print what a redacting `__repr__` hides: a `Secret`'s
        value, a source's password, a channel's webhook."""
        return None


def field_defaults(kind: type[Value]) -> dict[str, Any]:
    """Every field's name, in order, with its default: `REQUIRED` for a field that
    has none, `FACTORY` for one made by a `default_factory`.

    Read from the class alone; `msgspec.structs.fields` would evaluate every
    annotation, which fails on names imported only for type checking.
    """
    names: tuple[str, ...] = kind.__struct_fields__
    given: tuple[Any, ...] = kind.__struct_defaults__
    padded = (REQUIRED,) * (len(names) - len(given)) + given
    return {
        name: FACTORY if type(value).__name__ == "Factory" else value
        for name, value in zip(names, padded, strict=True)
    }


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


REQUIRED: Any = _Marker("REQUIRED")
FACTORY: Any = _Marker("FACTORY")


def replace(value: T, /, **changes: Any) -> T:
    """A copy with `changes`; `__post_init__` runs again, as `dataclasses.replace` did.

    Also takes the few frozen types that stay dataclasses, so callers need not
    know how a value was built.
    """
    if isinstance(value, Struct):
        return _replace(value, **changes)
    return dataclasses.replace(value, **changes)  # type: ignore[type-var]
