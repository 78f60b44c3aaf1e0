/**
 * What admission refuses because the runtime cannot do it, through the Controller with the REAL injectors on an
 * in-memory runtime boundary (test/doubles/fake-runtime.ts): an HTTPChaos on pods whose service is not HTTP or
 * not served on its `port`, delays longer than a sidecar holds; all before anything is written, every refusal of
 * an apply listed. And the durations it accepts, however long, are held to their end, not ended early.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { AdmissionError, Controller } from './controller.js'
import { INJECTED } from './decide.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { delayYaml, podChaosYaml, resource, resources } from '../../test/doubles/chaos-yaml.js'
import { engineSetup, stopControllers } from '../../test/doubles/engine-setup.js'

afterEach(stopControllers)

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** web: HTTP on 8080 (two pods); echo: TCP on 9000; db: TCP, no port declared. */
const PODS = () => [
  fakePod('web-aaaaa', { app: 'web' }, { protocol: 'http', containerPort: 8080 }),
  fakePod('web-bbbbb', { app: 'web' }, { protocol: 'http', containerPort: 8080 }),
  fakePod('echo-ccccc', { app: 'echo' }, { protocol: 'tcp', containerPort: 9000 }),
  fakePod('db-ddddd', { app: 'db' }),
]

function setup() {
  const { runtime, ctl, clock } = engineSetup({ pods: PODS() })
  return {
    runtime,
    ctl,
    clock,
    /** Starts the controller (its sweep lists the runtime's effects) and forgets the calls that made. */
    async start() {
      await ctl.start()
      runtime.calls.length = 0
    },
  }
}

