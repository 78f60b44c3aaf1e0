import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { startKubeCluster, type KubeTestCluster } from '../../test/doubles/kube-cluster.js'
import type { ChaosError } from '../errors.js'
import type { Resource } from '../manifest/validate.js'
import { KubeBackend, KubeIssuesError, type ChaosObject, type NativeFallback } from './backend.js'
import { connectKube, type KubeConnection } from './connect.js'

const EXAMPLES = join(import.meta.dirname, '../../../shared/conformance/chaos-mesh/examples')
const POD_KILL = join(EXAMPLES, 'pod-kill-example.yaml')
const PARTITION = join(EXAMPLES, 'network-partition-example.yaml')
const WORKFLOW = join(EXAMPLES, 'workflow/serial.yaml')

let cluster: KubeTestCluster
let bare: KubeTestCluster
let kube: KubeBackend
let conn: KubeConnection

beforeAll(async () => {
  ;[cluster, bare] = await Promise.all([startKubeCluster(), startKubeCluster({ crds: false })])
  conn = await connectKube({ kubeconfig: cluster.kubeconfig })
  await servesEveryCrd(conn)
  kube = new KubeBackend(conn)
}, 90_000)
afterAll(async () => {
  await Promise.all([cluster?.down(), bare?.down()])
})

/** An example file's resource, renamed and placed (with labels), as YAML text. */
function example(file: string, meta: { name: string; namespace?: string; labels?: Record<string, string> }): string {
  const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as { metadata: Record<string, unknown> }
  doc.metadata = { ...doc.metadata, ...meta }
  return stringify(doc)
}

async function namespace(name: string): Promise<void> {
  await conn.core.createNamespace({ body: { metadata: { name } } })
}

const ref = (plural: string, namespace: string, name: string) => ({ group: 'chaos-mesh.org', version: 'v1alpha1', plural, namespace, name })

/** The merge patch the backend sends, for the test's own writes (what Chaos Mesh's controller would write). */
function mergePatch(r: ReturnType<typeof ref>, body: object, status = false): Promise<unknown> {
  const opts = conn.lib.setHeaderOptions('Content-Type', conn.lib.PatchStrategy.MergePatch)
  return status ? conn.custom.patchNamespacedCustomObjectStatus({ ...r, body }, opts) : conn.custom.patchNamespacedCustomObject({ ...r, body }, opts)
}

async function failure(p: Promise<unknown>): Promise<ChaosError> {
  try {
    await p
  } catch (e) {
    return e as ChaosError
  }
  throw new Error('expected a failure')
}

const names = (objects: ChaosObject[]) => objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()

