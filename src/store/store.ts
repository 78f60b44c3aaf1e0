/**
 * @module store/store: the controller's state in SQLite: resources, per-target records, events, the archive
 * of finished experiments, API tokens (their hashes) and the append-only audit log. Synchronous
 * (better-sqlite3), WAL, numbered migrations; on disk, the files are readable by their owner only.
 */
import { randomUUID } from 'node:crypto'
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { ChaosError } from '../errors.js'
import { MIGRATIONS } from './migrations.js'

/** Metadata as the controller keeps it: what the user wrote (labels, annotations) plus identity. */
export interface StoredMetadata {
  name: string
  namespace: string
  uid: string
  generation: number
  creationTimestamp: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  /** Set on objects another one spawned (a Schedule's chaos, a Workflow's nodes): Kubernetes' owner references. */
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller: true; blockOwnerDeletion: true }[]
}

/** One applied resource (an experiment), with its status. */
export interface ResourceRow {
  uid: string
  apiVersion: string
  kind: string
  namespace: string
  name: string
  generation: number
  metadata: StoredMetadata
  spec: Record<string, unknown>
  status: Record<string, unknown>
  /** ISO time the resource was created (its creationTimestamp). */
  createdAt: string
  /** ISO time delete was asked; the resource stays until every target is recovered. */
  deletingAt?: string
  /** Finalizer-like state: while non-empty, the resource cannot go (Chaos Mesh's "chaos-mesh/records"). */
  finalizers: string[]
}

/** What the engine knows about one target of one experiment: written before inject, updated after. */
export interface RecordRow {
  uid: string
  /** Target key within the experiment (the pod name). */
  key: string
  /** `namespace/pod`, as Chaos Mesh names records. */
  id: string
  /** Which selector picked it: "." for the main one. */
  selectorKey: string
  pod: string
  /** `Not Injected`, `Not Injected/<step>`, `Injected`, `Injected/<step>`, as Chaos Mesh's record phases. */
  phase: string
  injectedCount: number
  recoveredCount: number
  /** The target as selected (pod snapshot and peers): plain JSON. */
  target: Record<string, unknown>
  /** What recover() needs: stored before the injection counts. */
  injection?: Record<string, unknown>
  evidence?: Record<string, unknown>
  lastError?: string
  /** The last operations on this target (as Chaos Mesh's record events), oldest first, at most 10. */
  history: RecordHistoryEntry[]
  updatedAt: string
}

export interface RecordHistoryEntry {
  type: 'Succeeded' | 'Failed'
  operation: 'Apply' | 'Recover'
  message?: string
  timestamp: string
}

export type EventType = 'Normal' | 'Warning'

export interface EventRow {
  id: number
  uid: string
  kind: string
  namespace: string
  name: string
  type: EventType
  reason: string
  message: string
  time: string
}

export interface ArchiveRow {
  uid: string
  kind: string
  namespace: string
  name: string
  /** The whole object (metadata, spec, last status) as it was when archived. */
  object: Record<string, unknown>
  records: RecordRow[]
  events: EventRow[]
  createdAt: string
  finishedAt: string
}

/** Where an archived experiment sorts in the archive's list: the newest finished first, then by uid (unique together). */
export interface ArchiveKey {
  finishedAt: string
  uid: string
}

/** An archived experiment without its records and events: what a list of the archive holds. */
export type ArchiveSummary = Omit<ArchiveRow, 'records' | 'events'>

/** A page of {@link Store.archivedPage}: at most `limit` (1 or more) archived experiments that sort after `after`. */
export interface ArchivePageQuery {
  kind?: string
  namespace?: string
  after?: ArchiveKey
  limit: number
}

export interface ResourceQuery {
  kind?: string
  namespace?: string
}

/** Where a resource sorts in a list: lists are ordered by kind, then namespace, then name (all unique together). */
export interface ResourceKey {
  kind: string
  namespace: string
  name: string
}

/** A page of {@link Store.listResources}: at most `limit` resources that sort after `after` (keyset, not offset). */
export interface ResourcePageQuery extends ResourceQuery {
  after?: ResourceKey
  limit?: number
}

/**
 * One page of a list, as the controller hands it to the API: the items, the key the next page starts after
 * (absent on the last page) and, when it is cheap to know, how many items follow this page.
 */
export interface Page<T, K> {
  items: T[]
  next?: K
  remainingItemCount?: number
}

/**
 * How much history the store keeps. Absent or 0: no limit of that kind. Events of an experiment that still
 * exists are never pruned (its status and `describe` read them); the rest go when older than `eventTtlMs` or,
 * oldest first, when there are more than `maxEvents` events in all. Archived experiments go when they finished
 * longer than `archiveTtlMs` ago or, oldest first, when more than `maxArchived` are archived.
 */
export interface Retention {
  eventTtlMs?: number
  maxEvents?: number
  archiveTtlMs?: number
  maxArchived?: number
  /** Signals and exemplar spans older than this go. */
  signalTtlMs?: number
  /** Runs beyond this many go, the oldest first (the score across runs reads the last 50 of each experiment). */
  maxRuns?: number
}

/**
 * One sidecar's traffic in one step (usually a second): what the recorder (src/recorder.ts) took from the
 * difference of two snapshots of the sidecar's counters. Only steps that carried requests are kept.
 */
