/**
 * `--target kubernetes` from the built binary, against real kube-apiservers (test/doubles/kube-cluster.ts): one
 * with Chaos Mesh's CRDs, one without. No Chaos Mesh controller runs in them, so the test writes status and events
 * the way Chaos Mesh's controller would, and reads them back through the CLI.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as k8s from '@kubernetes/client-node'
import { startKubeCluster } from '../doubles/kube-cluster.js'
import type { KubeTestCluster } from '../doubles/kube-cluster.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const EXAMPLES = join(ROOT, '../shared/conformance/chaos-mesh/examples')
const NO_STACK = /^\s+at .*:\d+:\d+\)?$/m
const CM = { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: 'default' }

interface Result { code: number | null; stdout: string; stderr: string }

function chaoscope(args: string[], opts: { home?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: opts.home ?? mkdtempSync(join(tmpdir(), 'chaoscope-home-')), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

function clients(kubeconfig: string) {
  const kc = new k8s.KubeConfig()
  kc.loadFromFile(kubeconfig)
  return { core: kc.makeApiClient(k8s.CoreV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) }
}

/** A pod stored in the API (no kubelet runs it), marked Running as a kubelet would. */
async function storedPod(core: k8s.CoreV1Api, name: string, labels: Record<string, string>): Promise<void> {
  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } } })
  const p = await core.readNamespacedPod({ name, namespace: 'default' })
  p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
  await core.replaceNamespacedPodStatus({ name, namespace: 'default', body: p })
}

const podNames = async (core: k8s.CoreV1Api): Promise<string[]> => (await core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata!.name!).sort()