describe('KubeBackend apply, get and list', () => {
  it('creates a PodChaos and a NetworkChaos from Chaos Mesh\'s examples and reads them back by kind, namespace, label and across namespaces', async () => {
    await namespace('team-a')
    await namespace('team-b')
    const text = [example(POD_KILL, { name: 'kill', namespace: 'team-a', labels: { team: 'a' } }), example(PARTITION, { name: 'split', namespace: 'team-a', labels: { team: 'a' } })].join('---\n')
    const applied = await kube.apply(text, { file: 'two.yaml' })
    expect(applied.items.map((i) => [i.action, i.object.kind, i.object.metadata.name])).toEqual([['created', 'PodChaos', 'kill'], ['created', 'NetworkChaos', 'split']])
    await kube.apply(example(POD_KILL, { name: 'kill-b', namespace: 'team-b', labels: { team: 'b' } }))

    const kill = await kube.get('PodChaos', 'team-a', 'kill')
    expect(kill).toMatchObject({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'kill', namespace: 'team-a', labels: { team: 'a' } }, spec: { action: 'pod-kill', mode: 'one' } })
    expect(kill.metadata.uid).toBeTruthy()
    expect(kill.metadata).not.toHaveProperty('managedFields')
    expect((await kube.get('NetworkChaos', 'team-a', 'split')).spec).toMatchObject({ action: 'partition', direction: 'to', duration: '10s' })

    expect(names(await kube.list({ kind: 'PodChaos', namespace: 'team-a' }))).toEqual(['PodChaos/team-a/kill'])
    expect(names(await kube.list({ namespace: 'team-a' }))).toEqual(['NetworkChaos/team-a/split', 'PodChaos/team-a/kill'])
    expect(names(await kube.list({ kind: 'PodChaos' }))).toEqual(expect.arrayContaining(['PodChaos/team-a/kill', 'PodChaos/team-b/kill-b']))
    expect(names(await kube.list({ labelSelector: 'team=b' }))).toEqual(['PodChaos/team-b/kill-b'])
    expect(names(await kube.list({ labelSelector: 'team in (a,b)' }))).toEqual(['NetworkChaos/team-a/split', 'PodChaos/team-a/kill', 'PodChaos/team-b/kill-b'])
  })

  it('says unchanged when applied again, and configured (the new label kept) when a label changed', async () => {
    const text = example(PARTITION, { name: 'again', labels: { v: '1' } })
    expect((await kube.apply(text)).items[0]!.action).toBe('created')
    expect((await kube.apply(text)).items[0]!.action).toBe('unchanged')
    const changed = await kube.apply(example(PARTITION, { name: 'again', labels: { v: '2' } }))
    expect(changed.items[0]!.action).toBe('configured')
    expect((await kube.get('NetworkChaos', 'default', 'again')).metadata.labels).toEqual({ v: '2' })
  })

  it('keeps the pause annotation and others\' labels and annotations when the same file is applied again: unchanged, still paused', async () => {
    const text = example(PARTITION, { name: 'kept', labels: { v: '1' } })
    await kube.apply(text)
    await kube.pause('NetworkChaos', 'default', 'kept')
    await mergePatch(ref('networkchaos', 'default', 'kept'), { metadata: { labels: { owner: 'ops' }, annotations: { 'example.com/note': 'set by another tool' } } })
    expect((await kube.apply(text)).items[0]!.action).toBe('unchanged')
    const changed = await kube.apply(example(PARTITION, { name: 'kept', labels: { v: '2' } }))
    expect(changed.items[0]!.action).toBe('configured')
    const live = await kube.get('NetworkChaos', 'default', 'kept')
    expect(live.metadata.labels).toEqual({ v: '2', owner: 'ops' })
    expect(live.metadata.annotations).toEqual({ 'experiment.chaos-mesh.org/pause': 'true', 'example.com/note': 'set by another tool' })
  })

  it('creates nothing with dryRun, yet says what it would do', async () => {
    const res = await kube.apply(example(POD_KILL, { name: 'dry' }), { dryRun: true })
    expect(res).toMatchObject({ dryRun: true, items: [{ action: 'created', object: { kind: 'PodChaos', metadata: { name: 'dry' } } }] })
    expect((await failure(kube.get('PodChaos', 'default', 'dry'))).code).toBe('KUBE_NOT_FOUND')
  })

  it('refuses the whole input, with the API server\'s reason at the document\'s line, when one document is refused; the valid one is not created', async () => {
    const good = example(POD_KILL, { name: 'fine' })
    // our spec layer accepts any label value; the API server does not
    const bad = example(PARTITION, { name: 'badlabel', labels: { app: 'not a label!' } })
    const text = `${good}---\n${bad}`
    const line = good.split('\n').length + 1 // the line after the separator
    const e = await failure(kube.apply(text, { file: 'mixed.yaml' }))
    expect(e).toBeInstanceOf(KubeIssuesError)
    expect(e.code).toBe('KUBE_REFUSED')
    expect(e.message).toBe('1 problem(s) in the input; nothing was applied')
    const issues = (e as KubeIssuesError).issues
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({ code: 'KUBE_REFUSED', file: 'mixed.yaml', line, col: 1, path: 'metadata.labels' })
    expect(issues[0]!.message).toMatch(/^Invalid value: "not a label!": a valid label must be/)
    expect((await failure(kube.get('PodChaos', 'default', 'fine'))).code).toBe('KUBE_NOT_FOUND')
    expect((await failure(kube.get('NetworkChaos', 'default', 'badlabel'))).code).toBe('KUBE_NOT_FOUND')
  })

  it('refuses input the spec layer refuses, with its positioned issues, before calling the cluster', async () => {
    const e = await failure(kube.apply('apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: x}\nspec:\n  action: pod-kil\n  mode: one\n  selector: {namespaces: [default]}\n', { file: 'typo.yaml' }))
    expect(e).toBeInstanceOf(KubeIssuesError)
    expect((e as KubeIssuesError).issues[0]).toMatchObject({ file: 'typo.yaml', line: 5, path: 'spec.action' })
  })

  it('reads back the status Chaos Mesh writes, and keeps it (and the finalizer) when the object is applied again with a change', async () => {
    await kube.apply(example(POD_KILL, { name: 'status' }))
    // these CRDs give PodChaos no status subresource: Chaos Mesh's controller writes the object itself
    const status = {
      conditions: [{ type: 'Selected', status: 'True' }, { type: 'AllInjected', status: 'True' }, { type: 'AllRecovered', status: 'False' }, { type: 'Paused', status: 'False' }],
      experiment: { desiredPhase: 'Run', containerRecords: [{ id: 'default/tikv-0', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0 }] },
    }
    await mergePatch(ref('podchaos', 'default', 'status'), { metadata: { finalizers: ['chaos-mesh/records'] }, status })
    const { chaoscope, ...written } = (await kube.get('PodChaos', 'default', 'status')).status!
    expect(written).toEqual(status)
    // the phase chaoscope's readers show, derived from Chaos Mesh's conditions
    expect(chaoscope).toEqual({ phase: 'running', action: 'pod-kill', records: [] })

    expect((await kube.apply(example(POD_KILL, { name: 'status', labels: { changed: 'yes' } }))).items[0]!.action).toBe('configured')
    const after = await kube.get('PodChaos', 'default', 'status')
    expect(after.metadata).toMatchObject({ labels: { changed: 'yes' }, finalizers: ['chaos-mesh/records'] })
    expect({ ...after.status, chaoscope: undefined }).toEqual({ ...status, chaoscope: undefined })
    // what was sent back to the cluster holds no phase of ours: the stored status is Chaos Mesh's alone
    const stored = (await conn.custom.getNamespacedCustomObject(ref('podchaos', 'default', 'status'))) as { status: object }
    expect(stored.status).toEqual(status)
    await kube.delete('PodChaos', 'default', 'status', { force: true })
  })

  it('shows the phase Chaos Mesh\'s status means: Injecting, Running, Paused, then Finished once stopped and recovered', async () => {
    await kube.apply(example(POD_KILL, { name: 'phases' }))
    const phase = async () => (await kube.get('PodChaos', 'default', 'phases')).status?.chaoscope?.phase
    expect(await phase()).toBe('injecting')
    const r = ref('podchaos', 'default', 'phases')
    await mergePatch(r, { status: { conditions: [{ type: 'AllInjected', status: 'True' }], experiment: { desiredPhase: 'Run' } } })
    expect(await phase()).toBe('running')
    await kube.pause('PodChaos', 'default', 'phases')
    expect(await phase()).toBe('paused')
    expect((await kube.list({ kind: 'PodChaos', namespace: 'default' })).find((o) => o.metadata.name === 'phases')?.status?.chaoscope?.phase).toBe('paused')
    await kube.resume('PodChaos', 'default', 'phases')
    await mergePatch(r, { status: { conditions: [{ type: 'AllInjected', status: 'False' }, { type: 'AllRecovered', status: 'True' }], experiment: { desiredPhase: 'Stop' } } })
    expect(await phase()).toBe('finished')
    await kube.delete('PodChaos', 'default', 'phases', { force: true })
  })

  it('reads back a Workflow\'s status written through its status subresource', async () => {
    await kube.apply(example(WORKFLOW, { name: 'wf' }))
    const status = { conditions: [{ type: 'Accomplished', status: 'False', reason: '' }] }
    await mergePatch(ref('workflows', 'default', 'wf'), { status }, true)
    expect((await kube.get('Workflow', 'default', 'wf')).status).toMatchObject({ ...status, chaoscope: { phase: 'Pending' } })
    // the phase the local controller's words give it, from Chaos Mesh's conditions
    await mergePatch(ref('workflows', 'default', 'wf'), { status: { conditions: [{ type: 'Scheduled', status: 'True', reason: '' }, { type: 'Accomplished', status: 'False', reason: '' }] } }, true)
    expect((await kube.get('Workflow', 'default', 'wf')).status?.chaoscope?.phase).toBe('Running')
    await mergePatch(ref('workflows', 'default', 'wf'), { status: { conditions: [{ type: 'Scheduled', status: 'True', reason: '' }, { type: 'Accomplished', status: 'True', reason: '' }] } }, true)
    expect((await kube.get('Workflow', 'default', 'wf')).status?.chaoscope?.phase).toBe('Accomplished')
  })
})

