"""What every store backend promises: the interface the engine, the console and the CLI use.

SQLite (`store.database`) is one backend; a PostgreSQL one will follow
(issue 13). Callers outside `warroom.store` type against `Store` and `Tx`
here, open one with `store.open_store(url)`, and never see a driver's class.
`tests/contract/` checks any backend against these promises through this
interface alone.

The promises that hold whatever the backend's concurrency:

Atomicity. Everything done through one `Tx` -- state, its timeline events and
the change-feed rows for it -- commits together or not at all. A transaction
left by an exception (or a cancellation) is rolled back and nothing of it is
seen by anyone.

Isolation, for several writers at once. A backend may run transactions of
several processes concurrently (PostgreSQL under READ COMMITTED); correctness
does not rest on a single writer:
- deciding writes are conditional statements: the lease is taken by one
  statement that checks holder and expiry and bumps the epoch (fencing); an
  acknowledgement is `update_incident_if(id, OPEN, ...)` or
  `acknowledge_alerts`, which write only where nobody did first and report
  what they did, never overwriting another writer's committed decision;
- a read made through the `Tx` (`incident`, `incident_alerts`, the triage
  queries) holds what it read against other writers until the transaction
  ends, so check-then-change inside one transaction is safe (SQLite: the
  database write lock, taken at BEGIN; PostgreSQL: row locks, `SELECT ... FOR
  UPDATE` / `FOR SHARE` on the incident, lease and alert rows read);
- reads on the `Store` itself (outside a transaction) see committed state
  and are for showing, never for deciding a write.

The change feed. Every transaction that changed something appends one row
per (entity, id) it touched, in the same transaction, so a row is visible
exactly when the change it announces is. Rows are numbered in commit order:
once a reader has seen a row with `seq` N, no row with a lower `seq` can
become visible later. A reader's cursor (the last `seq` it has seen) is thus
all it needs to resume: `changes_since(cursor)` returns every row committed
after the ones it saw, each once, in commit order. SQLite gets this from its
single writer, which numbers rows inside the exclusive write transaction. A
backend whose writers commit concurrently must not number rows with a plain
sequence (a lower number could commit after a higher one was read, and a
reader would skip it): it takes the transaction's numbers last, from one
counter row locked until COMMIT (PostgreSQL: `UPDATE feed_clock SET seq = seq
+ n RETURNING seq` as the transaction's final statement), so numbers are
handed out in commit order. `tests/contract` commits two writers out of order
to check it. The feed is a wake-up signal, not history: rows say what to
re-read, and the lease holder prunes all but the newest 10,000.

Ordering of reads: timelines oldest first (by event id, the order events were
written within and across transactions); incidents open before resolved, then
by impact, then newest; an incident's alerts firing first, then by start.

Errors. A backend reports failures a responder can act on as `StoreError`
subclasses (`store.errors`): missing, locked, full, read-only, permission,
I/O, corrupt, and a database of another program or of a newer schema. A store
opened read-only raises `StoreReadOnly` on any transaction or lease call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Iterable, Mapping, Sequence, Set
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from warroom.model import (
    Alert,
    AlertKey,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
    LeaseInfo,
    SourceHealth,
    TimelineEvent,
    TrackedAlert,
)
from warroom.model.analysis import ActionItem, Answer, EventMark, Marked, MetricSnapshot
from warroom.model.escalation import Engagement
from warroom.model.oncall import Override
from warroom.model.paging import OutboxItem, OutboxRow, RowState
from warroom.model.related import RelatedItem
from warroom.model.runbook import Run
from warroom.model.search import SearchHit
from warroom.store.values import (
    ENGINE_LEASE,
    Change,
    LeaseToken,
    OutputChunk,
    OverrideRecord,
    RunRecord,
    ShownAlert,
    SilenceRecord,
    SnapshotResult,
    StepProcess,
    StoredSilence,
)


class Tx(Protocol):
    """One write transaction; see the module's promises on atomicity and isolation."""

    @property
    def now(self) -> datetime:
        """The transaction's time: every row it writes carries this one instant."""
        ...

    def touch(self, entity: str, entity_id: object) -> None:
        """Announce a change in the feed at commit (primitives do it themselves)."""
        ...

    async def check_lease(self, token: LeaseToken) -> None:
        """Raise LeaseLost unless `token` still holds the lease; the lease then
        cannot change hands before this transaction ends (the fence)."""
        ...

    # -- alerts -----------------------------------------------------------------------------

    async def apply_snapshot(
        self, source: str, alerts: Sequence[Alert], digests: Sequence[str] | None = None
    ) -> SnapshotResult:
        """Store the source's whole snapshot: new and changed alerts written, alerts it
        no longer reports resolved, unchanged ones not written at all."""
        ...

    async def stored_digests(self, source: str) -> list[tuple[str, str]]:
        """(fingerprint, digest) of the source's active alerts, as this transaction sees them."""
        ...

    async def write_alerts(
        self, source: str, pending: Sequence[tuple[Alert, str]], fresh: Set[str]
    ) -> tuple[int, int]:
        """Upsert these alerts whole; (inserted, updated). A resolved alert firing
        again counts as updated, and loses its acknowledgement unless it was gone
        only a moment (RETURN_GRACE)."""
        ...

    async def resolve_gone(self, source: str, fingerprints: Sequence[str]) -> int:
        """Resolve alerts the source stopped reporting; how many."""
        ...

    async def acknowledge_alerts(self, keys: Iterable[AlertKey], actor: str) -> list[AlertKey]:
        """Acknowledge those of `keys` nobody acknowledged (and not resolved); exactly
        those are returned, in the order given. Conditional: of two writers at
        once, each alert is credited to one."""
        ...

    async def attach_alerts(
        self, incident_id: int, keys: Iterable[AlertKey]
    ) -> dict[int, list[AlertKey]]:
        """Put the alerts in this incident; those taken from others, by incident."""
        ...

    async def incident_alerts(self, incident_id: int) -> list[TrackedAlert]:
        """The incident's alerts as this transaction sees them: what a merge moves."""
        ...

    # -- incidents --------------------------------------------------------------------------

    async def incident(self, incident_id: int) -> Incident | None:
        """The incident as this transaction sees it, held against other writers
        until it ends: check its state here, then change it."""
        ...

    async def create_incident(
        self,
        title: str,
        impact: Impact,
        actor: str,
        summary: str = "",
        dedupe_key: str | None = None,
        plan: str | None = None,
    ) -> int:
        """A new open incident; its id, which grows with every incident."""
        ...

    async def update_incident(self, incident_id: int, /, **fields: Any) -> bool:
        """Set these fields; False when there is no such incident."""
        ...

    async def update_incident_if(
        self,
        incident_id: int,
        if_status: IncidentStatus | Collection[IncidentStatus] | None,
        /,
        **fields: Any,
    ) -> bool:
        """Set these fields only while the incident's status is `if_status` (one of
        them), in one conditional statement; False, nothing written, otherwise: the
        other writer's committed change stands and is never overwritten."""
        ...

    async def add_event(
        self,
        incident_id: int | None,
        kind: EventKind,
        actor: str,
        text: str,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        """Append to the incident's timeline (None: the console log); the event's id,
        which orders the timeline."""
        ...

    # -- triage, inside the poll's transaction ----------------------------------------------

    async def attached_to_open(self, source: str, among: Sequence[str] | None = None) -> set[str]:
        """Fingerprints of the source's alerts in an open incident (only `among` these)."""
        ...

    async def open_incident_with_key(self, dedupe_key: str) -> int | None:
        """The oldest open incident with this dedupe key."""
        ...

    async def resolved_incident_with_key(self, dedupe_key: str, since: datetime) -> int | None:
        """The incident with this key resolved most recently, if after `since`."""
        ...

    async def open_plan_incidents_without_firing_alerts(self) -> list[tuple[int, str]]:
        """(id, plan) of open plan incidents whose alerts have all resolved."""
        ...

    # -- sources and silences ---------------------------------------------------------------

    async def record_poll(
        self,
        source: str,
        interval_seconds: float,
        ok: bool,
        error: str | None = None,
        alert_count: int | None = None,
    ) -> None:
        """A source's health after a poll; a failure leaves its alerts alone."""
        ...

    async def request_retry(self, source: str) -> bool:
        """Ask whoever polls to poll `source` now; False if it was never polled."""
        ...

    async def record_silence(
        self,
        source: str,
        silence_id: str,
        reason: str,
        actor: str,
        ends_at: datetime,
        incident_id: int | None,
        alerts: Iterable[AlertKey],
    ) -> None:
        """Remember a silence warroom created at `source` (reason: manual or ack)."""
        ...

    async def mark_silence_expired(self, source: str, silence_id: str) -> None:
        """The silence was expired at its source; the first expiry's time stays."""
        ...

    # -- engagements and the outbox (#10) ----------------------------------------------------

    async def engagements_of(self, incident_id: int) -> list[Engagement]:
        """Where the incident stands in each plan it engages, as held for this write."""
        ...

    async def save_engagement(self, incident_id: int, state: Engagement) -> None:
        """Insert or replace the incident's engagement of `state.plan`."""
        ...

    async def due_engagements(
        self, now: datetime, limit: int = 100
    ) -> list[tuple[int, Engagement]]:
        """(incident, engagement) pairs whose next step is due by `now`, oldest first."""
        ...

    async def enqueue(self, items: Iterable[OutboxItem]) -> int:
        """Write outbox rows whose keys are new (others are left as they are); how many."""
        ...

    async def cancel_open(
        self, incident_id: int, actions: Collection[str], detail: str
    ) -> list[OutboxRow]:
        """Cancel the incident's pending rows of `actions`: none of them is claimed after
        this commits. A claimed row (its send may be under way) is left to its claimer."""
        ...

    async def cancel_keyed(self, prefix: str, detail: str) -> list[OutboxRow]:
        """Cancel the pending rows whose key starts with `prefix` (one runbook notify
        attempt's); a claimed row is left to its claimer."""
        ...

    async def paged_channels(self, incident_id: int) -> list[tuple[str, str]]:
        """(contact, channel) pairs a trigger of the incident reached or may have."""
        ...

    async def count_rows(self, incident_id: int, action: str) -> int: ...

    async def reclaim_claimed(self) -> list[OutboxRow]:
        """A new deliverer's first step: rows left claimed go back to pending, marked as
        possible repeats (their send may have happened before a crash)."""
        ...

    async def claim_due(self, now: datetime, epoch: int, limit: int = 20) -> list[OutboxRow]:
        """Claim due pending rows for the holder of `epoch` (check the lease in the same
        transaction); committed before any send."""
        ...

    async def record(
        self,
        row_id: int,
        epoch: int,
        state: RowState,
        detail: str,
        reference: str = "",
        due_at: datetime | None = None,
        possible_repeat: bool = False,
    ) -> bool:
        """The outcome of a claimed row, only while it is still claimed under `epoch`;
        PENDING with `due_at`: try again then (`possible_repeat`: the last try may
        have arrived, so the next says it may repeat)."""
        ...

    async def prune_outbox(self, older_than: datetime) -> int:
        """Forget outbox rows done before `older_than`; open ones are kept."""

    # -- on-call overrides (console and CLI; the plan files hold the others) ----------------

    async def add_override(self, schedule: str, override: Override) -> int:
        """Record an override of `schedule`; its id, which grows with every override
        (overrides apply in that order). Announced as feed entity `oncall`."""
        ...

    async def override(self, override_id: int) -> OverrideRecord | None:
        """The override, cancelled or not, held against other writers until the
        transaction ends: check it here, then cancel it."""
        ...

    async def cancel_override(self, override_id: int, actor: str) -> bool:
        """Mark it cancelled by `actor` now, never deleting it; False, nothing
        written, when there is no such override or someone cancelled it first."""
        ...

    # -- related items (#12): only those a responder added; the rest are derived --------------

    async def add_related(
        self, incident_id: int, item: RelatedItem, actor: str, content: bytes | None = None
    ) -> int:
        """Keep `item` (a link, ticket, "see also" incident, metric query or, with
        `content`, an attachment whose `size` is taken from it) with the incident;
        its id. Derived kinds are refused (ValueError). Feed entity `incident`."""
        ...

    async def remove_related(self, incident_id: int, item_id: int) -> bool:
        """Forget a kept item of that incident; False when there is none."""
        ...

    # -- runbook runs (#11) --------------------------------------------------------------

    async def start_runbook_run(self, run: Run, actor: str) -> int:
        """Store a run just started (`model.runbook.start`) at version 1, with its
        `runbook-started` event on the run's incident's timeline; its id. Announced
        as feed entity `runbook` (id: the run)."""
        ...

    async def runbook_run(self, run_id: int) -> RunRecord | None:
        """The run and its version, held against other writers until the transaction
        ends: read it, move it (`model.runbook`), then `update_runbook_run`."""
        ...

    async def active_runbook_runs(self) -> list[RunRecord]:
        """Runs running or waiting, oldest first, held like `runbook_run`: the lease
        holder's runner moves them."""
        ...

    async def update_runbook_run(self, run_id: int, version: int, run: Run) -> bool:
        """Write the moved run only if it is still at `version` (bumping it); False,
        nothing written, when another writer moved it first (re-read and say so).
        Announced as feed entity `runbook`."""
        ...

    async def append_runbook_output(
        self,
        run_id: int,
        step: str,
        attempt: int,
        text: str,
        output_offset: int | None = None,
        dropped: int = 0,
    ) -> None:
        """Add what an attempt wrote (already stripped of escapes). Kept per attempt:
        the first 256 Ki characters and the last 256 Ki, the middle dropped and
        counted. `output_offset`: how far into the process's output file the store
        now holds, so a runner that re-attaches after a restart resumes there.
        `dropped`: characters the runner itself dropped from the middle, counted too.
        Announced as feed entity `runbook-output` (id: the run)."""
        ...

    async def record_step_process(self, process: StepProcess) -> None:
        """Remember the process an attempt started (pid, its start time, its output
        and result files), so an engine restarted after a crash can find it again."""
        ...

    async def step_process(self, run_id: int, step: str, attempt: int) -> StepProcess | None:
        """The process recorded for the attempt, if one was started."""
        ...

    # -- post-incident analysis (#12) ----------------------------------------------------

    async def answer_question(
        self, incident_id: int, question_id: str, answer: str, actor: str
    ) -> None:
        """Replace the question's answer (empty clears it), with an
        `analysis-answered` event. Feed entity `analysis` (id: the incident)."""
        ...

    async def mark_event(
        self, incident_id: int, event_id: int, mark: EventMark, actor: str
    ) -> bool:
        """Mark one of the incident's timeline events key, hidden or mitigation
        (`none` clears), never changing the event; one mitigation per incident (the
        previous becomes key). False, nothing written, for another incident's event."""
        ...

    async def add_action_item(self, incident_id: int, item: ActionItem, actor: str) -> int:
        """Store a new action item (its `id` ignored); its id."""
        ...

    async def update_action_item(
        self, incident_id: int, item_id: int, item: ActionItem, actor: str
    ) -> bool:
        """Rewrite the item's title, owner, due, status and link; the timeline names
        the fields that changed. False for an item not on this incident."""
        ...

    async def add_metric_snapshot(self, incident_id: int, snapshot: MetricSnapshot) -> int:
        """Freeze a chart's series into the analysis; its id."""
        ...

    # -- housekeeping (the lease holder's) --------------------------------------------------

    async def prune_changes(self, keep: int = 10_000) -> None:
        """Forget all but the newest `keep` feed rows."""
        ...

    async def prune_resolved_alerts(self, older_than: datetime) -> int:
        """Forget resolved alerts outside any incident, untouched since `older_than`."""
        ...


class Store(Protocol):
    """The shared state of every console and engine; see the module's promises."""

    @property
    def location(self) -> str:
        """Where the store is, for messages: a path, or a URL without its password."""
        ...

    @property
    def read_only(self) -> bool:
        """Opened by a command that only reads: transactions and lease calls refused."""
        ...

    async def close(self) -> None: ...

    def transaction(self, now: datetime | None = None) -> AbstractAsyncContextManager[Tx]:
        """One short write transaction (see Atomicity); `now` defaults to the clock."""
        ...

    # -- reads (committed state, for showing) -----------------------------------------------

    async def active_alerts(self) -> list[TrackedAlert]:
        """Every alert not resolved, in no particular order."""
        ...

    async def shown_alerts(self, filter_text: str = "") -> list[ShownAlert]:
        """Every active alert the filter (matchers and free text, as the console's
        filter speaks it) shows, most urgent first: key and incident only, so a
        storm of 50,000 costs a list of pairs, not 50,000 alerts."""
        ...

    async def active_alert_count(self) -> int:
        """How many alerts are not resolved: the "of N" of the filter's count."""
        ...

    async def active_alerts_at(self, sources: list[str]) -> list[TrackedAlert]:
        """The active alerts of these sources: what a silence there could mute."""
        ...

    async def timeline_after(self, incident_id: int | None, after: int) -> list[TimelineEvent]:
        """Events of the incident (None: the console log) with an id above `after`,
        oldest first. Relies on event ids becoming visible in id order: no event
        with an id below one returned may commit later (SQLite: its single writer;
        PostgreSQL: the read waits for timeline writers under way, `pg_timeline`)."""
        ...

    async def alerts_by_key(self, keys: Iterable[AlertKey]) -> list[TrackedAlert]:
        """Those of `keys` the store holds, in the order given, each once."""
        ...

    async def incident_alerts(self, incident_id: int) -> list[TrackedAlert]:
        """The incident's alerts, firing first, then by start."""
        ...

    async def incidents(self, include_resolved: bool = False) -> list[Incident]:
        """Open (and with the flag, resolved) incidents: open first, by impact, newest."""
        ...

    async def incident(self, incident_id: int) -> Incident | None: ...

    async def timeline(
        self, incident_id: int | None, limit: int | None = None
    ) -> list[TimelineEvent]:
        """Events oldest first (None: the console log); with `limit`, the latest ones."""
        ...

    async def alert_digests(self, source: str) -> list[tuple[str, str]]:
        """(fingerprint, digest) of the source's active alerts, for a poll's diff."""
        ...

    async def retry_requests(self) -> dict[str, float]:
        """Sources a responder asked to poll now: name -> when (epoch seconds)."""
        ...

    async def source_health(self) -> list[SourceHealth]:
        """Every polled source by name; health this process could not save included."""
        ...

    def keep_unsaved_health(self, health: SourceHealth) -> None:
        """Show this health in place of the stored one, in this process only."""
        ...

    def forget_unsaved_health(self, name: str) -> None: ...

    def unsaved_health(self, name: str) -> SourceHealth | None: ...

    async def alert_names(self) -> list[tuple[str, str, dict[str, str]]]:
        """(source, name, one label set) of every alert name ever seen."""
        ...

    async def silence_record(self, source: str, silence_id: str) -> SilenceRecord | None: ...

    async def open_ack_silences(self, source: str) -> list[SilenceRecord]:
        """The source's acknowledgement silences not yet expired."""
        ...

    # -- related items (#12) -----------------------------------------------------------------

    async def related_items(self, incident_id: int) -> list[RelatedItem]:
        """The items kept with the incident, in the order added; never an attachment's
        bytes (`attachment_content` reads those)."""
        ...

    async def attachment_content(self, incident_id: int, item_id: int) -> bytes | None:
        """The bytes of the incident's attachment `item_id`; None if there is none."""
        ...

    async def incident_silences(self, incident_id: int) -> list[tuple[str, str, str]]:
        """(source, silence id, reason) of every silence made for the incident."""
        ...

    # -- on-call overrides -------------------------------------------------------------------

    async def overrides(
        self,
        schedule: str | None = None,
        *,
        ending_after: datetime | None = None,
        starting_before: datetime | None = None,
        cancelled: bool = False,
    ) -> list[OverrideRecord]:
        """Overrides of `schedule` (None: every schedule) that end after
        `ending_after` and start before `starting_before`, in the order they were
        made (the order they apply in); cancelled ones only with `cancelled`."""
        ...

    async def override(self, override_id: int) -> OverrideRecord | None:
        """One override, cancelled or not."""
        ...

    # -- the change feed ---------------------------------------------------------------------

    async def runbook_run(self, run_id: int) -> RunRecord | None:
        """A run, for showing (decide moves on the `Tx`'s)."""
        ...

    async def runbook_runs(self, incident_id: int | None) -> list[RunRecord]:
        """The incident's runs (None: runs on no incident), oldest first."""
        ...

    async def active_runbook_runs(self) -> list[RunRecord]:
        """Runs running or waiting, oldest first."""
        ...

    async def runbook_output(
        self, run_id: int, after: int = 0, limit: int = 1000
    ) -> list[OutputChunk]:
        """The run's kept output with `seq` above `after`, in order: a reader keeps
        the last `seq` it showed and asks for what follows."""
        ...

    async def dropped_output(self, run_id: int, step: str, attempt: int) -> int:
        """How many characters of the attempt's output were dropped from its middle."""
        ...

    async def runbook_output_tail(
        self, run_id: int, chars: int, step: str | None = None, attempt: int | None = None
    ) -> str:
        """The last `chars` characters of the run's kept output, or of one attempt's
        (`step` and `attempt` both given), reading only the newest chunks."""
        ...

    async def analysis_answers(self, incident_id: int) -> list[Answer]:
        """The incident's answered questions, by question id."""
        ...

    async def event_marks(self, incident_id: int) -> list[Marked]:
        """The marks in force on the incident's timeline events, by event id."""
        ...

    async def action_items(self, incident_id: int) -> list[ActionItem]:
        """The incident's action items, oldest first."""
        ...

    async def metric_snapshots(self, incident_id: int) -> list[MetricSnapshot]:
        """The incident's frozen charts, oldest first."""
        ...

    async def last_change(self) -> int:
        """The newest visible feed `seq` (0 for none): a cursor to start from."""
        ...

    async def changes_since(self, seq: int) -> list[Change]:
        """Every visible row after cursor `seq`, each once, in commit order."""
        ...

    def watch(self, since: int | None = None) -> AsyncGenerator[list[Change], None]:
        """Batches of new rows, forever, never empty, each row once: from `since`
        (rows already committed after it come first) or from now. Commits of
        this process wake it at once, other processes' within about a second. A
        generator, so a watcher that stops early can `aclose()` it at once."""
        ...

    # -- the lease ---------------------------------------------------------------------------

    async def acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> LeaseToken | None:
        """Take the lease if free, expired or `holder`'s, and extend it; its token, or
        None while another holder's lease stands. One conditional statement; the
        epoch grows exactly when the holder changes, and never repeats."""
        ...

    async def try_acquire_lease(
        self, holder: str, ttl: timedelta, name: str = ENGINE_LEASE, now: datetime | None = None
    ) -> bool: ...

    async def renew_lease(
        self, token: LeaseToken, ttl: timedelta, now: datetime | None = None
    ) -> bool:
        """Extend exactly this tenure; False once it changed hands (never re-takes it)."""
        ...

    async def release_lease(self, holder: str, name: str = ENGINE_LEASE) -> None:
        """Give it up now if `holder` has it; the next holder gets a new epoch."""
        ...

    async def lease(self, name: str = ENGINE_LEASE) -> LeaseInfo | None:
        """Who holds it and until when (an expired holder still shows); None when released."""
        ...

    # -- engagements and pages, for showing ----------------------------------------------------

    async def engagements(self, incident_id: int | None = None) -> list[tuple[int, Engagement]]:
        """(incident, engagement) pairs: the incident's, or every one."""
        ...

    async def outbox_due_at(self) -> datetime | None:
        """When the first pending outbox row is due (None: none is pending)."""
        ...

    async def engagement_due_at(self) -> datetime | None:
        """When the first engagement's next step is due (None: none is waiting)."""
        ...

    async def outbox(self, incident_id: int | None = None, limit: int = 1000) -> list[OutboxRow]:
        """The incident's outbox rows (or the latest `limit` of all), oldest first."""
        ...

    async def outbox_keyed(self, prefix: str) -> list[OutboxRow]:
        """The outbox rows whose key starts with `prefix`, oldest first."""
        ...

    # -- the shift hand-off ------------------------------------------------------------------

    async def events_since(self, since: datetime) -> list[TimelineEvent]:
        """Every timeline event at or after `since`, oldest first."""
        ...

    async def incidents_since(self, since: datetime) -> list[Incident]:
        """Incidents not resolved, and those resolved at or after `since`."""
        ...

    async def alerts_since(self, since: datetime) -> list[TrackedAlert]:
        """Alerts firing now, and those that started or changed at or after `since`."""
        ...

    async def live_silences(self, now: datetime) -> list[StoredSilence]:
        """Silences warroom made that are neither expired by hand nor over at `now`."""
        ...

    # -- the search ----------------------------------------------------------------------------

    async def search_incidents(self, text: str, limit: int = 200) -> list[SearchHit]:
        """Incidents (resolved too) whose title, summary or timeline holds `text`,
        case-insensitive: one hit each (its most telling field), newest first."""
        ...
