/**
 * The native fallback against a real kube-apiserver without Chaos Mesh's CRDs: pod-kill deletes exactly the
 * chosen pods (and records Events), a partition is a NetworkPolicy that get/list/delete read back, and what a
 * NetworkPolicy or a pod delete cannot do is refused with its code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as k8s from '@kubernetes/client-node'
import { startKubeCluster } from '../../test/doubles/kube-cluster.js'
import type { KubeTestCluster } from '../../test/doubles/kube-cluster.js'
import { ChaosError } from '../errors.js'
import type { Resource } from '../manifest/validate.js'
import { validateText } from '../manifest/validate.js'
import { connectKube } from './connect.js'
import type { KubeConnection } from './connect.js'
import { modeCount, nativeFallback } from './native.js'

let cluster: KubeTestCluster
let conn: KubeConnection

beforeAll(async () => {
  cluster = await startKubeCluster({ crds: false })
  conn = await connectKube({ kubeconfig: cluster.kubeconfig })
  for (const name of ['shop', 'edge']) {
    await conn.core.createNamespace({ body: { metadata: { name } } })
    await conn.core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: 'default' } } })
  }
}, 60_000)

afterAll(async () => {
  await cluster?.down()
})

/** One Chaos Mesh document, validated and defaulted as the spec layer hands it to the backend. */
function resource(yaml: string): Resource {
  const r = validateText(yaml)
  expect(r.issues).toEqual([])
  return r.resources[0]!
}

function podKill(name: string, spec: string, namespace = 'default'): Resource {
  return resource(`apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: {action: pod-kill, ${spec}}\n`)
}

function partition(name: string, spec: string, namespace = 'default', labels = ''): Resource {
  return resource(`apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: ${name}, namespace: ${namespace}${labels}}\nspec: {action: partition, ${spec}}\n`)
}

/** A pod in the API (it never runs), in phase Running unless told otherwise, written through the status subresource. */
async function makePod(namespace: string, name: string, labels: Record<string, string>, opts: { phase?: string; nodeName?: string } = {}): Promise<void> {
  await conn.core.createNamespacedPod({
    namespace,
    body: { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) } },
  })
  const phase = opts.phase ?? 'Running'
  if (phase === 'Pending') return
  const pod = await conn.core.readNamespacedPod({ namespace, name })
  pod.status = { ...pod.status, phase }
  await conn.core.replaceNamespacedPodStatus({ namespace, name, body: pod })
}

async function podNames(namespace: string, labelSelector: string): Promise<string[]> {
  return (await conn.core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => p.metadata!.name!).sort()
}

