"""`warroom migrate --from LOCATION --to LOCATION [--replace]`: move a bastion's history.

The copy itself is `store.copying`; this prints what it did, table by table,
and the rate, with locations named as the store names them (never a password).
"""

from __future__ import annotations

import sys
import time

from warroom.store import copy_store


async def run_migrate(source: str, target: str, replace: bool) -> int:
    started = time.perf_counter()
    report = await copy_store(source, target, replace=replace)
    took = time.perf_counter() - started
    print(f"copied {report.source} -> {report.target} (schema version {report.version})")
    width = max((len(t.name) for t in report.tables), default=0)
    for table in report.tables:
        print(f"  {table.name:<{width}}  {table.rows:>10,}")
    rate = report.rows / took if took > 0 else 0.0
    print(
        f"verified: every table holds as many rows as at the source;"
        f" {report.rows:,} rows in {took:.1f} s ({rate:,.0f} rows/s)"
    )
    if report.lease_holder is not None:
        print(
            f"warroom: {report.lease_holder} held the engine lease at {report.source} while it"
            " was read: what it wrote since is not in the copy; stop it, then copy again"
            " with --replace",
            file=sys.stderr,
        )
    return 0
