/**
 * The list endpoints page as Kubernetes lists do: `limit`, `continue`, `metadata.remainingItemCount`; a default
 * page when no limit is given; pages stable while events are added and resources deleted; a bad limit or token
 * is 400 with a code. In-process (app.request) on the real Controller and an in-memory store.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { apiApp } from './app.js'
import { DEFAULT_PAGE, MAX_PAGE } from './paging.js'
import { Controller } from '../engine/controller.js'
import { Store } from '../store/store.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'

interface ListBody<T> {
  items: T[]
  metadata: { continue?: string; remainingItemCount?: number }
}
interface Ev {
  id: number
  message: string
  namespace: string
}
interface Obj {
  kind: string
  metadata: { name: string; namespace: string }
}

const delay = (name: string, team = 'a', namespace = 'default') => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}, namespace: ${namespace}, labels: {team: ${team}}}
spec: {action: delay, mode: all, selector: {namespaces: [default], labelSelectors: {app: back}}, delay: {latency: 100ms}}
`

const controllers: Controller[] = []
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
})

async function setup() {
  const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' })])
  const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0, podWatchMs: 0 })
  controllers.push(controller)
  await controller.start()
  const app = apiApp({ controller, runtime })
  const get = async <T>(path: string): Promise<{ status: number; body: ListBody<T> & { code?: string; message?: string } }> => {
    const res = await app.request(path)
    return { status: res.status, body: (await res.json()) as ListBody<T> & { code?: string } }
  }
  /** Events written straight into the store: the API reads them as it reads the controller's own. */
  const addEvents = (n: number, namespace = 'default', from = 0) =>
    controller.store.transaction(() => {
      for (let i = from; i < from + n; i++) controller.store.addEvent({ uid: `u${i}`, kind: 'NetworkChaos', namespace, name: `n${i}`, type: 'Normal', reason: 'Selected', message: String(i), time: '2024-05-01T10:00:00.000Z' })
    })
  const post = (body: string) => app.request('/api/v1/resources', { method: 'POST', body, headers: { 'content-type': 'application/yaml' } })
  return { controller, app, get, addEvents, post }
}

