/**
 * The Target of `chaoscope run --target kubernetes` on a real API server: pods as activities read them, logs and
 * sidecars refused readably. (Its apply/delete are the KubeBackend's, tested there and end to end.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKubeCluster } from '../../test/doubles/kube-cluster.js'
import type { KubeTestCluster } from '../../test/doubles/kube-cluster.js'
import { KubeBackend } from './backend.js'
import { connectKube } from './connect.js'
import type { KubeConnection } from './connect.js'
import { K8S_ACTIVITIES } from '../verdict/activities/k8s.js'
import type { ActivityContext, Target } from '../verdict/types.js'
import { nativeFallback } from './native.js'
import { kubeTarget } from './target.js'

/** What an activity is given, on this target. */
function ctxOf(target: Target): ActivityContext {
  return {
    values: { configuration: {}, secrets: {} },
    target,
    signal: new AbortController().signal,
    allowExec: false,
    cwd: process.cwd(),
    verifyTls: true,
    log: () => {},
    runProbe: () => Promise.reject(new Error('no probes here')),
    checkTolerance: () => Promise.reject(new Error('no tolerances here')),
    results: new Map(),
  }
}

describe('kubeTarget', () => {
  let cluster: KubeTestCluster
  let conn: KubeConnection
  beforeAll(async () => {
    cluster = await startKubeCluster({ crds: false })
    conn = await connectKube({ kubeconfig: cluster.kubeconfig })
    for (const [name, labels, ready] of [['web-1', { app: 'web' }, true], ['web-2', { app: 'web' }, false], ['db-1', { 'app.kubernetes.io/name': 'db' }, true]] as const) {
      await conn.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] } } })
      const p = await conn.core.readNamespacedPod({ name, namespace: 'default' })
      p.status = { phase: 'Running', podIP: '10.0.0.7', startTime: new Date('2026-12-01T10:00:00Z'), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'c', image: 'x:1', imageID: '', ready, restartCount: 2 }] as never }
      await conn.core.replaceNamespacedPodStatus({ name, namespace: 'default', body: p })
    }
  }, 90_000)
  afterAll(async () => {
    await cluster?.down()
  })

  it('lists the cluster\'s pods as activities read them: service from the app label, readiness, restarts, address', async () => {
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    const pods = await t.pods({ namespace: 'default' })
    expect(pods.map((p) => [p.name, p.service, p.ready, p.restarts, p.address, p.phase]).sort()).toEqual([
      ['db-1', 'db', true, 2, '10.0.0.7:8080', 'Running'],
      ['web-1', 'web', true, 2, '10.0.0.7:8080', 'Running'],
      ['web-2', 'web', false, 2, '10.0.0.7:8080', 'Running'],
    ])
    expect((await t.pods({ namespace: 'default', labelSelector: 'app=web' })).map((p) => p.name).sort()).toEqual(['web-1', 'web-2'])
    expect((await t.pods({ namespace: 'other' }))).toEqual([])
  })

  it('logs: a pod on no node has none yet; a missing pod is a coded error naming it, not a stack; sidecars are the local runtime\'s only', async () => {
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    expect(await t.logs('web-1', { tail: 5 })).toEqual([])
    await expect(t.logs('default/nope')).rejects.toMatchObject({ code: 'KUBE_NOT_FOUND', message: expect.stringContaining('read the logs of pod default/nope') })
    await expect(t.sidecars()).rejects.toMatchObject({ code: 'KUBE_NO_SIDECARS' })
  })

  it('read_pod_logs reads the pods of its ns there, and the container container_name names', async () => {
    await conn.core.createNamespace({ body: { metadata: { name: 'logs-ns' } } })
    await conn.core.createNamespacedServiceAccount({ namespace: 'logs-ns', body: { metadata: { name: 'default' } } })
    await conn.core.createNamespacedPod({ namespace: 'logs-ns', body: { metadata: { name: 'two', labels: { name: 'two' } }, spec: { containers: [{ name: 'app', image: 'x:1' }, { name: 'proxy', image: 'y:1' }] } } })
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    const readLogs = K8S_ACTIVITIES['chaosk8s.pod.probes.read_pod_logs']!
    // no kubelet runs the pod: the API server has no lines for it yet, but it found the pod in logs-ns (not in default)
    expect(await readLogs({ name: 'two', ns: 'logs-ns', container_name: 'proxy' }, ctxOf(t))).toEqual({ two: '' })
    await expect(readLogs({ name: 'two', ns: 'logs-ns', container_name: 'nope' }, ctxOf(t))).rejects.toThrow('container nope is not valid for pod two: its containers are app, proxy')
    // without a container, the API server asks for one (the pod has two): the request went to logs-ns
    await expect(readLogs({ name: 'two', ns: 'logs-ns' }, ctxOf(t))).rejects.toThrow(/read the logs of pod logs-ns\/two: a container name must be specified for pod two, choose one of: \[app proxy\]/)
    await expect(t.logs('two', { namespace: 'logs-ns', container: 'nope' } as { tail?: number })).rejects.toMatchObject({ message: expect.stringContaining('read the logs of container nope of pod logs-ns/two') })
  })

  it('terminate_pods is done once the killed pod is gone, though a controller recreates one of the same name (another uid)', async () => {
    const make = () => conn.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'sts-0', labels: { app: 'sts' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } })
    await make()
    const first = (await conn.core.readNamespacedPod({ namespace: 'default', name: 'sts-0' })).metadata!.uid
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    // what a StatefulSet does, before each look at the pods: sts-0 gone is made again under its name
    const withStatefulSet: Target = {
      ...t,
      async pods(query) {
        await conn.core.readNamespacedPod({ namespace: 'default', name: 'sts-0' }).catch(() => make())
        return t.pods(query)
      },
    }
    const started = Date.now()
    expect(await K8S_ACTIVITIES['chaosk8s.pod.actions.terminate_pods']!({ name_pattern: '^sts-0$', ns: 'default', grace_period: 0 }, ctxOf(withStatefulSet))).toEqual(['sts-0'])
    expect(Date.now() - started).toBeLessThan(10_000)
    const now = await conn.core.readNamespacedPod({ namespace: 'default', name: 'sts-0' })
    expect(now.metadata!.uid).not.toBe(first)
    await conn.core.deleteNamespacedPod({ namespace: 'default', name: 'sts-0' })
  }, 60_000)

  it('delete of an experiment that does not exist is false, as the local target says', async () => {
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    expect(await t.delete('NetworkChaos', 'default', 'nothing-here')).toBe(false)
  })
})
