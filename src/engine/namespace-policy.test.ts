/**
 * The server's namespace policy: what namespaces a resource reaches (the pure walk, table-tested), the refusals and
 * their messages; then through the Controller on the in-memory runtime boundary and a manual clock: apply refuses
 * (dry run too, all or nothing, nothing written), and what the controller makes later (a Schedule's run, a
 * Workflow's chaos, an experiment selecting again) never acts on a pod that appeared in a protected namespace,
 * and says why in a Warning event.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { Resource } from '../manifest/validate.js'
import type { RuntimePod } from '../runtime/client.js'
import { Store } from '../store/store.js'
import { AdmissionError, Controller } from './controller.js'
import { checkNamespacePolicy, namespacesReached, reachesThroughPods } from './namespace-policy.js'
import type { NamespacePolicy } from './namespace-policy.js'
import { fakePod, FakeRuntime } from '../../test/doubles/fake-runtime.js'
import { resource, resources } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'

const CM = 'chaos-mesh.org/v1alpha1'
const bare = (kind: string, spec: Record<string, unknown>, namespace = 'default', name = 'x'): Resource => ({ apiVersion: CM, kind, metadata: { name, namespace }, spec, source: { file: 't', index: 0, line: 1 } })
const delay = (selector: Record<string, unknown>) => ({ action: 'delay', mode: 'all', selector, delay: { latency: '10ms' } })
const web = (name: string, namespace = 'default'): RuntimePod => fakePod(name, { app: 'web' }, { namespace })
const PODS = (): RuntimePod[] => [web('web-aaaaa'), fakePod('db-ccccc', { app: 'db' }), web('web-sys', 'kube-system')]
const PROTECT: NamespacePolicy = { protected: ['kube-system'] }

/** The ChaosError `fn` throws (or undefined). */
function thrown(fn: () => void): ChaosError | undefined {
  try {
    fn()
  } catch (e) {
    if (e instanceof ChaosError) return e
    throw e
  }
  return undefined
}

