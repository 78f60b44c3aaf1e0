/**
 * The chaosk8s activities on the chain demo (front → middle → back on a real runtime, its controller mounted as
 * `chaoscope up` mounts it, the Target over both HTTP APIs): delete_pods replaces the middle pod,
 * deny_all_ingress on app=back makes front answer with an `error` and remove_deny_all_ingress restores it,
 * create_custom_object of the demo's NetworkChaos with its 1.x scheduler delays middle at once and on its cron
 * (a Schedule), delete_custom_object leaves nothing behind, read_pod_logs reads timestamped lines; and, without a
 * runtime: the 1.x scheduler's translation and chaosk8s' pod selection.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ControllerClient } from '../../api/client.js'
import { HttpRuntimeClient } from '../../runtime/client.js'
import type { RuntimeServer } from '../../runtime/server.js'
import { targetOver } from '../../run-target.js'
import { startUpController } from '../../wiring.js'
import type { ControllerServer } from '../../wiring.js'
import { startDemo } from '../../../test/demo.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, Target, TargetPod } from '../types.js'
import { Args } from './chaoscope.js'
import { DENY_ALL_INGRESS, K8S_ACTIVITIES, SCHEDULER_ANNOTATION, schedulerForm, selectPods } from './k8s.js'
import type { K8sObject } from './k8s.js'

const DEMO = '/work/shared/conformance/chaostoolkit-demos/experiments/middle_service_has_latency.json'

function ctxOf(target: Target | undefined, lines: string[] = []): ActivityContext {
  return {
    values: { configuration: {}, secrets: {} },
    ...(target ? { target } : {}),
    signal: new AbortController().signal,
    allowExec: false,
    cwd: process.cwd(),
    verifyTls: true,
    log: (l) => lines.push(l),
    runProbe: () => Promise.reject(new Error('no probes here')),
    checkTolerance: () => Promise.reject(new Error('no tolerances here')),
    results: new Map(),
  }
}

const run = (name: string, args: Record<string, unknown>, ctx: ActivityContext) => K8S_ACTIVITIES[`chaosk8s.${name}`]!(args, ctx)

/** The NetworkChaos the chain demo's latency experiment creates (Chaos Mesh 1.x, with spec.scheduler). */
function demoNetworkChaos(): { args: Record<string, unknown>; resource: K8sObject } {
  const exp = JSON.parse(readFileSync(DEMO, 'utf8')) as { method: { name: string; provider: { arguments: Record<string, unknown> } }[] }
  const args = exp.method.find((m) => m.name === 'inject-latency')!.provider.arguments
  return { args, resource: args.resource as K8sObject }
}

describe('without a runtime', () => {
  it("runs a 1.x scheduler as 1.x did: the chaos at once, and a Schedule of the same name on its cron, the spec's duration kept", async () => {
    const { resource } = demoNetworkChaos()
    const f = (await schedulerForm(resource))!
    expect(f.cron).toBe('@every 15s')
    expect(f.first.spec).not.toHaveProperty('scheduler')
    expect(f.first.spec).toMatchObject({ action: 'delay', duration: '10s', delay: { latency: '1500ms' } })
    expect(f.first.metadata).toMatchObject({ name: 'delaying-middle-1', namespace: 'default', annotations: { [SCHEDULER_ANNOTATION]: 'NetworkChaos' } })
    expect(f.schedule).toEqual({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'delaying-middle-1', namespace: 'default', annotations: { [SCHEDULER_ANNOTATION]: 'NetworkChaos' } },
      spec: { schedule: '@every 15s', type: 'NetworkChaos', historyLimit: 2, concurrencyPolicy: 'Forbid', networkChaos: f.first.spec },
    })
    expect(resource.spec).toHaveProperty('scheduler') // the given object is left as it was
    expect(await schedulerForm({ ...resource, spec: { action: 'delay' } })).toBeUndefined()
    const noDuration = { ...resource, spec: { action: 'delay', scheduler: { cron: '@every 1m' } } }
    await expect(schedulerForm(noDuration)).rejects.toThrow(/needs a duration/)
    await expect(schedulerForm({ ...resource, spec: { ...resource.spec, scheduler: 'often' } })).rejects.toThrow(/spec.scheduler must be \{cron/)
  })

  it("selects pods as chaosk8s' _select_pods does: a regex searched in the name, qty or a percentage (rounded up), all, order", async () => {
    const pod = (name: string, startTime: string): TargetPod & { startTime: string } => ({ name, namespace: 'default', service: name.split('-')[0]!, labels: { app: name.split('-')[0]! }, phase: 'Running', ready: true, restarts: 0, startTime })
    const pods = [pod('web-b', '2024-01-01T00:00:03Z'), pod('web-a', '2024-01-01T00:00:05Z'), pod('web-c', '2024-01-01T00:00:01Z'), pod('db-a', '2024-01-01T00:00:00Z')]
    const fake = { pods: async (q: { labelSelector?: string }) => pods.filter((p) => !q.labelSelector || q.labelSelector === `app=${p.labels.app}`) } as unknown as Target
    const names = async (args: Record<string, unknown>) => (await selectPods('t', new Args(args, 't'), fake)).map((p) => p.name)
    expect(await names({})).toEqual(['db-a'])
    expect(await names({ name_pattern: 'eb' })).toEqual(['web-a'])
    expect(await names({ name_pattern: '^web-[bc]$', all: true })).toEqual(['web-b', 'web-c'])
    expect(await names({ label_selector: 'app=web', qty: 2 })).toEqual(['web-a', 'web-b'])
    expect(await names({ label_selector: 'app=web', mode: 'percentage', qty: 34 })).toEqual(['web-a', 'web-b'])
    expect(await names({ label_selector: 'app=web', order: 'oldest', qty: 2 })).toEqual(['web-c', 'web-b'])
    expect(await names({ label_selector: 'app=web', qty: 10 })).toHaveLength(3)
    expect(new Set(await names({ label_selector: 'app=web', rand: true, qty: 3 }))).toEqual(new Set(['web-a', 'web-b', 'web-c']))
    await expect(names({ qty: -1 })).rejects.toThrow("Cannot select pods. Quantity '-1' is negative.")
    await expect(names({ mode: 'some' })).rejects.toThrow("Cannot select pods. Mode 'some' is invalid.")
    await expect(names({ order: 'newest' })).rejects.toThrow("Cannot select pods. Order 'newest' is invalid.")
  })

  it('fails with RUN_NO_TARGET, saying how to start one, when no controller runs', async () => {
    const e = await run('pod.actions.terminate_pods', { label_selector: 'app=middle' }, ctxOf(undefined)).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ActivityFailed)
    expect((e as ActivityFailed).code).toBe('RUN_NO_TARGET')
    expect((e as ActivityFailed).message).toMatch(/chaoscope up -f app.yaml/)
  })
})

