"""Polling, triage and the service API every user action goes through. No screen.

Names are loaded on first use (PEP 562): importing one part of the engine (the
poller the console's first poll needs) must not import every other part (the
service's aggregates, delivery and its channels, escalation, runbooks), which
the console's first alerts do not wait for (issue 9).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warroom.engine.actor import current_actor, process_identity
    from warroom.engine.errors import ActionError, AlertsInIncident
    from warroom.engine.runtime import Engine
    from warroom.engine.service import Service

_WHERE = {
    "ActionError": "warroom.engine.errors",
    "AlertsInIncident": "warroom.engine.errors",
    "Engine": "warroom.engine.runtime",
    "Service": "warroom.engine.service",
    "current_actor": "warroom.engine.actor",
    "process_identity": "warroom.engine.actor",
}

__all__ = [
    "ActionError",
    "AlertsInIncident",
    "Engine",
    "Service",
    "current_actor",
    "process_identity",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'warroom.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
