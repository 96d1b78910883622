"""Incident actions shared by every view: the same keys, ids and timeline events everywhere.

A view says which incidents its cursor or selection means (`target_incidents`);
the action itself always goes through the service API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from warroom.model import Impact, Incident
from warroom.tui.context import console
from warroom.tui.dialogs import PromptScreen

INCIDENT_BINDINGS: list[BindingType] = [
    Binding("a", "acknowledge", "Ack", id="incident.acknowledge"),
    Binding("r", "resolve", "Resolve", id="incident.resolve"),
    Binding("n", "note", "Note", id="incident.note"),
    Binding("o", "reopen", "Reopen", show=False, id="incident.reopen"),
    *[
        Binding(str(i), f"impact({i})", f"Impact {i}", show=False, id=f"incident.impact{i}")
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


class IncidentActions(View):
    """Views whose keys act on incidents."""

    def target_incidents(self) -> list[int]:
        raise NotImplementedError

    def _no_target(self) -> None:
        self.notify(
            "No incident here: open one from Incidents, or declare one (i) on Alerts.",
            severity="warning",
        )

    async def _each(self, make: Callable[[int], Awaitable[bool]]) -> tuple[int, int] | None:
        """Run an action on every target incident: (changed, unchanged), errors shown.

        None when there was no target. Failed ones count as neither, so a failure
        is never also reported as "nothing to do".
        """
        targets = self.target_incidents()
        if not targets:
            self._no_target()
            return None
        changed = unchanged = 0
        for incident_id in targets:
            result = await console(self).perform(make(incident_id))
            if result is True:
                changed += 1
            elif result is False:
                unchanged += 1
        return changed, unchanged

    async def action_acknowledge(self) -> None:
        counts = await self._each(console(self).service.acknowledge)
        if counts and counts[0]:
            self.notify(f"Acknowledged {counts[0]} incident(s)")
        elif counts and counts[1]:
            self.notify("Already acknowledged")

    async def action_resolve(self) -> None:
        # force: the console keeps resolving as before until it asks first (StillFiring)
        counts = await self._each(lambda i: console(self).service.resolve(i, force=True))
        if counts and counts[0]:
            self.notify(f"Resolved {counts[0]} incident(s)")
        elif counts and counts[1]:
            self.notify("Already resolved")

    async def action_reopen(self) -> None:
        counts = await self._each(console(self).service.reopen)
        if counts and counts[0]:
            self.notify(f"Reopened {counts[0]} incident(s)")
        elif counts and counts[1]:
            self.notify("Not resolved: nothing to reopen")

    async def action_impact(self, value: int) -> None:
        impact = Impact(value)
        counts = await self._each(lambda i: console(self).service.set_impact(i, impact))
        if counts and counts[0]:
            self.notify(f"Impact {impact.label}")
        elif counts and counts[1]:
            self.notify(f"Impact already {impact.label}")

    def action_note(self) -> None:
        targets = self.target_incidents()
        target = targets[0] if len(targets) == 1 else None
        if len(targets) > 1:
            self.notify("Notes go to one incident: select alerts of just one.", severity="warning")
            return
        where = f"incident #{target}" if target is not None else "the console log (no incident)"

        async def save(text: str | None) -> None:
            if text and text.strip():
                await console(self).perform(
                    console(self).service.add_note(target, text), done=f"Note added to {where}"
                )

        self.app.push_screen(
            PromptScreen(f"Note on {where}", "what happened, what you tried"), save
        )


EDIT_BINDINGS: list[BindingType] = [
    Binding("m", "merge", "Merge", id="incident.merge"),
    Binding("E", "edit_title", "Title", id="incident.edit_title"),
    Binding("S", "edit_summary", "Summary", show=False, id="incident.edit_summary"),
]


class EditActions(IncidentActions):
    """Merge and edit: for views showing one incident at the cursor."""

    async def _one(self) -> Incident | None:
        targets = self.target_incidents()
        if len(targets) != 1:
            self._no_target()
            return None
        return await console(self).store.incident(targets[0])

    async def action_merge(self) -> None:
        incident = await self._one()
        if incident is None:
            return

        async def merge(answer: str | None) -> None:
            if not answer or not answer.strip().lstrip("#").isdigit():
                if answer:
                    self.notify("An incident number, e.g. 12", severity="warning")
                return
            into = int(answer.strip().lstrip("#"))
            moved = await console(self).perform(console(self).service.merge(incident.id, into))
            if moved is not None:
                self.notify(f"Merged #{incident.id} into #{into} ({moved} alert(s) moved)")
                console(self).open_incident(into)

        self.app.push_screen(
            PromptScreen(f"Merge #{incident.id} into incident number", "e.g. 12"), merge
        )

    async def action_edit_title(self) -> None:
        await self._edit("title")

    async def action_edit_summary(self) -> None:
        await self._edit("summary")

    async def _edit(self, field: str) -> None:
        incident = await self._one()
        if incident is None:
            return

        async def save(answer: str | None) -> None:
            if answer is None:
                return
            change = {field: answer}
            await console(self).perform(
                console(self).service.edit(incident.id, **change),
                done=f"{field.capitalize()} saved",
            )

        self.app.push_screen(
            PromptScreen(f"{field.capitalize()} of #{incident.id}", value=getattr(incident, field)),
            save,
        )
