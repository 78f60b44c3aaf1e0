/**
 * The state database: migrations applied once, WAL on disk, all-or-nothing transactions, the archive, keyset
 * pages, and retention of events and the archive by age and count.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'
import { MIGRATIONS } from './migrations.js'
import { Store } from './store.js'
import type { RecordRow, ResourceRow } from './store.js'

const dirs: string[] = []
function tempDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'chaoscope-store-'))
  dirs.push(d)
  return join(d, 'nested', 'state.db')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function resource(uid: string, name = uid, kind = 'NetworkChaos', namespace = 'default'): ResourceRow {
  const t = '2024-05-01T10:00:00.000Z'
  return {
    uid, apiVersion: 'chaos-mesh.org/v1alpha1', kind, namespace, name, generation: 1,
    metadata: { name, namespace: 'default', uid, generation: 1, creationTimestamp: t, labels: { team: 'a' } },
    spec: { action: 'delay', duration: '30s' }, status: {}, createdAt: t, finalizers: ['chaoscope.dev/records'],
  }
}

function record(uid: string, key: string, phase = 'Not Injected'): RecordRow {
  return { uid, key, id: `default/${key}`, selectorKey: '.', pod: key, phase, injectedCount: 0, recoveredCount: 0, target: { key }, history: [], updatedAt: '2024-05-01T10:00:00.000Z' }
}

describe('Store', () => {
  it('creates the file and its directory, in WAL mode, with every migration applied once', () => {
    const path = tempDb()
    const s = Store.open(path)
    expect(s.journalMode()).toBe('wal')
    expect(s.migrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version))
    s.insertResource(resource('u1'))
    expect(existsSync(`${path}-wal`)).toBe(true)
    s.close()
  })

  it('reopening applies nothing twice and keeps the data', () => {
    const path = tempDb()
    const a = Store.open(path)
    a.insertResource(resource('u1'))
    a.upsertRecord(record('u1', 'web-1'))
    a.close()
    const b = Store.open(path)
    expect(b.migrations()).toHaveLength(MIGRATIONS.length)
    expect(b.getResource('u1')).toMatchObject({ name: 'u1', spec: { action: 'delay' }, metadata: { labels: { team: 'a' } }, finalizers: ['chaoscope.dev/records'] })
    expect(b.records('u1').map((r) => r.key)).toEqual(['web-1'])
    b.close()
    const c = Store.open(path)
    expect(c.migrations()).toHaveLength(MIGRATIONS.length)
    c.close()
  })

  it('refuses a database with a migration newer than it knows', () => {
    const path = tempDb()
    Store.open(path).close()
    const raw = new Database(path)
    raw.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from the future', new Date().toISOString())
    raw.close()
    expect(() => Store.open(path)).toThrowError(expect.objectContaining({ code: 'STORE_SCHEMA_TOO_NEW' }) as ChaosError)
  })

  it('a transaction that throws leaves nothing behind', () => {
    const s = Store.open(tempDb())
    expect(() =>
      s.transaction(() => {
        s.insertResource(resource('u1'))
        s.upsertRecord(record('u1', 'web-1'))
        s.addEvent({ uid: 'u1', kind: 'NetworkChaos', namespace: 'default', name: 'u1', type: 'Normal', reason: 'Selected', message: 'x', time: 't' })
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(s.getResource('u1')).toBeUndefined()
    expect(s.allRecords()).toEqual([])
    expect(s.events()).toEqual([])
    s.close()
  })

  it('names are unique per kind and namespace', () => {
    const s = Store.open(':memory:')
    s.insertResource(resource('u1', 'same'))
    expect(() => s.insertResource(resource('u2', 'same'))).toThrow(/UNIQUE/)
    s.close()
  })

  it('updates records in place and keeps their selection order', () => {
    const s = Store.open(':memory:')
    s.insertResource(resource('u1'))
    for (const k of ['web-b', 'web-a', 'web-c']) s.upsertRecord(record('u1', k))
    s.upsertRecord({ ...record('u1', 'web-a', 'Injected'), injectedCount: 1, injection: { kind: 'NetworkChaos', data: { n: 1 } }, lastError: 'once' })
    const recs = s.records('u1')
    expect(recs.map((r) => r.key)).toEqual(['web-b', 'web-a', 'web-c'])
    expect(recs[1]).toMatchObject({ phase: 'Injected', injectedCount: 1, injection: { data: { n: 1 } }, lastError: 'once' })
    s.close()
  })

  it('filters events and pages them by id', () => {
    const s = Store.open(':memory:')
    const ev = (uid: string, reason: string) => s.addEvent({ uid, kind: 'PodChaos', namespace: 'default', name: uid, type: 'Normal', reason, message: reason, time: 't' })
    const a = ev('a', 'Selected')
    ev('b', 'Selected')
    ev('a', 'Applied')
    expect(s.events({ uid: 'a' }).map((e) => e.reason)).toEqual(['Selected', 'Applied'])
    expect(s.events({ sinceId: a.id }).map((e) => `${e.uid}:${e.reason}`)).toEqual(['b:Selected', 'a:Applied'])
    expect(s.events({ limit: 1 }).map((e) => e.reason)).toEqual(['Applied'])
    expect(s.hasEvent('a', 'Applied')).toBe(true)
    expect(s.hasEvent('b', 'Applied')).toBe(false)
    s.close()
  })

  it('archive moves the resource and its records, keeping its events', () => {
    const s = Store.open(':memory:')
    s.insertResource(resource('u1'))
    s.upsertRecord(record('u1', 'web-1'))
    s.addEvent({ uid: 'u1', kind: 'NetworkChaos', namespace: 'default', name: 'u1', type: 'Normal', reason: 'Recovered', message: 'm', time: 't' })
    const row = s.archive('u1', { kind: 'NetworkChaos', status: { done: true } }, '2024-05-01T11:00:00.000Z')
    expect(row).toMatchObject({ uid: 'u1', records: [{ key: 'web-1' }], events: [{ reason: 'Recovered' }] })
    expect(s.getResource('u1')).toBeUndefined()
    expect(s.records('u1')).toEqual([])
    expect(s.events({ uid: 'u1' })).toHaveLength(1)
    expect(s.getArchived('u1')).toMatchObject({ object: { status: { done: true } }, finishedAt: '2024-05-01T11:00:00.000Z' })
    expect(s.listArchived({ name: 'u1' })).toHaveLength(1)
    expect(s.archive('u1', {}, 'x')).toBeUndefined()
    s.close()
  })
})

describe('Store claim', () => {
  it('one live controller process per database: a live holder is named, a dead one replaced, a release frees it', () => {
    const store = Store.open(':memory:')
    const alive = new Set([100, 200])
    const isAlive = (pid: number) => alive.has(pid)
    expect(store.claim(100, isAlive)).toBeUndefined()
    expect(store.claim(100, isAlive)).toBeUndefined() // the same process again
    expect(store.claim(200, isAlive)).toBe(100)
    alive.delete(100) // killed: its claim is stale
    expect(store.claim(200, isAlive)).toBeUndefined()
    store.release(100) // not the holder: nothing changes
    expect(store.claim(300, isAlive)).toBe(200)
    store.release(200)
    expect(store.claim(300, isAlive)).toBeUndefined()
    store.close()
  })
})

describe('Store pages', () => {
  const key = (r: ResourceRow) => `${r.kind}/${r.namespace}/${r.name}`

  it('pages resources by (kind, namespace, name): what is created or deleted between pages never repeats or hides another', () => {
    const s = Store.open(':memory:')
    const names = ['b', 'd', 'f', 'h', 'j', 'l']
    for (const n of names) s.insertResource(resource(`u-${n}`, n))
    s.insertResource(resource('u-pod', 'a', 'PodChaos'))
    s.insertResource(resource('u-other', 'a', 'NetworkChaos', 'other'))
    const seen: string[] = []
    let after: { kind: string; namespace: string; name: string } | undefined
    for (let page = 0; page < 20; page++) {
      const rows = s.listResources({ ...(after ? { after } : {}), limit: 3 })
      seen.push(...rows.map(key))
      if (rows.length < 3) break
      after = rows.at(-1)!
      if (page === 0) {
        s.insertResource(resource('u-a', 'a')) // sorts before the cursor: not on a later page
        s.insertResource(resource('u-k', 'k')) // after it: on a later page
        s.transaction(() => s.db.prepare("DELETE FROM resources WHERE uid = 'u-h'").run()) // gone before its page
      }
    }
    expect(seen).toEqual([
      'NetworkChaos/default/b', 'NetworkChaos/default/d', 'NetworkChaos/default/f',
      'NetworkChaos/default/j', 'NetworkChaos/default/k', 'NetworkChaos/default/l',
      'NetworkChaos/other/a', 'PodChaos/default/a',
    ])
    expect(new Set(seen).size).toBe(seen.length)
    expect(s.listResources({ kind: 'NetworkChaos', namespace: 'default', after: { kind: 'NetworkChaos', namespace: 'default', name: 'f' } }).map((r) => r.name)).toEqual(['j', 'k', 'l'])
    expect(s.countResources({ after: { kind: 'NetworkChaos', namespace: 'default', name: 'f' } })).toBe(5)
    expect(s.countResources({ kind: 'PodChaos' })).toBe(1)
    s.close()
  })

  it('pages events by id: events added while paging come on later pages, none twice, none skipped', () => {
    const s = Store.open(':memory:')
    const ev = (ns: string, i: number) => s.addEvent({ uid: `u${i % 3}`, kind: 'PodChaos', namespace: ns, name: `n${i}`, type: 'Normal', reason: 'Selected', message: String(i), time: '2024-05-01T10:00:00.000Z' })
    for (let i = 0; i < 10; i++) ev(i % 2 ? 'a' : 'b', i)
    const seen: string[] = []
    let since = 0
    for (let page = 0; page < 20; page++) {
      const rows = s.events({ namespace: 'a', sinceId: since, limit: 2 })
      seen.push(...rows.map((e) => e.message))
      if (rows.length < 2) break
      since = rows.at(-1)!.id
      if (page === 1) for (let i = 10; i < 14; i++) ev(i % 2 ? 'a' : 'b', i)
    }
    expect(seen).toEqual(['1', '3', '5', '7', '9', '11', '13'])
    expect(s.countEvents({ namespace: 'a', sinceId: 0 })).toBe(7)
    expect(s.countEvents({ uid: 'u0' })).toBe(5)
    s.close()
  })
})

describe('Store retention', () => {
  const DAY = 86_400_000
  function seeded() {
    const clock = new ManualClock('2024-05-01T00:00:00.000Z')
    const s = Store.open(':memory:')
    const ev = (uid: string, reason: string) => s.addEvent({ uid, kind: 'NetworkChaos', namespace: 'default', name: uid, type: 'Normal', reason, message: reason, time: new Date(clock.now()).toISOString() })
    return { clock, s, ev }
  }

  it('prunes by age the events of experiments that are gone, never those of one that still exists', () => {
    const { clock, s, ev } = seeded()
    s.insertResource(resource('live'))
    ev('live', 'Selected')
    ev('gone', 'Selected')
    ev('gone', 'Archived')
    clock.advance(3 * DAY)
    ev('live', 'Finished')
    ev('gone2', 'Archived')
    expect(s.prune({ eventTtlMs: 7 * DAY }, clock.now())).toEqual({ events: 0, archived: 0, signals: 0, more: false })
    clock.advance(5 * DAY) // the first three are 8 days old, the rest 5
    expect(s.prune({ eventTtlMs: 7 * DAY }, clock.now())).toMatchObject({ events: 2, more: false })
    expect(s.events().map((e) => `${e.uid}:${e.reason}`)).toEqual(['live:Selected', 'live:Finished', 'gone2:Archived'])
    expect(s.hasEvent('live', 'Selected')).toBe(true)
    clock.advance(3 * DAY)
    s.prune({ eventTtlMs: 7 * DAY }, clock.now())
    expect(s.events().map((e) => `${e.uid}:${e.reason}`)).toEqual(['live:Selected', 'live:Finished'])
    s.close()
  })

  it('prunes by count the oldest events of experiments that are gone', () => {
    const { s, ev } = seeded()
    s.insertResource(resource('live'))
    ev('live', 'Selected')
    for (let i = 0; i < 6; i++) ev(`gone${i}`, 'Archived')
    ev('live', 'Started')
    expect(s.prune({ maxEvents: 5 }, Date.now())).toMatchObject({ events: 3 })
    expect(s.events().map((e) => e.uid)).toEqual(['live', 'gone3', 'gone4', 'gone5', 'live'])
    // more live events than the limit: every event of a gone experiment goes, the live ones stay
    for (let i = 0; i < 5; i++) ev('live', 'Paused')
    s.prune({ maxEvents: 5 }, Date.now())
    expect(s.events().every((e) => e.uid === 'live')).toBe(true)
    expect(s.countEvents()).toBe(7)
    s.close()
  })

  it('prunes the archive by age of finishing and by count, oldest finished first', () => {
    const { clock, s } = seeded()
    const finish = (uid: string) => {
      s.insertResource(resource(uid))
      s.archive(uid, { kind: 'NetworkChaos' }, new Date(clock.now()).toISOString())
    }
    finish('a1')
    clock.advance(DAY)
    finish('a2')
    clock.advance(3_600_000)
    finish('a3')
    clock.advance(DAY)
    finish('a4')
    expect(s.prune({ archiveTtlMs: 1.5 * DAY }, clock.now())).toEqual({ events: 0, archived: 1, signals: 0, more: false })
    expect(s.listArchived().map((a) => a.uid)).toEqual(['a2', 'a3', 'a4'])
    expect(s.prune({ maxArchived: 2 }, clock.now())).toMatchObject({ archived: 1 })
    expect(s.listArchived().map((a) => a.uid)).toEqual(['a3', 'a4'])
    expect(s.getArchived('a2')).toBeUndefined()
    s.close()
  })

  it('deletes in bounded batches and says when more is left', () => {
    const { clock, s, ev } = seeded()
    s.transaction(() => {
      for (let i = 0; i < 2500; i++) ev(`gone${i}`, 'Archived')
    })
    clock.advance(30 * DAY)
    const rounds: number[] = []
    for (let i = 0; i < 10; i++) {
      const r = s.prune({ eventTtlMs: DAY }, clock.now(), 1000)
      rounds.push(r.events)
      if (!r.more) break
    }
    expect(rounds).toEqual([1000, 1000, 500])
    expect(s.countEvents()).toBe(0)
    s.close()
  })

  it('keeps everything without limits', () => {
    const { clock, s, ev } = seeded()
    for (let i = 0; i < 20; i++) ev(`gone${i}`, 'Archived')
    clock.advance(365 * DAY)
    expect(s.prune({}, clock.now())).toEqual({ events: 0, archived: 0, signals: 0, more: false })
    expect(s.prune({ eventTtlMs: 0, maxEvents: 0, archiveTtlMs: 0, maxArchived: 0 }, clock.now())).toEqual({ events: 0, archived: 0, signals: 0, more: false })
    expect(s.countEvents()).toBe(20)
    s.close()
  })
})

describe('signals, exemplars and runs', () => {
  const bounds = [1, 10, 100]
  const signal = (t: number, sidecar = 'web>api', counts = [0, 4, 1, 0]) => ({ sidecar, t, stepMs: 1000, source: 'web', destination: 'api', requests: { '2xx': 5 }, bounds, counts, sumMs: 42 })

  it('reads back the rows of a range as written (sparse counts, the series kept once), survives a reopen, prunes by age', () => {
    const path = tempDb()
    let s = Store.open(path)
    s.appendSignals([signal(1000), signal(1000, 'other>api'), signal(2000), signal(5000, 'web>api', [3, 0, 0, 2])])
    // the same sidecar and step again replaces the row
    s.appendSignals([signal(2000, 'web>api', [0, 0, 0, 9])])
    s.close()
    s = Store.open(path)
    expect(s.signals(1000, 3000)).toEqual([signal(1000, 'other>api'), signal(1000), signal(2000, 'web>api', [0, 0, 0, 9])])
    expect(s.signals(5000, 5001)).toEqual([signal(5000, 'web>api', [3, 0, 0, 2])])
    expect((s.db.prepare('SELECT COUNT(*) AS n FROM signal_series').get() as { n: number }).n).toBe(2)
    s.appendExemplars([{ traceId: 't', spanId: 'a', parentSpanId: null, t: 1500, durationMs: 9, sidecar: 'web>api', source: 'web', destination: 'api', method: 'GET', path: '/', status: 503, faults: ['f'] }])
    expect(s.exemplars({ traceId: 't' }).map((e) => [e.spanId, e.status, e.faults])).toEqual([['a', 503, ['f']]])
    expect(s.prune({ signalTtlMs: 1000 }, 4000)).toEqual({ events: 0, archived: 0, signals: 4, more: false })
    expect(s.signals(0, 10_000).map((r) => r.t)).toEqual([5000])
    expect(s.exemplars({ from: 0, to: 10_000 })).toEqual([])
    s.close()
  })

  it('keeps runs, lists the newest in end order, by experiment and time', () => {
    const s = Store.open(':memory:')
    const run = (experiment: string, end: string) => s.addRun({ experiment, title: experiment, startedAt: end, endedAt: end, status: 'completed', deviated: false, journal: { title: experiment } })
    run('a', '2026-12-04T10:00:00.000Z')
    run('b', '2026-12-04T11:00:00.000Z')
    run('a', '2026-12-04T12:00:00.000Z')
    expect(s.runs().map((r) => [r.id, r.experiment])).toEqual([[1, 'a'], [2, 'b'], [3, 'a']])
    expect(s.runs({ experiment: 'a', limit: 1 }).map((r) => r.id)).toEqual([3])
    expect(s.runs({ since: '2026-12-04T10:30:00Z', until: '2026-12-04T12:00:00Z' }).map((r) => r.id)).toEqual([2])
    expect(s.getRun(3)?.journal).toEqual({ title: 'a' })
    expect(s.getRun(9)).toBeUndefined()
    s.prune({ maxRuns: 2 }, Date.now())
    expect(s.runs().map((r) => r.id)).toEqual([2, 3])
    s.close()
  })
})