describe('on the chain demo', () => {
  let dir: string
  let chain: RuntimeServer
  let ctl: ControllerServer
  let target: Target
  let front: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-k8s-'))
    chain = await startDemo('chain')
    ctl = await startUpController(chain, { db: join(dir, 'chaoscope.db'), stateless: true, backoff: { baseMs: 50, capMs: 500 } })
    target = targetOver(new ControllerClient(chain.state.url, ctl.adminToken), new HttpRuntimeClient(chain.state.url, chain.state.token))
    front = `http://${chain.hostPorts().find(([s]) => s === 'front')![1]}/`
  }, 60_000)

  afterAll(async () => {
    await ctl?.close()
    await chain?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  afterEach(async () => {
    for (const o of await target.list()) await target.delete(o.kind, o.metadata.namespace, o.metadata.name)
  })

  async function ask(): Promise<{ ms: number; body: { error?: string; stale: boolean } }> {
    const t0 = performance.now()
    const res = await fetch(front, { signal: AbortSignal.timeout(5000) })
    return { body: (await res.json()) as { error?: string; stale: boolean }, ms: performance.now() - t0 }
  }

  const middlePod = async () => (await target.pods({ labelSelector: 'app=middle' })).find((p) => p.ready)

  it('delete_pods kills the middle pod (its name searched as chaosk8s does), and a new middle pod takes its place', async () => {
    const before = (await middlePod())!
    const killed = await run('pod.actions.delete_pods', { name: 'middle' }, ctxOf(target))
    expect(killed).toEqual([before.name])
    // as a ReplicaSet would: a new pod, with a new name, ready
    await expect.poll(async () => (await middlePod())?.name ?? before.name, { timeout: 20_000 }).not.toBe(before.name)
    const after = (await middlePod())!
    expect(after.name).toMatch(/^middle-/)
    expect((await target.pods({ labelSelector: 'app=middle' })).map((p) => p.name)).not.toContain(before.name)
    await expect.poll(async () => (await ask()).body.error, { timeout: 20_000 }).toBeUndefined()
    // the PodChaos that killed it is gone
    expect(await target.list({ kind: 'PodChaos' })).toEqual([])
  })

  it('deny_all_ingress on app=back: front answers with an error within its timeout; remove_deny_all_ingress restores it', async () => {
    await expect.poll(async () => (await ask()).body.error, { timeout: 20_000 }).toBeUndefined()
    expect(await run('networking.actions.deny_all_ingress', { label_selectors: { app: 'back' } }, ctxOf(target))).toBeNull()
    const [chaos] = await target.list({ kind: 'NetworkChaos' })
    expect(chaos!.metadata.name).toBe(DENY_ALL_INGRESS)
    await expect.poll(async () => (await ask()).body.error, { timeout: 10_000 }).toMatch(/could not get a fresh value/)
    const denied = await ask()
    expect(denied.ms).toBeLessThan(3000) // front's own timeout (1 s) answers, well within a probe's
    expect(denied.body.stale).toBe(true)
    expect(await run('networking.actions.remove_deny_all_ingress', {}, ctxOf(target))).toBeNull()
    expect(await target.list({ kind: 'NetworkChaos' })).toEqual([])
    expect(await chain.runtime.effects()).toEqual([])
    await expect.poll(async () => (await ask()).body.error, { timeout: 10_000 }).toBeUndefined()
    // a second remove has nothing to remove, as chaosk8s' raises for a missing policy
    await expect(run('networking.actions.remove_deny_all_ingress', {}, ctxOf(target))).rejects.toThrow(/no chaostoolkit-deny-all-ingress in namespace default/)
  })

  it("create_custom_object of the demo's NetworkChaos delays middle at once and again on its cron; delete_custom_object leaves nothing", async () => {
    const { args } = demoNetworkChaos()
    const lines: string[] = []
    const created = (await run('crd.actions.create_custom_object', args, ctxOf(target, lines))) as { kind: string; metadata: { name: string; annotations?: Record<string, string> } }
    expect(created).toMatchObject({ kind: 'NetworkChaos', metadata: { name: 'delaying-middle-1' } })
    expect(lines.join('\n')).toMatch(/spec.scheduler .*Chaos Mesh 1.x.*once now, and at each tick by a Schedule default\/delaying-middle-1/)
    // the first run: middle is 1.5 s slow, more than front waits
    await expect.poll(async () => (await ask()).body.error, { timeout: 5000 }).toMatch(/middle did not answer within 1000ms/)
    const schedules = await target.list({ kind: 'Schedule' })
    expect(schedules.map((s) => s.metadata.name)).toEqual(['delaying-middle-1'])
    // the Schedule's first run, 15 s after creation
    await expect.poll(async () => (await target.list({ kind: 'NetworkChaos' })).map((o) => o.metadata.name).filter((n) => n.startsWith('delaying-middle-1-')).length, { timeout: 25_000, interval: 500 }).toBe(1)
    await expect.poll(async () => (await ask()).body.error, { timeout: 5000 }).toMatch(/middle did not answer within 1000ms/)
    const deleted = (await run('crd.actions.delete_custom_object', { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'networkchaos', name: 'delaying-middle-1' }, ctxOf(target))) as { metadata: { name: string } }
    expect(deleted.metadata.name).toBe('delaying-middle-1')
    expect(await target.list()).toEqual([])
    expect(await chain.runtime.effects()).toEqual([])
    const fast = await ask()
    expect(fast.body.error).toBeUndefined()
    expect(fast.ms).toBeLessThan(1000)
    await expect(run('crd.actions.delete_custom_object', { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'networkchaos', name: 'delaying-middle-1' }, ctxOf(target))).rejects.toThrow(/Not Found/)
  }, 60_000)

  it('create_custom_object refuses a resource that is not what group, version, plural and ns say', async () => {
    const { args } = demoNetworkChaos()
    await expect(run('crd.actions.create_custom_object', { ...args, plural: 'podchaos' }, ctxOf(target))).rejects.toThrow(/plural podchaos is not the resource of kind NetworkChaos/)
    await expect(run('crd.actions.create_custom_object', { ...args, ns: 'other' }, ctxOf(target))).rejects.toThrow(/does not match ns \(other\)/)
    await expect(run('crd.actions.create_custom_object', { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'networkchaos' }, ctxOf(target))).rejects.toThrow(/either resource or resource_as_yaml_file/)
    expect(await target.list()).toEqual([])
  })

  it('read_pod_logs returns each pod its timestamped lines, the last ones only with last, by name or label selector', async () => {
    await ask()
    const all = (await run('pod.probes.read_pod_logs', { label_selector: 'app=front', container_name: 'front', last: '1 hour' }, ctxOf(target))) as Record<string, string>
    const [name] = Object.keys(all)
    expect(name).toMatch(/^front-/)
    const lines = all[name!]!.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z /)
    const recent = (await run('pod.probes.read_pod_logs', { label_selector: 'app=front', last: '25s' }, ctxOf(target))) as Record<string, string>
    for (const l of recent[name!]!.trimEnd().split('\n').filter(Boolean)) expect(Date.parse(l.slice(0, l.indexOf(' ')))).toBeGreaterThanOrEqual(Date.now() - 26_000)
    // by name: chaosk8s' default selector "name in (<name>)"; the chain's pods carry name=<service>
    expect(Object.keys((await run('pod.probes.read_pod_logs', { name: 'front' }, ctxOf(target))) as object)).toEqual([name])
    expect(await run('pod.probes.read_pod_logs', {}, ctxOf(target))).toEqual({})
    await expect(run('pod.probes.read_pod_logs', { label_selector: 'app=front', container_name: 'sidecar' }, ctxOf(target))).rejects.toThrow(/one container, named after its service \(front\)/)
  })
})