describe('namespacesReached', () => {
  it.each<[string, Resource, { namespace: string; path: string; pod?: string }[]]>([
    ['a validated experiment: its namespace, and its selector defaulted to it', resource('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k, namespace: team}\nspec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}\n'), [
      { namespace: 'team', path: 'metadata.namespace' },
      { namespace: 'team', path: 'spec.selector.namespaces[0]' },
    ]],
    ['selector.namespaces', bare('NetworkChaos', delay({ namespaces: ['default', 'kube-system'] })), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.selector.namespaces[0]' },
      { namespace: 'kube-system', path: 'spec.selector.namespaces[1]' },
    ]],
    ['selector.pods overrides namespaces, as select.ts reads it', bare('NetworkChaos', delay({ namespaces: ['kube-system'], pods: { default: ['web-aaaaa'] } })), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.selector.pods.default' },
    ]],
    ['a label selector naming no namespace: the pods it matches, in every namespace', bare('NetworkChaos', delay({ labelSelectors: { app: 'web' } })), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.selector', pod: 'default/web-aaaaa' },
      { namespace: 'kube-system', path: 'spec.selector', pod: 'kube-system/web-sys' },
    ]],
    ['no selector at all matches every pod', bare('PodChaos', { action: 'pod-kill', mode: 'one' }, 'default'), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.selector', pod: 'default/db-ccccc' },
      { namespace: 'kube-system', path: 'spec.selector', pod: 'kube-system/web-sys' },
    ]],
    ['a fieldSelectors metadata.namespace', bare('NetworkChaos', delay({ fieldSelectors: { 'metadata.namespace': 'kube-system' } })), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'kube-system', path: 'spec.selector.fieldSelectors["metadata.namespace"]' },
    ]],
    ["NetworkChaos's target selector", bare('NetworkChaos', { ...delay({ namespaces: ['default'] }), direction: 'to', target: { mode: 'all', selector: { namespaces: ['kube-system'] } } }), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.selector.namespaces[0]' },
      { namespace: 'kube-system', path: 'spec.target.selector.namespaces[0]' },
    ]],
    ['a kind that selects no pods reads none', bare('AWSChaos', { action: 'ec2-stop' }, 'cloud'), [{ namespace: 'cloud', path: 'metadata.namespace' }]],
    ['a Schedule: its item', bare('Schedule', { schedule: '@every 1m', type: 'PodChaos', podChaos: { action: 'pod-kill', mode: 'one', selector: { namespaces: ['kube-system'] } } }), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'kube-system', path: 'spec.podChaos.selector.namespaces[0]' },
    ]],
    ['a Schedule of Workflows: each template of its workflow', bare('Schedule', { schedule: '@every 1m', type: 'Workflow', workflow: { entry: 'a', templates: [{ name: 'a', templateType: 'PodChaos', podChaos: { action: 'pod-kill', mode: 'one', selector: { pods: { 'kube-system': ['web-sys'] } } } }] } }), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'kube-system', path: 'spec.workflow.templates[0].podChaos.selector.pods.kube-system' },
    ]],
    ['a Workflow: every chaos template, and the Schedule templates inside', bare('Workflow', {
      entry: 'all',
      templates: [
        { name: 'all', templateType: 'Parallel', children: ['d', 's', 'check'] },
        { name: 'd', templateType: 'NetworkChaos', networkChaos: delay({ namespaces: ['default'] }) },
        { name: 's', templateType: 'Schedule', schedule: { schedule: '@every 1m', type: 'StressChaos', stressChaos: { mode: 'one', selector: { namespaces: ['kube-system'] }, stressors: { cpu: { workers: 1 } } } } },
        { name: 'check', templateType: 'StatusCheck', statusCheck: { type: 'HTTP', http: { url: 'http://x' } } },
      ],
    }), [
      { namespace: 'default', path: 'metadata.namespace' },
      { namespace: 'default', path: 'spec.templates[1].networkChaos.selector.namespaces[0]' },
      { namespace: 'kube-system', path: 'spec.templates[2].schedule.stressChaos.selector.namespaces[0]' },
    ]],
    ['a WorkflowNode: its own namespace (what it spawns is checked when it does)', bare('WorkflowNode', { templateName: 'd', workflowName: 'w', type: 'NetworkChaos', networkChaos: delay({ namespaces: ['kube-system'] }) }), [
      { namespace: 'default', path: 'metadata.namespace' },
    ]],
  ])('%s', (_, r, want) => {
    expect(namespacesReached(r, PODS())).toEqual(want)
  })

  it('reachesThroughPods: only a pod selector naming no namespace depends on the pods', () => {
    expect(reachesThroughPods(bare('NetworkChaos', delay({ namespaces: ['default'] })))).toBe(false)
    expect(reachesThroughPods(bare('NetworkChaos', delay({ pods: { default: ['web-aaaaa'] } })))).toBe(false)
    expect(reachesThroughPods(bare('NetworkChaos', delay({ fieldSelectors: { 'metadata.namespace': 'default' } })))).toBe(false)
    expect(reachesThroughPods(bare('AWSChaos', {}))).toBe(false)
    expect(reachesThroughPods(bare('NetworkChaos', delay({ labelSelectors: { app: 'web' } })))).toBe(true)
    expect(reachesThroughPods(bare('Workflow', { entry: 'd', templates: [{ name: 'd', templateType: 'PodChaos', podChaos: { action: 'pod-kill', mode: 'one' } }] }))).toBe(true)
  })
})

