"""A runbook's parameters for one run: given values, else defaults from the alert.

A default is a template over the alert (`"{labels.instance}"`); an alert without
that label gives the parameter no value (never `‹labels.instance?›`), so a
required parameter without a value refuses the start, saying which and why,
and a step that uses an optional one is refused when it is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping

from warroom.model import Alert
from warroom.model.runbook_steps import Runbook
from warroom.plans.templates import parse_template


class ParametersRefused(ValueError):
    """A run that cannot start: the message names each parameter without a value."""


def resolve_parameters(
    runbook: Runbook, given: Mapping[str, str], alert: Alert | None = None, plan: str = ""
) -> dict[str, str | None]:
    unknown = sorted(set(given) - {p.name for p in runbook.parameters})
    if unknown:
        known = ", ".join(p.name for p in runbook.parameters) or "none"
        raise ParametersRefused(
            f"runbook {runbook.name!r} has no parameter {', '.join(map(repr, unknown))}"
            f" (parameters: {known})"
        )
    values: dict[str, str | None] = {}
    missing: list[str] = []
    for parameter in runbook.parameters:
        value = given.get(parameter.name)
        if value is None and parameter.default is not None and alert is not None:
            value = parse_template(parameter.default).render_strict(alert, plan)
        values[parameter.name] = value
        if value is None and parameter.required:
            source = f" (default {parameter.default})" if parameter.default else ""
            missing.append(f"{parameter.name!r}{source}")
    if missing:
        raise ParametersRefused(
            f"runbook {runbook.name!r} needs a value for {', '.join(missing)}:"
            " the alert has none; give it with --param NAME=VALUE"
        )
    return values
