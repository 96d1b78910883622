"""The one-way dependencies of DESIGN.md, checked on the source itself (ast, no imports)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import warroom

PACKAGE = Path(warroom.__file__).parent


def _modules(layer: str) -> list[Path]:
    root = PACKAGE / layer
    if root.is_dir():
        return sorted(root.rglob("*.py"))
    return [PACKAGE / f"{layer}.py"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from warroom import store` imports warroom.store
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _modules(layer):
        for module in sorted(_imports(path)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    return bad


def test_the_checker_sees_what_it_must() -> None:
    """The checks below only mean something if the import scan finds real imports."""
    for layer in ("model", "store", "sources", "plans", "engine", "tui", "notify"):
        assert _modules(layer), layer
    assert "warroom.store.contract" in _imports(PACKAGE / "store" / "__init__.py")
    main = _imports(PACKAGE / "cli" / "main.py")
    assert "warroom.cli.console" in main  # imported inside a function
    assert "warroom.cli.headless.run_engine" in main  # from-import names count
    # the CLI may wire sources; the scan must notice that it does
    assert _violations("cli", ("warroom.sources",)) != []


@pytest.mark.parametrize("layer", ["model", "store", "sources", "plans", "engine", "notify"])
def test_headless_layers_never_import_the_screen(layer: str) -> None:
    assert _violations(layer, ("textual", "rich", "warroom.tui")) == []


def test_model_imports_nothing_else_of_warroom() -> None:
    bad = []
    for path in _modules("model"):
        for module in _imports(path):
            if module.startswith("warroom") and not (
                module == "warroom.model" or module.startswith("warroom.model.")
            ):
                bad.append(f"{path.name} imports {module}")
    assert bad == []
    assert _violations("model", ("httpx", "aiosqlite", "sqlite3", "yaml", "botocore")) == []


def test_store_does_not_import_sources_engine_or_tui() -> None:
    forbidden = ("warroom.sources", "warroom.engine", "warroom.tui", "warroom.cli", "httpx")
    assert _violations("store", forbidden) == []


def test_sources_do_not_import_store_engine_or_tui() -> None:
    forbidden = (
        "warroom.store",
        "warroom.engine",
        "warroom.tui",
        "warroom.cli",
        "aiosqlite",
        "sqlite3",
    )
    assert _violations("sources", forbidden) == []


def test_plans_do_not_import_store_or_httpx() -> None:
    assert _violations("plans", ("warroom.store", "warroom.tui", "httpx", "aiosqlite")) == []


def test_notify_knows_only_the_model_and_the_wire() -> None:
    """DESIGN: notify knows model and httpx/aiosmtplib; the engine's outbox calls it."""
    forbidden = (
        "warroom.store",
        "warroom.sources",
        "warroom.engine",
        "warroom.plans",
        "warroom.tui",
        "warroom.cli",
        "warroom.config",
        "aiosqlite",
        "sqlite3",
        "yaml",
    )
    assert _violations("notify", forbidden) == []
    # the scan sees the wire it may use
    assert "httpx" in _imports(PACKAGE / "notify" / "http.py")
    assert "aiosmtplib" in _imports(PACKAGE / "notify" / "smtp.py")


