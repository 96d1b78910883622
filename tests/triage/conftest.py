"""The triage suites test what plans make of alerts, poll after poll.

An incident of a `when-all-alerts-resolve` plan waits out RETURN_GRACE (5 min)
after its last alert left before it resolves, so an Alertmanager restart does not
resolve it; these suites are about what happens once it has, so the grace is
zero here unless a test sets it back (`test_triage.py` does, for the restart)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.engine import triage


@pytest.fixture(autouse=True)
def resolve_without_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage, "RETURN_GRACE", timedelta(0))