describe('KubeBackend events', () => {
  it('returns core/v1 Events about chaos-mesh.org objects, oldest first, by kind and name, after sinceId', async () => {
    await namespace('ev')
    await kube.apply(example(POD_KILL, { name: 'noisy', namespace: 'ev' }))
    await kube.apply(example(PARTITION, { name: 'quiet', namespace: 'ev' }))
    const noisy = await kube.get('PodChaos', 'ev', 'noisy')
    const quiet = await kube.get('NetworkChaos', 'ev', 'quiet')
    const event = (name: string, about: { kind: string; name: string; uid?: string; apiVersion: string }, reason: string, type = 'Normal') =>
      conn.core.createNamespacedEvent({
        namespace: 'ev',
        body: { metadata: { name }, involvedObject: { ...about, namespace: 'ev' }, reason, message: `${reason} happened`, type, lastTimestamp: new Date('2026-01-01T00:00:00Z') },
      })
    const about = (o: ChaosObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid! })
    await event('e1', about(noisy), 'Applied')
    await event('e2', about(quiet), 'Started')
    await event('e3', { apiVersion: 'v1', kind: 'Pod', name: 'noisy' }, 'Pulled') // not about a chaos object
    await event('e4', about(noisy), 'Failed', 'Warning')

    const all = await kube.events({ namespace: 'ev' })
    expect(all.map((e) => `${e.kind}/${e.name} ${e.reason}`)).toEqual(['PodChaos/noisy Applied', 'NetworkChaos/quiet Started', 'PodChaos/noisy Failed'])
    expect(all[0]).toEqual({ id: all[0]!.id, uid: noisy.metadata.uid, kind: 'PodChaos', namespace: 'ev', name: 'noisy', type: 'Normal', reason: 'Applied', message: 'Applied happened', time: '2026-01-01T00:00:00.000Z' })
    expect(all[0]!.id).toBeLessThan(all[1]!.id)

    const ofNoisy = await kube.objectEvents('PodChaos', 'ev', 'noisy')
    expect(ofNoisy.map((e) => [e.reason, e.type])).toEqual([['Applied', 'Normal'], ['Failed', 'Warning']])
    expect((await kube.events({ kind: 'PodChaos', name: 'noisy', namespace: 'ev', sinceId: ofNoisy[0]!.id })).map((e) => e.reason)).toEqual(['Failed'])
    expect((await kube.events({ namespace: 'ev', sinceId: all.at(-1)!.id }))).toEqual([])
    expect((await kube.events()).map((e) => e.name)).toEqual(expect.arrayContaining(['noisy', 'quiet']))
  })
})