export interface SignalRow {
  sidecar: string
  /** Start of the step, epoch ms. */
  t: number
  stepMs: number
  source: string
  destination: string
  /** Requests of the step by status class (`2xx`, `5xx`, `error` for no response...). */
  requests: Record<string, number>
  /** The latency histogram's upper bounds (ms) and the step's count per bucket (one more: +Inf). */
  bounds: number[]
  counts: number[]
  sumMs: number
}

/** A span a sidecar kept of a failing, faulted or slow request (the exemplars of GET /runtime/v1/sidecars). */
export interface ExemplarRow {
  traceId: string
  spanId: string
  parentSpanId: string | null
  /** Start, epoch ms. */
  t: number
  durationMs: number
  sidecar: string
  source: string
  destination: string
  method: string
  path: string
  /** 0: no response. */
  status: number
  faults: string[]
}

/** One `chaoscope run`: its journal as Chaos Toolkit writes it, and what lists and reports sort by. */
export interface RunRow {
  id: number
  /** Groups the runs of one experiment: its title unless the run names it otherwise. */
  experiment: string
  title: string
  startedAt: string
  endedAt: string
  status: string
  deviated: boolean
  journal: Record<string, unknown>
  /** The token that posted it. */
  createdBy?: string
}

export interface RunQuery {
  experiment?: string
  /** Runs that ended at or after / before these ISO times. */
  since?: string
  until?: string
  limit?: number
}

/** What one {@link Store.prune} call deleted; `more` when a batch was full (call again for the rest). */
export interface PruneResult {
  events: number
  archived: number
  /** Signal rows and exemplar spans. */
  signals: number
  more: boolean
}

export interface EventQuery {
  uid?: string
  kind?: string
  namespace?: string
  name?: string
  /** Only events with a larger id: a page of events starts after the last id of the page before (keyset). */
  sinceId?: number
  /** At most this many: the first of them after sinceId, or the newest of them when sinceId is absent. */
  limit?: number
}

/** What a token may do: viewer reads; operator also changes experiments; admin also manages tokens and reads the audit log. */
export type Role = 'viewer' | 'operator' | 'admin'

/** One API token. The token's text is never stored, only its sha256 (hex) in `hash`. */
export interface TokenRow {
  name: string
  hash: string
  role: Role
  /** The namespaces the token may act in; empty: every namespace. */
  namespaces: string[]
  createdAt: string
  expiresAt?: string
  revokedAt?: string
  lastUsedAt?: string
  /** The name of the token that created this one. */
  createdBy?: string
}

/** One entry of the audit log: who asked what, from where, and how it ended. */
export interface AuditRow {
  id: number
  time: string
  /** The token's name (or what the server calls an unauthenticated caller). */
  actor: string
  role?: string
  remote: string
  method: string
  path: string
  action: string
  target: string
  namespace: string
  /** The HTTP status answered. */
  status: number
  /** The error code, when the call was refused or failed. */
  code?: string
}

/**
 * A page of the audit log, in id order (the order entries were written). `since` (included) and `until`
 * (excluded) are ISO times; `afterId` starts after the last id of the page before; `limit` defaults to
 * {@link AUDIT_LIMIT} and is at most {@link AUDIT_MAX_LIMIT}.
 */
export interface AuditQuery {
  since?: string
  until?: string
  actor?: string
  afterId?: number
  limit?: number
}

export const AUDIT_LIMIT = 1000
export const AUDIT_MAX_LIMIT = 10_000

type Row = Record<string, unknown>
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v))
const parse = <T>(v: unknown): T | undefined => (typeof v === 'string' ? (JSON.parse(v) as T) : undefined)

/**
 * The state database. Every method is synchronous; every multi-row change runs in one transaction, so a crash
 * (even SIGKILL) leaves either the whole change or none of it. Opening applies the migrations not yet applied.
 *
 * @example
 * const store = Store.open('/tmp/chaoscope.db')
 * store.transaction(() => { store.insertResource(row); store.upsertRecord(rec) })
 * store.close()
 */
