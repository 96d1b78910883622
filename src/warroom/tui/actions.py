"""Incident actions shared by every view: the same keys, ids and timeline events everywhere.

A view says which incidents its cursor or selection means (`target_incidents`);
the action itself always goes through the service API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from warroom.engine.errors import STILL_FIRING
from warroom.engine.paging import Paging
from warroom.model import Impact
from warroom.model.escalation import Engagement
from warroom.model.text import safe_text
from warroom.tui.context import console
from warroom.tui.dialogs import ConfirmScreen, PromptScreen
from warroom.tui.escalate_dialog import NEXT, EscalateScreen

INCIDENT_BINDINGS: list[BindingType] = [
    Binding(
        "a",
        "acknowledge",
        "Ack",
        tooltip="acknowledge the incident (or the alert, when it has no incident)",
        id="incident.acknowledge",
    ),
    Binding("r", "resolve", "Resolve", tooltip="resolve the incident", id="incident.resolve"),
    Binding(
        "n",
        "note",
        "Note",
        tooltip="add a note to the incident's timeline (or the console log)",
        id="incident.note",
    ),
    Binding(
        "e",
        "escalate",
        "Escalate",
        tooltip="page the incident's next escalation stage now (shows who first)",
        id="incident.escalate",
    ),
    Binding(
        "o",
        "reopen",
        "Reopen",
        show=False,
        tooltip="reopen a resolved incident",
        id="incident.reopen",
    ),
    *[
        Binding(
            str(i),
            f"impact({i})",
            f"Impact {i}",
            show=False,
            tooltip=f"set impact: {Impact(i).label}",
            id=f"incident.impact{i}",
        )
        for i in range(1, 6)
    ],
]


class View(Widget):
    """A tab's content: built when first shown, reloaded when its data changed."""

    # Views drawn from the sources rather than the store cannot learn of changes
    # through the feed; they reload each time they are shown.
    RELOAD_WHEN_SHOWN: ClassVar[bool] = False

    async def reload(self) -> None:
        """Fetch this view's data and show it."""
        raise NotImplementedError

    def focus_content(self) -> None:
        for table in self.query(DataTable):
            table.focus()
            return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys are shown dimmed, and do nothing, until the console has started."""
        return True if console(self).ready.is_set() else None


def next_stage_text(paging: Paging, state: Engagement, now: datetime) -> str:
    """`escalation-plan:x, stage 2 of 3: pages bob (schedule:secondary)`: what `e`
    would do, read from the same directory the engine pages with."""
    plan = paging.plan(state.plan)
    if plan is None:
        return f"{state.plan}: no longer declared in the plans"
    stage = state.stage if state.stage < len(plan.stages) else 0
    again = " (next round)" if state.stage >= len(plan.stages) else ""
    who = []
    for target in plan.stages[stage].targets:
        people = paging.directory.reach(target, now)
        who.append(f"{', '.join(people) or 'nobody'} ({target.ref})")
    return f"{state.plan}, stage {stage + 1} of {len(plan.stages)}{again}: pages " + "; ".join(who)


def _stages(paging: Paging, state: Engagement) -> int:
    plan = paging.plan(state.plan)
    return 0 if plan is None else len(plan.stages)


def numbers(ids: list[int]) -> str:
    """`#3`, `#3, #7` or `5 incidents`: what a pending line or a notice names."""
    if len(ids) > 3:
        return f"{len(ids)} incidents"
    return ", ".join(f"#{i}" for i in ids)


class IncidentActions(View):
    """Views whose keys act on incidents.

    Targets are taken when the key is pressed, and the action then runs in the
    background (`Console.enqueue`): the cursor may move on at once, and the
    action still touches exactly what was under it.
    """

    def target_incidents(self) -> list[int]:
        raise NotImplementedError

    def _no_target(self) -> None:
        self.notify(
            "No incident here: open one from Incidents, or declare one (i) on Alerts.",
            severity="warning",
        )

    def on_incidents(
        self,
        ids: list[int],
        doing: str,
        make: Callable[[int], Awaitable[bool]],
        changed: str,
        unchanged: str,
    ) -> None:
        """Queue an action on each incident; say how many changed (`{n}`), or that none did.

        Failures are shown by `perform` and count as neither, so a failure is
        never also reported as "nothing to do".
        """
        if not ids:
            self._no_target()
            return

        async def work() -> None:
            done = same = 0
            for incident_id in ids:
                result = await console(self).perform(make(incident_id))
                if result is True:
                    done += 1
                elif result is False:
                    same += 1
            if done:
                self.notify(changed.format(n=done), markup=False)
            elif same:
                self.notify(unchanged, markup=False)

        console(self).enqueue(f"{doing} {numbers(ids)}", work())

    def action_acknowledge(self) -> None:
        self.acknowledge_incidents(self.target_incidents())

    def acknowledge_incidents(self, ids: list[int]) -> None:
        self.on_incidents(
            ids,
            "Acknowledging",
            console(self).service.acknowledge,
            "Acknowledged {n} incident(s)",
            "Already acknowledged",
        )

    def action_resolve(self) -> None:
        self.resolve_incidents(self.target_incidents())

    def resolve_incidents(self, ids: list[int]) -> None:
        """Resolve, but ask first where alerts still fire.

        Resolved while its alerts fire, an incident is declared again by the next
        poll, and its acknowledgement and notes stay behind on the old one. The
        question needs `y`: enter typed ahead must not answer it.
        """
        if not ids:
            self._no_target()
            return
        console(self).open_dialog(self._resolve_asking(ids))

    async def _resolve_asking(self, ids: list[int]) -> None:
        firing: dict[int, list[str]] = {}
        for incident_id in ids:
            alerts = await console(self).store.incident_alerts(incident_id)
            names = sorted({t.alert.name for t in alerts if t.alert.state in STILL_FIRING})
            if names:
                firing[incident_id] = names
        quiet = [i for i in ids if i not in firing]
        if quiet:
            self._resolve(quiet, force=False)
        if not firing:
            await console(self).release_keys()
            return
        count = sum(len(n) for n in firing.values())
        names = sorted({name for group in firing.values() for name in group})
        shown = ", ".join(safe_text(n, 60) for n in names[:4]) + (
            f" and {len(names) - 4} more" if len(names) > 4 else ""
        )
        question = (
            f"{numbers(list(firing))}: alerts still firing ({shown}). Resolve anyway?"
            " The next poll would declare a new incident for them, and the"
            " acknowledgement and notes would stay here."
        )

        def answer(yes: bool | None) -> None:
            if yes:
                self._resolve(list(firing), force=True)
            else:
                self.notify(f"Kept open: {numbers(list(firing))} ({count} firing alert name(s))")

        self.app.push_screen(ConfirmScreen(question, enter_answers=False), answer)

    def _resolve(self, ids: list[int], force: bool) -> None:
        service = console(self).service
        self.on_incidents(
            ids,
            "Resolving",
            lambda i: service.resolve(i, force=force),
            "Resolved {n} incident(s)",
            "Already resolved",
        )

    def action_escalate(self) -> None:
        targets = self.target_incidents()
        if len(targets) != 1:
            console(self).drop_keys()
            if targets:
                self.notify("Escalate one incident at a time.", severity="warning")
            else:
                self._no_target()
            return
        console(self).open_dialog(self._escalate_asking(targets[0]))

    async def _escalate_asking(self, incident_id: int) -> None:
        """Say who the next stage pages, and page only on `y`: an enter typed ahead
        must not wake someone up."""
        app = console(self)
        engaged = await app.store.engagements(incident_id)
        paging = app.service.context.paging
        live = [e for _, e in engaged if e.status.value != "resolved"]
        # a plan with a stage still to come is what escalating means; only when none
        # has one does `e` go round again (a contact engaged directly is one stage)
        ahead = [e for e in live if e.stage < _stages(paging, e)]
        live = ahead or live
        if not live:
            await app.release_keys()
            self.notify(
                f"#{incident_id} engages nobody: its plan names no escalation.",
                severity="warning",
                markup=False,
            )
            return
        lines = [f"Escalate #{incident_id} now?"]
        for state in live:
            lines.append(next_stage_text(paging, state, console(self).now()))
        stages = max(_stages(paging, e) for e in live)

        def answer(stage: int | None) -> None:
            if stage is None:
                self.notify("Not escalated.")
                return
            service = app.service
            to_stage = None if stage == NEXT else stage - 1

            async def work() -> None:
                for state in live:
                    if to_stage is not None and to_stage >= _stages(paging, state):
                        continue  # a stage this plan does not have
                    seen = (state.stage, state.loop)
                    done = await app.perform(
                        service.escalate(incident_id, seen, to_stage, plan=state.plan)
                    )
                    if done is not None:
                        where = "" if to_stage is None else f" stage {to_stage + 1}"
                        self.notify(f"Escalated #{incident_id} ({done}){where}", markup=False)

            app.enqueue(f"Escalating #{incident_id}", work())

        self.app.push_screen(EscalateScreen(lines, stages), answer)

    def action_reopen(self) -> None:
        self.on_incidents(
            self.target_incidents(),
            "Reopening",
            console(self).service.reopen,
            "Reopened {n} incident(s)",
            "Not resolved: nothing to reopen",
        )

    def action_impact(self, value: int) -> None:
        self.set_impact(self.target_incidents(), Impact(value))

    def set_impact(self, ids: list[int], impact: Impact) -> None:
        service = console(self).service
        self.on_incidents(
            ids,
            f"Impact {impact.label} on",
            lambda i: service.set_impact(i, impact),
            f"Impact {impact.label}",
            f"Impact already {impact.label}",
        )

    def action_note(self) -> None:
        targets = self.target_incidents()
        target = targets[0] if len(targets) == 1 else None
        console(self).hold_keys()  # what follows n is the note, even if n is refused
        if len(targets) > 1:
            console(self).drop_keys()
            self.notify("Notes go to one incident: select alerts of just one.", severity="warning")
            return
        where = f"incident #{target}" if target is not None else "the console log (no incident)"

        def save(text: str | None) -> None:
            if text and text.strip():
                console(self).enqueue(
                    f"Adding a note to {where}",
                    console(self).perform(
                        console(self).service.add_note(target, text), done=f"Note added to {where}"
                    ),
                )

        self.app.push_screen(
            PromptScreen(f"Note on {where}", "what happened, what you tried"), save
        )


EDIT_BINDINGS: list[BindingType] = [
    Binding(
        "m",
        "merge",
        "Merge",
        tooltip="merge the incident into another (its alerts move there)",
        id="incident.merge",
    ),
    Binding(
        "E", "edit_title", "Title", tooltip="edit the incident's title", id="incident.edit_title"
    ),
    Binding(
        "S",
        "edit_summary",
        "Summary",
        show=False,
        tooltip="edit the incident's summary",
        id="incident.edit_summary",
    ),
]


class EditActions(IncidentActions):
    """Merge and edit: for views showing one incident at the cursor."""

    def _one(self) -> int | None:
        """The one incident a field-opening key (m, E, S) acts on; refused, its keys drop."""
        console(self).hold_keys()
        targets = self.target_incidents()
        if len(targets) != 1:
            console(self).drop_keys()
            self._no_target()
            return None
        return targets[0]

    def action_merge(self) -> None:
        incident_id = self._one()
        if incident_id is None:
            return

        def merge(answer: str | None) -> None:
            if not answer or not answer.strip().lstrip("#").isdigit():
                if answer:
                    self.notify("An incident number, e.g. 12", severity="warning")
                return
            into = int(answer.strip().lstrip("#"))
            console(self).open_dialog(self._merge_asking(incident_id, into))

        self.app.push_screen(
            PromptScreen(f"Merge #{incident_id} into incident number", "e.g. 12"), merge
        )

    async def _merge_asking(self, incident_id: int, into: int) -> None:
        """Say what merging does before it happens, and merge only on `y`: the
        incident resolves, its alerts move, and its pages stop (a typo'd number
        must not fold an incident into the wrong one)."""
        store = console(self).store
        child, parent = await store.incident(incident_id), await store.incident(into)
        if child is None or parent is None or incident_id == into:
            await console(self).release_keys()
            why = "itself" if incident_id == into else f"#{into}: no such incident"
            self.notify(f"Cannot merge #{incident_id} into {why}.", severity="warning")
            return
        question = (
            f"Merge #{incident_id} {child.title!r} into #{into} {parent.title!r}?\n"
            f"#{incident_id} resolves, its {child.alert_count} alert(s) move to #{into},"
            " and its pages stop."
        )

        def answer(yes: bool | None) -> None:
            if not yes:
                self.notify("Not merged.")
                return

            async def work() -> None:
                moved = await console(self).perform(console(self).service.merge(incident_id, into))
                if moved is not None:
                    self.notify(f"Merged #{incident_id} into #{into} ({moved} alert(s) moved)")
                    console(self).open_incident(into)

            console(self).enqueue(f"Merging #{incident_id} into #{into}", work())

        self.app.push_screen(ConfirmScreen(question, enter_answers=False), answer)

    def action_edit_title(self) -> None:
        self._edit("title")

    def action_edit_summary(self) -> None:
        self._edit("summary")

    def _edit(self, field: str) -> None:
        incident_id = self._one()
        if incident_id is None:
            return
        console(self).open_dialog(self._edit_dialog(incident_id, field))

    async def _edit_dialog(self, incident_id: int, field: str) -> None:
        incident = await console(self).store.incident(incident_id)
        if incident is None:
            console(self).drop_keys()
            self._no_target()
            return

        def save(answer: str | None) -> None:
            if answer is None:
                return
            change = {field: answer}
            console(self).enqueue(
                f"Saving the {field} of #{incident_id}",
                console(self).perform(
                    console(self).service.edit(incident_id, **change),
                    done=f"{field.capitalize()} saved",
                ),
            )

        self.app.push_screen(
            PromptScreen(f"{field.capitalize()} of #{incident_id}", value=getattr(incident, field)),
            save,
        )