describe('KubeBackend watch', () => {
  it('yields a change made after it started, and ends when its signal aborts', async () => {
    await namespace('watched')
    await kube.apply(example(PARTITION, { name: 'w', namespace: 'watched' }))
    const abort = new AbortController()
    const changes = kube.watch({ namespace: 'watched' }, abort.signal)
    const first = changes.next()
    // the watch starts from the version it lists first: change the object until it has seen one change
    let n = 0
    let seen = false
    void first.then(() => (seen = true), () => (seen = true))
    while (!seen) {
      await mergePatch(ref('networkchaos', 'watched', 'w'), { metadata: { labels: { n: String(++n) } } })
      await Promise.race([first, new Promise((r) => setTimeout(r, 200))])
    }
    const { value } = await first
    expect(value).toMatchObject({ type: 'MODIFIED', object: { kind: 'NetworkChaos', metadata: { name: 'w', labels: { n: expect.any(String) } } } })
    expect(value).not.toHaveProperty('object.metadata.managedFields')
    const next = changes.next()
    abort.abort()
    expect(await next).toEqual({ done: true, value: undefined })
  })
})

describe('KubeBackend pause and resume', () => {
  it('sets and removes Chaos Mesh\'s pause annotation', async () => {
    await kube.apply(example(PARTITION, { name: 'pausable' }))
    const paused = await kube.pause('NetworkChaos', 'default', 'pausable')
    expect(paused.metadata.annotations).toEqual({ 'experiment.chaos-mesh.org/pause': 'true' })
    expect((await kube.get('NetworkChaos', 'default', 'pausable')).metadata.annotations).toEqual({ 'experiment.chaos-mesh.org/pause': 'true' })
    const resumed = await kube.resume('NetworkChaos', 'default', 'pausable')
    expect(resumed.metadata.annotations ?? {}).toEqual({})
  })

  it('refuses to pause a Workflow, as Chaos Mesh does, with the way to stop one', async () => {
    await kube.apply(example(WORKFLOW, { name: 'wf-pause' }))
    const e = await failure(kube.pause('Workflow', 'default', 'wf-pause'))
    expect(e.code).toBe('KUBE_REFUSED')
    expect(e.message).toBe('a Workflow cannot be paused: Chaos Mesh pauses experiments and schedules only')
    expect(e.hint).toContain('workflow.chaos-mesh.org/abort')
    expect((await kube.get('Workflow', 'default', 'wf-pause')).metadata.annotations ?? {}).toEqual({})
  })

  it('says KUBE_NOT_FOUND for an object that does not exist', async () => {
    expect((await failure(kube.pause('PodChaos', 'default', 'nobody'))).code).toBe('KUBE_NOT_FOUND')
  })
})

