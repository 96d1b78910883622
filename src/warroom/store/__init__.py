"""The SQLite store shared by every process on the bastion."""

from warroom.store.database import Store
from warroom.store.errors import StoreError
from warroom.store.feed import Change
from warroom.store.tx import SnapshotResult, Tx

__all__ = ["Change", "SnapshotResult", "Store", "StoreError", "Tx"]
