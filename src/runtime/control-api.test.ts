/**
 * The runtime's effect boundary over its control API, on real pods: what it refuses (with the field at fault and
 * the status an HTTP client expects), idempotent apply, removal by id, and effects that end with their pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultApp, podsOf } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

let app: FaultApp
let url: string
beforeAll(async () => {
  app = await startFaultApp()
  url = app.server.state.url
}, 60_000)
afterAll(async () => {
  await app?.close()
})

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/runtime/v1/effects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
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
  ])('refuses %s', async (_what, body, status, code, message) => {
    const r = await post(body)
    expect(r.status).toBe(status)
    expect(r.json.code).toBe(code)
    expect(r.json.message).toMatch(message)
  })

  it('an unknown type is refused with the types there are', async () => {
    const r = await post({ id: 'a', type: 'nope', target: { pod: 'x' }, body: {} })
    expect(r.json.hint).toBe("the runtime's effect types: container-kill, pod-failure, pod-kill, sidecar-fault")
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
    const listed = (await (await fetch(`${url}/runtime/v1/effects?owner=exp-1`)).json()) as { items: { id: string; observed: Record<string, unknown> }[] }
    expect(listed.items).toEqual([expect.objectContaining({ id: 'lat-1', observed: expect.objectContaining({ sidecar: pod, present: true }) })])
    const onSidecar = (await app.rt.stats()).find((p) => p.name === pod)!.faults.map((f) => f.spec.id)
    expect(onSidecar).toEqual(['lat-1'])
    const del = async () => (await (await fetch(`${url}/runtime/v1/effects/lat-1`, { method: 'DELETE' })).json()) as { removed: boolean }
    expect(await del()).toEqual({ removed: true })
    expect(await del()).toEqual({ removed: false })
    expect((await app.rt.stats()).find((p) => p.name === pod)!.faults).toEqual([])
  })

  it('an effect ends with its pod: a deleted pod\'s effects are no longer listed', async () => {
    const pod = podsOf(app, 'echo')[0]!.name
    expect((await post(latency('with-pod', pod))).status).toBe(201)
    await app.rt.supervisor.stopPod(pod, { replace: true, gracePeriodMs: 0 })
    await app.rt.waitReady(20_000)
    const ids = ((await (await fetch(`${url}/runtime/v1/effects`)).json()) as { items: { id: string }[] }).items.map((e) => e.id)
    expect(ids).not.toContain('with-pod')
    // listed as ended, with what it had done when its sidecar went (read before the sidecar was removed)
    const ended = ((await (await fetch(`${url}/runtime/v1/effects?ended=true`)).json()) as { items: { id: string; ended?: { reason: string }; observed?: Record<string, unknown> }[] }).items
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
