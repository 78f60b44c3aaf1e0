/**
 * `chaoscope server --target kubernetes` in process: the API (/api/v1) over kubeController over a real
 * kube-apiserver. A refusal of the cluster reaches the API's client with its field and message, at the position of
 * the resource in the request.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKubeCluster, type KubeTestCluster } from '../test/doubles/kube-cluster.js'
import { apiApp } from './api/app.js'
import { KubeBackend } from './kube/backend.js'
import { kubeController } from './kube-controller.js'
import { Store } from './store/store.js'

let cluster: KubeTestCluster
let store: Store

beforeAll(async () => {
  cluster = await startKubeCluster()
}, 90_000)
afterAll(async () => {
  store?.close()
  await cluster?.down()
})

const partition = (name: string, labels: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  action: partition
  mode: all
  selector: {namespaces: [default], labelSelectors: {app: web}}
`

describe('kubeController behind the API', () => {
  it('answers a document the API server refuses with its field and message, positioned in the request; nothing is created', async () => {
    store = Store.open(join(mkdtempSync(join(tmpdir(), 'chaoscope-kube-api-')), 'chaoscope.db'))
    const backend = await KubeBackend.connect({ kubeconfig: cluster.kubeconfig })
    const app = apiApp({ controller: kubeController(backend, store) })
    const good = partition('fine', 'app: web')
    const text = `${good}---\n${partition('badlabel', 'app: "not a label!"')}`
    const res = await app.request('/api/v1/resources?file=mixed.yaml', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: text })
    const body = (await res.json()) as { error: { code: string }; issues?: { code: string; file: string; line: number; path: string; message: string }[] }
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(body.issues).toHaveLength(1)
    expect(body.issues![0]).toMatchObject({ code: 'KUBE_REFUSED', file: 'mixed.yaml', line: good.split('\n').length + 1 })
    expect(body.issues![0]!.message).toMatch(/^NetworkChaos default\/badlabel: metadata\.labels: Invalid value: "not a label!": a valid label must be/)
    await expect(backend.get('NetworkChaos', 'default', 'fine')).rejects.toMatchObject({ code: 'KUBE_NOT_FOUND' })
  })
})
