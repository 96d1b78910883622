"""Hold SQLite's write lock on a database until stdin closes.

Usage: python lock_holder.py DB

Prints `held` once `BEGIN IMMEDIATE` has succeeded: from then on every other
process that asks for the write lock waits, as it would behind a long write.
"""

from __future__ import annotations

import sqlite3
import sys

if __name__ == "__main__":
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("CREATE TABLE IF NOT EXISTS holder_probe (x)")  # a real pending write
    print("held", flush=True)
    sys.stdin.read()
    con.execute("ROLLBACK")
    con.close()
