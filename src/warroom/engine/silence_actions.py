"""Silences a responder makes and expires at the source (Alertmanager).

The network call comes first and the record after it: a silence the source
refused is never remembered, and one it made is found again on a retry
(`create_silence_once`) rather than made twice. The mechanics live in
`engine.silences`; this is what a responder may ask and how it is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from warroom.engine.context import Context
from warroom.engine.errors import ActionError
from warroom.engine.silences import create_silence_once, record_silence
from warroom.engine.timeline import append
from warroom.model import AlertKey, TrackedAlert, events
from warroom.model.matchers import Matcher
from warroom.model.silence import Silence
from warroom.model.silencing import exact_silences
from warroom.sources.base import SourceError

MAX_SILENCE = timedelta(days=30)


def check_silence(duration: timedelta, comment: str) -> str:
    comment = comment.strip()
    if not comment:
        raise ActionError("a silence needs a comment: say why")
    if not timedelta(minutes=1) <= duration <= MAX_SILENCE:
        raise ActionError("a silence lasts from 1m to 30d")
    return comment


class SilenceActions:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def silence(
        self,
        keys: Sequence[AlertKey],
        matchers: Sequence[Matcher],
        duration: timedelta,
        comment: str,
    ) -> list[str]:
        """One silence with the responder's own matchers, at each selected alert's source."""
        if not matchers:
            raise ActionError("a silence needs at least one matcher")
        comment = check_silence(duration, comment)
        grouped = await self._silenceable(keys)
        return [
            await self._create(source, group, list(matchers), duration, comment)
            for source, group in grouped.items()
        ]

    async def silence_alerts(
        self, keys: Sequence[AlertKey], duration: timedelta, comment: str
    ) -> list[str]:
        """Silence exactly these alerts: no alert nobody chose is muted.

        One silence per group of alerts that differ in a single label
        (`exact_silences`), so a storm is a few silences, not hundreds.
        """
        comment = check_silence(duration, comment)
        grouped = await self._silenceable(keys)
        present = await self.context.store.active_alerts()
        ids = []
        for source, group in grouped.items():
            others = [t.alert.labels for t in present if t.alert.source == source]
            for matchers, members in exact_silences([t.alert.labels for t in group], others):
                chosen = [group[i] for i in members]
                try:
                    ids.append(await self._create(source, chosen, matchers, duration, comment))
                except ActionError as exc:
                    if not ids:
                        raise
                    raise ActionError(f"{exc} ({len(ids)} silence(s) made before it)") from exc
        return ids

    async def silence_matchers(
        self, source: str, matchers: Sequence[Matcher], duration: timedelta, comment: str
    ) -> str:
        """Silence by matchers alone at one source: for alerts not firing yet (maintenance)."""
        if not matchers:
            raise ActionError("a silence needs at least one matcher")
        comment = check_silence(duration, comment)
        if source not in self.context.silencers:
            raise ActionError(f"source {source!r} cannot silence (only Alertmanager can)")
        return await self._create(source, [], list(matchers), duration, comment)

    async def silences(self) -> tuple[list[Silence], list[str]]:
        """Every silence of every silencing source, and one line per source that failed."""
        found: list[Silence] = []
        errors: list[str] = []
        for silencer in self.context.silencers.values():
            try:
                found += await silencer.silences()
            except SourceError as exc:
                errors.append(str(exc))
        return found, errors

    async def expire(self, source: str, silence_id: str) -> None:
        context = self.context
        silencer = context.silencers.get(source)
        if silencer is None:
            raise ActionError(f"source {source!r} cannot silence")
        try:
            await silencer.expire_silence(silence_id)
        except SourceError as exc:
            raise ActionError(f"{source}: {exc.reason}") from exc
        kept = await context.store.silence_record(source, silence_id)
        async with context.transaction() as tx:
            await tx.mark_silence_expired(source, silence_id)
            expired = events.SilenceExpired(silence_id, source)
            await append(tx, kept.incident_id if kept else None, context.actor, expired)

    async def _silenceable(self, keys: Sequence[AlertKey]) -> dict[str, list[TrackedAlert]]:
        alerts = await self.context.store.alerts_by_key(keys)
        if not alerts:
            raise ActionError("no alerts to silence")
        grouped: dict[str, list[TrackedAlert]] = {}
        for tracked in alerts:
            grouped.setdefault(tracked.key.source, []).append(tracked)
        for source in grouped:
            if source not in self.context.silencers:
                raise ActionError(f"source {source!r} cannot silence (only Alertmanager can)")
        return grouped

    async def _create(
        self,
        source: str,
        group: list[TrackedAlert],
        matchers: list[Matcher],
        duration: timedelta,
        comment: str,
    ) -> str:
        context = self.context
        now = context.now()
        try:
            silence_id = await create_silence_once(
                context.silencers[source], matchers, now, now + duration, context.actor, comment
            )
        except SourceError as exc:
            raise ActionError(f"{source}: {exc.reason}") from exc
        silenced = events.Silenced(
            silence_id,
            source,
            events.keys(t.key for t in group),
            ", ".join(str(m) for m in matchers),
            duration=duration,
            comment=comment,
        )
        await record_silence(
            context.store,
            source,
            silence_id,
            "manual",
            context.actor,
            now + duration,
            group,
            silenced,
        )
        return silence_id