async function eventsOn(namespace: string, pod: string): Promise<k8s.CoreV1Event[]> {
  return (await conn.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}` })).items
}

async function refusal(p: Promise<unknown>): Promise<ChaosError> {
  const e = await p.then(() => undefined, (err: unknown) => err)
  expect(e).toBeInstanceOf(ChaosError)
  return e as ChaosError
}

describe('PodChaos pod-kill', () => {
  it('mode one kills exactly one of the matching pods, records an Event on it and answers a PodChaos with its record', async () => {
    for (const n of ['one-a', 'one-b', 'one-c']) await makePod('default', n, { app: 'one' })
    await makePod('default', 'one-other', { app: 'one-not' })
    const { action, object } = await nativeFallback.apply(conn, podKill('kill-one', 'mode: one, selector: {labelSelectors: {app: one}}'), { dryRun: false })

    expect(action).toBe('created')
    const left = await podNames('default', 'app=one')
    expect(left).toHaveLength(2)
    const killed = ['one-a', 'one-b', 'one-c'].find((n) => !left.includes(n))!
    expect(await podNames('default', 'app=one-not')).toEqual(['one-other'])
    expect(object).toMatchObject({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: { name: 'kill-one', namespace: 'default' },
      spec: { action: 'pod-kill', mode: 'one' },
      status: { experiment: { containerRecords: [{ id: `default/${killed}`, phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 }] } },
    })
    expect(object.status!.conditions).toEqual(expect.arrayContaining([{ type: 'Selected', status: 'True' }, { type: 'AllInjected', status: 'True' }]))
    const events = await eventsOn('default', killed)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'Warning', reason: 'PodKilled', source: { component: 'chaoscope' } })
    expect(events[0]!.message).toContain('PodChaos default/kill-one')
    for (const n of left) expect(await eventsOn('default', n)).toEqual([])
  })

  it('mode fixed kills value pods; mode all kills every matching Running or Pending pod and leaves the rest', async () => {
    for (const n of ['fix-a', 'fix-b', 'fix-c']) await makePod('default', n, { app: 'fix' })
    const fixed = await nativeFallback.apply(conn, podKill('kill-two', 'mode: fixed, value: "2", selector: {labelSelectors: {app: fix}}'), { dryRun: false })
    expect(fixed.object.status!.experiment!.containerRecords).toHaveLength(2)
    expect(await podNames('default', 'app=fix')).toHaveLength(1)

    await makePod('default', 'all-a', { app: 'all', tier: 'web' })
    await makePod('default', 'all-b', { app: 'all', tier: 'web' }, { phase: 'Pending' })
    await makePod('default', 'all-db', { app: 'all', tier: 'db' })
    await makePod('default', 'all-done', { app: 'all', tier: 'web' }, { phase: 'Succeeded' })
    const all = await nativeFallback.apply(conn, podKill('kill-all', 'mode: all, selector: {labelSelectors: {app: all}, expressionSelectors: [{key: tier, operator: NotIn, values: [db]}]}'), { dryRun: false })
    expect(all.object.status!.experiment!.containerRecords!.map((r) => r.id).sort()).toEqual(['default/all-a', 'default/all-b'])
    expect(await podNames('default', 'app=all')).toEqual(['all-db', 'all-done'])
  })

  it('a dry run chooses the pods and deletes none', async () => {
    for (const n of ['dry-a', 'dry-b']) await makePod('default', n, { app: 'dry' })
    const { action, object } = await nativeFallback.apply(conn, podKill('kill-dry', 'mode: all, selector: {labelSelectors: {app: dry}}'), { dryRun: true })
    expect(action).toBe('created')
    expect(object.status!.experiment!.containerRecords!.map((r) => r.id).sort()).toEqual(['default/dry-a', 'default/dry-b'])
    expect(await podNames('default', 'app=dry')).toEqual(['dry-a', 'dry-b'])
    expect(await eventsOn('default', 'dry-a')).toEqual([])
  })

  it('passes spec.gracePeriod: a scheduled pod stays Terminating with that grace period, and is not chosen again', async () => {
    await makePod('default', 'grace-a', { app: 'grace' }, { nodeName: 'node-x' })
    await nativeFallback.apply(conn, podKill('kill-grace', 'mode: all, gracePeriod: 45, selector: {labelSelectors: {app: grace}}'), { dryRun: false })
    const pod = await conn.core.readNamespacedPod({ namespace: 'default', name: 'grace-a' })
    expect(pod.metadata!.deletionTimestamp).toBeDefined()
    expect(pod.metadata!.deletionGracePeriodSeconds).toBe(45)

    const again = await refusal(nativeFallback.apply(conn, podKill('kill-grace', 'mode: all, selector: {labelSelectors: {app: grace}}'), { dryRun: false }))
    expect(again.code).toBe('KUBE_REFUSED')
    await conn.core.deleteNamespacedPod({ namespace: 'default', name: 'grace-a', gracePeriodSeconds: 0 })
  })

  it('pods: names pods directly, in another namespace than the chaos object', async () => {
    for (const n of ['named-a', 'named-b']) await makePod('shop', n, { app: 'named' })
    const { object } = await nativeFallback.apply(conn, podKill('kill-named', 'mode: all, selector: {pods: {shop: [named-b, not-there]}}'), { dryRun: false })
    expect(object.status!.experiment!.containerRecords!.map((r) => r.id)).toEqual(['shop/named-b'])
    expect(await podNames('shop', 'app=named')).toEqual(['named-a'])
  })

  it('nodeSelectors select the pods of the nodes they match; annotationSelectors and fieldSelectors filter too', async () => {
    await conn.core.createNode({ body: { metadata: { name: 'node-b', labels: { zone: 'b' } } } })
    await conn.core.createNode({ body: { metadata: { name: 'node-c', labels: { zone: 'c' } } } })
    await makePod('default', 'node-b-pod', { app: 'nodes' }, { nodeName: 'node-b' })
    await makePod('default', 'node-c-pod', { app: 'nodes' }, { nodeName: 'node-c' })
    await nativeFallback.apply(conn, podKill('kill-zone', 'mode: all, selector: {labelSelectors: {app: nodes}, nodeSelectors: {zone: b}}'), { dryRun: false })
    expect(await podNames('default', 'app=nodes')).toEqual(['node-c-pod'])

    await conn.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'ann-a', labels: { app: 'ann' }, annotations: { team: 'red' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } })
    await conn.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'ann-b', labels: { app: 'ann' }, annotations: { team: 'blue' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } })
    await makePod('default', 'ann-c', { app: 'ann' }, { phase: 'Pending' })
    await nativeFallback.apply(conn, podKill('kill-ann', 'mode: all, selector: {annotationSelectors: {team: red}}'), { dryRun: false })
    expect(await podNames('default', 'app=ann')).toEqual(['ann-b', 'ann-c'])
    await nativeFallback.apply(conn, podKill('kill-field', 'mode: all, selector: {labelSelectors: {app: ann}, fieldSelectors: {metadata.name: ann-c}}'), { dryRun: false })
    expect(await podNames('default', 'app=ann')).toEqual(['ann-b'])
  })

  it('refuses a selector that matches no pod, naming the namespaces', async () => {
    const e = await refusal(nativeFallback.apply(conn, podKill('kill-none', 'mode: one, selector: {namespaces: [shop], labelSelectors: {app: nobody}}'), { dryRun: false }))
    expect(e.code).toBe('KUBE_REFUSED')
    expect(e.message).toMatch(/matches no pod in namespaces shop/)
    expect(e.hint).toContain("kubectl get pods -n shop -l 'app=nobody'")
  })

  it('leaves nothing to get or list: a native pod-kill is one-shot', async () => {
    expect(await nativeFallback.get(conn, 'PodChaos', 'default', 'kill-one')).toBeUndefined()
    expect(await nativeFallback.list(conn, { kind: 'PodChaos' })).toEqual([])
    expect(await nativeFallback.delete(conn, 'PodChaos', 'default', 'kill-one')).toBe(false)
  })

  it('passes the API server\'s refusals through kubeError (RBAC: a user with no role)', async () => {
    const viewer = await connectKube({ kubeconfig: cluster.kubeconfig, context: 'viewer' })
    const e = await refusal(nativeFallback.apply(viewer, podKill('kill-viewer', 'mode: one, selector: {labelSelectors: {app: fix}}'), { dryRun: false }))
    expect(e.code).toBe('KUBE_FORBIDDEN')
    expect(e.message).toContain('list pods in namespace default')
  })
})

describe('NetworkChaos partition', () => {
  async function policy(namespace: string, name: string): Promise<k8s.V1NetworkPolicy | undefined> {
    return conn.networking.readNamespacedNetworkPolicy({ namespace, name }).catch(() => undefined)
  }

  it('is a deny-all NetworkPolicy selecting the pods by labels, with policy types from direction', async () => {
    await makePod('shop', 'cart-1', { app: 'cart', tier: 'web' })
    const r = partition('cut-cart', 'mode: all, selector: {labelSelectors: {app: cart}, expressionSelectors: [{key: tier, operator: In, values: [web]}, {key: canary, operator: DoesNotExist}]}', 'shop')
    const { action, object } = await nativeFallback.apply(conn, r, { dryRun: false })

    expect(action).toBe('created')
    expect(object.status!.experiment!.containerRecords).toEqual([{ id: 'shop/cart-1', phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 }])
    const p = (await policy('shop', 'chaoscope-cut-cart'))!
    expect(p.metadata!.labels).toEqual({ 'app.kubernetes.io/managed-by': 'chaoscope', 'chaoscope.dev/chaos-kind': 'NetworkChaos', 'chaoscope.dev/chaos-name': 'cut-cart', 'chaoscope.dev/chaos-namespace': 'shop' })
    expect(JSON.parse(p.metadata!.annotations!['chaoscope.dev/spec']!)).toEqual(r.spec)
    expect(p.spec).toMatchObject({
      podSelector: { matchLabels: { app: 'cart' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }, { key: 'canary', operator: 'DoesNotExist' }] },
      policyTypes: ['Egress'],
    })
    expect(p.spec!.ingress ?? []).toEqual([])
    expect(p.spec!.egress ?? []).toEqual([])

    const from = await nativeFallback.apply(conn, partition('cut-cart', 'mode: all, direction: from, selector: {labelSelectors: {app: cart}}', 'shop'), { dryRun: false })
    expect(from.action).toBe('configured')
    expect((await policy('shop', 'chaoscope-cut-cart'))!.spec).toMatchObject({ podSelector: { matchLabels: { app: 'cart' } }, policyTypes: ['Ingress'] })
    expect((await policy('shop', 'chaoscope-cut-cart'))!.spec!.podSelector!.matchExpressions).toBeUndefined()
    const both = partition('cut-cart', 'mode: all, direction: both, selector: {labelSelectors: {app: cart}}', 'shop')
    expect((await nativeFallback.apply(conn, both, { dryRun: false })).action).toBe('configured')
    expect((await policy('shop', 'chaoscope-cut-cart'))!.spec!.policyTypes).toEqual(['Ingress', 'Egress'])
    expect((await nativeFallback.apply(conn, both, { dryRun: false })).action).toBe('unchanged')
    await nativeFallback.delete(conn, 'NetworkChaos', 'shop', 'cut-cart')
  })

  it('get and list rebuild the NetworkChaos from its policies; delete removes them', async () => {
    await makePod('edge', 'gw-1', { app: 'gw' })
    await makePod('default', 'gw-2', { app: 'gw' })
    const r = partition('cut-gw', 'mode: all, selector: {namespaces: [edge, default], labelSelectors: {app: gw}}', 'edge', ', labels: {team: net}')
    const applied = await nativeFallback.apply(conn, r, { dryRun: false })
    expect(applied.object.status!.experiment!.containerRecords!.map((c) => c.id).sort()).toEqual(['default/gw-2', 'edge/gw-1'])
    expect(await policy('edge', 'chaoscope-cut-gw')).toBeDefined()
    expect(await policy('default', 'chaoscope-cut-gw')).toBeDefined()

    const got = (await nativeFallback.get(conn, 'NetworkChaos', 'edge', 'cut-gw'))!
    expect(got).toMatchObject({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'cut-gw', namespace: 'edge', labels: { team: 'net' } }, spec: r.spec })
    expect(Date.parse(got.metadata.creationTimestamp!)).toBeGreaterThan(Date.now() - 60_000)
    expect(got.status!.conditions).toContainEqual({ type: 'AllInjected', status: 'True' })
    expect(got.status!.experiment!.containerRecords).toEqual([
      { id: 'networkpolicy/default/chaoscope-cut-gw', phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 },
      { id: 'networkpolicy/edge/chaoscope-cut-gw', phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 },
    ])
    expect(await nativeFallback.get(conn, 'NetworkChaos', 'default', 'cut-gw')).toBeUndefined()

    expect((await nativeFallback.list(conn, {})).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['NetworkChaos edge/cut-gw'])
    expect(await nativeFallback.list(conn, { namespace: 'edge', kind: 'NetworkChaos', labelSelector: 'team=net' })).toHaveLength(1)
    expect(await nativeFallback.list(conn, { labelSelector: 'team=other' })).toEqual([])
    expect(await nativeFallback.list(conn, { namespace: 'default' })).toEqual([])

    // one namespace fewer: the other namespace's policy goes
    const narrower = partition('cut-gw', 'mode: all, selector: {namespaces: [edge], labelSelectors: {app: gw}}', 'edge', ', labels: {team: net}')
    expect((await nativeFallback.apply(conn, narrower, { dryRun: false })).action).toBe('configured')
    expect(await policy('default', 'chaoscope-cut-gw')).toBeUndefined()
    expect((await nativeFallback.get(conn, 'NetworkChaos', 'edge', 'cut-gw'))!.spec).toEqual(narrower.spec)

    expect(await nativeFallback.delete(conn, 'NetworkChaos', 'edge', 'cut-gw')).toBe(true)
    expect(await policy('edge', 'chaoscope-cut-gw')).toBeUndefined()
    expect(await nativeFallback.get(conn, 'NetworkChaos', 'edge', 'cut-gw')).toBeUndefined()
    expect(await nativeFallback.delete(conn, 'NetworkChaos', 'edge', 'cut-gw')).toBe(false)
  })

  it('a user who may list NetworkPolicies only namespace by namespace finds, keeps and deletes them in every namespace the selector reaches', async () => {
    const rbac = conn.kc.makeApiClient(conn.lib.RbacAuthorizationV1Api)
    for (const ns of ['np-home', 'np-a']) {
      await conn.core.createNamespace({ body: { metadata: { name: ns } } })
      await conn.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'default' } } })
      await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'partition' }, rules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'create', 'update', 'delete'] }, { apiGroups: [''], resources: ['pods'], verbs: ['list'] }] } })
      await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: 'partition' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'partition' }, subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }] } })
      await makePod(ns, `np-${ns}`, { app: 'np' })
    }
    const viewer = await connectKube({ kubeconfig: cluster.kubeconfig, context: 'viewer' })
    const both = partition('cut-np', 'mode: all, selector: {namespaces: [np-home, np-a], labelSelectors: {app: np}}', 'np-home')
    expect((await nativeFallback.apply(viewer, both, { dryRun: false })).action).toBe('created')
    expect(await policy('np-a', 'chaoscope-cut-np')).toBeDefined()
    expect((await nativeFallback.apply(viewer, both, { dryRun: false })).action).toBe('unchanged')
    expect((await nativeFallback.get(viewer, 'NetworkChaos', 'np-home', 'cut-np'))!.spec).toEqual(both.spec)

    expect((await nativeFallback.apply(viewer, partition('cut-np', 'mode: all, selector: {namespaces: [np-home], labelSelectors: {app: np}}', 'np-home'), { dryRun: false })).action).toBe('configured')
    expect(await policy('np-a', 'chaoscope-cut-np')).toBeUndefined()
    expect((await nativeFallback.apply(viewer, both, { dryRun: false })).action).toBe('configured')
    expect(await policy('np-a', 'chaoscope-cut-np')).toBeDefined()

    expect(await nativeFallback.delete(viewer, 'NetworkChaos', 'np-home', 'cut-np')).toBe(true)
    expect(await policy('np-home', 'chaoscope-cut-np')).toBeUndefined()
    expect(await policy('np-a', 'chaoscope-cut-np')).toBeUndefined()

    // a selector that names other namespaces only: nothing in the own namespace says where its policies are
    expect((await nativeFallback.apply(viewer, partition('cut-away', 'mode: all, selector: {namespaces: [np-a], labelSelectors: {app: np}}', 'np-home'), { dryRun: false })).action).toBe('created')
    const e = await refusal(nativeFallback.delete(viewer, 'NetworkChaos', 'np-home', 'cut-away'))
    expect(e.code).toBe('KUBE_FORBIDDEN')
    expect(e.message).toMatch(/^NetworkChaos np-home\/cut-away: no policy of it in namespace np-home, and list NetworkPolicies .* in all namespaces: .*forbidden/)
    expect(await policy('np-a', 'chaoscope-cut-away')).toBeDefined()
    expect(await nativeFallback.delete(conn, 'NetworkChaos', 'np-home', 'cut-away')).toBe(true)
  })

  it('a dry run creates no policy', async () => {
    await makePod('shop', 'dry-net', { app: 'dry-net' })
    const { action, object } = await nativeFallback.apply(conn, partition('cut-dry', 'mode: all, selector: {labelSelectors: {app: dry-net}}', 'shop'), { dryRun: true })
    expect(action).toBe('created')
    expect(object.metadata.name).toBe('cut-dry')
    expect(await policy('shop', 'chaoscope-cut-dry')).toBeUndefined()
  })

  it('refuses what a NetworkPolicy cannot do, with KUBE_NATIVE_UNSUPPORTED', async () => {
    await makePod('shop', 'refused-1', { app: 'refused' })
    const cases: [string, RegExp][] = [
      ['mode: all, selector: {labelSelectors: {app: refused}}, target: {mode: all, selector: {labelSelectors: {app: db}}}', /a NetworkPolicy can only allow traffic, not deny one peer/],
      ['mode: all, selector: {labelSelectors: {app: refused}}, externalTargets: [example.com]', /a NetworkPolicy can only allow traffic, not deny one peer/],
      ['mode: all, duration: 30s, selector: {labelSelectors: {app: refused}}', /^a native partition lasts until it is deleted: remove spec.duration and delete it yourself, or install Chaos Mesh$/],
      ['mode: one, selector: {labelSelectors: {app: refused}}', /a NetworkPolicy selects pods by their labels.*mode one cannot be done natively/],
      ['mode: all, selector: {pods: {shop: [refused-1]}}', /spec.selector.pods cannot be done natively/],
    ]
    for (const [spec, message] of cases) {
      const e = await refusal(nativeFallback.apply(conn, partition('cut-refused', spec, 'shop'), { dryRun: false }))
      expect(e.code, spec).toBe('KUBE_NATIVE_UNSUPPORTED')
      expect(e.message, spec).toMatch(message)
    }
    expect(await policy('shop', 'chaoscope-cut-refused')).toBeUndefined()
  })
})

describe('other kinds and actions', () => {
  it('are refused with KUBE_CHAOS_MESH_MISSING naming the kind and action', async () => {
    const failure = await refusal(nativeFallback.apply(conn, resource('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: fail}\nspec: {action: pod-failure, mode: one, duration: 30s, selector: {labelSelectors: {app: fix}}}\n'), { dryRun: false }))
    expect(failure.code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect(failure.message).toContain('PodChaos action pod-failure')
    expect(failure.hint).toContain('without it only PodChaos pod-kill and NetworkChaos partition run')

    const delay = await refusal(nativeFallback.apply(conn, resource('apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: slow}\nspec: {action: delay, mode: all, selector: {labelSelectors: {app: fix}}, delay: {latency: 100ms}}\n'), { dryRun: false }))
    expect(delay.code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect(delay.message).toContain('NetworkChaos action delay')

    const stress = await refusal(nativeFallback.apply(conn, resource('apiVersion: chaos-mesh.org/v1alpha1\nkind: StressChaos\nmetadata: {name: burn}\nspec: {mode: one, selector: {labelSelectors: {app: fix}}, stressors: {cpu: {workers: 1}}}\n'), { dryRun: false }))
    expect(stress.code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect(stress.message).toContain('StressChaos (default/burn) has no native form')
  })
})

describe('modeCount', () => {
  it('counts as Chaos Mesh does', () => {
    expect(modeCount('one', undefined, 5)).toBe(1)
    expect(modeCount('all', undefined, 5)).toBe(5)
    expect(modeCount('fixed', '2', 5)).toBe(2)
    expect(modeCount('fixed', '9', 5)).toBe(5)
    expect(modeCount('fixed-percent', '50', 5)).toBe(3)
    expect(modeCount('random-max-percent', '50', 5, () => 0)).toBe(0)
    expect(modeCount('random-max-percent', '50', 5, () => 0.999)).toBe(3)
  })
})
