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
import { nativeFallback } from './native.js'
import { kubeTarget } from './target.js'

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

  it('delete of an experiment that does not exist is false, as the local target says', async () => {
    const t = kubeTarget(new KubeBackend(conn, { native: nativeFallback }))
    expect(await t.delete('NetworkChaos', 'default', 'nothing-here')).toBe(false)
  })
})
