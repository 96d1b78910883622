"""Incident actions from scripts: `ack`, `resolve`, `reopen`, `note`, `impact`, `declare`.

Each goes through the same service API as the console's keys, so the timeline
records it the same way, with the same actor. A refusal names the incident's
state and who put it there, so a script's log says why nothing happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from warroom.cli.outcome import Outcome, acting, report, state_of
from warroom.cli.records import incident_record, key_text
from warroom.config import Config
from warroom.engine import ActionError, AlertsInIncident, Service
from warroom.engine.service import Refused, StillFiring
from warroom.model import AlertKey, Impact, Incident, TrackedAlert
from warroom.model.lifecycle import State
from warroom.model.text import strip_unsafe
from warroom.plans import ResponsePlan
from warroom.store import StoreError

# a database that failed mid-list: usage, config and database errors exit 2
EXIT_STORE = 2


async def _act(
    config: Config,
    ids: Sequence[int],
    as_json: bool,
    action: Callable[[Service, int], Awaitable[Outcome]],
) -> int:
    outcomes: list[Outcome] = []
    failed: StoreError | None = None
    async with acting(config) as service:
        for incident_id in ids:
            try:
                outcomes.append(await action(service, incident_id))
            except StoreError as exc:
                # what was done stays reported; the rest are said not to be
                failed = exc
                outcomes.append(Outcome("act", False, f"#{incident_id}: {exc}", None))
    code = report(outcomes, service.actor, as_json)
    return EXIT_STORE if failed is not None else code


async def _attempt(
    service: Service,
    name: str,
    incident_id: int,
    action: Awaitable[bool],
    done: str,
    not_done: Callable[[Incident], str],
    own: tuple[type[ActionError], ...] = (),
) -> Outcome:
    """Run one service action and say what came of it: `done` when it changed the
    incident, `not_done(incident)` when there was nothing to change, the service's
    own words when it refused (refusals in `own` go up to a caller that says more)."""
    try:
        changed = await action
    except own:
        raise
    except ActionError as exc:
        return Outcome(name, False, str(exc), await service.store.incident(incident_id))
    incident = await service.store.incident(incident_id)
    assert incident is not None  # the action found it: incidents are never deleted
    if changed:
        return Outcome(name, True, done, incident)
    return Outcome(name, False, not_done(incident), incident)


async def run_ack(config: Config, ids: Sequence[int], as_json: bool) -> int:
    async def ack(service: Service, incident_id: int) -> Outcome:
        try:
            return await _attempt(
                service,
                "acknowledge",
                incident_id,
                service.acknowledge(incident_id),
                f"Acknowledged incident #{incident_id}",
                lambda incident: f"incident #{incident_id} is already {state_of(incident)}",
                own=(Refused,),
            )
        except Refused as exc:
            before = await service.store.incident(incident_id)
            assert before is not None
            message = f"incident #{incident_id} is {state_of(before)}; nothing to acknowledge"
            if exc.refusal.state is State.RESOLVED:
                message += f" (`warroom reopen {incident_id}` first)"
            return Outcome("acknowledge", False, message, before)

    return await _act(config, ids, as_json, ack)


async def run_resolve(
    config: Config, incident_id: int, reason: str, force: bool, as_json: bool
) -> int:
    async def resolve(service: Service, incident_id: int) -> Outcome:
        try:
            return await _attempt(
                service,
                "resolve",
                incident_id,
                service.resolve(incident_id, strip_unsafe(reason).strip(), force=force),
                f"Resolved incident #{incident_id}",
                lambda incident: f"incident #{incident_id} is already {state_of(incident)}",
                own=(StillFiring,),
            )
        except StillFiring as exc:
            incident = await service.store.incident(incident_id)
            firing = [{"alert": key_text(t.key), "name": t.alert.name} for t in exc.alerts]
            message = (
                f"{exc}; the next poll would declare a new incident for them."
                " --force resolves anyway"
            )
            return Outcome("resolve", False, message, incident, {"still_firing": firing})

    return await _act(config, [incident_id], as_json, resolve)


async def run_reopen(config: Config, incident_id: int, as_json: bool) -> int:
    async def reopen(service: Service, incident_id: int) -> Outcome:
        return await _attempt(
            service,
            "reopen",
            incident_id,
            service.reopen(incident_id),
            f"Reopened incident #{incident_id}",
            lambda incident: f"incident #{incident_id} is not resolved ({state_of(incident)})",
        )

    return await _act(config, [incident_id], as_json, reopen)


async def run_note(config: Config, incident_id: int, text: str, as_json: bool) -> int:
    # typed or piped text: control characters go, line breaks stay
    text = "\n".join(strip_unsafe(line) for line in text.splitlines())

    async def note(service: Service, incident_id: int) -> Outcome:
        try:
            event_id = await service.add_note(incident_id, text)
        except ActionError as exc:
            return Outcome("note", False, str(exc), await service.store.incident(incident_id))
        incident = await service.store.incident(incident_id)
        message = f"Note added to incident #{incident_id}"
        return Outcome("note", True, message, incident, {"event_id": event_id})

    return await _act(config, [incident_id], as_json, note)


async def run_impact(config: Config, incident_id: int, impact: Impact, as_json: bool) -> int:
    async def set_impact(service: Service, incident_id: int) -> Outcome:
        return await _attempt(
            service,
            "impact",
            incident_id,
            service.set_impact(incident_id, impact),
            f"Impact of incident #{incident_id} is now {impact.label}",
            lambda incident: f"incident #{incident_id} already has impact {impact.label}",
        )

    return await _act(config, [incident_id], as_json, set_impact)


async def run_declare(
    config: Config,
    title: str,
    impact: Impact,
    plan_name: str | None,
    keys: Sequence[AlertKey],
    move: bool,
    as_json: bool,
) -> int:
    from warroom.cli.check import plans_for
    from warroom.plans import PlanIndex
    from warroom.plans.draft import declaration

    keys = list(dict.fromkeys(keys))
    async with acting(config) as service:
        tracked = await service.store.alerts_by_key(keys)
        known = {t.key for t in tracked}
        missing = [key_text(k) for k in keys if k not in known]
        plan = None
        refusal = None
        if missing:
            refusal = f"no such alert in the database: {', '.join(missing)}"
        elif plan_name is not None:
            plan = PlanIndex(plans_for(config).plans).by_name(plan_name)
            if plan is None:
                refusal = f"no plan named {plan_name!r} (`warroom check` lists the plans)"
        if refusal is not None:
            return report([Outcome("declare", False, refusal)], service.actor, as_json)
        chosen = declaration(plan, [t.alert for t in tracked])
        try:
            incident_id = await service.declare_incident(
                keys,
                strip_unsafe(title),
                impact,
                summary=chosen.summary,
                plan=chosen.plan,
                dedupe_key=chosen.dedupe_key or _fixed_dedupe(plan),
                move=move,
                links=chosen.links,
            )
        except AlertsInIncident as exc:
            outcome = _held(exc, tracked)
            return report([outcome], service.actor, as_json)
        except ActionError as exc:
            return report([Outcome("declare", False, str(exc))], service.actor, as_json)
        incident = await service.store.incident(incident_id)
        outcome = Outcome("declare", True, f"Declared incident #{incident_id}", incident)
        return report([outcome], service.actor, as_json)


def _held(refused: AlertsInIncident, tracked: Sequence[TrackedAlert]) -> Outcome:
    """Which alert is in which incident, its status and who acknowledged it: enough to
    decide between working there and `--move`."""
    holders = {incident.id: incident for incident, _ in refused.holders}
    held = [(t, holders[t.incident_id]) for t in tracked if t.incident_id in holders]
    message = "; ".join(
        f"alert {key_text(t.key)} ({t.alert.name}) is in incident #{i.id} ({state_of(i)})"
        for t, i in held
    )
    message += "; --move declares anyway and moves it to the new incident"
    extra = {
        "held_by": [{"alert": key_text(t.key), "incident": incident_record(i)} for t, i in held]
    }
    return Outcome("declare", False, message, extra=extra)


def _fixed_dedupe(plan: ResponsePlan | None) -> str | None:
    """A plan's dedupe key when it needs no alert to render (the default: its name),
    so alerts of that plan fire later join this incident."""
    if plan is None or any(f.root != "plan" for f in plan.dedupe.fields):
        return None
    return "".join(part if isinstance(part, str) else plan.name for part in plan.dedupe.parts)
