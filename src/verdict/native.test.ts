/** chaoscope's Experiment compiled into the Chaos Toolkit experiment the run loop runs: its structure, and that it passes Chaos Toolkit's checks. */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isChaosError } from '../errors.js'
import { validateText } from '../manifest/validate.js'
import type { Resource } from '../manifest/validate.js'
import { PACKAGE_ROOT } from '../version.js'
import { nativeExperiment } from './native.js'
import { runExperiment } from './runner.js'
import type { ChaosToolkitActivityDefinition, ChaosToolkitExperiment, SidecarSnapshot, Target } from './types.js'

function resourceOf(yaml: string): Resource {
  const r = validateText(yaml, 'exp.yaml')
  expect(r.issues).toEqual([])
  expect(r.resources).toHaveLength(1)
  return r.resources[0]!
}

const compile = (yaml: string) => nativeExperiment(resourceOf(yaml))

/** The experiment passes src/manifest/chaos-toolkit.ts's checks, embedded Chaos Mesh objects included. */
function expectValidChaosToolkit(e: ChaosToolkitExperiment): void {
  const r = validateText(JSON.stringify(e, null, 2), 'compiled.json')
  expect(r.issues).toEqual([])
  expect(r.experiments).toHaveLength(1)
}

const names = (list: unknown[] | undefined) => (list ?? []).map((a) => (a as ChaosToolkitActivityDefinition).name)

const MIDDLE_SLOW = `apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata: {name: front-holds-when-middle-is-slow}
spec:
  title: front stays fast when middle is slow
  hypothesis:
    - service: front
      window: 10s
      latency: {p99: 300ms, p50: 50ms}
      errorRate: 1%
      throughput: {min: 1}
    - http: {url: "http://127.0.0.1:30080/", status: 200, timeout: 2s}
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: NetworkChaos
      metadata: {name: middle-slow}
      spec: {action: delay, mode: all, selector: {labelSelectors: {app: middle}}, delay: {latency: 500ms}}
  duration: 20s
`

const NETWORK_CHAOS = {
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'NetworkChaos',
  metadata: { name: 'middle-slow', namespace: 'default' },
  // with NetworkChaos's defaults, as validation applied them
  spec: {
    action: 'delay', mode: 'all', selector: { labelSelectors: { app: 'middle' }, namespaces: ['default'] },
    delay: { latency: '500ms', correlation: '0', jitter: '0ms' }, direction: 'to',
  },
}

const probe = (name: string, func: string, args: Record<string, unknown>, range: [number, number]) => ({
  type: 'probe', name, provider: { type: 'python', module: 'chaoscope.probes', func, arguments: args }, tolerance: { type: 'range', range },
})

