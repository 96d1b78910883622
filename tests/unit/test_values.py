"""Value types are `Value` records (msgspec), not frozen dataclasses (issue 9's start-up).

A frozen dataclass compiles its methods from source when its module is
imported, about 1.4 ms a class on CPython 3.11; the console imported some 140
before its first alerts. The scan keeps new ones from creeping back; the rest
checks that a record still behaves as the frozen dataclass it replaced did.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest
from rich.pretty import pretty_repr

import warroom
from warroom.config import Config
from warroom.model.events import Link
from warroom.model.secret import Secret
from warroom.model.value import FACTORY, REQUIRED, Value, field, field_defaults, replace
from warroom.sources.base import SourceSpec

PACKAGE = Path(warroom.__file__).parent

# Each needs a per-field option a record does not have: `repr=False` on a
# credential, `compare=False` on a cache or a measurement.
STAY_DATACLASSES = {
    "config.py": {"Config"},
    "model/matchers.py": {"Matcher"},
    "notify/declare.py": {"SmtpRelay"},
    "sources/http.py": {"HttpSettings"},
    "store/values.py": {"SnapshotResult"},
}


def _frozen_dataclasses(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        for deco in node.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and getattr(deco.func, "id", "") == "dataclass"
                and any(
                    k.arg == "frozen" and getattr(k.value, "value", False) for k in deco.keywords
                )
            ):
                found.add(node.name)
    return found


def test_no_new_frozen_dataclass_in_the_package() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names = _frozen_dataclasses(path)
        if names:
            found[path.relative_to(PACKAGE).as_posix()] = names
    assert found == STAY_DATACLASSES, (
        "a frozen value type subclasses warroom.model.value.Value: a frozen dataclass "
        "costs the console's start-up about 1.4 ms to build"
    )


def test_the_scan_sees_a_frozen_dataclass(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from dataclasses import dataclass\n"
        "@dataclass(frozen=True, slots=True)\nclass A:\n    x: int\n"
        "@dataclass\nclass B:\n    y: int\n"
    )
    assert _frozen_dataclasses(sample) == {"A"}


class Point(Value, frozen=True):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    seen: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.x < 0:
            raise ValueError("x below zero")


def test_a_value_is_built_compared_and_shown_as_a_frozen_dataclass_was() -> None:
    p = Point(1, 2)
    assert (p.x, p.y, p.tags, p.seen) == (1, 2, [], ())
    assert p == Point(x=1, y=2) and p != Point(1, 3)
    assert repr(p) == "Point(x=1, y=2, tags=[], seen=())"
    assert Point.__match_args__ == ("x", "y", "tags", "seen")
    assert Point(1).tags is not Point(1).tags  # a factory's value is per instance
    assert pickle.loads(pickle.dumps(p)) == p
    assert hash(Link("a", "b")) == hash(Link("a", "b"))
    with pytest.raises(AttributeError):
        p.x = 5  # type: ignore[misc]
    with pytest.raises(ValueError, match="below zero"):
        Point(-1)


def test_replace_runs_post_init_again_and_takes_the_dataclasses_that_stay() -> None:
    p = Point(1)
    assert replace(p, y=4) == Point(1, 4) and p.y == 0
    with pytest.raises(ValueError, match="below zero"):
        replace(p, x=-1)
    # Link's __post_init__ cuts a password from its URL: a replace must too
    link = replace(Link("runbook", "https://x/"), url="https://user:pw@example.com/rb")
    assert "pw" not in link.url
    config = Config(database=Path("w.db"))
    assert replace(config, theme="mine").theme == "mine"


def test_field_defaults_names_each_field_in_order() -> None:
    assert field_defaults(Point) == {"x": REQUIRED, "y": 0, "tags": FACTORY, "seen": ()}


def test_rich_shows_a_values_own_repr_so_credentials_stay_hidden() -> None:
    """Textual's crash traceback renders locals with Rich, which prefers a Struct's
    field-by-field `__rich_repr__` to a redacting `__repr__`."""
    secret = Secret("hunter2")
    spec = SourceSpec(
        name="am",
        type="alertmanager",
        url="https://user:hunter2@am.example/",
        options={"password": secret},
    )
    for value in (secret, spec, [spec]):
        shown = pretty_repr(value)
        assert "hunter2" not in shown, shown
    assert pretty_repr(secret) == repr(secret)
    assert pretty_repr(Point(1)) == repr(Point(1))