const httpYaml = (name: string, opts: { app?: string; port?: number; more?: string; mode?: string } = {}) =>
  [
    'apiVersion: chaos-mesh.org/v1alpha1',
    'kind: HTTPChaos',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  mode: ${opts.mode ?? 'all'}`,
    `  selector: {labelSelectors: {app: ${opts.app ?? 'web'}}}`,
    `  port: ${opts.port ?? 8080}`,
    '  target: Request',
    `  ${opts.more ?? 'abort: true'}`,
    '',
  ].join('\n')

async function refusal(p: Promise<unknown>): Promise<ChaosError> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(ChaosError)
  return e as ChaosError
}

/** Nothing was written or applied: no object, no event, no effect on the runtime. */
function nothingDone(ctl: Controller, runtime: FakeRuntime) {
  expect(ctl.list()).toEqual([])
  expect(ctl.events()).toEqual([])
  expect(runtime.held.size).toBe(0)
  expect(runtime.calls.filter((c) => c !== 'pods')).toEqual([])
}

describe('admission refuses an HTTPChaos its selected pods cannot take', () => {
  it('a service that is not HTTP (protocol tcp)', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    const e = await refusal(ctl.apply(resource(httpYaml('h', { app: 'echo', port: 9000 }))))
    expect([e.code, e.message, e.hint]).toEqual([
      'SPEC_LOCAL_UNSUPPORTED',
      'pod echo-ccccc: service echo is protocol tcp; HTTPChaos needs a service with protocol: http',
      'set protocol: http on service echo in the App file if it speaks HTTP/1.1, or use NetworkChaos',
    ])
    nothingDone(ctl, runtime)
  })

  it('a port the service does not serve HTTP on (naming every selected pod and the port it serves)', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    const e = await refusal(ctl.apply(resource(httpYaml('h', { port: 80 }))))
    expect([e.code, e.message, e.hint]).toEqual(['SPEC_INVALID_VALUE', 'spec.port 80 is not a port of pods web-aaaaa, web-bbbbb: service web serves HTTP on port 8080', 'write port: 8080'])
    nothingDone(ctl, runtime)
  })

  it('in an apply of several documents, every refusal is listed and none of them is created', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    const docs = resources([delayYaml('fine'), httpYaml('tcp', { app: 'echo', port: 9000 }), httpYaml('port', { port: 8081 }), httpYaml('ok')].join('---\n'))
    const e = await refusal(ctl.applyAll(docs))
    expect(e).toBeInstanceOf(AdmissionError)
    expect((e as AdmissionError).refusals.map((r) => [r.index, r.error.code])).toEqual([
      [1, 'SPEC_LOCAL_UNSUPPORTED'],
      [2, 'SPEC_INVALID_VALUE'],
    ])
    expect(e.message).toBe('2 of 4 resources refused; nothing was applied (first: pod echo-ccccc: service echo is protocol tcp; HTTPChaos needs a service with protocol: http)')
    nothingDone(ctl, runtime)
  })

  it('an HTTPChaos on an HTTP service and its port is created and injected on every selected pod', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    const { action } = await ctl.apply(resource(httpYaml('h')))
    expect(action).toBe('created')
    expect(ctl.get('HTTPChaos', 'default', 'h')!.status.experiment.containerRecords.map((r) => r.phase)).toEqual([INJECTED, INJECTED])
    expect(runtime.faultIds()).toHaveLength(2)
  })
})

describe('admission refuses a delay longer than a sidecar holds (1h), naming the field', () => {
  it.each([
    ['NetworkChaos latency', delayYaml('d', { latency: '61m' }), 'spec.delay.latency "61m": the local sidecars hold a delay of at most 1h', 'write latency: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh'],
    ['NetworkChaos jitter', delayYaml('d', { latency: '1h' }).replace('latency: "1h"', 'latency: "1h", jitter: "3600.001s"'), 'spec.delay.jitter "3600.001s": the local sidecars hold a delay of at most 1h', 'write jitter: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh'],
    ['HTTPChaos delay', httpYaml('h', { more: 'delay: 600h' }), 'spec.delay "600h": the local sidecars hold a delay of at most 1h', 'write delay: 1h or less to run it on the local runtime, or run it against a cluster with Chaos Mesh'],
  ])('%s', async (_what, yaml, message, hint) => {
    const { ctl, runtime, start } = setup()
    await start()
    const e = await refusal(ctl.apply(resource(yaml)))
    expect([e.code, e.message, e.hint]).toEqual(['SPEC_LOCAL_UNSUPPORTED', message, hint])
    nothingDone(ctl, runtime)
  })

  it('a delay of exactly 1h is accepted', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    await ctl.apply(resource(delayYaml('d', { latency: '1h', mode: 'one' })))
    await ctl.apply(resource(httpYaml('h', { more: 'delay: 60m', mode: 'one' })))
    expect(runtime.faultIds()).toHaveLength(2)
  })
})

describe('admission refuses a pod-kill grace period longer than the runtime waits', () => {
  it('gracePeriod 2147484 (past 2^31-1 ms) is refused naming the limit; 2147483 is accepted', async () => {
    const { ctl, runtime, start } = setup()
    await start()
    const yaml = (g: number) => podChaosYaml('k', 'pod-kill', { mode: 'one' }).replace('spec:\n', `spec:\n  gracePeriod: ${g}\n`)
    const e = await refusal(ctl.apply(resource(yaml(2_147_484))))
    expect([e.code, e.message, e.hint]).toEqual(['SPEC_LOCAL_UNSUPPORTED', 'spec.gracePeriod 2147484: the local runtime waits at most 2147483 seconds (about 24.8 days) before SIGKILL', 'write gracePeriod: 2147483 or less'])
    nothingDone(ctl, runtime)
    expect(await ctl.apply(resource(yaml(2_147_483)), { dryRun: true })).toMatchObject({ action: 'created' })
  })
})

describe('a long duration is held to its end', () => {
  const at = (name: string, kind: string, ctl: Controller) => ctl.get(kind, 'default', name)!.status.experiment.containerRecords.map((r) => r.phase)

  it.each([
    ['PodChaos pod-failure 999999h', podChaosYaml('long', 'pod-failure', { duration: '999999h' }), 'PodChaos', 'pod-failure', 999_999],
    ['NetworkChaos delay 999999h', delayYaml('long', { duration: '999999h' }), 'NetworkChaos', 'sidecar-fault', 999_999],
    ['HTTPChaos abort 999999h', httpYaml('long', { more: 'abort: true\n  duration: 999999h' }), 'HTTPChaos', 'sidecar-fault', 999_999],
  ])('%s: the effects expire at its end, and are held and Injected after a minute and after 25 days', async (_what, yaml, kind, type, hours) => {
    const { ctl, runtime, clock, start } = setup()
    await start()
    const { object } = await ctl.apply(resource(yaml))
    const end = Date.parse(object.metadata.creationTimestamp) + hours * HOUR
    const held = () => [...runtime.held.values()].map((e) => [e.type, e.expiresAt])
    const expected = held().map(() => [type, end])
    expect(expected.length).toBeGreaterThan(0)
    expect(held()).toEqual(expected)
    for (const step of [60_000, 25 * DAY]) {
      clock.advance(step)
      runtime.expire(clock.now())
      await ctl.waitIdle()
      expect(held()).toEqual(expected)
      expect(at('long', kind, ctl).every((p) => p === INJECTED)).toBe(true)
    }
  })

  it('NetworkChaos delay 600h: held 599 hours in, recovered at 600h', async () => {
    const { ctl, runtime, clock, start } = setup()
    await start()
    await ctl.apply(resource(delayYaml('long', { duration: '600h' })))
    const ids = runtime.faultIds()
    expect(ids).toHaveLength(2)
    clock.advance(599 * HOUR)
    runtime.expire(clock.now())
    await ctl.waitIdle()
    expect(runtime.faultIds()).toEqual(ids)
    expect(at('long', 'NetworkChaos', ctl)).toEqual([INJECTED, INJECTED])
    clock.advance(HOUR)
    runtime.expire(clock.now())
    await ctl.waitIdle()
    expect(runtime.faultIds()).toEqual([])
    expect(ctl.get('NetworkChaos', 'default', 'long')!.status.chaoscope.phase).toBe('finished')
  })
})