describe('compileNative', () => {
  it('the hypothesis as range probes of the golden signals and an HTTP probe, the faults applied then held, deleted in the rollbacks', () => {
    const e = compile(MIDDLE_SLOW)
    expect(e).toEqual({
      version: '1.0.0',
      title: 'front stays fast when middle is slow',
      description: 'chaoscope Experiment default/front-holds-when-middle-is-slow: NetworkChaos middle-slow for 20s',
      extensions: [{ name: 'chaoscope', compiledFrom: { apiVersion: 'chaoscope.dev/v1alpha1', kind: 'Experiment', name: 'front-holds-when-middle-is-slow', namespace: 'default' } }],
      runtime: { rollbacks: { strategy: 'always' } },
      'steady-state-hypothesis': {
        title: 'front stays fast when middle is slow',
        probes: [
          probe('front throughput >= 1 req/s', 'throughput', { service: 'front', window: '10s' }, [1, 1e12]),
          probe('front error rate <= 1%', 'error_rate', { service: 'front', window: '10s' }, [0, 0.01]),
          probe('front p99 latency <= 300ms', 'latency', { service: 'front', quantile: 0.99, window: '10s' }, [0, 300]),
          probe('front p50 latency <= 50ms', 'latency', { service: 'front', quantile: 0.5, window: '10s' }, [0, 50]),
          {
            type: 'probe', name: 'GET http://127.0.0.1:30080/ returns 200',
            provider: { type: 'http', url: 'http://127.0.0.1:30080/', method: 'GET', timeout: 2 }, tolerance: 200,
          },
        ],
      },
      method: [{
        type: 'action', name: 'apply NetworkChaos middle-slow',
        provider: { type: 'python', module: 'chaoscope.actions', func: 'apply', arguments: { manifest: NETWORK_CHAOS } },
        pauses: { after: 20 },
      }],
      rollbacks: [{
        type: 'action', name: 'delete NetworkChaos middle-slow',
        provider: { type: 'python', module: 'chaoscope.actions', func: 'delete', arguments: { kind: 'NetworkChaos', name: 'middle-slow', ns: 'default' } },
      }],
    })
    expectValidChaosToolkit(e)
  })

  it('faults are applied in order, the pause follows the last one, the rollbacks delete them last first, in their own namespace', () => {
    const e = compile(`apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata: {name: two, namespace: shop}
spec:
  hypothesis: [{edge: "front -> middle", errorRate: 0.005}]
  faults:
    - {apiVersion: chaos-mesh.org/v1alpha1, kind: PodChaos, metadata: {name: kill}, spec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: back}}}}
    - {apiVersion: chaos-mesh.org/v1alpha1, kind: HTTPChaos, metadata: {name: abort, namespace: other}, spec: {mode: all, selector: {labelSelectors: {app: middle}}, target: Request, port: 8001, abort: true}}
  duration: 1m30s
`)
    expect(names(e.method)).toEqual(['apply PodChaos kill', 'apply HTTPChaos abort'])
    expect(e.method.map((a) => (a as ChaosToolkitActivityDefinition).pauses)).toEqual([undefined, { after: 90 }])
    expect((e.method[1] as ChaosToolkitActivityDefinition).provider.arguments).toMatchObject({ manifest: { kind: 'HTTPChaos', metadata: { name: 'abort', namespace: 'other' } } })
    expect(e.rollbacks!.map((a) => (a as ChaosToolkitActivityDefinition).provider.arguments)).toEqual([
      { kind: 'HTTPChaos', name: 'abort', ns: 'other' },
      { kind: 'PodChaos', name: 'kill', ns: 'shop' },
    ])
    expect(e['steady-state-hypothesis']!.probes).toEqual([
      probe('front->middle error rate <= 0.5%', 'error_rate', { edge: 'front->middle', window: '10s' }, [0, 0.005]),
    ])
    expect(e.title).toBe('two')
    expectValidChaosToolkit(e)
  })

  it('with recovery, the method removes the faults and waits, every SLO at once, until each holds again; the hypothesis after then judges', () => {
    const e = compile(MIDDLE_SLOW.replace('  duration: 20s\n', '  duration: 20s\n  recovery: {within: 30s}\n'))
    expect(names(e.method)).toEqual([
      'apply NetworkChaos middle-slow',
      'delete NetworkChaos middle-slow',
      'front throughput >= 1 req/s again within 30s',
      'front error rate <= 1% again within 30s',
      'front p99 latency <= 300ms again within 30s',
      'front p50 latency <= 50ms again within 30s',
      'GET http://127.0.0.1:30080/ returns 200 again within 30s',
    ])
    expect(e.method[4]).toEqual({
      type: 'probe',
      name: 'front p99 latency <= 300ms again within 30s',
      background: true,
      provider: {
        type: 'python', module: 'chaoscope.probes', func: 'wait_for',
        arguments: {
          probe: { type: 'probe', name: 'front p99 latency <= 300ms', provider: { type: 'python', module: 'chaoscope.probes', func: 'latency', arguments: { service: 'front', quantile: 0.99, window: '10s' } } },
          tolerance: { type: 'range', range: [0, 300] },
          within: '30s',
          interval: '1s',
        },
      },
    })
    expect(e.method.slice(2).every((a) => (a as ChaosToolkitActivityDefinition).background === true)).toBe(true)
    // the rollbacks still delete the faults, for a run stopped before the method did
    expect(names(e.rollbacks)).toEqual(['delete NetworkChaos middle-slow'])
    expect(e.description).toBe('chaoscope Experiment default/front-holds-when-middle-is-slow: NetworkChaos middle-slow for 20s, then recovery within 30s')
    expectValidChaosToolkit(e)
  })

  it('the load is a background chaoscope.actions.load of the safeguards control, so it runs from before the hypothesis before', () => {
    const e = compile(MIDDLE_SLOW.replace('  faults:', '  load: {url: "http://127.0.0.1:30080/", rate: 20, duration: 40s, method: POST, headers: {x-test: "1"}, body: "{}", timeout: 2s}\n  faults:'))
    expect(e.controls).toEqual([{
      name: 'chaoscope-load',
      provider: {
        type: 'python',
        module: 'chaosaddons.controls.safeguards',
        arguments: {
          probes: [{
            type: 'action',
            name: 'load http://127.0.0.1:30080/ at 20 req/s',
            background: true,
            provider: {
              type: 'python', module: 'chaoscope.actions', func: 'load',
              arguments: { url: 'http://127.0.0.1:30080/', rate: 20, duration: '40s', method: 'POST', headers: { 'x-test': '1' }, body: '{}', timeout: '2s' },
            },
            tolerance: { type: 'jsonpath', path: '$' },
          }],
        },
      },
    }])
    expect(names(e.method)).toEqual(['apply NetworkChaos middle-slow'])
    expectValidChaosToolkit(e)
  })

  it('a load without a duration lasts the planned run and ten minutes more (the run stops it after the hypothesis after)', () => {
    const e = compile(MIDDLE_SLOW.replace('  faults:', '  load: {url: "http://127.0.0.1:30080/", rate: 5}\n  faults:').replace('  duration: 20s\n', '  duration: 20s\n  recovery: {within: 30s}\n'))
    const load = (e.controls![0]!.provider!.arguments as { probes: ChaosToolkitActivityDefinition[] }).probes[0]!
    // 10 s window before + 20 s of faults + 30 s of recovery + 10 s window after, + 600 s
    expect(load.provider.arguments).toEqual({ url: 'http://127.0.0.1:30080/', rate: 5, duration: '670s' })
  })

  it('every example of examples/experiments compiles to an experiment that passes Chaos Toolkit\'s checks', () => {
    const dir = join(PACKAGE_ROOT, 'examples/experiments')
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
    expect(files.length).toBeGreaterThanOrEqual(1)
    for (const f of files) {
      const e = compile(readFileSync(join(dir, f), 'utf8'))
      expect(e.method.length, f).toBeGreaterThan(0)
      expectValidChaosToolkit(e)
    }
  })

  it('refuses a resource of another kind', () => {
    const pod = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k}\nspec: {action: pod-kill, mode: one, selector: {}}\n', 'pod.yaml').resources[0]!
    let err: unknown
    try {
      nativeExperiment(pod)
    } catch (e) {
      err = e
    }
    expect(isChaosError(err)).toBe(true)
    expect(err).toMatchObject({ code: 'CTK_INVALID_EXPERIMENT', message: 'pod.yaml: PodChaos k is not an Experiment (chaoscope.dev/v1alpha1)' })
  })
})