describe('KubeBackend delete', () => {
  it('deletes an object without a finalizer: it is gone', async () => {
    await kube.apply(example(POD_KILL, { name: 'bye' }))
    expect(await kube.delete('PodChaos', 'default', 'bye')).toEqual({ deleted: true, gone: true, object: null })
    expect((await failure(kube.get('PodChaos', 'default', 'bye'))).code).toBe('KUBE_NOT_FOUND')
    expect((await failure(kube.delete('PodChaos', 'default', 'bye'))).code).toBe('KUBE_NOT_FOUND')
  })

  it('waits for Chaos Mesh\'s finalizer, then says what holds the object and how to force it; force removes it', async () => {
    await kube.apply(example(PARTITION, { name: 'held' }))
    await mergePatch(ref('networkchaos', 'default', 'held'), { metadata: { finalizers: ['chaos-mesh/records'] } })

    const started = Date.now()
    const e = await failure(kube.delete('NetworkChaos', 'default', 'held', { timeoutSeconds: 1 }))
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(e.code).toBe('KUBE_DELETE_STUCK')
    expect(e.message).toBe('NetworkChaos default/held is still there 1 s after the delete: the finalizer(s) chaos-mesh/records still hold it')
    expect(e.hint).toContain('--force')
    const left = await kube.get('NetworkChaos', 'default', 'held')
    expect(left.metadata.deletionTimestamp).toBeTruthy()

    const noWait = await kube.delete('NetworkChaos', 'default', 'held', { wait: false })
    expect(noWait).toMatchObject({ deleted: true, gone: false, object: { metadata: { name: 'held', finalizers: ['chaos-mesh/records'] } } })

    expect(await kube.delete('NetworkChaos', 'default', 'held', { force: true })).toEqual({ deleted: true, gone: true, object: null })
    expect((await failure(kube.get('NetworkChaos', 'default', 'held'))).code).toBe('KUBE_NOT_FOUND')
  })

  it('force leaves a finalizer that is not Chaos Mesh\'s, and says it holds the object', async () => {
    await kube.apply(example(POD_KILL, { name: 'foreign' }))
    await mergePatch(ref('podchaos', 'default', 'foreign'), { metadata: { finalizers: ['chaos-mesh/records', 'example.com/keep'] } })
    const e = await failure(kube.delete('PodChaos', 'default', 'foreign', { force: true, timeoutSeconds: 1 }))
    expect(e.code).toBe('KUBE_DELETE_STUCK')
    expect(e.message).toContain('the finalizer(s) example.com/keep still hold it')
    const left = await kube.get('PodChaos', 'default', 'foreign')
    expect(left.metadata.annotations).toEqual({ 'chaos-mesh.chaos-mesh.org/cleanFinalizer': 'forced' })
    await mergePatch(ref('podchaos', 'default', 'foreign'), { metadata: { finalizers: null } })
  })
})

