"""The SQLite store shared by every process on the bastion.

Names are loaded on first use (PEP 562) so that `from warroom.store import
StoreError` in the CLI does not import aiosqlite for commands that never open
the database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warroom.store.database import Store
    from warroom.store.errors import (
        StoreCorrupt,
        StoreError,
        StoreFull,
        StoreIOError,
        StoreLocked,
        StoreMissing,
        StorePermission,
        StoreReadOnly,
    )
    from warroom.store.feed import Change
    from warroom.store.tx import SnapshotResult, Tx

_WHERE = {
    "Store": "warroom.store.database",
    "StoreError": "warroom.store.errors",
    "StoreCorrupt": "warroom.store.errors",
    "StoreFull": "warroom.store.errors",
    "StoreIOError": "warroom.store.errors",
    "StoreLocked": "warroom.store.errors",
    "StoreMissing": "warroom.store.errors",
    "StorePermission": "warroom.store.errors",
    "StoreReadOnly": "warroom.store.errors",
    "Change": "warroom.store.feed",
    "SnapshotResult": "warroom.store.tx",
    "Tx": "warroom.store.tx",
}

__all__ = [
    "Change",
    "SnapshotResult",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreIOError",
    "StoreLocked",
    "StoreMissing",
    "StorePermission",
    "StoreReadOnly",
    "Tx",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'warroom.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
