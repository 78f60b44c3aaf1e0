/** The controller API in-process (app.request): apply all-or-nothing, errors with codes and statuses, queries, SSE, OpenAPI. */
import { describe, expect, it } from 'vitest'
import { apiApp, MAX_BODY_BYTES } from './app.js'
import { FakeController } from '../../test/doubles/fake-controller.js'
import { openApiDocument } from './openapi.js'
import type { RuntimeClient } from '../runtime/client.js'
import type { RuntimePod } from '../runtime/local-runtime.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any

const delay = (name: string, extra = '') => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
  labels: {team: a}${extra}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: back}
  delay:
    latency: 100ms
`

const pod = (name: string, labels: Record<string, string>): RuntimePod => ({
  namespace: 'default', name, uid: name, service: labels.app!, labels, annotations: {}, phase: 'Running', ready: true, restartCount: 0, startTime: '2024-01-01T00:00:00Z', port: 1,
})
const runtime = { pods: async () => [pod('back-aaaaa', { app: 'back' }), pod('front-bbbbb', { app: 'front' })] } as unknown as RuntimeClient

function setup() {
  const controller = new FakeController()
  const app = apiApp({ controller, runtime, metrics: () => 'chaos_controller_manager_chaos_experiments{namespace="default",kind="NetworkChaos",phase="Running"} 1\n', heartbeatMs: 50 })
  const post = (body: string, q = '') => app.request(`/api/v1/resources${q}`, { method: 'POST', body, headers: { 'content-type': 'application/yaml' } })
  return { controller, app, post }
}

describe('POST /api/v1/resources', () => {
  it('creates, then reports unchanged, then configured when only labels change', async () => {
    const { post } = setup()
    const first = await post(delay('d1'))
    expect(first.status).toBe(201)
    expect(((await first.json()) as Json).items.map((i: { action: string }) => i.action)).toEqual(['created'])
    const again = await post(delay('d1'))
    expect(again.status).toBe(200)
    expect(((await again.json()) as Json).items[0].action).toBe('unchanged')
    const relabel = await post(delay('d1').replace('team: a', 'team: b'))
    expect(((await relabel.json()) as Json).items[0].action).toBe('configured')
  })

  it('accepts JSON as well as YAML', async () => {
    const { post } = setup()
    const body = JSON.stringify({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'kill' }, spec: { action: 'pod-kill', mode: 'one', selector: { namespaces: ['default'] } } })
    const res = await post(body)
    expect(res.status).toBe(201)
    expect(((await res.json()) as Json).items[0].object.metadata).toMatchObject({ name: 'kill', namespace: 'default' })
  })

  it('refuses every document when one is invalid, returning every issue with its position (422)', async () => {
    const { post, controller } = setup()
    const bad = delay('ok') + '---\n' + delay('Bad_Name').replace('latency: 100ms', 'latency: fast')
    const res = await post(bad, '?file=two.yaml')
    expect(res.status).toBe(422)
    const body = (await res.json()) as Json
    expect(body.code).toMatch(/^SPEC_/)
    expect(body.message).toContain('nothing was applied')
    expect(body.issues.map((i: { file: string; line: number; path: string; code: string }) => `${i.file}:${i.line} ${i.path} [${i.code}]`)).toEqual([
      'two.yaml:17 metadata.name [SPEC_INVALID_NAME]',
      'two.yaml:25 spec.delay.latency [SPEC_INVALID_DURATION]',
    ])
    expect(controller.objects.size).toBe(0)
  })

  it('answers 400 for a body that is not YAML, and for an empty body', async () => {
    const { post } = setup()
    const res = await post('kind: [unclosed')
    expect(res.status).toBe(400)
    expect(((await res.json()) as Json).code).toBe('SPEC_YAML_SYNTAX')
    const empty = await post('')
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as Json).code).toBe('SPEC_NO_INPUT')
  })

  it('refuses all when the controller refuses one (a kind the runtime cannot run), naming it by position', async () => {
    const { post, controller } = setup()
    const kernel = `apiVersion: chaos-mesh.org/v1alpha1
