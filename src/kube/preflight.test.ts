import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKubeCluster, type KubeTestCluster } from '../../test/doubles/kube-cluster.js'
import { connectKube } from './connect.js'
import { kubePreflight, type KubeCheck } from './preflight.js'

let withCrds: KubeTestCluster
let bare: KubeTestCluster

beforeAll(async () => {
  ;[withCrds, bare] = await Promise.all([startKubeCluster(), startKubeCluster({ crds: false })])
}, 90_000)
afterAll(async () => {
  await Promise.all([withCrds?.down(), bare?.down()])
})

function byName(checks: KubeCheck[]): Record<string, KubeCheck> {
  return Object.fromEntries(checks.map((c) => [c.name, c]))
}

const ORDER = ['kubeconfig', 'api-server', 'chaos-mesh-crds', 'chaos-mesh-controller', 'permissions', 'namespace']

describe('kubePreflight', () => {
  it('passes for admin on a cluster with Chaos Mesh\'s CRDs, but finds no controller', async () => {
    const checks = await kubePreflight({ kubeconfig: withCrds.kubeconfig })
    expect(checks.map((c) => c.name)).toEqual(ORDER)
    const c = byName(checks)
    expect(c.kubeconfig).toMatchObject({ ok: true, detail: `${withCrds.kubeconfig}: context "admin" (namespace default)` })
    expect(c['api-server']!.ok).toBe(true)
    expect(c['api-server']!.detail).toMatch(/^Kubernetes v1\.34\.2 at https:\/\/127\.0\.0\.1:\d+$/)
    expect(c['chaos-mesh-crds']).toMatchObject({ ok: true, required: false })
    expect(c['chaos-mesh-crds']!.detail).toMatch(/^23 CRDs of chaos-mesh\.org \(.*PodChaos.*\); Chaos Mesh's version unknown \(no chaos-controller-manager Deployment\)$/)
    expect(c['chaos-mesh-controller']).toMatchObject({ ok: false, required: false })
    expect(c['chaos-mesh-controller']!.detail).toContain('experiments will be created but nothing will act on them')
    expect(c.permissions).toMatchObject({ ok: true, required: true })
    expect(c.namespace).toMatchObject({ ok: true, detail: 'namespace default exists' })
  })

  it('names the verbs the viewer context is denied', async () => {
    const c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig, context: 'viewer' }))
    expect(c.kubeconfig!.ok).toBe(true)
    expect(c.permissions).toMatchObject({ ok: false, required: true })
    expect(c.permissions!.detail).toBe('context "viewer" is denied in namespace default: create, get, list, watch, update, patch, delete on '
      + 'podchaos, networkchaos, dnschaos, httpchaos, stresschaos, iochaos, timechaos, kernelchaos, jvmchaos, awschaos, gcpchaos, azurechaos, '
      + 'blockchaos, physicalmachinechaos, physicalmachines, schedules, workflows, statuschecks; list, create on events; get, list, delete on pods; '
      + 'list, create, update, delete on networkpolicies; not required, but denied too: get, list on nodes (spec.selector.nodes and nodeSelectors of a native pod-kill read them)')
    expect(c.permissions!.fix).toContain('kubectl create clusterrole chaoscope --verb=create,get,list,watch,update,patch,delete --resource=podchaos.chaos-mesh.org,')
    expect(c.permissions!.fix).toContain('kubectl create rolebinding chaoscope --clusterrole=chaoscope --user=viewer -n default')
    expect(c.permissions!.fix).toContain('kubectl create clusterrole chaoscope-networkpolicies --verb=list,create,update,delete --resource=networkpolicies.networking.k8s.io')
    expect(c.permissions!.fix).toContain('kubectl create clusterrole chaoscope-nodes --verb=get,list --resource=nodes && kubectl create clusterrolebinding chaoscope-nodes --clusterrole=chaoscope-nodes --user=viewer')
    // a user without cluster-wide reads: what it cannot see is reported, not counted as a blocker
    expect(c['chaos-mesh-crds']).toMatchObject({ ok: false, required: false })
    expect(c['chaos-mesh-crds']!.detail).toContain('could not list the CRDs')
    expect(c.namespace).toMatchObject({ ok: false, required: false })
    expect(c.namespace!.detail).toMatch(/^not checked: get namespace default: namespaces "default" is forbidden/)
  })

  it('fails chaos-mesh-crds, not required, with the helm install, where Chaos Mesh is not installed', async () => {
    const c = byName(await kubePreflight({ kubeconfig: bare.kubeconfig }))
    expect(c['api-server']!.ok).toBe(true)
    expect(c['chaos-mesh-crds']).toMatchObject({
      ok: false, required: false,
      fix: 'helm repo add chaos-mesh https://charts.chaos-mesh.org && helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace',
    })
    expect(c['chaos-mesh-crds']!.detail).toContain('Chaos Mesh is not installed')
    expect(c['chaos-mesh-controller']).toMatchObject({ ok: false, required: false, detail: 'not checked: Chaos Mesh is not installed' })
    expect(c.permissions!.ok).toBe(true)
    expect(c.namespace!.ok).toBe(true)
  })

  it('checks every kind and verb chaoscope uses: a Role with the verbs of create, read, patch and delete on the common kinds is not enough', async () => {
    const conn = await connectKube({ kubeconfig: withCrds.kubeconfig })
    await conn.core.createNamespace({ body: { metadata: { name: 'old-role' } } })
    const rbac = conn.kc.makeApiClient(conn.lib.RbacAuthorizationV1Api)
    const rules = [
      { apiGroups: ['chaos-mesh.org'], resources: ['podchaos', 'networkchaos', 'httpchaos', 'stresschaos', 'iochaos', 'timechaos', 'dnschaos', 'schedules', 'workflows'], verbs: ['create', 'get', 'list', 'watch', 'delete', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
    ]
    await rbac.createNamespacedRole({ namespace: 'old-role', body: { metadata: { name: 'old' }, rules } })
    await rbac.createNamespacedRoleBinding({ namespace: 'old-role', body: { metadata: { name: 'old' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'old' }, subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }] } })
    const c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig, context: 'viewer', namespace: 'old-role' }))
    expect(c.permissions).toMatchObject({ ok: false, required: true })
    expect(c.permissions!.detail).toMatch(new RegExp('^context "viewer" is denied in namespace old-role: update on podchaos, networkchaos, dnschaos, httpchaos, stresschaos, iochaos, timechaos, schedules, workflows; '
      + 'create, get, list, watch, update, patch, delete on kernelchaos, jvmchaos, awschaos, gcpchaos, azurechaos, blockchaos, physicalmachinechaos, physicalmachines, statuschecks; '
      + 'create on events; get, list on pods; list, update, delete on networkpolicies; not required'))
  })

  it('checks the namespace default when none is given, as every other command, not the context\'s namespace', async () => {
    const copy = join(withCrds.dir, 'elsewhere.kubeconfig')
    writeFileSync(copy, readFileSync(withCrds.kubeconfig, 'utf8').replace('context: {cluster: test, user: admin, namespace: default}', 'context: {cluster: test, user: admin, namespace: elsewhere}'))
    const c = byName(await kubePreflight({ kubeconfig: copy }))
    expect(c.kubeconfig!.detail).toContain('(namespace elsewhere)')
    expect(c.permissions!.detail).toMatch(/ in default$/)
    expect(c.namespace).toMatchObject({ ok: true, detail: 'namespace default exists' })
  })

  it('fails namespace for a namespace that does not exist', async () => {
    const c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig, namespace: 'nowhere' }))
    expect(c.namespace).toMatchObject({ ok: false, required: true, detail: 'namespace nowhere does not exist' })
    expect(c.namespace!.fix).toContain('kubectl create namespace nowhere')
  })

  it('fails api-server for a server that does not answer, and checks nothing after it', async () => {
    const copy = join(withCrds.dir, 'unreachable.kubeconfig')
    writeFileSync(copy, readFileSync(withCrds.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'))
    const checks = await kubePreflight({ kubeconfig: copy })
    expect(checks.map((c) => c.name)).toEqual(ORDER)
    const c = byName(checks)
    expect(c.kubeconfig!.ok).toBe(true)
    expect(c['api-server']!.ok).toBe(false)
    expect(c['api-server']!.detail).toContain('the API server https://127.0.0.1:1 did not answer (ECONNREFUSED')
    for (const name of ORDER.slice(2)) {
      expect(c[name]).toMatchObject({ ok: false, detail: 'not checked: the API server https://127.0.0.1:1 did not answer' })
    }
  })

  it('fails kubeconfig for a context the file does not have, and checks nothing after it', async () => {
    const checks = await kubePreflight({ kubeconfig: withCrds.kubeconfig, context: 'nope' })
    expect(checks.map((c) => c.name)).toEqual(ORDER)
    expect(checks[0]).toMatchObject({ ok: false, required: true, detail: 'the kubeconfig has no context "nope" (it has admin, viewer)' })
    expect(checks[0]!.fix).toContain('--context admin')
    expect(checks[0]!.fix).toContain('kubectl config get-contexts')
    expect(checks.slice(1).every((c) => !c.ok && c.detail === 'not checked: the kubeconfig could not be used')).toBe(true)
  })

  it('reads the controller\'s Deployment: its version, its readiness and its namespace filter', async () => {
    const conn = await connectKube({ kubeconfig: withCrds.kubeconfig })
    const apps = conn.kc.makeApiClient(conn.lib.AppsV1Api)
    await conn.core.createNamespace({ body: { metadata: { name: 'chaos-mesh' } } })
    const labels = { 'app.kubernetes.io/component': 'controller-manager' }
    await apps.createNamespacedDeployment({
      namespace: 'chaos-mesh',
      body: {
        metadata: { name: 'chaos-controller-manager', labels: { ...labels, 'helm.sh/chart': 'chaos-mesh-2.7.2' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{
                name: 'chaos-mesh', image: 'ghcr.io/chaos-mesh/chaos-mesh:v2.7.2',
                env: [{ name: 'CLUSTER_SCOPED', value: 'true' }, { name: 'ENABLE_FILTER_NAMESPACE', value: 'true' }],
              }],
            },
          },
        },
      },
    })

    let c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig }))
    expect(c['chaos-mesh-crds']!.detail).toContain('Chaos Mesh v2.7.2 (chaos-controller-manager\'s image)')
    expect(c['chaos-mesh-controller']).toMatchObject({ ok: false, required: false })
    expect(c['chaos-mesh-controller']!.detail).toBe('chaos-mesh/chaos-controller-manager: 0/1 ready: experiments will be created but nothing will act on them')

    // what Chaos Mesh's running controller would show: one ready replica, written through the status subresource
    const d = await apps.readNamespacedDeployment({ name: 'chaos-controller-manager', namespace: 'chaos-mesh' })
    await apps.replaceNamespacedDeploymentStatus({
      name: 'chaos-controller-manager', namespace: 'chaos-mesh',
      body: { ...d, status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 } },
    })
    c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig }))
    expect(c['chaos-mesh-controller']).toMatchObject({ ok: true, detail: 'chaos-mesh/chaos-controller-manager: 1/1 ready, Chaos Mesh v2.7.2 (chaos-controller-manager\'s image)' })
    expect(c.namespace).toMatchObject({ ok: false, required: true, fix: 'kubectl annotate ns default chaos-mesh.org/inject=enabled' })
    expect(c.namespace!.detail).toContain('ENABLE_FILTER_NAMESPACE=true')

    const ns = await conn.core.readNamespace({ name: 'default' })
    ns.metadata!.annotations = { ...ns.metadata!.annotations, 'chaos-mesh.org/inject': 'enabled' }
    await conn.core.replaceNamespace({ name: 'default', body: ns })
    c = byName(await kubePreflight({ kubeconfig: withCrds.kubeconfig }))
    expect(c.namespace).toMatchObject({ ok: true, detail: 'namespace default exists and carries chaos-mesh.org/inject=enabled (Chaos Mesh filters namespaces)' })
    expect(Object.values(c).filter((x) => !x.ok)).toEqual([])
  })
})
