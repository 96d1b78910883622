"""Incident actions shared by every view: the same keys, ids and timeline events everywhere.

A view says which incidents its cursor or selection means (`target_incidents`);
the action itself always goes through the service API.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from warroom.model import Impact
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


class IncidentActions(View):
    """Views whose keys act on incidents."""

    def target_incidents(self) -> list[int]:
        raise NotImplementedError

    def _no_target(self) -> None:
        self.notify(
            "No incident here: open one from Incidents, or declare one (i) on Alerts.",
            severity="warning",
        )

    async def action_acknowledge(self) -> None:
        targets = self.target_incidents()
        if not targets:
            return self._no_target()
        service = console(self).service
        done = 0
        for incident_id in targets:
            done += bool(await console(self).perform(service.acknowledge(incident_id)))
        self.notify(f"Acknowledged {done} incident(s)" if done else "Already acknowledged")

    async def action_resolve(self) -> None:
        targets = self.target_incidents()
        if not targets:
            return self._no_target()
        service = console(self).service
        done = 0
        for incident_id in targets:
            done += bool(await console(self).perform(service.resolve(incident_id)))
        self.notify(f"Resolved {done} incident(s)" if done else "Already resolved")

    async def action_reopen(self) -> None:
        targets = self.target_incidents()
        if not targets:
            return self._no_target()
        for incident_id in targets:
            if await console(self).perform(console(self).service.reopen(incident_id)):
                self.notify(f"Reopened #{incident_id}")

    async def action_impact(self, value: int) -> None:
        targets = self.target_incidents()
        if not targets:
            return self._no_target()
        for incident_id in targets:
            await console(self).perform(
                console(self).service.set_impact(incident_id, Impact(value))
            )
        self.notify(f"Impact {Impact(value).label}")

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