describe('KubeBackend and an admission webhook', () => {
  it('prints a webhook\'s denial (a 403) at the document\'s line as KUBE_REFUSED, not as RBAC\'s refusal', async () => {
    // a validating webhook as Chaos Mesh runs them, here one that denies the objects labelled webhook-test=deny
    const key = join(cluster.dir, 'webhook.key')
    const cert = join(cluster.dir, 'webhook.crt')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
    const webhook = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string } }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: false, status: { message: 'Spec.Duration: Invalid value: "10s": refused by the test\'s webhook' } } }))
      })
    })
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r))
    const admission = conn.kc.makeApiClient(conn.lib.AdmissionregistrationV1Api)
    try {
      const port = (webhook.address() as { port: number }).port
      await admission.createValidatingWebhookConfiguration({
        body: {
          metadata: { name: 'deny-test' },
          webhooks: [{
            name: 'deny.chaoscope.test', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail',
            clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle: readFileSync(cert).toString('base64') },
            rules: [{ apiGroups: ['chaos-mesh.org'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['networkchaos'] }],
            objectSelector: { matchLabels: { 'webhook-test': 'deny' } },
          }],
        },
      })
      const good = example(POD_KILL, { name: 'not-denied' })
      const denied = example(PARTITION, { name: 'denied', labels: { 'webhook-test': 'deny' } })
      const text = `${good}---\n${denied}`
      // the API server calls a new webhook once its informer has seen it: until then the apply goes through
      let e: ChaosError | undefined
      const deadline = Date.now() + 30_000
      while (!e) {
        try {
          await kube.apply(text, { file: 'webhook.yaml' })
        } catch (x) {
          e = x as ChaosError
          break
        }
        await kube.delete('PodChaos', 'default', 'not-denied')
        await kube.delete('NetworkChaos', 'default', 'denied')
        if (Date.now() > deadline) throw new Error('the API server did not call the webhook within 30 s')
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(e).toBeInstanceOf(KubeIssuesError)
      const issues = (e as KubeIssuesError).issues
      expect(issues).toEqual([expect.objectContaining({ code: 'KUBE_REFUSED', file: 'webhook.yaml', line: good.split('\n').length + 1, col: 1 })])
      expect(issues[0]!.message).toBe('apply NetworkChaos default/denied: admission webhook "deny.chaoscope.test" denied the request: Spec.Duration: Invalid value: "10s": refused by the test\'s webhook')
      expect((await failure(kube.get('PodChaos', 'default', 'not-denied'))).code).toBe('KUBE_NOT_FOUND')
    } finally {
      await admission.deleteValidatingWebhookConfiguration({ name: 'deny-test' }).catch(() => undefined)
      webhook.close()
    }
  })
})

