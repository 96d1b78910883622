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
)

SCHEMA_VERSION = len(MIGRATIONS)
