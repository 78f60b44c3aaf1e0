/**
 * What the API's security keeps in the state database: tokens by the hash of their text (a name taken while
 * live, freed by revoking), the append-only audit log and its pages, and database files only their owner reads.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { AUDIT_MAX_LIMIT, Store } from './store.js'
import type { AuditRow, TokenRow } from './store.js'

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chaoscope-auth-store-'))
  dirs.push(d)
  return d
}
const stores: Store[] = []
function memory(): Store {
  const s = Store.open(':memory:')
  stores.push(s)
  return s
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const mode = (path: string): number => statSync(path).mode & 0o777

function token(name: string, over: Partial<TokenRow> = {}): Omit<TokenRow, 'revokedAt' | 'lastUsedAt'> {
  return { name, hash: `hash-of-${name}`, role: 'operator', namespaces: [], createdAt: '2026-01-01T00:00:00.000Z', ...over }
}

function thrown(fn: () => unknown): ChaosError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ChaosError) return e
    throw e
  }
  throw new Error('expected a ChaosError')
}

describe('tokens', () => {
  it('are found by hash and by name, namespaces and optional fields round-tripped, and listed by name', () => {
    const s = memory()
    s.insertToken(token('zed', { role: 'viewer' }))
    s.insertToken(token('ci', { role: 'admin', namespaces: ['shop', 'pay'], expiresAt: '2026-02-01T00:00:00.000Z', createdBy: 'local-admin' }))
    expect(s.tokenByHash('hash-of-ci')).toEqual({
      name: 'ci', hash: 'hash-of-ci', role: 'admin', namespaces: ['shop', 'pay'], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-02-01T00:00:00.000Z', createdBy: 'local-admin',
    })
    expect(s.token('zed')).toEqual({ name: 'zed', hash: 'hash-of-zed', role: 'viewer', namespaces: [], createdAt: '2026-01-01T00:00:00.000Z' })
    expect(s.tokenByHash('hash-of-nobody')).toBeUndefined()
    expect(s.token('nobody')).toBeUndefined()
    expect(s.listTokens().map((t) => t.name)).toEqual(['ci', 'zed'])
  })

  it('a live name is taken (AUTH_TOKEN_EXISTS, the first token kept); a revoked one is replaced, its use forgotten', () => {
    const s = memory()
    s.insertToken(token('ci'))
    const e = thrown(() => s.insertToken(token('ci', { hash: 'other', role: 'admin' })))
    expect(e.code).toBe('AUTH_TOKEN_EXISTS')
    expect(e.message).toContain('ci')
    expect(s.token('ci')).toMatchObject({ hash: 'hash-of-ci', role: 'operator' })
    expect(s.tokenByHash('other')).toBeUndefined()

    s.touchToken('ci', '2026-01-02T00:00:00.000Z')
    expect(s.revokeToken('ci', '2026-01-03T00:00:00.000Z')).toBe(true)
    s.insertToken(token('ci', { hash: 'new', role: 'viewer', createdAt: '2026-01-04T00:00:00.000Z' }))
    expect(s.token('ci')).toEqual({ name: 'ci', hash: 'new', role: 'viewer', namespaces: [], createdAt: '2026-01-04T00:00:00.000Z' })
    expect(s.tokenByHash('hash-of-ci')).toBeUndefined() // the old text no longer opens anything
  })

  it('an expired name is free again for a token created after the expiry', () => {
    const s = memory()
    s.insertToken(token('ci', { expiresAt: '2026-01-02T00:00:00.000Z' }))
    expect(thrown(() => s.insertToken(token('ci', { hash: 'early', createdAt: '2026-01-01T12:00:00.000Z' }))).code).toBe('AUTH_TOKEN_EXISTS')
    s.insertToken(token('ci', { hash: 'later', createdAt: '2026-01-03T00:00:00.000Z' }))
    expect(s.token('ci')?.hash).toBe('later')
  })

  it('replaceToken re-issues a name whatever its state', () => {
    const s = memory()
    s.replaceToken(token('local-admin', { role: 'admin' }))
    s.touchToken('local-admin', '2026-01-02T00:00:00.000Z')
    s.replaceToken(token('local-admin', { role: 'admin', hash: 'second' }))
    expect(s.token('local-admin')).toEqual({ name: 'local-admin', hash: 'second', role: 'admin', namespaces: [], createdAt: '2026-01-01T00:00:00.000Z' })
    s.revokeToken('local-admin', '2026-01-03T00:00:00.000Z')
    s.replaceToken(token('local-admin', { role: 'admin', hash: 'third' }))
    expect(s.token('local-admin')?.revokedAt).toBeUndefined()
    expect(s.listTokens()).toHaveLength(1)
  })

  it('revoke says false for no such token and for one revoked already (the first time stays); touch notes the last use', () => {
    const s = memory()
    s.insertToken(token('ci'))
    expect(s.revokeToken('nobody', '2026-01-03T00:00:00.000Z')).toBe(false)
    expect(s.revokeToken('ci', '2026-01-03T00:00:00.000Z')).toBe(true)
    expect(s.revokeToken('ci', '2026-01-04T00:00:00.000Z')).toBe(false)
    expect(s.tokenByHash('hash-of-ci')?.revokedAt).toBe('2026-01-03T00:00:00.000Z') // a revoked token is still found: the caller says why it is refused

    s.insertToken(token('web'))
    s.touchToken('web', '2026-01-05T00:00:00.000Z')
    s.touchToken('web', '2026-01-06T00:00:00.000Z')
    expect(s.token('web')?.lastUsedAt).toBe('2026-01-06T00:00:00.000Z')
  })

  it('a role outside viewer, operator, admin, or a second token with the same hash, is a refused write (STORE_WRITE_FAILED)', () => {
    const s = memory()
    expect(thrown(() => s.insertToken(token('x', { role: 'root' as never }))).code).toBe('STORE_WRITE_FAILED')
    s.insertToken(token('a', { hash: 'same' }))
    const e = thrown(() => s.insertToken(token('b', { hash: 'same' })))
    expect(e.code).toBe('STORE_WRITE_FAILED')
    expect(e.message).toMatch(/cannot add the token b: the state database refused the write: UNIQUE constraint failed: tokens\.hash/)
    expect(s.listTokens().map((t) => t.name)).toEqual(['a'])
  })
})

function entry(time: string, actor = 'ci', over: Partial<AuditRow> = {}): Omit<AuditRow, 'id'> {
  return { time, actor, role: 'operator', remote: '127.0.0.1', method: 'POST', path: '/api/v1/apply', action: 'apply', target: 'NetworkChaos/delay', namespace: 'default', status: 200, ...over }
}

describe('audit log', () => {
  it('appends entries with increasing ids, optional fields round-tripped', () => {
    const s = memory()
    const a = s.addAudit(entry('2026-01-01T00:00:00.000Z'))
    const b = s.addAudit({ ...entry('2026-01-01T00:00:01.000Z', 'anonymous', { status: 401, code: 'AUTH_REQUIRED', target: '', namespace: '' }), role: undefined })
    expect(b.id).toBeGreaterThan(a.id)
    expect(s.audit()).toEqual([
      { id: a.id, ...entry('2026-01-01T00:00:00.000Z') },
      { id: b.id, time: '2026-01-01T00:00:01.000Z', actor: 'anonymous', remote: '127.0.0.1', method: 'POST', path: '/api/v1/apply', action: 'apply', target: '', namespace: '', status: 401, code: 'AUTH_REQUIRED' },
    ])
  })

  it('is filtered by time (since included, until excluded, offsets understood), actor and afterId, in id order, with a bounded limit', () => {
    const s = memory()
    for (let i = 0; i < 6; i++) s.addAudit(entry(`2026-01-01T00:00:0${i}.000Z`, i % 2 === 0 ? 'ci' : 'alice'))
    const times = (rows: AuditRow[]): string[] => rows.map((r) => r.time.slice(17, 19))
    expect(times(s.audit({ since: '2026-01-01T00:00:02.000Z', until: '2026-01-01T00:00:04.000Z' }))).toEqual(['02', '03'])
    expect(times(s.audit({ since: '2026-01-01T01:00:03+01:00' }))).toEqual(['03', '04', '05'])
    expect(times(s.audit({ actor: 'alice' }))).toEqual(['01', '03', '05'])
    const first = s.audit({ limit: 2 })
    expect(times(first)).toEqual(['00', '01'])
    expect(times(s.audit({ afterId: first.at(-1)!.id, limit: 2 }))).toEqual(['02', '03'])
    expect(times(s.audit({ actor: 'ci', afterId: first.at(-1)!.id }))).toEqual(['02', '04'])
    expect(s.audit({ limit: 0 })).toEqual([])
  })

  it('answers at most 1000 entries unless asked, and never more than 10000', () => {
    const s = memory()
    s.transaction(() => {
      for (let i = 0; i < AUDIT_MAX_LIMIT + 5; i++) s.addAudit(entry('2026-01-01T00:00:00.000Z'))
    })
    expect(s.audit()).toHaveLength(1000)
    expect(s.audit({ limit: 5000 })).toHaveLength(5000)
    expect(s.audit({ limit: 1_000_000 })).toHaveLength(AUDIT_MAX_LIMIT)
  })

  it('cannot be changed nor shortened, even with SQL on the file', () => {
    const dir = tempDir()
    const path = join(dir, 'state.db')
    const s = Store.open(path)
    s.addAudit(entry('2026-01-01T00:00:00.000Z'))
    s.close()
    const raw = new Database(path)
    expect(() => raw.prepare("UPDATE audit SET actor = 'someone-else'").run()).toThrow('the audit log is append-only')
    expect(() => raw.prepare('DELETE FROM audit').run()).toThrow('the audit log is append-only')
    raw.close()
    const again = Store.open(path)
    expect(again.audit().map((r) => r.actor)).toEqual(['ci'])
    again.close()
  })
})

describe('database files', () => {
  it('a new database, its -wal and -shm are 0600, in a directory made 0700', () => {
    const path = join(tempDir(), 'nested', 'state.db')
    const s = Store.open(path)
    s.insertToken(token('ci'))
    expect(existsSync(`${path}-wal`)).toBe(true)
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600])
    expect(mode(join(path, '..'))).toBe(0o700)
    s.close()
  })

  it('existing files readable by others are made 0600 when opened', () => {
    const path = join(tempDir(), 'state.db')
    const raw = new Database(path)
    raw.pragma('journal_mode = WAL')
    raw.exec('CREATE TABLE t (x)')
    for (const f of [path, `${path}-wal`, `${path}-shm`]) chmodSync(f, 0o644)
    const s = Store.open(path) // while raw still holds the -wal and -shm open
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600])
    s.close()
    raw.close()
  })
})
