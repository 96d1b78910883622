"""`warroom check` on `keymap:` and `theme:`: ids that exist, keys bound once, themes found.

A misspelt binding id is silently ignored by Textual, and a key given to two
bindings of one screen reaches only one of them: at 3 a.m. that is `a` doing
nothing, or doing something else. The bindings are read from the console's
own classes (imported only when the config has a keymap), so the ids checked
are always the ids the console has.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import unicodedata
from typing import TYPE_CHECKING

from warroom.model.value import Value
from warroom.themefiles import theme_names

if TYPE_CHECKING:
    from warroom.config import Config


class Scope(Value, frozen=True):
    """The bindings active together: one screen or view, with the app's own."""

    label: str
    keys: dict[str, tuple[str, ...]]  # binding id -> its default keys


def normal_key(key: str) -> str:
    """A key as Textual names it (`?` is `question_mark`), for comparing bindings."""
    key = key.strip()
    if len(key) == 1 and not key.isalnum():
        try:
            return unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            return key
    return key


def binding_scopes() -> list[Scope]:
    """Every console class with bindings of its own, each merged with the app's."""
    from textual.app import App
    from textual.binding import Binding
    from textual.dom import DOMNode

    import warroom.tui

    def own(cls: type) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for klass in reversed(cls.__mro__):  # a subclass's binding wins, as in Textual
            if not klass.__module__.startswith("warroom."):
                continue
            for binding in klass.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    found[binding.id] = tuple(normal_key(k) for k in binding.key.split(","))
        return found

    classes: list[type] = []
    for module in pkgutil.iter_modules(warroom.tui.__path__, "warroom.tui."):
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and issubclass(value, DOMNode)
                and value.__module__ == loaded.__name__
                and "BINDINGS" in value.__dict__
            ):
                classes.append(value)
    app = {k: v for cls in classes if issubclass(cls, App) for k, v in own(cls).items()}
    scopes = [Scope("the app", app)]
    for cls in classes:
        if not issubclass(cls, App):
            scopes.append(Scope(cls.__name__, {**app, **own(cls)}))
    return scopes


def keymap_problems(config: Config) -> list[str]:
    if not config.keymap:
        return []
    scopes = binding_scopes()
    known = {binding_id for scope in scopes for binding_id in scope.keys}
    problems: list[str] = []

    def at(binding_id: str) -> str:
        where = config.locations.get(f"keymap.{binding_id}")
        return f"{where}: " if where else f"{config.path}: "

    for binding_id in config.keymap:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see the Keys table in README)"
            problems.append(f"{at(binding_id)}unknown binding id {binding_id!r}{hint}")
    for binding_id, text in config.keymap.items():
        if any(not normal_key(k) for k in text.split(",")):
            problems.append(f"{at(binding_id)}empty key in {text!r} (keys are separated by ',')")
    reported: set[tuple[str, ...]] = set()
    for scope in scopes:
        effective = {
            binding_id: tuple(normal_key(k) for k in config.keymap[binding_id].split(","))
            if binding_id in config.keymap
            else keys
            for binding_id, keys in scope.keys.items()
        }
        by_key: dict[str, list[str]] = {}
        for binding_id, keys in effective.items():
            for key in dict.fromkeys(keys):
                by_key.setdefault(key, []).append(binding_id)
        for key, ids in by_key.items():
            mapped = [i for i in ids if i in config.keymap]
            if len(ids) < 2 or not mapped:
                continue  # the console's own defaults are not the config's mistake
            clash = (key, *sorted(ids))
            if clash in reported:
                continue
            reported.add(clash)
            others = ", ".join(repr(i) for i in ids if i != mapped[0])
            written = next(  # the key as the config spells it (`?`, not `question_mark`)
                (k.strip() for k in config.keymap[mapped[0]].split(",") if normal_key(k) == key),
                key,
            )
            problems.append(
                f"{at(mapped[0])}key {written!r} is bound twice: {mapped[0]!r} and {others}"
                f" (in {scope.label})"
            )
    return problems


def theme_problem(config: Config) -> str | None:
    if not config.theme:
        return None
    names = theme_names(config.themes)
    if config.theme in names:
        return None
    from textual.theme import BUILTIN_THEMES  # Textual's own themes work too

    if config.theme in BUILTIN_THEMES:
        return None
    where = config.locations.get("theme") or config.path
    known = ", ".join(sorted(names)) or "none"
    close = difflib.get_close_matches(config.theme, sorted(names | set(BUILTIN_THEMES)), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{where}: unknown theme {config.theme!r} (theme files: {known}{hint})"