describe('--target kubernetes with Chaos Mesh installed', () => {
  let cluster: KubeTestCluster
  let kube: ReturnType<typeof clients>
  let target: string[]
  beforeAll(async () => {
    cluster = await startKubeCluster()
    kube = clients(cluster.kubeconfig)
    target = ['--target', 'kubernetes', '--kubeconfig', cluster.kubeconfig]
  }, 90_000)
  afterAll(async () => {
    await cluster?.down()
  })

  it('an invalid file is refused by chaoscope\'s own validation, positioned, before any cluster is called (even an unreachable one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-kube-bad-'))
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata:\n  name: bad\nspec:\n  action: pod-kil\n  mode: one\n  selector:\n    namespaces: [default]\n')
    const unreachable = join(dir, 'kubeconfig')
    writeFileSync(unreachable, readFileSync(cluster.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'))
    for (const kubeconfig of [cluster.kubeconfig, unreachable]) {
      const r = await chaoscope(['apply', '-f', bad, '--target', 'kubernetes', '--kubeconfig', kubeconfig])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:11  spec\\.action: .*pod-kill.*\\[SPEC_ENUM\\]`, 'm'))
      expect(r.stderr).toContain('nothing was applied')
    }
    expect((await kube.custom.listNamespacedCustomObject({ ...CM, plural: 'podchaos' })).items).toEqual([])
    // the same unreachable cluster, asked for real, says where and why
    const down = await chaoscope(['get', 'podchaos', '--target', 'kubernetes', '--kubeconfig', unreachable])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/\[KUBE_UNREACHABLE\]/)
    expect(down.stderr).toContain('https://127.0.0.1:1')
    expect(down.stderr).not.toMatch(NO_STACK)
  })

  it('apply creates Chaos Mesh\'s own example as a custom resource; get, describe and events read back the status and events Chaos Mesh writes', async () => {
    const file = join(EXAMPLES, 'pod-kill-example.yaml')
    const applied = await chaoscope(['apply', '-f', file, ...target])
    expect([applied.code, applied.stdout, applied.stderr]).toEqual([0, 'podchaos.chaos-mesh.org/pod-kill-example created\n', ''])
    const again = await chaoscope(['apply', '-f', file, ...target])
    expect(again.stdout).toBe('podchaos.chaos-mesh.org/pod-kill-example unchanged\n')
    const stored = (await kube.custom.getNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example' })) as { spec: { action: string; selector: unknown }; metadata: { uid: string } }
    expect(stored.spec.action).toBe('pod-kill')
    expect(stored.spec.selector).toMatchObject({ labelSelectors: { 'app.kubernetes.io/component': 'tikv' } })

    // what Chaos Mesh's controller would write: conditions, a record, an event
    const obj = (await kube.custom.getNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example' })) as Record<string, unknown>
    obj.status = {
      conditions: [{ type: 'Selected', status: 'True' }, { type: 'AllInjected', status: 'True' }, { type: 'AllRecovered', status: 'False' }, { type: 'Paused', status: 'False' }],
      experiment: { desiredPhase: 'Run', containerRecords: [{ id: 'default/tikv-0', phase: 'Injected', selectorKey: '.', injectedCount: 1, recoveredCount: 0 }] },
    }
    // PodChaos's CRD has no status subresource: Chaos Mesh writes status with the object
    await kube.custom.replaceNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example', body: obj })
    await kube.core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'pod-kill-example.1' },
        involvedObject: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', name: 'pod-kill-example', namespace: 'default', uid: stored.metadata.uid },
        reason: 'Applied', message: 'Successfully apply chaos for default/tikv-0', type: 'Normal', lastTimestamp: new Date(),
        source: { component: 'chaos-controller-manager' },
      },
    })

    const get = await chaoscope(['get', 'podchaos', ...target])
    expect(get.code).toBe(0)
    expect(get.stdout.split('\n')[1]).toMatch(/^pod-kill-example\s/)
    const json = JSON.parse((await chaoscope(['get', 'podchaos', 'pod-kill-example', '-o', 'json', ...target])).stdout) as { status: { experiment: { containerRecords: { id: string }[] } } }
    expect(json.status.experiment.containerRecords.map((r) => r.id)).toEqual(['default/tikv-0'])
    const describeOut = await chaoscope(['describe', 'podchaos', 'pod-kill-example', ...target])
    expect(describeOut.code).toBe(0)
    expect(describeOut.stdout).toContain('default/tikv-0')
    expect(describeOut.stdout).toContain('Successfully apply chaos for default/tikv-0')
    const events = await chaoscope(['events', '--for', 'podchaos/pod-kill-example', ...target])
    expect(events.code).toBe(0)
    expect(events.stdout).toMatch(/Applied.*Successfully apply chaos for default\/tikv-0/)
  })

  it('pause and resume are Chaos Mesh\'s annotation', async () => {
    const annotation = async () => ((await kube.custom.getNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example' })) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.['experiment.chaos-mesh.org/pause']
    expect((await chaoscope(['pause', 'podchaos', 'pod-kill-example', ...target])).stdout).toBe('podchaos.chaos-mesh.org/pod-kill-example paused\n')
    expect(await annotation()).toBe('true')
    expect((await chaoscope(['resume', 'podchaos', 'pod-kill-example', ...target])).stdout).toBe('podchaos.chaos-mesh.org/pod-kill-example resumed\n')
    expect(await annotation()).toBeUndefined()
  })

  it('a delete held by Chaos Mesh\'s finalizer is explained, and --force removes it', async () => {
    const obj = (await kube.custom.getNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example' })) as { metadata: { finalizers?: string[] } }
    obj.metadata.finalizers = ['chaos-mesh/records']
    await kube.custom.replaceNamespacedCustomObject({ ...CM, plural: 'podchaos', name: 'pod-kill-example', body: obj })
    const stuck = await chaoscope(['delete', 'podchaos', 'pod-kill-example', '--timeout', '2', ...target])
    expect(stuck.code).toBe(1)
    expect(stuck.stderr).toContain('chaos-mesh/records')
    expect(stuck.stderr).toContain('--force')
    expect(stuck.stderr).toMatch(/\[KUBE_DELETE_STUCK\]/)
    const forced = await chaoscope(['delete', 'podchaos', 'pod-kill-example', '--force', ...target])
    expect([forced.code, forced.stdout]).toEqual([0, 'podchaos.chaos-mesh.org "pod-kill-example" deleted\n'])
    expect((await kube.custom.listNamespacedCustomObject({ ...CM, plural: 'podchaos' })).items).toEqual([])
    expect((await chaoscope(['delete', 'podchaos', 'pod-kill-example', ...target])).stderr).toMatch(/\[KUBE_NOT_FOUND\]/)
  })

  it('RBAC: a user without a role is refused, readably, and --force on the local target is a usage error', async () => {
    const r = await chaoscope(['get', 'podchaos', ...target, '--context', 'viewer'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/User "viewer" cannot list resource "podchaos".*\[KUBE_FORBIDDEN\]/)
    expect(r.stderr).not.toMatch(NO_STACK)
    const local = await chaoscope(['delete', 'podchaos', 'x', '--force'])
    expect(local.code).toBe(2)
    expect(local.stderr).toMatch(/--force is for --target kubernetes.*\[CLI_USAGE\]/)
    const noTarget = await chaoscope(['get', 'podchaos', '--context', 'admin'])
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr).toMatch(/--context needs --target kubernetes/)
    const withRuntime = await chaoscope(['server', ...target, '--runtime', 'http://127.0.0.1:9'])
    expect(withRuntime.code).toBe(2)
    expect(withRuntime.stderr).toMatch(/--runtime: a server whose target is a Kubernetes cluster has no local runtime.*\[CLI_USAGE\]/)
  })

  it('doctor --target kubernetes: the API server and its version, the CRDs, permissions; the viewer is told what it lacks', async () => {
    const ok = await chaoscope(['doctor', ...target, '-o', 'json'])
    const checks = JSON.parse(ok.stdout) as { name: string; ok: boolean; required: boolean; detail: string }[]
    expect(checks.map((c) => [c.name, c.ok])).toEqual([['kubeconfig', true], ['api-server', true], ['chaos-mesh-crds', true], ['chaos-mesh-controller', false], ['permissions', true], ['namespace', true]])
    expect(checks.find((c) => c.name === 'api-server')!.detail).toContain('v1.34.2')
    expect(ok.code).toBe(0)
    const viewer = await chaoscope(['doctor', ...target, '--context', 'viewer'])
    expect(viewer.code).toBe(1)
    expect(viewer.stdout).toMatch(/MISSING\s+permissions/)
    expect(viewer.stdout).toContain('kubectl create rolebinding')
  })

  it('chaoscope server --target kubernetes serves the cluster through /api/v1: the CLI against it applies and lists there', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    const server = spawn(process.execPath, [BIN, 'server', ...target, '--port', '0'], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    server.stdout.on('data', (d: Buffer) => (out += d.toString()))
    server.stderr.on('data', (d: Buffer) => (out += d.toString()))
    try {
      await until(async () => out, (o) => o.includes('auth:'), 30_000)
      expect(out).toMatch(/API http:\/\/127\.0\.0\.1:\d+\/api\/v1, Kubernetes cluster https:\/\/127\.0\.0\.1:\d+ \(context admin\)/)
      const applied = await chaoscope(['apply', '-f', join(EXAMPLES, 'network-delay-example.yaml')], { home })
      expect([applied.code, applied.stdout, applied.stderr]).toEqual([0, 'networkchaos.chaos-mesh.org/network-delay-example created\n', ''])
      expect(((await kube.custom.listNamespacedCustomObject({ ...CM, plural: 'networkchaos' })).items as { metadata: { name: string } }[]).map((o) => o.metadata.name)).toEqual(['network-delay-example'])
      const got = await chaoscope(['get', 'networkchaos'], { home })
      expect(got.stdout).toMatch(/^network-delay-example\s/m)
      const deleted = await chaoscope(['delete', 'networkchaos', 'network-delay-example'], { home })
      expect([deleted.code, deleted.stdout]).toEqual([0, 'networkchaos.chaos-mesh.org "network-delay-example" deleted\n'])
      // the cluster's refusal comes back through the API with its field and message, at the document's line
      const bad = join(mkdtempSync(join(tmpdir(), 'chaoscope-kube-label-')), 'label.yaml')
      writeFileSync(bad, 'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata:\n  name: badlabel\n  labels: {app: "not a label!"}\nspec:\n  action: pod-kill\n  mode: one\n  selector:\n    namespaces: [default]\n')
      const refused = await chaoscope(['apply', '-f', bad], { home })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/label\.yaml:1:1 .*PodChaos default\/badlabel: metadata\.labels: Invalid value: "not a label!".*\[KUBE_REFUSED\]/)
    } finally {
      server.kill('SIGTERM')
      await new Promise((r) => server.once('close', r))
    }
  })
})

describe('--target kubernetes without Chaos Mesh', () => {
  let cluster: KubeTestCluster
  let kube: ReturnType<typeof clients>
  let target: string[]
  beforeAll(async () => {
    cluster = await startKubeCluster({ crds: false })
    kube = clients(cluster.kubeconfig)
    target = ['--target', 'kubernetes', '--kubeconfig', cluster.kubeconfig]
  }, 90_000)
  afterAll(async () => {
    await cluster?.down()
  })

  it('PodChaos pod-kill deletes the pods its selector picks, natively; a kind without a native form is refused', async () => {
    await storedPod(kube.core, 'tikv-0', { 'app.kubernetes.io/component': 'tikv' })
    await storedPod(kube.core, 'pd-0', { 'app.kubernetes.io/component': 'pd' })
    const r = await chaoscope(['apply', '-f', join(EXAMPLES, 'pod-kill-example.yaml'), ...target])
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'podchaos.chaos-mesh.org/pod-kill-example created\n', ''])
    expect(await until(() => podNames(kube.core), (n) => !n.includes('tikv-0'))).toEqual(['pd-0'])
    const refused = await chaoscope(['apply', '-f', join(EXAMPLES, 'network-delay-example.yaml'), ...target])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/\[KUBE_CHAOS_MESH_MISSING\]/)
    expect(refused.stderr).not.toMatch(NO_STACK)
    await kube.core.deleteNamespacedPod({ name: 'pd-0', namespace: 'default' })
  })

  it('chaoscope run: chaosk8s terminate_pods acts on the cluster, and the journal says what it killed', async () => {
    await storedPod(kube.core, 'middle-a', { app: 'middle' })
    await storedPod(kube.core, 'middle-b', { app: 'middle' })
    await storedPod(kube.core, 'front-a', { app: 'front' })
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-kube-run-'))
    const experiment = join(dir, 'experiment.json')
    writeFileSync(experiment, JSON.stringify({
      version: '1.0.0',
      title: 'Killing the middle pods leaves the front one',
      description: 'chaosk8s on a cluster without Chaos Mesh',
      method: [{
        type: 'action', name: 'terminate-middle',
        provider: { type: 'python', module: 'chaosk8s.pod.actions', func: 'terminate_pods', arguments: { label_selector: 'app=middle', ns: 'default', all: true, grace_period: 0 } },
      }],
    }))
    const journal = join(dir, 'journal.json')
    const r = await chaoscope(['run', experiment, '--journal-path', journal, ...target])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(readFileSync(journal, 'utf8')) as { status: string; run: { status: string; output: unknown }[] }
    expect(j.status).toBe('completed')
    expect(j.run[0]!.status).toBe('succeeded')
    expect(await podNames(kube.core)).toEqual(['front-a'])
  })
})
