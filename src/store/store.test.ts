/** The state database: migrations applied once, WAL on disk, all-or-nothing transactions, the archive. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
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

function resource(uid: string, name = uid): ResourceRow {
  const t = '2024-05-01T10:00:00.000Z'
  return {
    uid, apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', namespace: 'default', name, generation: 1,
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
