/** The controller's lifecycle spans: a real controller on the chain demo, its spans sent to an OTLP/HTTP receiver. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { FaultInjector } from '../faults/injector.js'
import { injectors as registry } from '../faults/registry.js'
import type { Tracing } from '../observe/tracing.js'
import { InProcessRuntimeClient } from '../runtime/client.js'
import type { RuntimeServer } from '../runtime/server.js'
import { startDemo } from '../../test/demo.js'
import { resource } from '../../test/doubles/chaos-yaml.js'
import { startOtlpReceiver } from '../../test/otlp-receiver.js'
import type { OtlpReceiver, ReceivedSpan } from '../../test/otlp-receiver.js'
import { Controller } from './controller.js'
import { objectSpanId, objectTraceId, startControllerTracing } from './lifecycle-tracing.js'

let dir: string
let chain: RuntimeServer
let otlp: OtlpReceiver
const open: { ctl: Controller; tracing: Tracing }[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-lifecycle-'))
  chain = await startDemo('chain')
  otlp = await startOtlpReceiver()
}, 60_000)

afterAll(async () => {
  await chain?.close()
  await otlp?.close()
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const o of open.splice(0)) await stop(o)
  for (const e of await chain.runtime.effects()) await chain.runtime.removeEffect(e.id)
  otlp.spans.length = 0
})

async function stop(o: { ctl: Controller; tracing: Tracing }): Promise<void> {
  await o.ctl.stop()
  await o.tracing.shutdown()
}

async function controller(db: string): Promise<{ ctl: Controller; tracing: Tracing }> {
  const tracing = await startControllerTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' } })
  const ctl = Controller.open({ dbPath: join(dir, db), runtime: new InProcessRuntimeClient(chain.runtime), tracing })
  const o = { ctl, tracing }
  open.push(o)
  await ctl.start()
  return o
}

const delay = (name: string, duration: string) =>
  resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}, namespace: default}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app: middle}}
  delay: {latency: 50ms}
  duration: ${duration}
`)

const named = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name)
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId)
/** A step span's name without its target's pod (the demo's pod names end in a random suffix). */
const step = (s: ReceivedSpan) => s.name.split(' ')[0]!