/** Every item of a list, page after page, with `limit`; `between(page)` runs after each page. */
async function all<T>(get: (p: string) => Promise<{ status: number; body: ListBody<T> }>, path: string, limit: number, between: (page: number) => void = () => {}): Promise<{ items: T[]; pages: ListBody<T>['metadata'][] }> {
  const items: T[] = []
  const pages: ListBody<T>['metadata'][] = []
  let token: string | undefined
  for (let page = 0; page < 1000; page++) {
    const sep = path.includes('?') ? '&' : '?'
    const res = await get(`${path}${sep}limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    items.push(...res.body.items)
    pages.push(res.body.metadata)
    token = res.body.metadata.continue
    if (!token) break
    between(page)
  }
  return { items, pages }
}

describe('GET /api/v1/events pages', () => {
  it('gives limit events a page, a continue token and the count left, until the last page', async () => {
    const { get, addEvents } = await setup()
    addEvents(5)
    const first = await get<Ev>('/api/v1/events?limit=2')
    expect(first.body.items.map((e) => e.message)).toEqual(['0', '1'])
    expect(first.body.metadata).toEqual({ continue: expect.any(String), remainingItemCount: 3 })
    const { items, pages } = await all<Ev>(get, '/api/v1/events', 2)
    expect(items.map((e) => e.message)).toEqual(['0', '1', '2', '3', '4'])
    expect(pages.map((m) => m.remainingItemCount)).toEqual([3, 1, undefined])
    expect(pages.at(-1)).toEqual({})
  })

  it('stays stable while events are added between pages: none twice, none skipped, the new ones last', async () => {
    const { get, addEvents } = await setup()
    addEvents(6, 'default')
    addEvents(6, 'other', 100)
    let n = 200
    const { items } = await all<Ev>(get, '/api/v1/events?namespace=default', 4, () => {
      addEvents(1, 'default', n++)
      addEvents(1, 'other', n++)
    })
    const messages = items.map((e) => e.message)
    expect(messages.slice(0, 6)).toEqual(['0', '1', '2', '3', '4', '5'])
    expect(new Set(messages).size).toBe(messages.length)
    expect(items.every((e) => e.namespace === 'default')).toBe(true)
    expect(items.map((e) => e.id)).toEqual([...items.map((e) => e.id)].sort((a, b) => a - b))
  })

  it(`without limit answers one page of ${DEFAULT_PAGE}, not everything at once`, async () => {
    const { get, addEvents } = await setup()
    addEvents(DEFAULT_PAGE + 20)
    const res = await get<Ev>('/api/v1/events')
    expect(res.body.items).toHaveLength(DEFAULT_PAGE)
    expect(res.body.metadata.remainingItemCount).toBe(20)
    const rest = await get<Ev>(`/api/v1/events?continue=${res.body.metadata.continue!}`)
    expect(rest.body.items.map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => String(DEFAULT_PAGE + i)))
    expect(rest.body.metadata).toEqual({})
  })

  it('pages the events of one resource, keeping sinceId', async () => {
    const { get, post } = await setup()
    expect((await post(delay('d1'))).status).toBe(201)
    const base = '/api/v1/namespaces/default/networkchaos/d1/events'
    const whole = (await get<Ev>(base)).body.items
    expect(whole.length).toBeGreaterThanOrEqual(3)
    const { items } = await all<Ev>(get, base, 1)
    expect(items).toEqual(whole)
    const since = await all<Ev>(get, `${base}?sinceId=${whole[0]!.id}`, 1)
    expect(since.items).toEqual(whole.slice(1))
  })
})

describe('GET /api/v1/resources pages', () => {
  it('pages by kind, namespace and name; a resource deleted between pages hides no other', async () => {
    const { get, post, controller } = await setup()
    expect((await post(['d1', 'd2', 'd3', 'd4', 'd5'].map((n) => delay(n)).join('---\n') + '---\n' + delay('d0', 'a', 'aaa'))).status).toBe(201)
    const { items, pages } = await all<Obj>(get, '/api/v1/resources', 2, (page) => {
      if (page === 0) void controller.delete('NetworkChaos', 'default', 'd2', { wait: false })
    })
    // d2 was on page 2 and is still there while it recovers (or gone): either way, no other one is lost
    const names = items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
    expect(names.filter((n) => n !== 'default/d2')).toEqual(['aaa/d0', 'default/d1', 'default/d3', 'default/d4', 'default/d5'])
    expect(pages[0]).toEqual({ continue: expect.any(String), remainingItemCount: 4 })
  })

  it('with a label selector: every match once, no remainingItemCount (unknown, as in Kubernetes)', async () => {
    const { get, post } = await setup()
    expect((await post(['d1', 'd2', 'd3', 'd4'].map((n, i) => delay(n, i % 2 ? 'b' : 'a')).join('---\n'))).status).toBe(201)
    const { items, pages } = await all<Obj>(get, '/api/v1/resources?labelSelector=team%3Da', 1)
    expect(items.map((o) => o.metadata.name)).toEqual(['d1', 'd3'])
    expect(pages.every((m) => m.remainingItemCount === undefined)).toBe(true)
  })
})

describe('bad paging parameters', () => {
  it.each(['0', '-1', '1.5', 'ten', String(MAX_PAGE + 1), '1e3'])('limit=%s is 400 API_INVALID_QUERY', async (limit) => {
    const { get } = await setup()
    for (const path of ['/api/v1/events', '/api/v1/resources', '/api/v1/namespaces/default/networkchaos/d1/events']) {
      const res = await get(`${path}?limit=${limit}`)
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'API_INVALID_QUERY', message: `limit must be a whole number from 1 to ${MAX_PAGE}, got "${limit}"` })
    }
  })

  it('a malformed token, or one made for another list or query, is 400 API_INVALID_QUERY', async () => {
    const { get, addEvents, post } = await setup()
    addEvents(3)
    expect((await post(delay('d1') + '---\n' + delay('d2'))).status).toBe(201)
    const eventsToken = (await get<Ev>('/api/v1/events?namespace=default&limit=1')).body.metadata.continue!
    const resourcesToken = (await get<Obj>('/api/v1/resources?limit=1')).body.metadata.continue!
    expect(eventsToken).toMatch(/^[A-Za-z0-9_-]+$/)
    const forged = Buffer.from(JSON.stringify({ v: 1, q: 'x', k: 'not an id' })).toString('base64url')
    const cases: [string, RegExp][] = [
      ['/api/v1/events?continue=garbage!', /not a token this API returned/],
      ['/api/v1/events?continue=bm90IGpzb24', /not a token this API returned/],
      [`/api/v1/events?continue=${forged}`, /not a token this API returned/],
      [`/api/v1/events?namespace=other&continue=${eventsToken}`, /belongs to another query/],
      [`/api/v1/events?continue=${eventsToken}`, /belongs to another query/],
      [`/api/v1/resources?continue=${eventsToken}`, /not a token this API returned/],
      [`/api/v1/events?namespace=default&continue=${resourcesToken}`, /not a token this API returned/],
      [`/api/v1/resources?kind=podchaos&continue=${resourcesToken}`, /belongs to another query/],
    ]
    for (const [path, message] of cases) {
      const res = await get(path)
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'API_INVALID_QUERY'])
      expect(res.body.message).toMatch(message)
    }
    // the same query with another limit is fine, as in Kubernetes
    const next = await get<Ev>(`/api/v1/events?namespace=default&limit=5&continue=${eventsToken}`)
    expect(next.status).toBe(200)
    expect(next.body.items.map((e) => e.message).slice(0, 2)).toEqual(['1', '2'])
  })
})
