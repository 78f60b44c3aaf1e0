/**
 * The archive over the API, in-process (app.request) on the real Controller and store: an experiment deleted
 * through the API is listed and read back whole; pages of 1000 archived ones (newest finished first, every one
 * once, on an index), the filters, the bad queries, and what a token limited to a namespace may read.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Store } from '../store/store.js'
import { bearer } from '../../test/doubles/auth.js'
import { stopControllers, tokenApi } from '../../test/doubles/token-api.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any

afterEach(stopControllers)

const ADMIN = 'chs_admin-of-the-archive-test'
const TEAM_A = 'chs_viewer-of-team-a'

/** An API with tokens over a real controller: an admin, and a viewer limited to team-a. */
function setup() {
  const { controller, store, app } = tokenApi([{ name: 'root', token: ADMIN, role: 'admin' }, { name: 'team-a', token: TEAM_A, role: 'viewer', namespaces: ['team-a'] }], { archive: true })
  const get = async (path: string, token = ADMIN) => {
    const res = await app.request(path, { headers: bearer(token) })
    return { status: res.status, body: (await res.json()) as Json }
  }
  return { controller, store, app, get }
}

let seq = 0
/** Archives an experiment as the controller does (insert, then archive), finished at `finishedAt`. */
function archived(store: Store, o: { kind?: string; namespace?: string; name?: string; finishedAt: string }): string {
  const uid = `uid-${++seq}`
  const kind = o.kind ?? 'NetworkChaos'
  const namespace = o.namespace ?? 'default'
  const name = o.name ?? `exp-${seq}`
  const metadata = { name, namespace, uid, generation: 1, creationTimestamp: '2026-12-01T00:00:00.000Z' }
  store.insertResource({ uid, apiVersion: 'chaos-mesh.org/v1alpha1', kind, namespace, name, generation: 1, metadata, spec: { action: 'delay' }, status: {}, createdAt: metadata.creationTimestamp, finalizers: [] })
  store.upsertRecord({ uid, key: 'back-aaaaa', id: `${namespace}/back-aaaaa`, selectorKey: '.', pod: 'back-aaaaa', phase: 'Not Injected', injectedCount: 1, recoveredCount: 1, target: {}, history: [], updatedAt: o.finishedAt })
  store.addEvent({ uid, kind, namespace, name, type: 'Normal', reason: 'Recovered', message: 'recovered back-aaaaa', time: o.finishedAt })
  store.archive(uid, { apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata, spec: { action: 'delay' }, status: { chaoscope: { phase: 'finished' } } }, o.finishedAt)
  return uid
}

/** ISO time `i` seconds after a fixed start. */
const second = (i: number) => new Date(Date.parse('2026-12-05T10:00:00.000Z') + i * 1000).toISOString()

