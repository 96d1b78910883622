"""Polling, triage and the service API every user action goes through. No screen."""

from warroom.engine.actor import current_actor, process_identity
from warroom.engine.runtime import Engine
from warroom.engine.service import ActionError, AlertsInIncident, Service

__all__ = [
    "ActionError",
    "AlertsInIncident",
    "Engine",
    "Service",
    "current_actor",
    "process_identity",
]
