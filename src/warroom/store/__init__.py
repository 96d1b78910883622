"""The store shared by every process on the bastion: its contract and how to open one.

Callers type against `Store` and `Tx` (`store.contract`, Protocols) and open
one with `open_store(url)`; SQLite (`SqliteStore`) is the backend behind it
today. Names are loaded on first use (PEP 562) so that `from warroom.store
import StoreError` in the CLI does not import aiosqlite for commands that
never open the database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warroom.store.contract import Store, Tx
    from warroom.store.copying import copy_store
    from warroom.store.database import SqliteStore
    from warroom.store.errors import (
        StoreCorrupt,
        StoreError,
        StoreFull,
        StoreIOError,
        StoreLocked,
        StoreMissing,
        StorePermission,
        StoreReadOnly,
        StoreUnreachable,
    )
    from warroom.store.opener import open_store
    from warroom.store.snapshot import DigestCache, SnapshotDiff, diff_snapshot, snapshot_digests
    from warroom.store.values import (
        Change,
        LeaseLost,
        LeaseToken,
        OutputChunk,
        OverrideRecord,
        RunRecord,
        SilenceRecord,
        SnapshotResult,
        StepProcess,
    )

_WHERE = {
    "Store": "warroom.store.contract",
    "Tx": "warroom.store.contract",
    "SqliteStore": "warroom.store.database",
    "open_store": "warroom.store.opener",
    "copy_store": "warroom.store.copying",
    "DigestCache": "warroom.store.snapshot",
    "SnapshotDiff": "warroom.store.snapshot",
    "diff_snapshot": "warroom.store.snapshot",
    "snapshot_digests": "warroom.store.snapshot",
    "StoreError": "warroom.store.errors",
    "StoreCorrupt": "warroom.store.errors",
    "StoreUnreachable": "warroom.store.errors",
    "StoreFull": "warroom.store.errors",
    "StoreIOError": "warroom.store.errors",
    "StoreLocked": "warroom.store.errors",
    "StoreMissing": "warroom.store.errors",
    "StorePermission": "warroom.store.errors",
    "StoreReadOnly": "warroom.store.errors",
    "Change": "warroom.store.values",
    "LeaseLost": "warroom.store.values",
    "LeaseToken": "warroom.store.values",
    "OverrideRecord": "warroom.store.values",
    "OutputChunk": "warroom.store.values",
    "RunRecord": "warroom.store.values",
    "StepProcess": "warroom.store.values",
    "SilenceRecord": "warroom.store.values",
    "SnapshotResult": "warroom.store.values",
}

__all__ = [
    "Change",
    "DigestCache",
    "LeaseLost",
    "LeaseToken",
    "OutputChunk",
    "OverrideRecord",
    "RunRecord",
    "SilenceRecord",
    "SnapshotDiff",
    "SnapshotResult",
    "SqliteStore",
    "StepProcess",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreIOError",
    "StoreLocked",
    "StoreMissing",
    "StorePermission",
    "StoreReadOnly",
    "StoreUnreachable",
    "Tx",
    "copy_store",
    "diff_snapshot",
    "open_store",
    "snapshot_digests",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'warroom.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