kind: KernelChaos
metadata: {name: k}
spec:
  mode: one
  selector: {namespaces: [default]}
  failKernRequest:
    callchain: [{funcname: __x64_sys_mount}]
    failtype: 0
`
    const res = await post(`${delay('d1')}---\n${kernel}`)
    expect(res.status).toBe(422)
    const body = (await res.json()) as Json
    expect(body.issues).toEqual([expect.objectContaining({ code: 'SPEC_LOCAL_UNSUPPORTED', line: 14, message: expect.stringContaining('KernelChaos default/k: ') })])
    expect(controller.objects.size).toBe(0)
  })

  it('refuses Chaos Toolkit experiments, Apps and duplicates in one request', async () => {
    const { post } = setup()
    const res = await post(`${delay('d1')}---\n${delay('d1')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`)
    expect(res.status).toBe(422)
    const codes = ((await res.json()) as Json).issues.map((i: { code: string }) => i.code)
    expect(codes).toEqual(['SPEC_DUPLICATE_NAME', 'SPEC_UNRECOGNIZED_DOCUMENT'])
  })

  it('dryRun changes nothing and returns the plan', async () => {
    const { post, controller } = setup()
    const res = await post(delay('d1'), '?dryRun=true')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Json
    expect(body).toMatchObject({ dryRun: true, items: [{ action: 'created', plan: expect.anything() }] })
    expect(controller.objects.size).toBe(0)
    expect((await post(delay('d1'), '?dryRun=maybe')).status).toBe(400)
  })

  it('refuses a body over 1 MiB with 413', async () => {
    const { post } = setup()
    const res = await post(`# ${'x'.repeat(MAX_BODY_BYTES)}\n${delay('d1')}`)
    expect(res.status).toBe(413)
    expect(((await res.json()) as Json).code).toBe('API_BODY_TOO_LARGE')
  })
})

describe('reading and changing resources', () => {
  it('lists by kind (any of its names), namespace and label selector', async () => {
    const { app, post } = setup()
    await post(delay('d1') + '---\n' + delay('d2').replace('team: a', 'team: b'))
    const names = async (q: string) => (((await (await app.request(`/api/v1/resources?${q}`)).json()) as Json).items as { metadata: { name: string } }[]).map((o) => o.metadata.name)
    expect(await names('')).toEqual(['d1', 'd2'])
    expect(await names('kind=nc')).toEqual(['d1', 'd2'])
    expect(await names('kind=networkchaos&labelSelector=team%3Db')).toEqual(['d2'])
    expect(await names('kind=podchaos')).toEqual([])
    expect(await names('namespace=other')).toEqual([])
    const bad = await app.request('/api/v1/resources?kind=netwrokchaos')
    expect(bad.status).toBe(422)
    expect(await bad.json()).toMatchObject({ code: 'SPEC_UNKNOWN_KIND', hint: 'did you mean "networkchaos"?' })
    const badSel = await app.request('/api/v1/resources?labelSelector=a%3D%3D%3Db')
    expect(badSel.status).toBe(400)
    expect(((await badSel.json()) as Json).code).toBe('API_INVALID_QUERY')
  })

  it('gets, pauses, resumes, lists events of, and deletes one resource; 404 with a code when it is not there', async () => {
    const { app, post } = setup()
    await post(delay('d1'))
    const base = '/api/v1/namespaces/default/networkchaos/d1'
    expect(((await (await app.request(base)).json()) as Json).metadata.name).toBe('d1')
    const paused = (await (await app.request(`${base}/pause`, { method: 'POST' })).json()) as Json
    expect(paused.metadata.annotations['experiment.chaos-mesh.org/pause']).toBe('true')
    const resumed = (await (await app.request(`${base}/resume`, { method: 'POST' })).json()) as Json
    expect(resumed.metadata.annotations['experiment.chaos-mesh.org/pause']).toBeUndefined()
    const events = ((await (await app.request(`${base}/events`)).json()) as Json).items as { reason: string; id: number }[]
    expect(events.map((e) => e.reason)).toEqual(['Started', 'Paused', 'Started'])
    const since = ((await (await app.request(`/api/v1/events?kind=NetworkChaos&sinceId=${events[1]!.id}`)).json()) as Json).items
    expect(since).toHaveLength(1)
    expect((await app.request(base, { method: 'DELETE' })).status).toBe(200)
    const gone = await app.request(base)
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ code: 'CONTROLLER_NOT_FOUND', message: 'NetworkChaos default/d1 not found' })
    expect((await app.request(base, { method: 'DELETE' })).status).toBe(404)
    expect((await app.request('/api/v1/nope')).status).toBe(404)
  })

  it('lists pods from the runtime, filtered by label selector', async () => {
    const { app } = setup()
    const items = ((await (await app.request('/api/v1/pods?labelSelector=app%3Dback')).json()) as Json).items as { name: string }[]
    expect(items.map((p) => p.name)).toEqual(['back-aaaaa'])
  })

  it('serves /metrics in Prometheus text', async () => {
    const res = await setup().app.request('/metrics')
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(await res.text()).toContain('chaos_controller_manager_chaos_experiments{')
  })
})

