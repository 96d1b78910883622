"""Shared helpers for the unit tests: a fresh store per test and alert factories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.alerts import alert

from warroom.model import Alert, AlertState, Severity
from warroom.store import Store, open_store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_alert(
    name: str = "DiskAlmostFull",
    source: str = "prom",
    state: AlertState = AlertState.FIRING,
    severity: Severity = Severity.WARNING,
    summary: str = "disk is filling",
    starts_at: datetime = T0,
    **labels: str,
) -> Alert:
    return alert(
        name,
        source=source,
        state=state,
        severity=severity,
        starts_at=starts_at,
        labels=labels,
        annotations={"summary": summary},
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "warroom.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    s = await open_store(db_path)
    try:
        yield s
    finally:
        await s.close()


async def changes_after(store: Store, seq: int) -> list[tuple[str, str]]:
    return [(c.entity, c.entity_id) for c in await store.changes_since(seq)]


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