describe('GET /api/v1/archive and /api/v1/archive/{uid}', () => {
  it('lists an experiment deleted through the API, and reads it back with its records and events', async () => {
    const { app, get } = setup()
    const yaml = 'apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: gone}\nspec: {action: delay, mode: all, selector: {labelSelectors: {app: back}}, delay: {latency: 10ms}}\n'
    const made = await app.request('/api/v1/resources', { method: 'POST', body: yaml, headers: { 'content-type': 'application/yaml', ...bearer(ADMIN) } })
    expect(made.status).toBe(201)
    const uid = ((await made.json()) as Json).items[0].object.metadata.uid as string
    const deleted = await app.request('/api/v1/namespaces/default/networkchaos/gone', { method: 'DELETE', headers: bearer(ADMIN) })
    expect(((await deleted.json()) as Json).gone).toBe(true)

    const list = await get('/api/v1/archive')
    expect(list.status).toBe(200)
    expect(list.body.items).toHaveLength(1)
    const item = list.body.items[0]
    expect(item).toMatchObject({ uid, kind: 'NetworkChaos', namespace: 'default', name: 'gone', object: { kind: 'NetworkChaos', metadata: { name: 'gone', uid } } })
    expect(Date.parse(item.finishedAt)).toBeGreaterThanOrEqual(Date.parse(item.createdAt))
    // a light list: no records, no events
    expect(Object.keys(item).sort()).toEqual(['createdAt', 'finishedAt', 'kind', 'name', 'namespace', 'object', 'uid'])
    expect(list.body.metadata).toEqual({})

    const one = await get(`/api/v1/archive/${uid}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ uid, name: 'gone', finishedAt: item.finishedAt })
    expect(one.body.records.map((r: { pod: string }) => r.pod)).toEqual(['back-aaaaa'])
    expect(one.body.events.length).toBeGreaterThan(0)
    expect(one.body.events.every((e: { uid: string }) => e.uid === uid)).toBe(true)
  })

  it('pages 1000 archived experiments newest finished first, 100 by default, each once, on an index', async () => {
    const { store, get } = setup()
    // finished in a shuffled order, two of them in the same second (the uid breaks the tie)
    const order = Array.from({ length: 1000 }, (_, i) => (i * 389) % 1000)
    const rows = store.transaction(() => order.map((i) => {
      const finishedAt = second(Math.min(i, 998))
      return { finishedAt, uid: archived(store, { finishedAt }) }
    }))
    const desc = (x: string, y: string) => (x < y ? 1 : x > y ? -1 : 0)
    const expected = [...rows].sort((p, q) => desc(p.finishedAt, q.finishedAt) || desc(p.uid, q.uid)).map((r) => r.uid)

    const first = await get('/api/v1/archive')
    expect(first.body.items).toHaveLength(100)
    expect(first.body.metadata.remainingItemCount).toBe(900)
    const seen: string[] = []
    let cont: string | undefined
    const t0 = performance.now()
    do {
      const page = await get(`/api/v1/archive?limit=250${cont ? `&continue=${cont}` : ''}`)
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((x: { uid: string }) => x.uid))
      cont = page.body.metadata.continue
    } while (cont)
    const ms = performance.now() - t0
    expect(seen).toEqual(expected)
    expect(ms).toBeLessThan(2000)
    // each page is read from an index in its order: no scan of the table, no sort of it
    const plan = (store.db.prepare("EXPLAIN QUERY PLAN SELECT uid FROM archive WHERE (finished_at, uid) < ('x', 'y') ORDER BY finished_at DESC, uid DESC LIMIT 101").all() as { detail: string }[]).map((r) => r.detail).join('; ')
    expect(plan).toMatch(/USING (COVERING )?INDEX archive_page/)
    expect(plan).not.toMatch(/TEMP B-TREE/)
    const byNamespace = (store.db.prepare("EXPLAIN QUERY PLAN SELECT uid FROM archive WHERE namespace = 'a' ORDER BY finished_at DESC, uid DESC LIMIT 101").all() as { detail: string }[]).map((r) => r.detail).join('; ')
    expect(byNamespace).toMatch(/INDEX archive_namespace_page/)
    expect(byNamespace).not.toMatch(/TEMP B-TREE/)
  })

  it('filters by kind (any of its names) and namespace; refuses a bad limit, an unknown kind and a token of another query', async () => {
    const { store, get } = setup()
    const a = archived(store, { namespace: 'team-a', finishedAt: second(1) })
    const b = archived(store, { namespace: 'team-b', finishedAt: second(2) })
    const c = archived(store, { namespace: 'team-a', kind: 'PodChaos', finishedAt: second(3) })
    const uids = async (q: string) => ((await get(`/api/v1/archive${q}`)).body.items as { uid: string }[]).map((x) => x.uid)
    expect(await uids('')).toEqual([c, b, a])
    expect(await uids('?namespace=team-a')).toEqual([c, a])
    expect(await uids('?kind=nc')).toEqual([b, a])
    expect(await uids('?kind=podchaos&namespace=team-a')).toEqual([c])
    expect(await uids('?kind=all&namespace=team-b')).toEqual([b])

    for (const limit of ['0', '1001', 'x']) expect((await get(`/api/v1/archive?limit=${limit}`)).body.code).toBe('API_INVALID_QUERY')
    const unknown = await get('/api/v1/archive?kind=nochaos')
    expect([unknown.status, unknown.body.code]).toEqual([422, 'SPEC_UNKNOWN_KIND'])
    const page = await get('/api/v1/archive?namespace=team-a&limit=1')
    expect(page.body.metadata).toEqual({ continue: expect.any(String), remainingItemCount: 1 })
    expect((await get(`/api/v1/archive?namespace=team-a&limit=1&continue=${page.body.metadata.continue}`)).body.items.map((x: { uid: string }) => x.uid)).toEqual([a])
    const foreign = await get(`/api/v1/archive?namespace=team-b&limit=1&continue=${page.body.metadata.continue}`)
    expect([foreign.status, foreign.body.code]).toEqual([400, 'API_INVALID_QUERY'])
  })

  it('a token limited to team-a lists and reads team-a\'s only; an unknown uid is 404; no token is 401', async () => {
    const { store, get, app } = setup()
    const a = archived(store, { namespace: 'team-a', finishedAt: second(1) })
    const b = archived(store, { namespace: 'team-b', finishedAt: second(2) })
    expect((await get('/api/v1/archive', TEAM_A)).body.code).toBe('AUTH_NAMESPACE_FORBIDDEN')
    expect((await get('/api/v1/archive?namespace=team-b', TEAM_A)).body.code).toBe('AUTH_NAMESPACE_FORBIDDEN')
    const own = await get('/api/v1/archive?namespace=team-a', TEAM_A)
    expect(own.body.items.map((x: { uid: string }) => x.uid)).toEqual([a])
    expect((await get(`/api/v1/archive/${a}`, TEAM_A)).status).toBe(200)
    const other = await get(`/api/v1/archive/${b}`, TEAM_A)
    expect([other.status, other.body.code]).toEqual([403, 'AUTH_NAMESPACE_FORBIDDEN'])
    const none = await get('/api/v1/archive/no-such-uid')
    expect([none.status, none.body.code]).toEqual([404, 'CONTROLLER_NOT_FOUND'])
    expect((await app.request('/api/v1/archive')).status).toBe(401)
  })
})