def test_importing_notify_loads_neither_httpx_nor_aiosmtplib() -> None:
    """Checking a plan's channels must stay cheap: the wire loads when a channel sends."""
    code = (
        "import sys; import warroom.notify;"
        "from warroom.notify import check_channel, open_channel;"
        "check_channel({'name': 'n', 'type': 'slack', 'url': 'https://hooks.example/x'});"
        "open_channel({'name': 'n', 'type': 'slack', 'url': 'https://hooks.example/x'});"
        "loaded = [m for m in ('httpx', 'aiosmtplib', 'textual') if m in sys.modules];"
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# What callers outside the store may import of it: the contract and its values,
# never a backend (database, tx, reads, feed, lease, connection, rows, files, schema).
STORE_CONTRACT = (
    "warroom.store",
    "warroom.store.contract",
    "warroom.store.values",
    "warroom.store.snapshot",
    "warroom.store.errors",
    "warroom.store.opener",
)


_BACKEND_MODULES = {p.stem for p in (PACKAGE / "store").glob("*.py")} - {
    "__init__",
    *(m.rpartition(".")[2] for m in STORE_CONTRACT),
}


@pytest.mark.parametrize("layer", ["engine", "tui", "cli"])
def test_callers_use_the_store_contract_not_a_backend(layer: str) -> None:
    assert "database" in _BACKEND_MODULES and "contract" not in _BACKEND_MODULES
    bad = []
    for path in _modules(layer):
        for module in sorted(_imports(path)):
            # `from warroom.store import X` reads as warroom.store.X: fine unless X is a backend
            inside = module.removeprefix("warroom.store.").partition(".")[0]
            if module.startswith("aiosqlite") or (
                module.startswith("warroom.store.") and inside in _BACKEND_MODULES
            ):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert bad == []


def test_the_contract_loads_no_database_driver() -> None:
    """A PostgreSQL backend (issue 13) and the engine's types must not pull in aiosqlite."""
    code = (
        "import sys;"
        "from warroom.store import Store, Tx, open_store, LeaseToken, DigestCache, StoreError;"
        "import warroom.engine.service, warroom.engine.runtime;"
        "assert 'aiosqlite' not in sys.modules and 'warroom.store.database' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_engine_does_not_import_tui() -> None:
    assert _violations("engine", ("warroom.tui", "warroom.cli")) == []


def test_tui_does_not_import_sources_directly() -> None:
    """DESIGN: the TUI knows the engine's service API, never sources."""
    assert _violations("tui", ("warroom.sources", "httpx", "botocore")) == []


def test_tui_does_not_import_the_cli() -> None:
    """The console and the commands share renderers through the model (the hand-off's
    text, the Markdown escaper), never one front end through the other."""
    assert _violations("tui", ("warroom.cli",)) == []


def test_tui_does_not_use_the_store_writer_or_raw_sql() -> None:
    """DESIGN: the TUI reads through store queries and writes through the service API."""
    bad = []
    for path in _modules("tui"):
        text = path.read_text(encoding="utf-8")
        for needle in (
            "._writer",
            "._reader",
            ".transaction(",
            "import sqlite3",
            "import aiosqlite",
        ):
            if needle in text:
                bad.append(f"{path.name}: {needle}")
    assert bad == []


def test_the_console_is_composed_by_the_cli() -> None:
    """DESIGN: the CLI builds the runtime (store, plans, engine, service) and hands it to
    the app; the screen never opens a store, loads plans or builds an engine itself."""
    bad = []
    for path in _modules("tui"):
        text = path.read_text(encoding="utf-8")
        for needle in (
            "Store.open(",
            "open_store(",
            "open_runtime(",
            "Engine(",
            "Engine.from_specs(",
            "load_plans(",
            "Service(",
        ):
            if needle in text:
                bad.append(f"{path.name}: {needle}")
    assert bad == []
    # the wiring lives where both the CLI and the screen may reach it
    assert _violations("engine", ("textual", "warroom.tui", "warroom.cli")) == []
    assert "warroom.engine.wiring.open_runtime" in _imports(PACKAGE / "cli" / "console.py")


def test_importing_the_headless_core_does_not_load_textual() -> None:
    code = (
        "import warroom.engine, warroom.store, warroom.sources.demo, warroom.model, warroom.config;"
        "import sys;"
        "loaded = [m for m in ('textual', 'rich', 'warroom.tui') if m in sys.modules];"
        "assert not loaded, loaded"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_headless_cli_commands_do_not_load_textual() -> None:
    code = (
        "import sys; from warroom.cli import main, headless, check;"
        "assert 'textual' not in sys.modules, 'textual'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_schema_walker_knows_only_the_model_and_yaml() -> None:
    """`warroom.schema` decodes config and plans alike: it may not know either, nor what runs."""
    assert _modules("schema"), "the schema package is where the scan looks"
    forbidden = (
        "warroom.config",
        "warroom.plans",
        "warroom.sources",
        "warroom.store",
        "warroom.engine",
        "warroom.tui",
        "warroom.cli",
        "textual",
        "httpx",
        "aiosqlite",
    )
    assert _violations("schema", forbidden) == []