export class Store {
  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  /**
   * Opens (creating it and its directory if needed) and migrates the database at `path` (`:memory:` for tests).
   * A directory it makes is 0700; the file and its -wal and -shm siblings are made 0600, also when they existed:
   * they hold the token hashes and the audit log.
   */
  static open(path: string): Store {
    const onDisk = path !== ':memory:'
    let db: Database.Database
    try {
      if (onDisk) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
        // made private before SQLite creates it, so it is never readable by others, not even for a moment
        closeSync(openSync(path, 'a', 0o600))
      }
      db = new Database(path)
      db.pragma('journal_mode = WAL')
      // WAL + NORMAL: a process crash loses nothing; only a power loss can lose the last transactions.
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
      db.pragma('busy_timeout = 5000')
    } catch (cause) {
      throw new ChaosError('STORE_OPEN_FAILED', `cannot open the state database ${path}: ${(cause as Error).message}`, { cause })
    }
    if (onDisk) {
      try {
        // SQLite gives the -wal and -shm files it makes later the mode of the database file
        for (const f of [path, `${path}-wal`, `${path}-shm`]) chmodPrivate(f)
      } catch (cause) {
        db.close()
        throw new ChaosError('STORE_OPEN_FAILED', `cannot make the state database ${path} private to its owner: ${(cause as Error).message}`, {
          cause,
          hint: 'the file belongs to another user: run chaoscope as its owner, or point --db at a file of your own',
        })
      }
    }
    const store = new Store(db, path)
    try {
      store.migrate()
    } catch (e) {
      db.close()
      if (e instanceof ChaosError) throw e
      throw new ChaosError('STORE_OPEN_FAILED', `cannot migrate the state database ${path}: ${(e as Error).message}`, { cause: e })
    }
    return store
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
    const applied = new Set((this.db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version))
    const known = new Set(MIGRATIONS.map((m) => m.version))
    const unknown = [...applied].filter((v) => !known.has(v))
    if (unknown.length > 0) {
      throw new ChaosError('STORE_SCHEMA_TOO_NEW', `the state database ${this.path} has migration ${Math.max(...unknown)}, newer than this chaoscope knows (${Math.max(0, ...known)})`, {
        hint: 'run the newer chaoscope, or point --db at another file',
      })
    }
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue
      this.transaction(() => {
        this.db.exec(m.sql)
        this.db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString())
      })
    }
  }

  /** Versions of the migrations applied, in order. */
  migrations(): { version: number; name: string }[] {
    return this.db.prepare('SELECT version, name FROM migrations ORDER BY version').all() as { version: number; name: string }[]
  }

  /** `wal` once opened on a file. */
  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }))
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). A throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    this.tx ??= this.db.transaction((f: () => unknown) => f())
    return this.tx(fn) as T
  }

  private tx: ((fn: () => unknown) => unknown) | undefined
  private readonly statements = new Map<string, Database.Statement>()

  /** A prepared statement for `sql`, prepared once (preparing is most of the cost of a small query). */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql)
    if (!s) {
      if (this.statements.size >= 256) this.statements.clear()
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }

  /** Runs one write of `what`; SQLite's refusal (disk full, read-only, locked, damaged) becomes STORE_WRITE_FAILED. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      if (e instanceof ChaosError) throw e
      throw new ChaosError('STORE_WRITE_FAILED', `cannot ${what}: the state database refused the write: ${(e as Error).message}`, { cause: e })
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  get open(): boolean {
    return this.db.open
  }

  // ── resources ───────────────────────────────────────────────────────────────────────────────────────────

  insertResource(r: ResourceRow): void {
    this
      .stmt(
        `INSERT INTO resources (uid, api_version, kind, namespace, name, generation, metadata, spec, status, created_at, deleting_at, finalizers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.uid, r.apiVersion, r.kind, r.namespace, r.name, r.generation, json(r.metadata), json(r.spec), json(r.status), r.createdAt, r.deletingAt ?? null, json(r.finalizers))
  }

  /** Changes the given fields of a resource. Returns false when there is no such resource. */
  updateResource(uid: string, patch: Partial<Pick<ResourceRow, 'metadata' | 'status' | 'generation' | 'deletingAt' | 'finalizers'>>): boolean {
    const sets: string[] = []
    const args: unknown[] = []
    if (patch.metadata !== undefined) sets.push('metadata = ?'), args.push(json(patch.metadata))
    if (patch.status !== undefined) sets.push('status = ?'), args.push(json(patch.status))
    if (patch.generation !== undefined) sets.push('generation = ?'), args.push(patch.generation)
    if (patch.deletingAt !== undefined) sets.push('deleting_at = ?'), args.push(patch.deletingAt)
    if (patch.finalizers !== undefined) sets.push('finalizers = ?'), args.push(json(patch.finalizers))
    if (sets.length === 0) return this.getResource(uid) !== undefined
    return this.stmt(`UPDATE resources SET ${sets.join(', ')} WHERE uid = ?`).run(...args, uid).changes > 0
  }

  getResource(uid: string): ResourceRow | undefined {
    const row = this.stmt('SELECT * FROM resources WHERE uid = ?').get(uid) as Row | undefined
    return row ? resourceOf(row) : undefined
  }

  findResource(kind: string, namespace: string, name: string): ResourceRow | undefined {
    const row = this.stmt('SELECT * FROM resources WHERE kind = ? AND namespace = ? AND name = ?').get(kind, namespace, name) as Row | undefined
    return row ? resourceOf(row) : undefined
  }

  /**
   * Resources in (kind, namespace, name) order; with `after` and `limit`, one page of them. Pages are keyed on
   * that order (the unique index), so a resource created or deleted between two pages neither repeats nor hides
   * another one.
   */
  listResources(q: ResourcePageQuery = {}): ResourceRow[] {
    const { cond, args } = resourceWhere(q)
    return (this.stmt(`SELECT * FROM resources${cond} ORDER BY kind, namespace, name LIMIT ?`).all(...args, limitOf(q.limit)) as Row[]).map(resourceOf)
  }

  /** How many resources {@link listResources} would return without a limit. */
  countResources(q: Omit<ResourcePageQuery, 'limit'> = {}): number {
    const { cond, args } = resourceWhere(q)
    return (this.stmt(`SELECT COUNT(*) AS n FROM resources${cond}`).get(...args) as { n: number }).n
  }

  // ── records ─────────────────────────────────────────────────────────────────────────────────────────────

  upsertRecord(r: RecordRow): void {
    this
      .stmt(
        `INSERT INTO records (uid, key, id, selector_key, pod, phase, injected_count, recovered_count, target, injection, evidence, last_error, history, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (uid, key) DO UPDATE SET id = excluded.id, selector_key = excluded.selector_key, pod = excluded.pod, phase = excluded.phase,
           injected_count = excluded.injected_count, recovered_count = excluded.recovered_count, target = excluded.target,
           injection = excluded.injection, evidence = excluded.evidence, last_error = excluded.last_error, history = excluded.history,
           updated_at = excluded.updated_at`,
      )
      .run(r.uid, r.key, r.id, r.selectorKey, r.pod, r.phase, r.injectedCount, r.recoveredCount, json(r.target), json(r.injection), json(r.evidence), r.lastError ?? null, json(r.history), r.updatedAt)
  }

  /** The records of one experiment, in the order they were selected. */
  records(uid: string): RecordRow[] {
    return (this.stmt('SELECT * FROM records WHERE uid = ? ORDER BY seq').all(uid) as Row[]).map(recordOf)
  }

  /**
   * The id of the controller that keeps its state in this store, made on first use and kept: every effect the
   * controller makes carries it, so that it removes as orphans only effects it made.
   */
  controllerId(): string {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = 'controller_id'").get() as { value: string } | undefined
    if (row) return row.value
    const id = randomUUID()
    this.db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('controller_id', ?)").run(id)
    return (this.db.prepare("SELECT value FROM settings WHERE key = 'controller_id'").get() as { value: string }).value
  }

  /**
   * Claims this store for the controller running as `pid` (kept in settings): when another process that is alive
   * holds it, its pid is returned and nothing changes; a holder that is gone (a controller killed) is replaced.
   * One process may claim it many times (tests run several controllers on one store, one after another).
   */
  claim(pid: number, alive: (pid: number) => boolean): number | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT value FROM settings WHERE key = 'controller_pid'").get() as { value: string } | undefined
      const holder = row ? Number(row.value) : undefined
      if (holder !== undefined && holder !== pid && alive(holder)) return holder
      this.db.prepare("INSERT INTO settings (key, value) VALUES ('controller_pid', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(pid))
      return undefined
    }).immediate()
  }

  /** Gives up a {@link claim} of `pid` (a controller that stops). */
  release(pid: number): void {
    this.db.prepare("DELETE FROM settings WHERE key = 'controller_pid' AND value = ?").run(String(pid))
  }

  /** Every record of every live experiment (crash recovery reads them all at once). */
  allRecords(): RecordRow[] {
    return (this.stmt('SELECT * FROM records ORDER BY seq').all() as Row[]).map(recordOf)
  }

  // ── events ──────────────────────────────────────────────────────────────────────────────────────────────

  addEvent(e: Omit<EventRow, 'id'>): EventRow {
    const r = this
      .stmt('INSERT INTO events (uid, kind, namespace, name, type, reason, message, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.uid, e.kind, e.namespace, e.name, e.type, e.reason, e.message, e.time)
    return { id: Number(r.lastInsertRowid), ...e }
  }

  /** Events in id order. A page of them: `sinceId` (the last id of the page before) and `limit`. */
  events(q: EventQuery = {}): EventRow[] {
    const { cond, args } = eventWhere(q)
    if (q.limit !== undefined && q.sinceId === undefined) {
      const rows = this.stmt(`SELECT * FROM events${cond} ORDER BY id DESC LIMIT ?`).all(...args, limitOf(q.limit)) as EventRow[]
      return rows.reverse()
    }
    return this.stmt(`SELECT * FROM events${cond} ORDER BY id LIMIT ?`).all(...args, limitOf(q.limit)) as EventRow[]
  }

  /** How many events {@link events} would return without a limit. */
  countEvents(q: Omit<EventQuery, 'limit'> = {}): number {
    const { cond, args } = eventWhere(q)
    return (this.stmt(`SELECT COUNT(*) AS n FROM events${cond}`).get(...args) as { n: number }).n
  }

  /** The latest event about `uid` (type, reason, message), if any. */
  lastEvent(uid: string): Pick<EventRow, 'type' | 'reason' | 'message'> | undefined {
    return this.stmt('SELECT type, reason, message FROM events WHERE uid = ? ORDER BY id DESC LIMIT 1').get(uid) as Pick<EventRow, 'type' | 'reason' | 'message'> | undefined
  }

  hasEvent(uid: string, reason: string): boolean {
    return this.stmt('SELECT 1 FROM events WHERE uid = ? AND reason = ? LIMIT 1').get(uid, reason) !== undefined
  }

  // ── archive ─────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Moves a finished experiment to the archive, in one transaction: the archive row gets the object, its
   * records and its events; the resource and its records leave the live tables (events stay in the event log).
   * Returns the archive row, or undefined when there was no such resource.
   */
  archive(uid: string, object: Record<string, unknown>, finishedAt: string): ArchiveRow | undefined {
    return this.transaction(() => {
      const r = this.getResource(uid)
      if (!r) return undefined
      const row: ArchiveRow = { uid, kind: r.kind, namespace: r.namespace, name: r.name, object, records: this.records(uid), events: this.events({ uid }), createdAt: r.createdAt, finishedAt }
      this
        .stmt('INSERT OR REPLACE INTO archive (uid, kind, namespace, name, object, records, events, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(uid, row.kind, row.namespace, row.name, json(object), json(row.records), json(row.events), row.createdAt, finishedAt)
      this.stmt('DELETE FROM records WHERE uid = ?').run(uid)
      this.stmt('DELETE FROM resources WHERE uid = ?').run(uid)
      return row
    })
  }

  getArchived(uid: string): ArchiveRow | undefined {
    const row = this.stmt('SELECT * FROM archive WHERE uid = ?').get(uid) as Row | undefined
    return row ? archiveOf(row) : undefined
  }

  listArchived(q: ResourceQuery & { name?: string; finishedSince?: string } = {}): ArchiveRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (q.finishedSince) where.push('finished_at >= ?'), args.push(timeKey(q.finishedSince))
    if (q.kind) where.push('kind = ?'), args.push(q.kind)
    if (q.namespace) where.push('namespace = ?'), args.push(q.namespace)
    if (q.name) where.push('name = ?'), args.push(q.name)
    const sql = `SELECT * FROM archive${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY finished_at`
    return (this.stmt(sql).all(...args) as Row[]).map(archiveOf)
  }

  /**
   * One page of the archive, the newest finished first (then by uid): at most `limit` experiments that sort after
   * `after`, without their records and events, and how many follow. Keyed on that order (the archive_page
   * indexes), so a page reads its own rows whatever the size of the archive, and an experiment archived or
   * pruned between two pages neither repeats nor hides another one.
   */
  archivedPage(q: ArchivePageQuery): Page<ArchiveSummary, ArchiveKey> {
    const { cond, args } = archiveWhere(q)
    const sql = `SELECT uid, kind, namespace, name, object, created_at, finished_at FROM archive${cond} ORDER BY finished_at DESC, uid DESC LIMIT ?`
    const rows = this.stmt(sql).all(...args, q.limit + 1) as Row[]
    const items = rows.slice(0, q.limit).map(archiveSummaryOf)
    if (rows.length <= q.limit) return { items }
    const last = items.at(-1)!
    const next = { finishedAt: last.finishedAt, uid: last.uid }
    const rest = archiveWhere({ ...q, after: next })
    const remainingItemCount = (this.stmt(`SELECT COUNT(*) AS n FROM archive${rest.cond}`).get(...rest.args) as { n: number }).n
    return { items, next, remainingItemCount }
  }

  // ── tokens ──────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Adds a token. AUTH_TOKEN_EXISTS when a live token has that name; one that was revoked, or expired by the
   * time the new one is created, is replaced (in one transaction, so two creates of one name never both win).
   */
  insertToken(t: Omit<TokenRow, 'revokedAt' | 'lastUsedAt'>): void {
    this.write(`add the token ${t.name}`, () =>
      this.transaction(() => {
        const old = this.token(t.name)
        if (old && !old.revokedAt && !(old.expiresAt !== undefined && Date.parse(old.expiresAt) <= Date.parse(t.createdAt))) {
          throw new ChaosError('AUTH_TOKEN_EXISTS', `a token named ${t.name} already exists (role ${old.role}, created ${old.createdAt})`, {
            hint: `choose another name, or revoke the old one first (\`chaoscope token revoke ${t.name}\`)`,
          })
        }
        this.upsertToken(t)
      }),
    )
  }

  /** Adds or replaces the token named `t.name`, whatever its state (the local admin token is re-issued this way). */
  replaceToken(t: Omit<TokenRow, 'revokedAt' | 'lastUsedAt'>): void {
    this.write(`replace the token ${t.name}`, () => this.upsertToken(t))
  }

  private upsertToken(t: Omit<TokenRow, 'revokedAt' | 'lastUsedAt'>): void {
    this
      .stmt(
        `INSERT INTO tokens (name, hash, role, namespaces, created_at, expires_at, revoked_at, last_used_at, created_by) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)
         ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, role = excluded.role, namespaces = excluded.namespaces, created_at = excluded.created_at,
           expires_at = excluded.expires_at, revoked_at = NULL, last_used_at = NULL, created_by = excluded.created_by`,
      )
      .run(t.name, t.hash, t.role, json(t.namespaces), t.createdAt, t.expiresAt ?? null, t.createdBy ?? null)
  }

  /** The token whose sha256 is `hash`, revoked or expired ones included (the caller tells why it is refused). */
  tokenByHash(hash: string): TokenRow | undefined {
    const row = this.stmt('SELECT * FROM tokens WHERE hash = ?').get(hash) as Row | undefined
    return row ? tokenOf(row) : undefined
  }

  token(name: string): TokenRow | undefined {
    const row = this.stmt('SELECT * FROM tokens WHERE name = ?').get(name) as Row | undefined
    return row ? tokenOf(row) : undefined
  }

  /** Every token, revoked ones included, by name. */
  listTokens(): TokenRow[] {
    return (this.stmt('SELECT * FROM tokens ORDER BY name').all() as Row[]).map(tokenOf)
  }

  /** Revokes the token at `at`. False when there is no such token or it was revoked already (the first time stays). */
  revokeToken(name: string, at: string): boolean {
    return this.write(`revoke the token ${name}`, () => this.stmt('UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(at, name).changes > 0)
  }

  /** Notes that the token was used at `at`. */
  touchToken(name: string, at: string): void {
    this.write(`note the use of the token ${name}`, () => this.stmt('UPDATE tokens SET last_used_at = ? WHERE name = ?').run(at, name))
  }

  // ── audit ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Appends one entry to the audit log (it has no update nor delete: SQLite refuses both). */
  addAudit(e: Omit<AuditRow, 'id'>): AuditRow {
    return this.write('write to the audit log', () => {
      const r = this
        .stmt('INSERT INTO audit (time, actor, role, remote, method, path, action, target, namespace, status, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(e.time, e.actor, e.role ?? null, e.remote, e.method, e.path, e.action, e.target, e.namespace, e.status, e.code ?? null)
      return { id: Number(r.lastInsertRowid), ...e }
    })
  }

  /** Entries of the audit log, in id order: the first `limit` of those {@link AuditQuery} picks. */
  audit(q: AuditQuery = {}): AuditRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (q.since !== undefined) where.push('time >= ?'), args.push(timeKey(q.since))
    if (q.until !== undefined) where.push('time < ?'), args.push(timeKey(q.until))
    if (q.actor !== undefined) where.push('actor = ?'), args.push(q.actor)
    if (q.afterId !== undefined) where.push('id > ?'), args.push(q.afterId)
    const limit = Math.min(AUDIT_MAX_LIMIT, q.limit === undefined ? AUDIT_LIMIT : Math.max(0, Math.floor(q.limit)))
    const sql = `SELECT * FROM audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`
    return (this.stmt(sql).all(...args, limit) as Row[]).map(auditOf)
  }

  // ── signals, exemplars and runs (reports) ──────────────────────────────────────────────────────────────

  /** Appends the recorder's rows of one step in one transaction; a row already there (same sidecar and t) is replaced. */
  appendSignals(rows: SignalRow[]): void {
    if (rows.length === 0) return
    this.write('record the sidecars\' signals', () =>
      this.transaction(() => {
        const st = this.stmt('INSERT OR REPLACE INTO signals (t, series, step_ms, requests, counts, sum_ms) VALUES (?, ?, ?, ?, ?, ?)')
        for (const r of rows) {
          const sparse: [number, number][] = []
          r.counts.forEach((c, i) => c !== 0 && sparse.push([i, c]))
          st.run(r.t, this.seriesId(r), r.stepMs, JSON.stringify(r.requests), JSON.stringify(sparse), r.sumMs)
        }
      }))
  }

  private readonly series = new Map<string, number>()

  /** The signal_series row of a sidecar, its edge and its buckets (made on first use). */
  private seriesId(r: SignalRow): number {
    const bounds = JSON.stringify(r.bounds)
    const key = `${r.sidecar}\0${r.source}\0${r.destination}\0${bounds}`
    let id = this.series.get(key)
    if (id === undefined) {
      this.stmt('INSERT OR IGNORE INTO signal_series (sidecar, source, destination, bounds) VALUES (?, ?, ?, ?)').run(r.sidecar, r.source, r.destination, bounds)
      id = (this.stmt('SELECT id FROM signal_series WHERE sidecar = ? AND source = ? AND destination = ? AND bounds = ?').get(r.sidecar, r.source, r.destination, bounds) as { id: number }).id
      this.series.set(key, id)
    }
    return id
  }

  /** Signal rows with `from <= t < to` (epoch ms), in time order. */
  signals(from: number, to: number): SignalRow[] {
    const bounds = new Map<string, number[]>()
    const rows = this.stmt('SELECT s.t, s.step_ms, s.requests, s.counts, s.sum_ms, x.sidecar, x.source, x.destination, x.bounds FROM signals s JOIN signal_series x ON x.id = s.series WHERE s.t >= ? AND s.t < ? ORDER BY s.t, x.sidecar').all(from, to) as Row[]
    return rows.map((r) => {
      const b = r.bounds as string
      let parsed = bounds.get(b)
      if (!parsed) bounds.set(b, (parsed = JSON.parse(b) as number[]))
      const counts = new Array<number>(parsed.length + 1).fill(0)
      for (const [i, c] of JSON.parse(r.counts as string) as [number, number][]) if (i < counts.length) counts[i] = c
      return {
        sidecar: r.sidecar as string,
        t: r.t as number,
        stepMs: r.step_ms as number,
        source: r.source as string,
        destination: r.destination as string,
        requests: JSON.parse(r.requests as string) as Record<string, number>,
        bounds: parsed,
        counts,
        sumMs: r.sum_ms as number,
      }
    })
  }

  /** Keeps exemplar spans (one already kept, by trace and span id, is left as it is). */
  appendExemplars(rows: ExemplarRow[]): void {
    if (rows.length === 0) return
    this.write('keep the sidecars\' exemplar spans', () =>
      this.transaction(() => {
        const st = this.stmt('INSERT OR IGNORE INTO exemplars (trace_id, span_id, parent_span_id, t, duration_ms, sidecar, source, destination, method, path, status, faults) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        for (const r of rows) st.run(r.traceId, r.spanId, r.parentSpanId, r.t, r.durationMs, r.sidecar, r.source, r.destination, r.method, r.path, r.status, JSON.stringify(r.faults))
      }))
  }

  /** Exemplar spans that started in `[from, to)` (epoch ms; the newest `limit`, default 5000), or every span of one trace. */
  exemplars(q: { from: number; to: number; limit?: number } | { traceId: string }): ExemplarRow[] {
    const rows = ('traceId' in q
      ? this.stmt('SELECT * FROM exemplars WHERE trace_id = ? ORDER BY t').all(q.traceId)
      : this.stmt('SELECT * FROM (SELECT * FROM exemplars WHERE t >= ? AND t < ? ORDER BY t DESC LIMIT ?) ORDER BY t').all(q.from, q.to, q.limit ?? 5000)) as Row[]
    return rows.map((r) => ({
      traceId: r.trace_id as string,
      spanId: r.span_id as string,
      parentSpanId: (r.parent_span_id as string | null) ?? null,
      t: r.t as number,
      durationMs: r.duration_ms as number,
      sidecar: r.sidecar as string,
      source: r.source as string,
      destination: r.destination as string,
      method: r.method as string,
      path: r.path as string,
      status: r.status as number,
      faults: JSON.parse(r.faults as string) as string[],
    }))
  }

  addRun(r: Omit<RunRow, 'id'>): RunRow {
    return this.write('keep the run\'s journal', () => {
      const res = this
        .stmt('INSERT INTO runs (experiment, title, started_at, ended_at, status, deviated, journal, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.experiment, r.title, r.startedAt, r.endedAt, r.status, r.deviated ? 1 : 0, JSON.stringify(r.journal), r.createdBy ?? null)
      return { id: Number(res.lastInsertRowid), ...r }
    })
  }

  getRun(id: number): RunRow | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined
    return r && runOf(r)
  }

  /** Runs in the order they ended, the newest `limit` of those the query picks (default 100). */
  runs(q: RunQuery = {}): RunRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (q.experiment !== undefined) where.push('experiment = ?'), args.push(q.experiment)
    if (q.since !== undefined) where.push('ended_at >= ?'), args.push(timeKey(q.since))
    if (q.until !== undefined) where.push('ended_at < ?'), args.push(timeKey(q.until))
    const limit = q.limit === undefined ? 100 : Math.max(0, Math.floor(q.limit))
    const sql = `SELECT * FROM (SELECT * FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ended_at DESC, id DESC LIMIT ?) ORDER BY ended_at, id`
    return (this.stmt(sql).all(...args, limit) as Row[]).map(runOf)
  }

  // ── retention ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes what `retention` no longer keeps, at `now` (ms since the epoch): at most `batch` events and
   * `batch / 10` archived experiments (their rows are large), in one transaction, each delete on an index
   * (events by time or id, the archive by finished_at), so that one call stays short whatever the size of the
   * store. `more` says a batch was full: the caller calls again (later, letting other work run) for the rest.
   *
   * @example
   * while (store.prune({ eventTtlMs: 7 * 86_400_000, maxEvents: 10_000 }, Date.now()).more) await setImmediatePromise()
   */
  prune(retention: Retention, now: number, batch = 100): PruneResult {
    const eventBudget = Math.max(1, Math.floor(batch))
    const archiveBudget = Math.max(1, Math.floor(batch / 10))
    return this.transaction(() => {
      let events = 0
      let archived = 0
      // events of an experiment that still exists stay: its status reads them (hasEvent) and describe shows them
      const gone = 'NOT EXISTS (SELECT 1 FROM resources r WHERE r.uid = events.uid)'
      if (retention.eventTtlMs) {
        const cutoff = new Date(now - retention.eventTtlMs).toISOString()
        events += this.stmt(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? AND ${gone} ORDER BY time LIMIT ?)`).run(cutoff, eventBudget).changes
      }
      if (retention.maxEvents && events < eventBudget) {
        const excess = this.countEvents() - retention.maxEvents
        if (excess > 0) events += this.stmt(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ${gone} ORDER BY id LIMIT ?)`).run(Math.min(excess, eventBudget - events)).changes
      }
      if (retention.archiveTtlMs) {
        const cutoff = new Date(now - retention.archiveTtlMs).toISOString()
        archived += this.stmt('DELETE FROM archive WHERE uid IN (SELECT uid FROM archive WHERE finished_at < ? ORDER BY finished_at LIMIT ?)').run(cutoff, archiveBudget).changes
      }
      if (retention.maxArchived && archived < archiveBudget) {
        const excess = (this.stmt('SELECT COUNT(*) AS n FROM archive').get() as { n: number }).n - retention.maxArchived
        if (excess > 0) archived += this.stmt('DELETE FROM archive WHERE uid IN (SELECT uid FROM archive ORDER BY finished_at LIMIT ?)').run(Math.min(excess, archiveBudget - archived)).changes
      }
      let signals = 0
      if (retention.signalTtlMs) {
        const cutoff = now - retention.signalTtlMs
        signals += this.stmt('DELETE FROM signals WHERE (t, series) IN (SELECT t, series FROM signals WHERE t < ? LIMIT ?)').run(cutoff, eventBudget * 10).changes
        signals += this.stmt('DELETE FROM exemplars WHERE (trace_id, span_id) IN (SELECT trace_id, span_id FROM exemplars WHERE t < ? LIMIT ?)').run(cutoff, eventBudget * 10).changes
      }
      if (retention.maxRuns) {
        const excess = (this.stmt('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n - retention.maxRuns
        if (excess > 0) this.stmt('DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY ended_at, id LIMIT ?)').run(Math.min(excess, archiveBudget))
      }
      return { events, archived, signals, more: events >= eventBudget || archived >= archiveBudget || signals >= eventBudget * 10 }
    })
  }
}

/** Makes `file` readable and writable by its owner only; a file that does not exist is left so. */
function chmodPrivate(file: string): void {
  try {
    chmodSync(file, 0o600)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
}

/**
 * An ISO time as the audit log writes it (`toISOString`, UTC), so that text order is time order: a bound
 * given with an offset (`+02:00`) or without milliseconds compares right. Text that is no time is compared as is.
 */
function timeKey(t: string): string {
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? t : new Date(ms).toISOString()
}

/** A LIMIT value: -1 is SQLite's "no limit". */
const limitOf = (limit: number | undefined): number => (limit === undefined ? -1 : Math.max(0, Math.floor(limit)))

function resourceWhere(q: ResourcePageQuery): { cond: string; args: unknown[] } {
  const where: string[] = []
  const args: unknown[] = []
  if (q.kind) where.push('kind = ?'), args.push(q.kind)
  if (q.namespace) where.push('namespace = ?'), args.push(q.namespace)
  // a row value: the unique (kind, namespace, name) index serves it
  if (q.after) where.push('(kind, namespace, name) > (?, ?, ?)'), args.push(q.after.kind, q.after.namespace, q.after.name)
  return { cond: where.length ? ` WHERE ${where.join(' AND ')}` : '', args }
}

function eventWhere(q: EventQuery): { cond: string; args: unknown[] } {
  const where: string[] = []
  const args: unknown[] = []
  if (q.uid) where.push('uid = ?'), args.push(q.uid)
  if (q.kind) where.push('kind = ?'), args.push(q.kind)
  if (q.namespace) where.push('namespace = ?'), args.push(q.namespace)
  if (q.name) where.push('name = ?'), args.push(q.name)
  if (q.sinceId !== undefined) where.push('id > ?'), args.push(q.sinceId)
  return { cond: where.length ? ` WHERE ${where.join(' AND ')}` : '', args }
}

function archiveWhere(q: Omit<ArchivePageQuery, 'limit'>): { cond: string; args: unknown[] } {
  const where: string[] = []
  const args: unknown[] = []
  if (q.kind) where.push('kind = ?'), args.push(q.kind)
  if (q.namespace) where.push('namespace = ?'), args.push(q.namespace)
  // a row value, the newest first: the (finished_at, uid) indexes serve it
  if (q.after) where.push('(finished_at, uid) < (?, ?)'), args.push(q.after.finishedAt, q.after.uid)
  return { cond: where.length ? ` WHERE ${where.join(' AND ')}` : '', args }
}

function resourceOf(row: Row): ResourceRow {
  return {
    uid: row.uid as string,
    apiVersion: row.api_version as string,
    kind: row.kind as string,
    namespace: row.namespace as string,
    name: row.name as string,
    generation: row.generation as number,
    metadata: parse<StoredMetadata>(row.metadata)!,
    spec: parse<Record<string, unknown>>(row.spec) ?? {},
    status: parse<Record<string, unknown>>(row.status) ?? {},
    createdAt: row.created_at as string,
    ...(row.deleting_at ? { deletingAt: row.deleting_at as string } : {}),
    finalizers: parse<string[]>(row.finalizers) ?? [],
  }
}

function recordOf(row: Row): RecordRow {
  const injection = parse<Record<string, unknown>>(row.injection)
  const evidence = parse<Record<string, unknown>>(row.evidence)
  return {
    uid: row.uid as string,
    key: row.key as string,
    id: row.id as string,
    selectorKey: row.selector_key as string,
    pod: row.pod as string,
    phase: row.phase as string,
    injectedCount: row.injected_count as number,
    recoveredCount: row.recovered_count as number,
    target: parse<Record<string, unknown>>(row.target) ?? {},
    ...(injection ? { injection } : {}),
    ...(evidence ? { evidence } : {}),
    ...(row.last_error ? { lastError: row.last_error as string } : {}),
    history: parse<RecordHistoryEntry[]>(row.history) ?? [],
    updatedAt: row.updated_at as string,
  }
}

function tokenOf(row: Row): TokenRow {
  return {
    name: row.name as string,
    hash: row.hash as string,
    role: row.role as Role,
    namespaces: parse<string[]>(row.namespaces) ?? [],
    createdAt: row.created_at as string,
    ...(row.expires_at ? { expiresAt: row.expires_at as string } : {}),
    ...(row.revoked_at ? { revokedAt: row.revoked_at as string } : {}),
    ...(row.last_used_at ? { lastUsedAt: row.last_used_at as string } : {}),
    ...(row.created_by ? { createdBy: row.created_by as string } : {}),
  }
}

function runOf(r: Row): RunRow {
  return {
    id: r.id as number,
    experiment: r.experiment as string,
    title: r.title as string,
    startedAt: r.started_at as string,
    endedAt: r.ended_at as string,
    status: r.status as string,
    deviated: r.deviated === 1,
    journal: JSON.parse(r.journal as string) as Record<string, unknown>,
    ...(r.created_by ? { createdBy: r.created_by as string } : {}),
  }
}

function auditOf(row: Row): AuditRow {
  return {
    id: row.id as number,
    time: row.time as string,
    actor: row.actor as string,
    ...(row.role !== null ? { role: row.role as string } : {}),
    remote: row.remote as string,
    method: row.method as string,
    path: row.path as string,
    action: row.action as string,
    target: row.target as string,
    namespace: row.namespace as string,
    status: row.status as number,
    ...(row.code !== null ? { code: row.code as string } : {}),
  }
}

function archiveSummaryOf(row: Row): ArchiveSummary {
  return {
    uid: row.uid as string,
    kind: row.kind as string,
    namespace: row.namespace as string,
    name: row.name as string,
    object: parse<Record<string, unknown>>(row.object) ?? {},
    createdAt: row.created_at as string,
    finishedAt: row.finished_at as string,
  }
}

function archiveOf(row: Row): ArchiveRow {
  return { ...archiveSummaryOf(row), records: parse<RecordRow[]>(row.records) ?? [], events: parse<EventRow[]>(row.events) ?? [] }
}
