/** @module store/migrations: the numbered schema migrations of the state database, applied once each, in order. */

export interface Migration {
  /** 1, 2, 3...: never renumber or edit a released migration; add a new one. */
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'resources, records, events, archive',
    sql: `
      CREATE TABLE resources (
        uid TEXT PRIMARY KEY,
        api_version TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT 1,
        metadata TEXT NOT NULL,
        spec TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        deleting_at TEXT,
        finalizers TEXT NOT NULL DEFAULT '[]',
        UNIQUE (kind, namespace, name)
      );
      CREATE TABLE records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL REFERENCES resources (uid) ON DELETE CASCADE,
        key TEXT NOT NULL,
        id TEXT NOT NULL,
        selector_key TEXT NOT NULL DEFAULT '.',
        pod TEXT NOT NULL,
        phase TEXT NOT NULL,
        injected_count INTEGER NOT NULL DEFAULT 0,
        recovered_count INTEGER NOT NULL DEFAULT 0,
        target TEXT NOT NULL DEFAULT '{}',
        injection TEXT,
        evidence TEXT,
        last_error TEXT,
        history TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL,
        UNIQUE (uid, key)
      );
      CREATE INDEX records_pod ON records (pod);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('Normal', 'Warning')),
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        time TEXT NOT NULL
      );
      CREATE INDEX events_uid ON events (uid, id);
      CREATE INDEX events_object ON events (kind, namespace, name, id);
      CREATE TABLE archive (
        uid TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        object TEXT NOT NULL,
        records TEXT NOT NULL,
        events TEXT NOT NULL,
        created_at TEXT NOT NULL,
        finished_at TEXT NOT NULL
      );
      CREATE INDEX archive_object ON archive (kind, namespace, name);
    `,
  },
  {
    version: 2,
    name: 'settings: the controller id',
    sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'indexes for paging and retention: events by namespace and by time, the archive by finished_at',
    sql: `
      CREATE INDEX events_namespace ON events (namespace, id);
      CREATE INDEX events_time ON events (time);
      CREATE INDEX archive_finished ON archive (finished_at);
    `,
  },
  {
    version: 4,
    name: 'tokens and the audit log',
    // A token is kept as the sha256 of its text only: a copy of the database does not let anyone call the API.
    // The audit log is append-only in SQLite itself, so that no code path (nor a bug in one) rewrites history.
    sql: `
      CREATE TABLE tokens (
        name TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        namespaces TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_used_at TEXT,
        created_by TEXT
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT,
        remote TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        namespace TEXT NOT NULL DEFAULT '',
        status INTEGER NOT NULL,
        code TEXT
      );
      CREATE INDEX audit_time ON audit (time);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
  {
    version: 5,
    name: 'signals, exemplar spans and runs, for reports',
    // One signals row per sidecar per second that carried requests (idle seconds cost nothing): the step's
    // requests by status class and its latency histogram counts (sparse: [bucket, count] pairs), so any range can
    // be re-read as rates and quantiles; what repeats (the sidecar, its edge, the bucket bounds) is one
    // signal_series row. About 70 bytes per busy sidecar-second. Exemplars are the spans of failing, faulted or slow requests the sidecars kept. Runs are
    // `chaoscope run` journals, for reports and the score across runs of one experiment.
    sql: `
      CREATE TABLE signal_series (
        id INTEGER PRIMARY KEY,
        sidecar TEXT NOT NULL,
        source TEXT NOT NULL,
        destination TEXT NOT NULL,
        bounds TEXT NOT NULL,
        UNIQUE (sidecar, source, destination, bounds)
      );
      CREATE TABLE signals (
        t INTEGER NOT NULL,
        series INTEGER NOT NULL REFERENCES signal_series (id),
        step_ms INTEGER NOT NULL,
        requests TEXT NOT NULL,
        counts TEXT NOT NULL,
        sum_ms REAL NOT NULL,
        PRIMARY KEY (t, series)
      ) WITHOUT ROWID;
      CREATE TABLE exemplars (
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        parent_span_id TEXT,
        t REAL NOT NULL,
        duration_ms REAL NOT NULL,
        sidecar TEXT NOT NULL,
        source TEXT NOT NULL,
        destination TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,
        faults TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (trace_id, span_id)
      ) WITHOUT ROWID;
      CREATE INDEX exemplars_t ON exemplars (t);
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment TEXT NOT NULL,
        title TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        status TEXT NOT NULL,
        deviated INTEGER NOT NULL,
        journal TEXT NOT NULL,
        created_by TEXT
      );
      CREATE INDEX runs_ended ON runs (ended_at);
      CREATE INDEX runs_experiment ON runs (experiment, ended_at);
    `,
  },
  {
    version: 6,
    name: 'the archive paged newest first, in every namespace or in one',
    // keyset pages on (finished_at, uid), which also serves retention's ORDER BY finished_at: archive_finished goes
    sql: `
      CREATE INDEX archive_page ON archive (finished_at, uid);
      CREATE INDEX archive_namespace_page ON archive (namespace, finished_at, uid);
      DROP INDEX archive_finished;
    `,
  },
]