describe('lifecycle spans', () => {
  it('an experiment is one span from creation to Finished, with an inject and a recover child span per target naming the effects', async () => {
    const { ctl } = await controller('experiment.db')
    const { object } = await ctl.apply(delay('slow-middle', '1s'))
    const uid = object.metadata.uid
    const spans = await otlp.waitFor((s) => named(s, 'NetworkChaos default/slow-middle') !== undefined && s.some((x) => x.name.startsWith('recover ')), 20_000)
    const exp = named(spans, 'NetworkChaos default/slow-middle')!
    // its ids come from its uid: the same in any controller process
    expect(exp).toMatchObject({ service: 'chaoscope-controller', parentSpanId: '', traceId: objectTraceId(uid), spanId: objectSpanId(uid) })
    expect(exp.attributes).toMatchObject({ 'chaoscope.kind': 'NetworkChaos', 'chaoscope.action': 'delay', 'chaoscope.uid': uid, 'chaoscope.phase': 'finished' })
    expect(exp.startMs).toBe(Date.parse(object.metadata.creationTimestamp))
    const kids = childrenOf(spans, exp)
    const inject = kids.find((s) => step(s) === 'inject')!
    const recover = kids.find((s) => step(s) === 'recover')!
    expect(inject.attributes).toMatchObject({ 'chaoscope.kind': 'NetworkChaos', 'chaoscope.action': 'delay', 'chaoscope.target': expect.stringMatching(/^default\/middle-/), 'chaoscope.result': 'success' })
    // the effect ids are the ones the sidecar's hop spans name in chaoscope.faults
    const held = ctl.store.records(uid)[0]?.injection as { data: { effects: { id: string }[] } } | undefined
    expect(inject.attributes['chaoscope.effects']).toEqual(held?.data.effects.map((e) => e.id) ?? expect.any(Array))
    expect((inject.attributes['chaoscope.effects'] as string[]).length).toBeGreaterThan(0)
    expect(recover.attributes).toMatchObject({ 'chaoscope.result': 'success' })
    expect(recover.startMs).toBeGreaterThanOrEqual(inject.endMs)
    expect(exp.endMs).toBeGreaterThanOrEqual(recover.endMs)
  }, 30_000)

  it('a failed injection is an ERROR child span with its message and error code', async () => {
    const tracing = await startControllerTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' } })
    const refusing: FaultInjector = { ...registry.NetworkChaos, inject: async () => { throw new ChaosError('RUNTIME_UNKNOWN_POD', 'no pod middle-0 here') } } as FaultInjector
    const ctl = Controller.open({ dbPath: join(dir, 'failing.db'), runtime: new InProcessRuntimeClient(chain.runtime), tracing, injectors: { ...(registry as unknown as Record<string, FaultInjector>), NetworkChaos: refusing }, backoff: { baseMs: 5000, capMs: 5000 } })
    open.push({ ctl, tracing })
    await ctl.start()
    const { object } = await ctl.apply(delay('will-fail', '30s'))
    const spans = await otlp.waitFor((s) => s.some((x) => step(x) === 'inject'), 20_000)
    const inject = spans.find((x) => step(x) === 'inject')!
    expect(inject).toMatchObject({ traceId: objectTraceId(object.metadata.uid), parentSpanId: objectSpanId(object.metadata.uid), status: { code: 'error', message: 'no pod middle-0 here' } })
    expect(inject.attributes).toMatchObject({ 'chaoscope.result': 'failure', 'chaoscope.error.code': 'RUNTIME_UNKNOWN_POD' })
  }, 30_000)

  it('a restarted controller ends the same span: the first one\'s inject span and the second one\'s recover span share it as parent', async () => {
    const first = await controller('restart.db')
    const { object } = await first.ctl.apply(delay('across', '3s'))
    const uid = object.metadata.uid
    await otlp.waitFor((s) => s.some((x) => step(x) === 'inject'), 20_000)
    await stop(first)
    open.splice(open.indexOf(first), 1)
    // the first controller never ended the experiment's span: only its inject span reached the receiver
    expect(otlp.spans.some((s) => s.spanId === objectSpanId(uid))).toBe(false)
    await controller('restart.db')
    const spans = await otlp.waitFor((s) => s.some((x) => x.spanId === objectSpanId(uid)), 20_000).catch((e) => {
      throw new Error(`${e}: ${JSON.stringify(otlp.spans.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId]))} want ${objectSpanId(uid)}`)
    })
    const exp = spans.find((s) => s.spanId === objectSpanId(uid))!
    expect(exp.traceId).toBe(objectTraceId(uid))
    expect(exp.startMs).toBe(Date.parse(object.metadata.creationTimestamp))
    expect(childrenOf(spans, exp).map(step).sort()).toEqual(['inject', 'recover'])
  }, 40_000)

  it('a Workflow is a span whose nodes are child spans, and a chaos node\'s experiment is a child of its node', async () => {
    const { ctl } = await controller('workflow.db')
    const { object } = await ctl.apply(
      resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: wf, namespace: default}
spec:
  entry: the-entry
  templates:
    - name: the-entry
      templateType: Serial
      deadline: 30s
      children: [slow-middle, pause]
    - name: slow-middle
      templateType: NetworkChaos
      deadline: 1s
      networkChaos:
        action: delay
        mode: all
        selector: {labelSelectors: {app: middle}}
        delay: {latency: 50ms}
    - name: pause
      templateType: Suspend
      deadline: 1s
`),
    )
    const wfUid = object.metadata.uid
    const spans = await otlp.waitFor((s) => s.some((x) => x.name === 'Workflow default/wf'), 30_000)
    const wf = named(spans, 'Workflow default/wf')!
    expect(wf).toMatchObject({ parentSpanId: '', traceId: objectTraceId(wfUid), spanId: objectSpanId(wfUid) })
    const entry = childrenOf(spans, wf).find((s) => s.attributes['chaoscope.node.template'] === 'the-entry')!
    expect(entry.attributes['chaoscope.node.type']).toBe('Serial')
    const nodes = childrenOf(spans, entry)
    expect(nodes.map((n) => n.attributes['chaoscope.node.type']).sort()).toEqual(['NetworkChaos', 'Suspend'])
    const chaosNode = nodes.find((n) => n.attributes['chaoscope.node.type'] === 'NetworkChaos')!
    const [chaos] = childrenOf(spans, chaosNode)
    expect(chaos?.attributes['chaoscope.kind']).toBe('NetworkChaos')
    expect(childrenOf(spans, chaos!).map(step).sort()).toEqual(['inject', 'recover'])
    // every span of the workflow is in its trace
    expect(new Set([wf, entry, ...nodes, chaos!].map((s) => s.traceId))).toEqual(new Set([objectTraceId(wfUid)]))
  }, 40_000)
})

describe('scheduled runs', () => {
  it('a Schedule\'s run is a trace of its own whose root span links to the Schedule\'s span', async () => {
    const { ctl } = await controller('schedule.db')
    const { object } = await ctl.apply(
      resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: every-second, namespace: default}
spec:
  schedule: '@every 1s'
  concurrencyPolicy: Forbid
  type: NetworkChaos
  networkChaos:
    action: delay
    mode: all
    selector: {labelSelectors: {app: middle}}
    delay: {latency: 10ms}
    duration: 300ms
`),
    )
    const scheduleUid = object.metadata.uid
    const isRun = (x: ReceivedSpan) => x.attributes['chaoscope.kind'] === 'NetworkChaos' && x.attributes['chaoscope.owner'] === 'Schedule default/every-second' && x.parentSpanId === ''
    const runs = await otlp.waitFor((s) => s.some(isRun), 20_000)
    const run = runs.find(isRun)!
    // the Schedule's span ends (and is exported) when the Schedule goes
    await ctl.delete('Schedule', 'default', 'every-second', { wait: true })
    const spans = await otlp.waitFor((s) => s.some((x) => x.spanId === objectSpanId(scheduleUid)), 20_000)
    const schedule = spans.find((x) => x.spanId === objectSpanId(scheduleUid))!
    expect(schedule).toMatchObject({ name: 'Schedule default/every-second', parentSpanId: '', traceId: objectTraceId(scheduleUid) })
    expect(run.traceId).toBe(objectTraceId(String(run.attributes['chaoscope.uid'])))
    expect(run.traceId).not.toBe(schedule.traceId)
    expect(run.links).toEqual([{ traceId: schedule.traceId, spanId: schedule.spanId, attributes: { 'chaoscope.link': 'scheduled by' } }])
    // the run's own steps stay in its trace
    expect(childrenOf(spans, run).map(step).sort()).toEqual(['inject', 'recover'])
  }, 40_000)
})

describe('ids', () => {
  it('are derived from the uid: stable, of the OTLP sizes, different per object', () => {
    expect(objectSpanId('a')).toMatch(/^[0-9a-f]{16}$/)
    expect(objectTraceId('a')).toMatch(/^[0-9a-f]{32}$/)
    expect(objectSpanId('a')).toBe(objectSpanId('a'))
    expect(objectSpanId('a')).not.toBe(objectSpanId('b'))
    expect(objectTraceId('a')).not.toBe(objectTraceId('b'))
  })
})
