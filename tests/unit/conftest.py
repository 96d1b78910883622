"""Fixtures for the unit tests (helpers live in helpers.py)."""

from .helpers import db_path, store

__all__ = ["db_path", "store"]
