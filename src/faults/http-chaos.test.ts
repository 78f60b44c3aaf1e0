/** HTTPChaos on real pods: requests through the selected pod's ingress sidecar, their codes, bodies and timing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import type { HTTPChaosSpec } from '../manifest/kinds/http-chaos.js'
import { httpChaos } from './http-chaos.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { httpGet, ownedFaults, podsOf, specOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const http = (body: string): HTTPChaosSpec =>
  specOf<HTTPChaosSpec>(`apiVersion: chaos-mesh.org/v1alpha1\nkind: HTTPChaos\nmetadata: {name: t}\nspec:\n  mode: all\n  selector: {labelSelectors: {app: web}}\n  port: 8080\n${body.replace(/^/gm, '  ')}\n`)

type Got = Awaited<ReturnType<typeof httpGet>>
const status = (r: Got): number | string => ('status' in r ? r.status : 'error')

describe('what HTTPChaos refuses before anything is created (pure)', () => {
  const pod = (name: string, service: string, more: Partial<RuntimePod>): RuntimePod =>
    ({ name, service, namespace: 'default', uid: name, labels: {}, annotations: {}, phase: 'Running', ready: true, restartCount: 0, startTime: '', port: 1, ...more }) as RuntimePod
  const web = [pod('web-1', 'web', { protocol: 'http', containerPort: 8080 }), pod('web-2', 'web', { protocol: 'http', containerPort: 8080 })]
  const echo = pod('echo-1', 'echo', { protocol: 'tcp', containerPort: 9000 })
  const bare = pod('bare-1', 'bare', { protocol: 'http' })
  const admit = (port: number, pods: RuntimePod[]): string => {
    try {
      httpChaos.admit!({ ...http('target: Request\nabort: true'), port }, pods.map((p) => ({ key: p.name, pod: p })))
    } catch (e) {
      return `${(e as ChaosError).code}: ${(e as Error).message} (${(e as ChaosError).hint})`
    }
    return 'admitted'
  }

  it('admits pods of an http service on the port it declares', () => expect(admit(8080, web)).toBe('admitted'))

  it('refuses a tcp service, another port, a service without a port: one error naming every service and its pods', () => {
    expect(admit(9000, [echo])).toBe('SPEC_LOCAL_UNSUPPORTED: pod echo-1: service echo is protocol tcp; HTTPChaos needs a service with protocol: http (set protocol: http on service echo in the App file if it speaks HTTP/1.1, or use NetworkChaos)')
    expect(admit(80, web)).toBe('SPEC_INVALID_VALUE: spec.port 80 is not a port of pods web-1, web-2: service web serves HTTP on port 8080 (write port: 8080)')
    expect(admit(8080, [bare])).toBe('SPEC_INVALID_VALUE: spec.port 8080 is not a port of pod bare-1: service bare declares no port (declare port on service bare in the App file)')
    expect(admit(8080, [...web, echo, bare])).toBe(
      'SPEC_LOCAL_UNSUPPORTED: pod echo-1: service echo is protocol tcp; HTTPChaos needs a service with protocol: http; spec.port 8080 is not a port of pod bare-1: service bare declares no port' +
        ' (set protocol: http on service echo in the App file if it speaks HTTP/1.1, or use NetworkChaos; declare port on service bare in the App file)',
    )
  })

  it('refuses a delay longer than a sidecar holds (1h), naming the field; 1h is held', () => {
    expect(() => httpChaos.check!(http('target: Request\ndelay: 1h'))).not.toThrow()
    const e = (() => {
      try {
        httpChaos.check!(http('target: Request\ndelay: 3600001ms'))
      } catch (x) {
        return x as ChaosError
      }
    })()
    expect([e?.code, e?.message, e?.hint]).toEqual(['SPEC_LOCAL_UNSUPPORTED', 'spec.delay "3600001ms": the local sidecars hold a delay of at most 1h', 'write delay: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh'])
  })
})

describe('HTTPChaos on real pods', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp()
  }, 60_000)
  afterAll(() => app?.close())

  const web = (): RuntimePod => podsOf(app, 'web')[0]!
  const port = (p: RuntimePod = web()): number => Number(p.address!.split(':')[1])
  const tgt = (p: RuntimePod) => ({ key: p.name, pod: p })

  /** Injects on the first web pod, runs fn, always recovers. */
  async function withFault<T>(spec: HTTPChaosSpec, fn: () => Promise<T>, annotations: Record<string, string> = {}): Promise<T> {
    const ctx = testContext(app.client, annotations)
    const inj = await httpChaos.inject(ctx, tgt(web()), spec)
    try {
      return await fn()
    } finally {
      await httpChaos.recover(ctx, inj)
    }
  }

  it('replace: responses matching path, method and code get the new code; the others pass', async () => {
    await withFault(http('target: Response\npath: /api/*\nmethod: GET\nreplace: {code: 500, headers: {x-chaos: replaced}}'), async () => {
      const hit = await httpGet(port(), '/api/items')
      expect(status(hit)).toBe(500)
      expect('headers' in hit && hit.headers.get('x-chaos')).toBe('replaced')
      expect(status(await httpGet(port(), '/other'))).toBe(200)
    })
    await withFault(http('target: Response\ncode: 404\nreplace: {code: 503}'), async () => {
      expect(status(await httpGet(port(), '/status/404'))).toBe(503)
      expect(status(await httpGet(port(), '/status/201'))).toBe(201)
    })
    expect(status(await httpGet(port(), '/api/items'))).toBe(200)
  })

  it('replace: a base64 body replaces the response body; on Request, path and method change before the pod sees them', async () => {
    const body = Buffer.from('{"chaos":true}').toString('base64')
    await withFault(http(`target: Response\nreplace: {body: "${body}"}`), async () => {
      const r = await httpGet(port(), '/')
      expect('body' in r && r.body).toBe('{"chaos":true}')
    })
    await withFault(http('target: Request\npath: /old\nreplace: {path: /new, method: DELETE, queries: {q: "1"}}'), async () => {
      const r = await httpGet(port(), '/old')
      expect(JSON.parse('body' in r ? r.body : '{}')).toMatchObject({ method: 'DELETE', path: '/new?q=1' })
    })
  })

  it('patch merges JSON into response bodies and adds headers', async () => {
    await withFault(http(`target: Response\npatch:\n  headers: [[x-patched, "yes"]]\n  body: {type: JSON, value: '{"status":"Failed","reason":"hacked"}'}`), async () => {
      const r = await httpGet(port(), '/x')
      expect('body' in r && JSON.parse(r.body)).toMatchObject({ status: 'Failed', reason: 'hacked', path: '/x' })
      expect('headers' in r && r.headers.get('x-patched')).toBe('yes')
    })
  })

  it('abort closes matching requests without a response; request_headers select which', async () => {
    await withFault(http('target: Request\nabort: true\nrequest_headers: {x-user: tester}'), async () => {
      expect(status(await httpGet(port(), '/', { 'x-user': 'tester' }))).toBe('error')
      expect(status(await httpGet(port(), '/', { 'x-user': 'someone' }))).toBe(200)
    })
  })

  it('delay holds matching responses for the duration', async () => {
    const before = await httpGet(port(), '/')
    await withFault(http('target: Response\ndelay: 250ms'), async () => {
      const r = await httpGet(port(), '/')
      expect(status(r)).toBe(200)
      expect(r.ms - before.ms).toBeGreaterThan(230)
      expect(r.ms).toBeLessThan(1000)
    })
  })

  it('chaoscope.dev/percent limits the fault to about that share of requests, and evidence counts them', async () => {
    const ctx = testContext(app.client, { 'chaoscope.dev/percent': '30' })
    const inj = await httpChaos.inject(ctx, tgt(web()), http('target: Response\nreplace: {code: 500}'))
    let replaced = 0
    const n = 60
    try {
      for (let i = 0; i < n; i++) if (status(await httpGet(port(), '/')) === 500) replaced++
      const ev = (await httpChaos.evidence!(ctx, inj)) as { requests: number }
      expect(ev.requests).toBe(replaced)
    } finally {
      await httpChaos.recover(ctx, inj)
    }
    expect(replaced).toBeGreaterThanOrEqual(6)
    expect(replaced).toBeLessThanOrEqual(32)
  })

  it('refuses a tcp service, a port the service does not serve, and tls, with clear errors', async () => {
    const echo = podsOf(app, 'echo')[0]!
    const tcp = (await httpChaos.inject(testContext(app.client), tgt(echo), http('target: Request\nabort: true')).catch((e: unknown) => e)) as ChaosError
    expect(tcp.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(tcp.message).toBe(`pod ${echo.name}: service echo is protocol tcp; HTTPChaos needs a service with protocol: http`)
    const wrongPort = (await httpChaos.inject(testContext(app.client), tgt(web()), { ...http('target: Request\nabort: true'), port: 80 }).catch((e: unknown) => e)) as ChaosError
    expect(wrongPort.code).toBe('SPEC_INVALID_VALUE')
    expect(wrongPort.message).toBe(`spec.port 80 is not a port of pod ${web().name}: service web serves HTTP on port 8080`)
    expect(() => httpChaos.check!(http('target: Request\nabort: true\ntls: {secretName: s, secretNamespace: d, certName: c, keyName: k}'))).toThrow(/spec.tls: local sidecars speak plain HTTP/)
    expect(await ownedFaults(app.client, '')).toEqual([])
  })

  injectorContract(() => app, () => ({
    injector: httpChaos,
    spec: http('target: Response\nreplace: {code: 503}'),
    target: async () => tgt(web()),
    snapshot: async (a, _t, ctx) => (await ownedFaults(a.client, ctx.experiment.uid)).map((f) => `${f.observed?.sidecar} ${f.id}`).sort(),
    acting: async (_a, t) => {
      const p = podsOf(app, 'web').find((x) => x.name === t.pod.name)
      return p ? status(await httpGet(port(p), '/')) === 503 : false
    },
  }))
})
