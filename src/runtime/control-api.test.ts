/**
 * The runtime's effect boundary over its control API, on real pods: what it refuses (with the field at fault and
 * the status an HTTP client expects), idempotent apply, removal by id, and effects that end with their pod.
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultApp, podsOf } from '../../test/doubles/test-app.js'
import { controlApi } from './control-api.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

let app: FaultApp
let url: string
let auth: { authorization: string }
beforeAll(async () => {
  app = await startFaultApp()
  url = app.server.state.url
  auth = { authorization: `Bearer ${app.server.state.token}` }
}, 60_000)

/** fetch with the runtime's token, as the CLI and a controller call it. */
function authed(input: string, init: RequestInit = {}): Promise<Response> {
  return fetch(input, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...auth } })
}
afterAll(async () => {
  await app?.close()
})

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await authed(`${url}/runtime/v1/effects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

const latency = (id: string, pod: string, more: Record<string, unknown> = {}) => ({ id, type: 'sidecar-fault', target: { pod }, body: { fault: { type: 'latency', direction: 'downstream', latencyMs: 10 } }, ...more })

describe('POST /runtime/v1/effects', () => {
  it.each([
    ['not JSON', '{"id": ', 400, 'EFFECT_INVALID', /not JSON/],
    ['no id', { type: 'sidecar-fault', target: { pod: 'x' }, body: {} }, 400, 'EFFECT_INVALID', /^id: /],
    ['no target', { id: 'a', type: 'sidecar-fault', body: {} }, 400, 'EFFECT_INVALID', /^target: /],
    ['an expiry that is not a time', { id: 'a', type: 'sidecar-fault', target: { pod: 'x' }, expiresAt: 'soon', body: {} }, 400, 'EFFECT_INVALID', /^expiresAt: /],
    ['an unknown type', { id: 'a', type: 'cpu-melt', target: { pod: 'x' }, body: {} }, 400, 'EFFECT_UNKNOWN_TYPE', /"cpu-melt"/],
    ['a path as type', { id: 'a', type: '../proxy/toxic', target: { pod: 'x' }, body: {} }, 400, 'EFFECT_UNKNOWN_TYPE', /toxic/],
    ['a fault without type', { id: 'a', type: 'sidecar-fault', target: { pod: 'x' }, body: { fault: { direction: 'upstream' } } }, 400, 'PROXY_INVALID_FAULT', /type must be one of/],
    ['a container-kill that would freeze the pod (SIGSTOP)', { id: 'a', type: 'container-kill', target: { pod: 'x' }, body: { signal: 'SIGSTOP' } }, 400, 'EFFECT_INVALID', /^body\.signal: expected a signal that ends the process/],
  ])('refuses %s', async (_what, body, status, code, message) => {
    const r = await post(body)
    expect(r.status).toBe(status)
    expect(r.json.code).toBe(code)
    expect(r.json.message).toMatch(message)
  })

  it('an unknown type is refused with the types there are', async () => {
    const r = await post({ id: 'a', type: 'nope', target: { pod: 'x' }, body: {} })
    expect(r.json.hint).toBe("the runtime's effect types: container-kill, dns-fault, io-fault, pod-failure, pod-kill, sidecar-fault, stress, time-offset")
  })

  it('a known path asked with a method it does not take is 405 with Allow; an unknown path is 404', async () => {
    const wrong = await authed(`${url}/runtime/v1/effects`, { method: 'PUT' })
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST'])
    expect(((await wrong.json()) as { code: string }).code).toBe('API_METHOD_NOT_ALLOWED')
    expect((await authed(`${url}/runtime/v1/effects/some-id`, { method: 'GET' })).headers.get('allow')).toBe('DELETE')
    expect((await authed(`${url}/runtime/v1/nothing-here`)).status).toBe(404)
  })

  it('a pod that does not exist is 404', async () => {
    const r = await post(latency('a', 'nobody-xxxxx'))
    expect([r.status, r.json.code]).toEqual([404, 'RUNTIME_UNKNOWN_POD'])
  })

  it('applies once, holds it, lists it with what it touched; another effect under the id is 409; removal is by id', async () => {
    const pod = podsOf(app, 'web')[0]!.name
    const first = await post(latency('lat-1', pod, { owner: { experiment: 'exp-1', record: pod } }))
    expect(first.status).toBe(201)
    expect(first.json).toMatchObject({ held: true, effect: { id: 'lat-1', type: 'sidecar-fault', target: { pod }, owner: { experiment: 'exp-1', record: pod } } })
    expect((await post(latency('lat-1', pod, { owner: { experiment: 'exp-1', record: pod } }))).status).toBe(201)
    const other = await post({ ...latency('lat-1', pod), body: { fault: { type: 'latency', direction: 'downstream', latencyMs: 99 } } })
    expect([other.status, other.json.code]).toEqual([409, 'EFFECT_EXISTS'])
    const listed = (await (await authed(`${url}/runtime/v1/effects?owner=exp-1`)).json()) as { items: { id: string; observed: Record<string, unknown> }[] }
    expect(listed.items).toEqual([expect.objectContaining({ id: 'lat-1', observed: expect.objectContaining({ sidecar: pod, present: true }) })])
    const onSidecar = (await app.rt.stats()).find((p) => p.name === pod)!.faults.map((f) => f.spec.id)
    expect(onSidecar).toEqual(['lat-1'])
    const del = async () => (await (await authed(`${url}/runtime/v1/effects/lat-1`, { method: 'DELETE' })).json()) as { removed: boolean }
    expect(await del()).toEqual({ removed: true })
    expect(await del()).toEqual({ removed: false })
    expect((await app.rt.stats()).find((p) => p.name === pod)!.faults).toEqual([])
  })

  it('an effect ends with its pod: a deleted pod\'s effects are no longer listed', async () => {
    const pod = podsOf(app, 'echo')[0]!.name
    expect((await post(latency('with-pod', pod))).status).toBe(201)
    await app.rt.supervisor.stopPod(pod, { replace: true, gracePeriodMs: 0 })
    await app.rt.waitReady(20_000)
    const ids = ((await (await authed(`${url}/runtime/v1/effects`)).json()) as { items: { id: string }[] }).items.map((e) => e.id)
    expect(ids).not.toContain('with-pod')
    // listed as ended, with what it had done when its sidecar went (read before the sidecar was removed)
    const ended = ((await (await authed(`${url}/runtime/v1/effects?ended=true`)).json()) as { items: { id: string; ended?: { reason: string }; observed?: Record<string, unknown> }[] }).items
    expect(ended.find((e) => e.id === 'with-pod')).toMatchObject({ ended: { reason: 'pod-gone' }, observed: { present: true, sidecar: pod } })
  })

  it('two pod-failures on one pod: the pod stays down until the last of them is removed', async () => {
    const pod = podsOf(app, 'echo')[1]!
    for (const id of ['down-a', 'down-b']) expect((await post({ id, type: 'pod-failure', target: { pod: pod.name }, body: {} })).status).toBe(201)
    await app.rt.supervisor.waitFor(pod.name, (p) => p.reason === 'PodFailure', 5000)
    expect(await app.rt.removeEffect('down-a')).toBe(true)
    // still held by down-b: a release would show within a restart; give it the time a restart takes and look
    const control = podsOf(app, 'web')[0]!
    await app.rt.supervisor.stopPod(control.name, { replace: true, gracePeriodMs: 0 })
    await app.rt.waitReady(20_000).catch(() => undefined)
    expect(app.rt.supervisor.get(pod.name)).toMatchObject({ reason: 'PodFailure', ready: false })
    expect(await app.rt.removeEffect('down-b')).toBe(true)
    const back = await app.rt.supervisor.waitFor(pod.name, (p) => p.ready, 15_000)
    expect(back.reason).toBeUndefined()
  })

  it('pod-failure is held down by the runtime and released at its expiry without any controller', async () => {
    const pod = podsOf(app, 'echo')[0]!
    const r = await post({ id: 'down', type: 'pod-failure', target: { pod: pod.name }, expiresAt: Date.now() + 500, body: {} })
    expect(r.json).toMatchObject({ held: true, effect: { id: 'down', observed: { stoppedPid: pod.pid } } })
    const held = await app.rt.supervisor.waitFor(pod.name, (p) => p.reason === 'PodFailure' && !p.ready, 5000)
    expect(held.ready).toBe(false)
    const back = await app.rt.supervisor.waitFor(pod.name, (p) => p.ready && p.pid !== undefined && p.pid !== pod.pid, 15_000)
    expect(back.reason).toBeUndefined()
    expect(await app.rt.effects()).toEqual([])
  })
})

/** Sends a body of `total` bytes to the control API in 1 MiB chunks, chunked (no length) unless `declare` is given. */
function upload(total: number, opts: { declare?: number } = {}): Promise<{ status: number; code: string; sent: number }> {
  const port = Number(new URL(url).port)
  return new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const headers: Record<string, string> = { 'content-type': 'application/json', ...auth, ...(opts.declare !== undefined ? { 'content-length': String(opts.declare) } : {}) }
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/runtime/v1/effects', headers, agent: false }, (res) => {
      answered = true
      let text = ''
      res.on('data', (d: Buffer) => (text += String(d)))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { code: string }).code, sent })
        req.destroy()
      })
    })
    req.on('error', (e) => (answered ? undefined : reject(e)))
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    chunk.write('{"id": "big", "pad": "')
    const pump = () => {
      // stops at the answer (or when all is sent): bounded by `total`
      while (!answered && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    pump()
  })
}

describe('the control API\'s limits (as the controller\'s: body size, nesting, rate)', () => {
  it('refuses a 300 MB chunked body with 413 after reading about the first MiB of it, not the whole', async () => {
    const r = await upload(300 * 1024 * 1024)
    expect([r.status, r.code]).toEqual([413, 'API_BODY_TOO_LARGE'])
    expect(r.sent).toBeLessThan(64 * 1024 * 1024)
  })

  it('refuses a body that declares 300 MB before a byte of it is read', async () => {
    const r = await upload(1024 * 1024, { declare: 300 * 1024 * 1024 })
    expect([r.status, r.code]).toEqual([413, 'API_BODY_TOO_LARGE'])
  })

  it('refuses a deeply nested body before parsing it', async () => {
    const t0 = performance.now()
    const r = await post(`{"id": "deep", "type": "sidecar-fault", "target": {"pod": "x"}, "body": ${'['.repeat(1024 * 1024 - 100)}`)
    expect([r.status, r.json.code]).toEqual([400, 'API_BODY_TOO_DEEP'])
    expect(r.json.message).toMatch(/deeper than 100 levels \(at line 1, column \d+\)/)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('limits requests per client address: 429 with Retry-After and a code once its bucket is empty; other clients go on', async () => {
    const api = controlApi(app.rt, { onShutdown() {}, rateLimit: { perSecond: 1, burst: 2 } })
    const from = (address: string) => api.request('/healthz', {}, { incoming: { socket: { remoteAddress: address } } })
    expect([(await from('10.0.0.1')).status, (await from('10.0.0.1')).status]).toEqual([200, 200])
    const limited = await from('10.0.0.1')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect(await limited.json()).toMatchObject({ code: 'API_RATE_LIMITED', hint: expect.stringContaining('CHAOSCOPE_RATE_LIMIT') })
    expect((await from('10.0.0.2')).status).toBe(200)
  })

  it('by default, a burst of 600 requests at once from one client is not limited', async () => {
    const statuses = await Promise.all(Array.from({ length: 600 }, () => authed(`${url}/runtime/v1/effects?owner=burst`).then((r) => r.status)))
    expect(statuses.filter((s) => s !== 200)).toEqual([])
  })
})

describe('every endpoint checks its input', () => {
  it.each([
    ['a label selector that cannot be read', '/runtime/v1/pods?labelSelector=app%20web', 'SELECTOR_INVALID'],
    ['a label selector that cannot be read, where no pod is', '/runtime/v1/pods?labelSelector=a%3D%3D%3Db&namespace=nowhere', 'SELECTOR_INVALID'],
    ['tail that is not a number', '/runtime/v1/pods/{pod}/logs?tail=abc', 'API_INVALID_QUERY'],
    ['tail that is not whole', '/runtime/v1/pods/{pod}/logs?tail=1.5', 'API_INVALID_QUERY'],
    ['a negative tail', '/runtime/v1/pods/{pod}/logs?tail=-1', 'API_INVALID_QUERY'],
    ['follow that is not true or false', '/runtime/v1/pods/{pod}/logs?follow=yes', 'API_INVALID_QUERY'],
    ['ended that is not true or false', '/runtime/v1/effects?ended=maybe', 'API_INVALID_QUERY'],
    ['an empty owner', '/runtime/v1/effects?owner=', 'API_INVALID_QUERY'],
  ])('400 for %s', async (_what, path, code) => {
    const res = await authed(`${url}${path.replace('{pod}', podsOf(app, 'web')[0]!.name)}`)
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([400, code])
  })

  it('reads what it should, and ignores query keys it does not know', async () => {
    const pod = podsOf(app, 'web')[0]!.name
    expect((await authed(`${url}/runtime/v1/pods?labelSelector=app%3Dweb&unknown=1`)).status).toBe(200)
    expect((await authed(`${url}/runtime/v1/pods/${pod}/logs?tail=3&follow=false&x=y`)).status).toBe(200)
    expect((await authed(`${url}/runtime/v1/effects?ended=true&owner=someone&page=2`)).status).toBe(200)
  })

  it('refuses an effect whose expiry has passed, on a pod that exists or not (it is no way around the checks)', async () => {
    const pod = podsOf(app, 'web')[0]!.name
    for (const target of [pod, 'nobody-xxxxx']) {
      const r = await post(latency('late', target, { expiresAt: Date.now() - 1 }))
      expect([r.status, r.json.code]).toEqual([400, 'EFFECT_INVALID'])
      expect(r.json.message).toMatch(/^expiresAt: .* is not in the future/)
      expect(r.json.hint).toMatch(/leave expiresAt out, or give a later time/)
    }
    expect((await post(latency('late', pod, { expiresAt: 8.64e15 + 1 }))).json.code).toBe('EFFECT_INVALID')
  })

  it('refuses names past their bounds: a pod, an owner, an id to remove', async () => {
    expect((await post(latency('long', 'p'.repeat(254)))).json.code).toBe('EFFECT_INVALID')
    expect((await post(latency('long', 'web-x', { owner: { experiment: '', record: 'r' } }))).json.code).toBe('EFFECT_INVALID')
    const del = await authed(`${url}/runtime/v1/effects/${'i'.repeat(513)}`, { method: 'DELETE' })
    expect([del.status, ((await del.json()) as { code: string }).code]).toEqual([400, 'EFFECT_INVALID'])
  })
})
