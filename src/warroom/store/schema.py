"""The schema, as forward-only migrations keyed by `PRAGMA user_version`.

Never edit a shipped migration: append a new one. A database newer than the
last migration here is refused rather than misread.
"""

from __future__ import annotations

# "WRRM": marks the file as ours, so a stranger's SQLite file is never migrated.
APPLICATION_ID = 0x5752524D

MIGRATIONS: tuple[str, ...] = (
    # 1: alerts, incidents, timeline, change feed, lease, source health.
    """
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        impact INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
        status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        dedupe_key TEXT,
        plan TEXT,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL,
        acknowledged_at REAL,
        acknowledged_by TEXT,
        resolved_at REAL,
        resolved_by TEXT,
        updated_at REAL NOT NULL
    );
    CREATE INDEX incidents_open_dedupe ON incidents (dedupe_key) WHERE status != 'resolved';

    CREATE TABLE alerts (
        source TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL,
        starts_at REAL NOT NULL,
        ends_at REAL,
        url TEXT NOT NULL DEFAULT '',
        digest TEXT NOT NULL,
        first_seen REAL NOT NULL,
        updated_at REAL NOT NULL,
        acknowledged_at REAL,
        acknowledged_by TEXT,
        incident_id INTEGER REFERENCES incidents (id),
        PRIMARY KEY (source, fingerprint)
    );
    CREATE INDEX alerts_active ON alerts (source) WHERE state != 'resolved';
    CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;

    CREATE TABLE timeline (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER REFERENCES incidents (id),
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        text TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX timeline_incident ON timeline (incident_id, id);

    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        at REAL NOT NULL
    );

    CREATE TABLE lease (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        acquired_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );

    CREATE TABLE source_health (
        name TEXT PRIMARY KEY,
        interval REAL NOT NULL,
        last_success REAL,
        last_attempt REAL,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        alert_count INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: silences warroom created, so expiring one finds its incident, and an
    # acknowledgement's silence can be expired when its alert resolves.
    """
    CREATE TABLE silences (
        source TEXT NOT NULL,
        silence_id TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('manual', 'ack')),
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        incident_id INTEGER REFERENCES incidents (id),
        alerts TEXT NOT NULL DEFAULT '[]',
        expired_at REAL,
        PRIMARY KEY (source, silence_id)
    );
    CREATE INDEX silences_open_ack ON silences (source) WHERE reason = 'ack' AND expired_at IS NULL;
    """,
    # 3: every alert name ever seen per source, with one label set, for plan coverage
    # (resolved alerts are pruned; the names must outlive them).
    """
    CREATE TABLE alert_names (
        source TEXT NOT NULL,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        PRIMARY KEY (source, name)
    );
    INSERT OR IGNORE INTO alert_names (source, name, labels, first_seen, last_seen)
        SELECT source, name, labels, min(first_seen), max(updated_at) FROM alerts
        GROUP BY source, name;
    """,
    # 4: merged incidents point at the incident they were merged into.
    """
    ALTER TABLE incidents ADD COLUMN parent_id INTEGER REFERENCES incidents (id);
    """,
    # 5: the lease's epoch, a fencing token that grows each time the lease changes
    # hands; its counter lives apart because a released lease row is deleted.
    """
    ALTER TABLE lease ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE lease_epochs (
        name TEXT PRIMARY KEY,
        epoch INTEGER NOT NULL
    );
    INSERT INTO lease_epochs (name, epoch) SELECT name, epoch FROM lease;
    """,
    # 6: a responder asked for a source to be polled now (the Sources tab's retry);
    # whichever process polls picks it up, and the next poll of the source clears it.
    """
    ALTER TABLE source_health ADD COLUMN retry_requested REAL;
    """,
    # 7: the lease is taken by one conditional statement on its own row, so a
    # released lease keeps its row (holder '', expired) and with it the epoch;
    # the separate counter goes. An older warroom still running finds it gone and
    # cannot take a new one (it may still renew its own until it exits).
    """
    INSERT INTO lease (name, holder, acquired_at, expires_at, epoch)
        SELECT name, '', 0, 0, epoch FROM lease_epochs
        WHERE name NOT IN (SELECT name FROM lease);
    DROP TABLE lease_epochs;
    """,
    # 8: engagement (#10). `engagements`: where each incident stands in each
    # escalation plan it engages, as model/escalation.py keeps it. `outbox`: every
    # side effect (a page, a provider's acknowledge or resolve, a silence to write
    # or expire) as a row written in the transaction that caused it; `key` is unique
    # so a replayed transaction writes nothing twice. Only the lease holder claims a
    # row (its epoch is kept, committed before the network call) and records what
    # became of it. `overrides`: on-call changes made from the console or the CLI
    # (the plan files hold the others), never deleted, only cancelled.
    """
    CREATE TABLE engagements (
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        plan TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('active', 'acknowledged', 'resolved', 'exhausted')),
        stage INTEGER NOT NULL,
        loop INTEGER NOT NULL,
        next_at REAL,
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (incident_id, plan)
    );
    CREATE INDEX engagements_due ON engagements (next_at) WHERE next_at IS NOT NULL;

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        incident_id INTEGER REFERENCES incidents (id),
        kind TEXT NOT NULL CHECK (kind IN ('page', 'silence', 'expire-silence')),
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        channel TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL
            CHECK (state IN ('pending', 'claimed', 'sent', 'failed', 'cancelled', 'unknown')),
        due_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_epoch INTEGER,
        claimed_at REAL,
        detail TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        possible_repeat INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX outbox_open ON outbox (due_at) WHERE state IN ('pending', 'claimed');
    CREATE INDEX outbox_incident ON outbox (incident_id, id);

    CREATE TABLE overrides (
        id INTEGER PRIMARY KEY,
        schedule TEXT NOT NULL,
        start_at REAL NOT NULL,
        end_at REAL NOT NULL CHECK (end_at > start_at),
        replace TEXT,
        with_ TEXT,
        author TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        cancelled_at REAL,
        cancelled_by TEXT,
        CHECK (replace IS NOT NULL OR with_ IS NOT NULL)
    );
    CREATE INDEX overrides_schedule ON overrides (schedule, end_at) WHERE cancelled_at IS NULL;
    """,
    # 9: runbooks (#11). `runbook_runs`: each run whole as JSON (with the runbook
    # copy frozen when it started), and `version`, bumped by every write, which a
    # move must name to be written (two consoles confirming one step: one wins).
    # `runbook_attempts`: per attempt of an automated step, how much output is kept
    # (head and tail, bounded) and how its process is found again after a restart.
    # `runbook_output`: the kept output, in chunks numbered across the run.
    """
    CREATE TABLE runbook_runs (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER REFERENCES incidents (id),
        name TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('running', 'waiting', 'succeeded', 'failed', 'cancelled')),
        version INTEGER NOT NULL,
        run TEXT NOT NULL,
        started_by TEXT NOT NULL,
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX runbook_runs_incident ON runbook_runs (incident_id, id);
    CREATE INDEX runbook_runs_active ON runbook_runs (id) WHERE status IN ('running', 'waiting');

    CREATE TABLE runbook_attempts (
        run_id INTEGER NOT NULL REFERENCES runbook_runs (id),
        step TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        head_chars INTEGER NOT NULL DEFAULT 0,
        tail_chars INTEGER NOT NULL DEFAULT 0,
        dropped_chars INTEGER NOT NULL DEFAULT 0,
        pid INTEGER,
        process_start TEXT,
        output_path TEXT,
        result_path TEXT,
        epoch INTEGER,
        output_offset INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, step, attempt)
    );

    CREATE TABLE runbook_output (
        run_id INTEGER NOT NULL REFERENCES runbook_runs (id),
        seq INTEGER NOT NULL,
        step TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        part TEXT NOT NULL CHECK (part IN ('head', 'tail')),
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE INDEX runbook_output_attempt ON runbook_output (run_id, step, attempt, part, seq);
    """,
    # 10: related items (#12) kept as rows: links, tickets, "see also" incidents,
    # metric queries and attachments added by a responder. What the store already
    # knows (merged incidents, runbook runs, silences, annotations, the plan's
    # links) is derived, not copied here. An attachment's bytes live in the row
    # (`content`), so a copy of the database carries its evidence along.
    """
    CREATE TABLE related_items (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        kind TEXT NOT NULL
            CHECK (kind IN ('link', 'ticket', 'incident', 'metric', 'attachment')),
        title TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        ref TEXT NOT NULL DEFAULT '',
        relation TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL,
        created_at REAL NOT NULL,
        size INTEGER,
        sha256 TEXT NOT NULL DEFAULT '',
        content BLOB
    );
    CREATE INDEX related_items_incident ON related_items (incident_id, id);
    """,
    # 11: post-incident analysis (#12 item 3). Answers to the analysis questions
    # (one per question, rewritten), marks on timeline events (key, hidden,
    # mitigation; the events themselves are never changed), action items, and
    # metric snapshots (a chart's series frozen as JSON when a responder took it).
    """
    CREATE TABLE analysis_answers (
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        answered_by TEXT NOT NULL,
        answered_at REAL NOT NULL,
        PRIMARY KEY (incident_id, question)
    );
    CREATE TABLE analysis_marks (
        event_id INTEGER NOT NULL PRIMARY KEY REFERENCES timeline (id),
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        mark TEXT NOT NULL CHECK (mark IN ('none', 'key', 'hidden', 'mitigation')),
        marked_by TEXT NOT NULL,
        marked_at REAL NOT NULL
    );
    CREATE INDEX analysis_marks_incident ON analysis_marks (incident_id);
    CREATE TABLE action_items (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        title TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT '',
        due TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'done', 'dismissed')),
        link TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX action_items_incident ON action_items (incident_id, id);
    CREATE TABLE metric_snapshots (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        chart TEXT NOT NULL,
        taken_by TEXT NOT NULL,
        taken_at REAL NOT NULL
    );
    CREATE INDEX metric_snapshots_incident ON metric_snapshots (incident_id, id);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