describe('KubeBackend delete --force refused', () => {
  it('leaves no cleanFinalizer annotation when RBAC allows the patch but refuses the delete', async () => {
    await namespace('patch-only')
    const rbac = conn.kc.makeApiClient(conn.lib.RbacAuthorizationV1Api)
    await rbac.createNamespacedRole({ namespace: 'patch-only', body: { metadata: { name: 'patch-only' }, rules: [{ apiGroups: ['chaos-mesh.org'], resources: ['networkchaos'], verbs: ['get', 'list', 'patch'] }] } })
    await rbac.createNamespacedRoleBinding({ namespace: 'patch-only', body: { metadata: { name: 'patch-only' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patch-only' }, subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }] } })
    await kube.apply(example(PARTITION, { name: 'undeletable', namespace: 'patch-only' }))
    const viewer = await KubeBackend.connect({ kubeconfig: cluster.kubeconfig, context: 'viewer' })
    const e = await failure(viewer.delete('NetworkChaos', 'patch-only', 'undeletable', { force: true }))
    expect(e.code).toBe('KUBE_FORBIDDEN')
    expect(e.message).toMatch(/cannot delete resource "networkchaos"/)
    // the same user may patch it: a patch sent before the delete would have gone through
    await viewer.pause('NetworkChaos', 'patch-only', 'undeletable')
    const live = await kube.get('NetworkChaos', 'patch-only', 'undeletable')
    expect(live.metadata.annotations).toEqual({ 'experiment.chaos-mesh.org/pause': 'true' })
    expect(live.metadata.deletionTimestamp).toBeUndefined()
  })
})

describe('KubeBackend errors', () => {
  it('says KUBE_FORBIDDEN to a user RBAC refuses, for apply and list', async () => {
    const viewer = await KubeBackend.connect({ kubeconfig: cluster.kubeconfig, context: 'viewer' })
    const applied = await failure(viewer.apply(example(POD_KILL, { name: 'not-mine' })))
    expect(applied.code).toBe('KUBE_FORBIDDEN')
    expect(applied.message).toMatch(/^apply PodChaos default\/not-mine: podchaos\.chaos-mesh\.org "not-mine" is forbidden: User "viewer"/)
    const listed = await failure(viewer.list({ kind: 'PodChaos', namespace: 'default' }))
    expect(listed.code).toBe('KUBE_FORBIDDEN')
    expect(listed.message).toMatch(/^list PodChaos in default: .*forbidden/)
    expect((await failure(viewer.list())).code).toBe('KUBE_FORBIDDEN')
  })

  it('says KUBE_UNREACHABLE, with the address, when nothing answers there', async () => {
    const port = await closedPort()
    const file = join(cluster.dir, 'unreachable.kubeconfig')
    writeFileSync(file, readFileSync(cluster.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`))
    const away = await KubeBackend.connect({ kubeconfig: file })
    const e = await failure(away.list())
    expect(e.code).toBe('KUBE_UNREACHABLE')
    expect(e.message).toContain(`https://127.0.0.1:${port} did not answer`)
  })

  it('says KUBE_CHAOS_MESH_MISSING, naming the cluster and the kind, where Chaos Mesh\'s CRDs are not installed', async () => {
    const noMesh = await KubeBackend.connect({ kubeconfig: bare.kubeconfig })
    const e = await failure(noMesh.apply(example(POD_KILL, { name: 'k' })))
    expect(e.code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect(e.message).toBe(`Chaos Mesh's CRDs are not installed in cluster ${noMesh.conn.server} (context admin): PodChaos needs them`)
    expect(e.hint).toContain('helm install chaos-mesh')
    expect((await failure(noMesh.get('NetworkChaos', 'default', 'x'))).code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect((await failure(noMesh.list())).code).toBe('KUBE_CHAOS_MESH_MISSING')
  })

  it('hands a kind the cluster does not serve to the native fallback', async () => {
    const seen: string[] = []
    const made: ChaosObject = { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'k', namespace: 'default' }, spec: {} }
    const native: NativeFallback = {
      async apply(_c, r: Resource, opts) {
        seen.push(`apply ${r.kind}/${r.metadata.name} dryRun=${opts.dryRun}`)
        return { action: 'created', object: made }
      },
      async list(_c, q) {
        seen.push(`list ${q.kind ?? 'all'}`)
        return [made]
      },
      async get() {
        return undefined
      },
      async delete() {
        return false
      },
    }
    const withNative = new KubeBackend(await connectKube({ kubeconfig: bare.kubeconfig }), { native })
    expect(await withNative.apply(example(POD_KILL, { name: 'k' }))).toEqual({ dryRun: false, items: [{ action: 'created', object: made }] })
    expect(await withNative.list()).toEqual([made])
    expect(seen).toEqual(['apply PodChaos/k dryRun=true', 'apply PodChaos/k dryRun=false', 'list all'])
    expect((await failure(withNative.get('PodChaos', 'default', 'k'))).code).toBe('KUBE_NOT_FOUND')
    expect((await failure(withNative.pause('PodChaos', 'default', 'k'))).code).toBe('KUBE_NATIVE_UNSUPPORTED')
  })
})

describe('KubeBackend with Chaos Mesh partly installed', () => {
  it('refuses a kind whose CRD is missing, naming the kinds served, instead of handing it to the native forms', async () => {
    await conn.crds.deleteCustomResourceDefinition({ name: 'dnschaos.chaos-mesh.org' })
    const deadline = Date.now() + 30_000
    while ((await conn.custom.getAPIResources({ group: 'chaos-mesh.org', version: 'v1alpha1' })).resources.some((r) => r.kind === 'DNSChaos')) {
      if (Date.now() > deadline) throw new Error('the API server still serves DNSChaos 30 s after its CRD was deleted')
      await new Promise((r) => setTimeout(r, 100))
    }
    const handed: string[] = []
    const native: NativeFallback = {
      async apply(_c, r) {
        handed.push(r.kind)
        throw new Error('not to be called')
      },
      list: async () => [],
      get: async () => undefined,
      delete: async () => false,
    }
    const partial = new KubeBackend(await connectKube({ kubeconfig: cluster.kubeconfig }), { native })
    const e = await failure(partial.apply(example(join(EXAMPLES, 'dns-chaos-example.yaml'), { name: 'dns' })))
    expect(e.code).toBe('KUBE_CHAOS_MESH_MISSING')
    expect(e.message).toMatch(/^the Chaos Mesh of cluster https:\/\/127\.0\.0\.1:\d+ \(context admin\) does not serve DNSChaos \(no CRD of it in chaos-mesh\.org\/v1alpha1; it serves .*NetworkChaos, .*PodChaos, /)
    expect(handed).toEqual([])
    expect((await failure(partial.get('DNSChaos', 'default', 'dns'))).code).toBe('KUBE_CHAOS_MESH_MISSING')
  })
})

/** Waits until the API server's discovery lists every CRD installed (the cluster script waits for PodChaos's only). */
async function servesEveryCrd(c: KubeConnection): Promise<void> {
  const crds = (await c.crds.listCustomResourceDefinition()).items.filter((d) => d.spec.group === 'chaos-mesh.org').length
  const deadline = Date.now() + 30_000
  for (;;) {
    const served = (await c.custom.getAPIResources({ group: 'chaos-mesh.org', version: 'v1alpha1' })).resources.filter((r) => !r.name.includes('/')).length
    if (served === crds) return
    if (Date.now() > deadline) throw new Error(`the API server serves ${served} of ${crds} chaos-mesh.org kinds after 30 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