describe('a compiled experiment under the run loop', () => {
  // windows of 5 s: the first one also holds the load's start (its worker, transpiled under vitest, can take 3 s or
  // more while other test files run)
  // front: a real server on loopback; the "NetworkChaos" the target applies makes it answer 300 ms late
  let slow = false
  const durations: number[] = []
  const server = createServer((req, res) => {
    const t0 = performance.now()
    res.on('finish', () => durations.push((performance.now() - t0) / 1000))
    setTimeout(() => res.end('ok'), slow ? 300 : 0)
  })
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, Infinity]
  const calls: string[] = []
  const target = {
    async apply(text: string) {
      const m = JSON.parse(text) as { kind: string; metadata: { name: string; namespace: string } }
      calls.push(`apply ${m.kind} ${m.metadata.name}`)
      slow = true
      return [{ kind: m.kind, namespace: m.metadata.namespace, name: m.metadata.name, action: 'created' }]
    },
    async delete(kind: string, ns: string, name: string) {
      calls.push(`delete ${kind} ${ns}/${name}`)
      const was = slow
      slow = false
      return was
    },
    // what front's ingress sidecar would count: the server's own requests
    async sidecars(): Promise<SidecarSnapshot[]> {
      const d = [...durations]
      return [{
        name: 'front-ingress', mode: 'ingress', labels: { source: 'ingress', destination: 'front' },
        requests: { '2xx': d.length },
        latency: { buckets: LE.map((le) => ({ le, count: d.filter((x) => x <= le).length })), sum: d.reduce((a, b) => a + b, 0), count: d.length },
      }]
    },
  } as unknown as Target

  const yaml = (extra: string) => `apiVersion: chaoscope.dev/v1alpha1
kind: Experiment
metadata: {name: front-holds}
spec:
  hypothesis:
    - {service: front, window: 5s, throughput: {min: 2}, latency: {p99: 200ms}}
  load: {url: "${url}", rate: 40}
  faults:
    - apiVersion: chaos-mesh.org/v1alpha1
      kind: NetworkChaos
      metadata: {name: front-slow}
      spec: {action: delay, mode: all, selector: {labelSelectors: {app: front}}, delay: {latency: 300ms}}
  duration: 5s
${extra}`

  const run = (e: ChaosToolkitExperiment) => runExperiment(e, {
    hypothesisStrategy: 'default', hypothesisFrequency: 1, failFast: false, rollbackStrategy: 'always', allowExec: false, verifyTls: true, cwd: process.cwd(),
  }, { values: { configuration: {}, secrets: {} }, target })

  it('deviates when the fault breaks an SLO, with the observed value next to the expected one, and deletes the fault', async () => {
    calls.length = 0
    const j = await run(compile(yaml('')))
    expect(j.steady_states.before?.steady_state_met).toBe(true)
    expect(j.deviated).toBe(true)
    const after = j.steady_states.after!.probes
    expect(after.map((p) => [p.activity.name, p.tolerance_met])).toEqual([['front throughput >= 2 req/s', true], ['front p99 latency <= 200ms', false]])
    expect(after[1]!.chaoscope?.expected).toBe('between 0 and 200')
    expect(Number(after[1]!.chaoscope?.observed)).toBeGreaterThan(200)
    expect(j.run.map((r) => r.activity.name)).toEqual(['apply NetworkChaos front-slow'])
    expect(calls).toEqual(['apply NetworkChaos front-slow', 'delete NetworkChaos default/front-slow'])
  }, 60_000)

  it('with recovery, the hypothesis after holds once the fault is gone', async () => {
    calls.length = 0
    const j = await run(compile(yaml('  recovery: {within: 15s}\n')))
    expect(j.deviated).toBe(false)
    expect(j.status).toBe('completed')
    expect(j.steady_states.after?.steady_state_met).toBe(true)
    expect(j.run.map((r) => r.activity.name)).toEqual([
      'apply NetworkChaos front-slow',
      'delete NetworkChaos front-slow',
      'front throughput >= 2 req/s again within 15s',
      'front p99 latency <= 200ms again within 15s',
    ])
    expect(j.run.slice(2).map((r) => r.output)).toEqual([true, true])
    expect(calls).toEqual(['apply NetworkChaos front-slow', 'delete NetworkChaos default/front-slow', 'delete NetworkChaos default/front-slow'])
  }, 60_000)
})
