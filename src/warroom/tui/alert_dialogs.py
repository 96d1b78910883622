"""The Alerts tab's dialogs: silence exactly the chosen alerts, declare an incident.

Both need more of their targets than the tab keeps (labels, names, the plan that
matches), so they read them from the store when the key is pressed, while the
keys typed behind it wait for the dialog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable

from warroom.model import AlertKey, Impact, Incident, IncidentStatus, TrackedAlert
from warroom.model.silencing import exact_silences
from warroom.model.text import safe_text
from warroom.plans.draft import declaration, draft
from warroom.store.values import ShownAlert
from warroom.tui.actions import IncidentActions
from warroom.tui.context import console
from warroom.tui.dialogs import DeclareScreen, HeldScreen, SilenceAnswer, SilenceScreen


def key_text(tracked: TrackedAlert) -> str:
    alert = tracked.alert
    return f"{alert.source}/{alert.fingerprint}"  # str(AlertKey), without building one


def incidents_of(rows: Iterable[ShownAlert]) -> list[int]:
    return sorted({incident for _, incident in rows if incident is not None})


def source_of(key: str) -> str:
    return key.partition("/")[0]


class AlertDialogs(IncidentActions):
    """Mixed into the Alerts view, which says what is chosen and redraws."""

    selected: set[str]

    def target_rows(self) -> list[ShownAlert]:
        raise NotImplementedError

    def redraw(self) -> None:
        raise NotImplementedError

    def action_silence(self) -> None:
        console(self).hold_keys()  # what follows s is the comment, even if s is refused
        rows = self.target_rows()
        if not rows:
            console(self).drop_keys()
            self.notify("No alert under the cursor.", severity="warning")
            return
        silencers = console(self).service.silencers
        cannot = sorted({source_of(key) for key, _ in rows} - silencers.keys())
        if cannot:
            console(self).drop_keys()
            self.notify(
                f"{', '.join(cannot)} cannot silence (only Alertmanager sources can);"
                " nothing was silenced.",
                severity="warning",
                markup=False,
            )
            return
        # the labels are read from the store first; the keys typed meanwhile are the
        # dialog's
        console(self).open_dialog(self._silence(rows))

    async def _silence(self, rows: list[ShownAlert]) -> None:
        store = console(self).store
        targets = await store.alerts_by_key([AlertKey.parse(key) for key, _ in rows])
        keys = [t.key for t in targets]
        chosen = {key_text(t) for t in targets}
        by_source: dict[str, list[TrackedAlert]] = {}
        for tracked in targets:
            by_source.setdefault(tracked.alert.source, []).append(tracked)
        # what each source has now: the silences leave out every other alert there,
        # and the preview counts every alert they mute
        at_sources = await store.active_alerts_at(sorted(by_source))
        plan = [
            (source, matchers, [group[i] for i in members])
            for source, group in sorted(by_source.items())
            for matchers, members in exact_silences(
                [t.alert.labels for t in group],
                [t.alert.labels for t in at_sources if t.alert.source == source],
            )
        ]

        def create(answer: SilenceAnswer | None) -> None:
            if answer is None:
                return
            service = console(self).service
            if answer.matchers is None:
                work = service.silence_alerts(keys, answer.duration, answer.comment)
            else:
                work = service.silence(keys, answer.matchers, answer.duration, answer.comment)
            self.selected.clear()
            self.redraw()
            console(self).enqueue(f"Silencing {len(keys)} alert(s)", self._silenced(work))

        self.app.push_screen(SilenceScreen(plan, chosen, at_sources), create)

    async def _silenced(self, work: Awaitable[list[str]]) -> None:
        ids = await console(self).perform(work)
        if ids:
            self.notify(f"Silenced: {', '.join(ids)}", markup=False)

    def action_declare(self) -> None:
        rows = self.target_rows()
        if not rows:
            console(self).hold_keys()
            console(self).drop_keys()
            self.notify("No alert under the cursor.", severity="warning")
            return
        # the holders are read from the store first; the keys typed meanwhile
        # belong to whichever dialog opens
        console(self).open_dialog(self._declare(rows))

    async def _declare(self, rows: list[ShownAlert]) -> None:
        targets = await console(self).store.alerts_by_key([AlertKey.parse(k) for k, _ in rows])
        if not targets:  # gone since the key was pressed
            console(self).drop_keys()
            return
        holders: list[tuple[Incident, int]] = []
        for incident_id in sorted({t.incident_id for t in targets if t.incident_id is not None}):
            incident = await console(self).store.incident(incident_id)
            if incident is not None and incident.status is not IncidentStatus.RESOLVED:
                count = sum(1 for t in targets if t.incident_id == incident_id)
                holders.append((incident, count))
        if not holders:
            self._declare_dialog(targets, move=False)
            return

        def chosen(answer: str | None) -> None:
            if answer == "open":
                console(self).open_incident(holders[0][0].id)
            elif answer == "move":
                console(self).hold_keys()
                self._declare_dialog(targets, move=True)

        self.app.push_screen(HeldScreen(holders, len(targets)), chosen)

    def _declare_dialog(self, targets: list[TrackedAlert], move: bool) -> None:
        alerts = [t.alert for t in targets]
        index = console(self).plan_index
        start = draft(alerts, index)
        keys: list[AlertKey] = [t.key for t in targets]

        def check(answer: tuple[str, Impact, str]) -> str | None:
            """The dialog stays open, with what was typed, until this says nothing."""
            plan_name = answer[2]
            if plan_name and index.by_name(plan_name) is None:
                return f"No plan named {plan_name!r}; leave it empty to declare ad hoc."
            return None

        def declare(answer: tuple[str, Impact, str] | None) -> None:
            if answer is None:
                return
            title, impact, plan_name = answer
            chosen = declaration(index.by_name(plan_name) if plan_name else None, alerts)
            self.selected.clear()
            self.redraw()
            work = console(self).service.declare_incident(
                keys,
                title,
                impact,
                summary=chosen.summary,
                plan=chosen.plan,
                dedupe_key=chosen.dedupe_key,
                move=move,
                links=chosen.links,
            )
            console(self).enqueue(f"Declaring {title!r}", self._declared(work))

        self.app.push_screen(
            DeclareScreen(
                safe_text(start.title, 200),
                start.impact,
                len(keys),
                start.plan,
                check=check,
                moving=move,
            ),
            declare,
        )

    async def _declared(self, work: Awaitable[int]) -> None:
        incident_id = await console(self).perform(work)
        if incident_id is not None:
            self.notify(f"Declared incident #{incident_id}")
            console(self).open_incident(incident_id)