describe('checkNamespacePolicy', () => {
  const inSys = bare('NetworkChaos', delay({ namespaces: ['kube-system'] }), 'kube-system', 'd')
  const reachesSys = bare('NetworkChaos', delay({ namespaces: ['default', 'kube-system'] }), 'default', 'd')
  const byLabel = bare('NetworkChaos', delay({ labelSelectors: { app: 'web' } }), 'default', 'd')
  const inStaging = bare('NetworkChaos', delay({ namespaces: ['staging'] }), 'staging', 'd')

  it.each<[string, NamespacePolicy, Resource, [string, string, string] | undefined]>([
    ['in a protected namespace', PROTECT, inSys, [
      'POLICY_NAMESPACE_PROTECTED',
      'NetworkChaos kube-system/d is in namespace "kube-system", which this server protects (--protected-namespaces: kube-system)',
      'this server lets experiments act in every namespace but kube-system: apply it in one of those',
    ]],
    ['a selector naming a protected namespace', PROTECT, reachesSys, [
      'POLICY_NAMESPACE_PROTECTED',
      'NetworkChaos default/d: spec.selector.namespaces[1] reaches namespace "kube-system", which this server protects (--protected-namespaces: kube-system)',
      'this server lets experiments act in every namespace but kube-system: change spec.selector.namespaces[1] to one of those',
    ]],
    ['a label selector matching a pod in a protected namespace', PROTECT, byLabel, [
      'POLICY_NAMESPACE_PROTECTED',
      'NetworkChaos default/d: spec.selector matches pod kube-system/web-sys, in namespace "kube-system", which this server protects (--protected-namespaces: kube-system)',
      'this server lets experiments act in every namespace but kube-system: bound spec.selector with namespaces: [...] among those',
    ]],
    ['outside the allowlist', { allowed: ['default', 'team'], protected: [] }, inStaging, [
      'POLICY_NAMESPACE_NOT_ALLOWED',
      'NetworkChaos staging/d is in namespace "staging", which is not among the namespaces this server allows (--allowed-namespaces)',
      'this server lets experiments act in default, team: apply it in one of those',
    ]],
    ['protected wins over the allowlist, and is not offered in the hint', { allowed: ['default', 'kube-system'], protected: ['kube-system'] }, reachesSys, [
      'POLICY_NAMESPACE_PROTECTED',
      'NetworkChaos default/d: spec.selector.namespaces[1] reaches namespace "kube-system", which this server protects (--protected-namespaces: kube-system)',
      'this server lets experiments act in default: change spec.selector.namespaces[1] to one of those',
    ]],
    ['an empty allowlist allows nothing', { allowed: [], protected: [] }, reachesSys, [
      'POLICY_NAMESPACE_NOT_ALLOWED',
      'NetworkChaos default/d is in namespace "default", which is not among the namespaces this server allows (--allowed-namespaces)',
      'this server lets experiments act in no namespace: --allowed-namespaces names none that is not protected',
    ]],
    ['every namespace allowed and none protected', { protected: [] }, inSys, undefined],
    ['inside the allowlist', { allowed: ['default', 'kube-system'], protected: [] }, byLabel, undefined],
  ])('%s', (_, policy, r, want) => {
    const e = thrown(() => checkNamespacePolicy(policy, r, PODS()))
    expect(e && [e.code, e.message, e.hint]).toEqual(want)
  })

  it('a label selector that matches no pod in a protected namespace is allowed', () => {
    expect(thrown(() => checkNamespacePolicy(PROTECT, byLabel, [web('web-aaaaa')]))).toBeUndefined()
  })
})

// ── through the controller ─────────────────────────────────────────────────────────────────────────────────

const made: Controller[] = []
afterEach(async () => {
  for (const c of made.splice(0)) await c.stop()
})

function setup(policy: NamespacePolicy, opts: { random?: () => number } = {}) {
  const clock = new ManualClock()
  const runtime = new FakeRuntime(PODS().filter((p) => p.namespace !== 'kube-system'), () => clock.now())
  const ctl = Controller.open({ store: Store.open(':memory:'), runtime, clock, backoff: { baseMs: 20, capMs: 100 }, podCacheMs: 0, podWatchMs: 0, policy, ...(opts.random ? { random: opts.random } : {}) })
  made.push(ctl)
  return { ctl, runtime, clock }
}

async function refusal(p: Promise<unknown>): Promise<ChaosError> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(ChaosError)
  return e as ChaosError
}

const podChaosIn = (namespace: string, selector = '{labelSelectors: {app: web}}') => `apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: kill, namespace: ${namespace}}\nspec: {action: pod-failure, mode: all, duration: 1m, selector: ${selector}}\n`