describe('GET /api/v1/watch', () => {
  it('streams each change as a server-sent event, filtered by kind', async () => {
    const { app, post } = setup()
    const abort = new AbortController()
    const res = await app.request('/api/v1/watch?kind=networkchaos', { signal: abort.signal })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended: ${text}`)
        text += decoder.decode(value)
      }
    }
    await until(/event: ready/)
    await post(delay('d1'))
    await post('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: p}\nspec: {action: pod-kill, mode: one, selector: {namespaces: [default]}}\n')
    await until(/event: change\ndata: .*"name":"d1".*\nid: 1\n/)
    await until(/: keep-alive/)
    expect(text).not.toContain('"name":"p"')
    abort.abort()
    await reader.cancel().catch(() => {})
  })
})

describe('the OpenAPI document', () => {
  it('describes every route the app serves', () => {
    const { app } = setup()
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toMatch(/^3\./)
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`))
    expect([...new Set(served)].sort()).toEqual(documented.sort())
  })
})

describe('with the real Controller (in-memory runtime)', () => {
  it('applies, shows records and phase, refuses a selector matching no pod with the pods that exist, deletes', async () => {
    const { Controller } = await import('../engine/controller.js')
    const { FakeRuntime, fakePod } = await import('../../test/doubles/fake-runtime.js')
    const rt = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }), fakePod('front-bbbbb', { app: 'front' })])
    const controller = Controller.open({ dbPath: ':memory:', runtime: rt })
    await controller.start()
    try {
      const app = apiApp({ controller, runtime: rt, metrics: () => controller.metrics.text() })
      const post = (body: string, q = '') => app.request(`/api/v1/resources${q}`, { method: 'POST', body })
      expect((await post(delay('d1'))).status).toBe(201)
      await controller.waitIdle()
      const obj = (await (await app.request('/api/v1/namespaces/default/networkchaos/d1')).json()) as Json
      expect(obj.status.phase).toBe('running')
      expect(obj.status.experiment.records).toEqual([expect.objectContaining({ id: 'default/back-aaaaa', phase: 'Injected', injectedCount: 1 })])
      expect(obj.status.conditions).toContainEqual(expect.objectContaining({ type: 'AllInjected', status: 'True' }))
      const none = await post(delay('d2').replace('{app: back}', '{app: nothing}'))
      expect(none.status).toBe(422)
      const refusal = ((await none.json()) as Json).issues[0]
      expect(refusal.code).toBe('CONTROLLER_NO_TARGETS')
      expect(refusal.message).toContain('app')
      expect(refusal.message).toContain('back-aaaaa')
      expect((await post(delay('d1').replace('100ms', '200ms'))).status).toBe(422)
      expect(await controller.metrics.text()).toContain('chaos_controller_manager_chaos_experiments')
      const del = (await (await app.request('/api/v1/namespaces/default/networkchaos/d1', { method: 'DELETE' })).json()) as Json
      expect(del).toMatchObject({ deleted: true, gone: true, object: null })
      expect(await rt.faults()).toEqual([])
    } finally {
      await controller.stop()
    }
  })
})