describe('apply, under a namespace policy', () => {
  it('an experiment in a protected namespace is refused, and nothing is written or done', async () => {
    const { ctl, runtime } = setup(PROTECT)
    await ctl.start()
    const e = await refusal(ctl.apply(resource(podChaosIn('kube-system'))))
    expect([e.code, e.message]).toEqual(['POLICY_NAMESPACE_PROTECTED', 'PodChaos kube-system/kill is in namespace "kube-system", which this server protects (--protected-namespaces: kube-system)'])
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('one in an allowed namespace whose selector names a protected one is refused; the same selector within bounds is applied', async () => {
    const { ctl, runtime } = setup(PROTECT)
    await ctl.start()
    const e = await refusal(ctl.apply(resource(podChaosIn('default', '{namespaces: [default, kube-system], labelSelectors: {app: web}}'))))
    expect([e.code, e.message]).toEqual(['POLICY_NAMESPACE_PROTECTED', 'PodChaos default/kill: spec.selector.namespaces[1] reaches namespace "kube-system", which this server protects (--protected-namespaces: kube-system)'])
    expect(ctl.list()).toEqual([])
    const { action } = await ctl.apply(resource(podChaosIn('default')))
    expect(action).toBe('created')
    expect([...runtime.held.values()].map((h) => `${h.type} ${h.target.pod}`)).toEqual(['pod-failure web-aaaaa'])
  })

  it('a label selector naming no namespace that matches a pod in a protected namespace is refused, naming the pod', async () => {
    const { ctl, runtime } = setup(PROTECT)
    runtime.podList.push(web('web-sys', 'kube-system'))
    await ctl.start()
    const e = await refusal(ctl.apply(bare('NetworkChaos', delay({ labelSelectors: { app: 'web' } }), 'default', 'd')))
    expect([e.code, e.message]).toEqual(['POLICY_NAMESPACE_PROTECTED', 'NetworkChaos default/d: spec.selector matches pod kube-system/web-sys, in namespace "kube-system", which this server protects (--protected-namespaces: kube-system)'])
    expect(ctl.list()).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('a Workflow with one chaos template selecting a protected namespace is refused whole', async () => {
    const { ctl } = setup(PROTECT)
    await ctl.start()
    const wf = resource(`apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: wf}
spec:
  entry: both
  templates:
    - {name: both, templateType: Serial, children: [ok, bad]}
    - {name: ok, templateType: NetworkChaos, deadline: 10s, networkChaos: {action: delay, mode: all, selector: {labelSelectors: {app: web}}, delay: {latency: 10ms}}}
    - {name: bad, templateType: PodChaos, deadline: 10s, podChaos: {action: pod-failure, mode: all, selector: {namespaces: [kube-system]}}}
`)
    const e = await refusal(ctl.apply(wf))
    expect([e.code, e.message]).toEqual(['POLICY_NAMESPACE_PROTECTED', 'Workflow default/wf: spec.templates[2].podChaos.selector.namespaces[0] reaches namespace "kube-system", which this server protects (--protected-namespaces: kube-system)'])
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
  })

  it('a Schedule whose item selects a protected namespace is refused', async () => {
    const { ctl } = setup(PROTECT)
    await ctl.start()
    const e = await refusal(ctl.apply(resource("apiVersion: chaos-mesh.org/v1alpha1\nkind: Schedule\nmetadata: {name: s}\nspec:\n  schedule: '@every 1m'\n  type: PodChaos\n  podChaos: {action: pod-kill, mode: one, selector: {pods: {kube-system: [coredns]}}}\n")))
    expect([e.code, e.message]).toEqual(['POLICY_NAMESPACE_PROTECTED', 'Schedule default/s: spec.podChaos.selector.pods.kube-system reaches namespace "kube-system", which this server protects (--protected-namespaces: kube-system)'])
    expect(ctl.list()).toEqual([])
  })

  it('an allowlist: a namespace outside it is refused, with the allowed ones in the hint; one inside is applied', async () => {
    const { ctl } = setup({ allowed: ['default'], protected: [] })
    await ctl.start()
    const e = await refusal(ctl.apply(resource(podChaosIn('staging'))))
    expect([e.code, e.message, e.hint]).toEqual([
      'POLICY_NAMESPACE_NOT_ALLOWED',
      'PodChaos staging/kill is in namespace "staging", which is not among the namespaces this server allows (--allowed-namespaces)',
      'this server lets experiments act in default: apply it in one of those',
    ])
    expect((await ctl.apply(resource(podChaosIn('default')))).action).toBe('created')
  })

  it('dry run is refused the same; and one refused document of an apply leaves the others unwritten', async () => {
    const { ctl, runtime } = setup(PROTECT)
    await ctl.start()
    const e = await refusal(ctl.apply(resource(podChaosIn('kube-system')), { dryRun: true }))
    expect(e.code).toBe('POLICY_NAMESPACE_PROTECTED')
    const all = await refusal(ctl.applyAll(resources([podChaosIn('default'), podChaosIn('kube-system')].join('---\n'))))
    expect(all).toBeInstanceOf(AdmissionError)
    expect((all as AdmissionError).refusals.map((r) => [r.index, r.error.code])).toEqual([[1, 'POLICY_NAMESPACE_PROTECTED']])
    expect(ctl.list()).toEqual([])
    expect(ctl.events()).toEqual([])
    expect(runtime.held.size).toBe(0)
  })
})

describe('at run time, a pod that appeared in a protected namespace after the apply', () => {
  it("a Schedule's later run acts on no protected pod: the run is refused, and a Warning on the Schedule says why", async () => {
    const { ctl, runtime, clock } = setup(PROTECT)
    await ctl.start()
    // built as a Resource (not validated): its selector names no namespace, so it reaches whatever pods match
    await ctl.apply(bare('Schedule', { schedule: '@every 1m', type: 'NetworkChaos', networkChaos: delay({ labelSelectors: { app: 'web' } }) }, 'default', 's'))
    runtime.podList.push(web('web-sys', 'kube-system'))
    clock.advance(60_000)
    await expect.poll(() => ctl.events({ kind: 'Schedule', name: 's' }).filter((e) => e.type === 'Warning').map((e) => e.message)).toEqual([
      expect.stringMatching(/^Failed to create new object: POLICY_NAMESPACE_PROTECTED: NetworkChaos default\/s-[\w-]+: spec\.selector matches pod kube-system\/web-sys, in namespace "kube-system"/),
    ])
    await ctl.waitIdle()
    expect(ctl.list({ kind: 'NetworkChaos' })).toEqual([])
    expect(runtime.held.size).toBe(0)
    expect(runtime.calls).not.toContain('apply')
  })

  it("a Workflow's chaos node acts on no protected pod: its spawn is refused, and a Warning on the node says why", async () => {
    const { ctl, runtime, clock } = setup(PROTECT)
    await ctl.start()
    await ctl.apply(bare('Workflow', {
      entry: 'seq',
      templates: [
        { name: 'seq', templateType: 'Serial', children: ['wait', 'd'] },
        { name: 'wait', templateType: 'Suspend', deadline: '10s' },
        { name: 'd', templateType: 'NetworkChaos', deadline: '10s', networkChaos: delay({ labelSelectors: { app: 'web' } }) },
      ],
    }, 'default', 'wf'))
    await expect.poll(() => ctl.list({ kind: 'WorkflowNode' }).map((n) => n.metadata.name.replace(/-\w+$/, '')).sort()).toEqual(['seq', 'wait'])
    await ctl.waitIdle()
    runtime.podList.push(web('web-sys', 'kube-system'))
    clock.advance(10_000)
    await expect.poll(() => ctl.events({ kind: 'WorkflowNode' }).filter((e) => e.reason === 'ChaosCRCreateFailed').map((e) => e.message)).toEqual([
      expect.stringMatching(/^failed to create chaos CR: POLICY_NAMESPACE_PROTECTED: NetworkChaos default\/d-[\w-]+: spec\.selector matches pod kube-system\/web-sys/),
    ])
    expect(ctl.list({ kind: 'NetworkChaos' })).toEqual([])
    expect(runtime.held.size).toBe(0)
  })

  it('an experiment that selected nothing at apply, selecting again, picks no protected pod: a Warning says why', async () => {
    // random-max-percent draws 0 % at the apply and at its first reconcile, then 100 %
    const draws = [0, 0]
    const { ctl, runtime } = setup(PROTECT, { random: () => draws.shift() ?? 0.999 })
    await ctl.start()
    await ctl.apply(bare('NetworkChaos', { ...delay({ labelSelectors: { app: 'web' } }), mode: 'random-max-percent', value: '100' }, 'default', 'd'))
    expect(ctl.get('NetworkChaos', 'default', 'd')!.status.experiment.containerRecords).toEqual([])
    runtime.podList.push(web('web-sys', 'kube-system'))
    await ctl.pause('NetworkChaos', 'default', 'd')
    await ctl.resume('NetworkChaos', 'default', 'd')
    expect(ctl.events({ name: 'd' }).at(-1)).toMatchObject({
      type: 'Warning',
      reason: 'Failed',
      message: 'select targets: POLICY_NAMESPACE_PROTECTED: NetworkChaos default/d: spec.selector matches pod kube-system/web-sys, in namespace "kube-system", which this server protects (--protected-namespaces: kube-system)',
    })
    expect(ctl.get('NetworkChaos', 'default', 'd')!.status.experiment.containerRecords).toEqual([])
    expect(runtime.held.size).toBe(0)
  })
})
