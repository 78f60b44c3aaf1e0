/**
 * The controller's side of engine/family.ts on real pods: a kind module spawns a NetworkChaos owned by it (the
 * fault is on the runtime), the child's change wakes the owner, `finished` reads the child, and deleting the
 * owner deletes the child first (its fault recovered) and archives both. The module here is the smallest one that
 * uses each part of the contract; the real ones are schedule.ts, workflow.ts and status-check.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { InProcessRuntimeClient } from '../runtime/client.js'
import { LocalRuntime } from '../runtime/local-runtime.js'
import type { AppSpec } from '../manifest/kinds/app.js'
import type { Resource } from '../manifest/validate.js'
import type { ResourceRow } from '../store/store.js'
import { Controller } from './controller.js'
import type { KindModule } from './family.js'
import { resource } from '../../test/doubles/chaos-yaml.js'
import { engineSetup, stopControllers } from '../../test/doubles/engine-setup.js'

const WEB = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGTERM', () => process.exit(0))`

let dir: string
let rt: LocalRuntime
const controllers: Controller[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-owners-'))
  const file = join(dir, 'app.yaml')
  writeFileSync(file, '# built in the test\n')
  const app = resource(['apiVersion: chaoscope.dev/v1alpha1', 'kind: App', 'metadata: {name: owners}', 'spec:', '  services:', '    - name: web', `      command: [node, -e, ${JSON.stringify(WEB)}]`, '      port: 8080', '      labels: {app: web}', '      terminationGracePeriodSeconds: 1', ''].join('\n'))
  rt = await LocalRuntime.start(app.spec as unknown as AppSpec, { appFile: file, hostPorts: 'ephemeral' })
  await rt.waitReady(30_000)
}, 60_000)

afterAll(async () => {
  await rt?.stop()
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
  for (const e of await rt.effects()) await rt.removeEffect(e.id)
})

/** A WorkflowNode-kind module: spawns one NetworkChaos named after itself, records its name, and counts its wake-ups. */
function spawningModule(log: string[], selector: Record<string, string> = { app: 'web' }): KindModule {
  return {
    kind: 'WorkflowNode',
    admit: (r) => {
      if (r.metadata.name === 'refused') throw new ChaosError('SPEC_INVALID_VALUE', 'refused by the module', { hint: 'a test' })
    },
    reconciler: (ctx, family) => ({
      async reconcile(row: ResourceRow) {
        log.push(`reconcile ${row.name}`)
        const child = await family.spawn(row, resource(`apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: ${row.name}-child, namespace: default}\nspec: {action: delay, mode: all, selector: {labelSelectors: ${JSON.stringify(selector)}}, delay: {latency: 10ms}}\n`), () =>
          ctx.store.updateResource(row.uid, { status: { child: `${row.name}-child` } }),
        )
        log.push(`finished ${family.finished(child)}`)
      },
      deleting: (row) => void log.push(`deleting ${row.name}`),
    }),
    phase: (row) => ((row.status as { child?: string }).child ? 'Running' : 'Pending'),
    finished: () => false,
  }
}

function open(name: string, modules: KindModule[]) {
  const ctl = Controller.open({ dbPath: join(dir, name), runtime: new InProcessRuntimeClient(rt), modules })
  controllers.push(ctl)
  return ctl
}

/** WorkflowNodes are made by the controller, never written by users (validation refuses them): built here as a Resource. */
const node = (name: string): Resource => ({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'WorkflowNode', metadata: { name, namespace: 'default' }, spec: { templateName: 't', workflowName: 'w', type: 'NetworkChaos' }, source: { file: 'test', index: 0, line: 1 } })

describe('kinds that spawn objects', () => {
  it('spawn: the child carries the owner reference, its fault is on the runtime, the owner keeps the status it wrote and is woken by the child', async () => {
    const log: string[] = []
    const ctl = open('spawn.db', [spawningModule(log)])
    await ctl.start()
    const { object } = await ctl.apply(node('n1'))
    await expect.poll(() => ctl.get('NetworkChaos', 'default', 'n1-child')?.status.experiment.containerRecords[0]?.phase, { timeout: 5000 }).toBe('Injected')
    const child = ctl.get('NetworkChaos', 'default', 'n1-child')!
    expect(child.metadata.ownerReferences).toEqual([{ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'WorkflowNode', name: 'n1', uid: object.metadata.uid, controller: true, blockOwnerDeletion: true }])
    expect(await rt.effects({ owner: child.metadata.uid })).toHaveLength(1)
    expect(ctl.get('WorkflowNode', 'default', 'n1')!.status).toEqual({ child: 'n1-child' })
    expect(ctl.phase('WorkflowNode', 'default', 'n1')).toBe('Running')
    // the child's injection woke the owner again; spawning again returned the existing child
    await expect.poll(() => log.filter((l) => l === 'reconcile n1').length).toBeGreaterThanOrEqual(2)
    expect(ctl.list({ kind: 'NetworkChaos' })).toHaveLength(1)
    expect(log).toContain('finished false')
  })

  it('delete of the owner: the child first (its fault recovered, archived), then the owner, archived; deleting() told once', async () => {
    const log: string[] = []
    const ctl = open('delete.db', [spawningModule(log)])
    await ctl.start()
    await ctl.apply(node('n2'))
    await expect.poll(() => ctl.get('NetworkChaos', 'default', 'n2-child')?.status.experiment.containerRecords[0]?.phase, { timeout: 5000 }).toBe('Injected')
    const childUid = ctl.get('NetworkChaos', 'default', 'n2-child')!.metadata.uid
    const { gone } = await ctl.delete('WorkflowNode', 'default', 'n2')
    expect(gone).toBe(true)
    expect(await rt.effects({ owner: childUid })).toEqual([])
    expect(ctl.list()).toEqual([])
    expect(ctl.archived({ name: 'n2-child' })[0]!.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Deleted', 'Recovered', 'Archived']))
    expect(ctl.archived({ name: 'n2' })[0]!.events.map((e) => e.reason)).toEqual(['Deleted', 'Archived'])
    expect(log.filter((l) => l.startsWith('deleting'))).toEqual(['deleting n2'])
  })

  it("apply runs the module's admission: a refusal writes nothing", async () => {
    const ctl = open('admit.db', [spawningModule([])])
    await ctl.start()
    await expect(ctl.apply(node('refused'))).rejects.toMatchObject({ code: 'SPEC_INVALID_VALUE' })
    expect(ctl.list()).toEqual([])
  })

  it('a child the controller refuses (no pod matches) fails the reconcile, which is retried; nothing is half-written', async () => {
    const log: string[] = []
    const ctl = open('refuse.db', [spawningModule(log, { app: 'nothing' })])
    await ctl.start()
    await ctl.apply(node('n3'))
    expect(ctl.list({ kind: 'NetworkChaos' })).toEqual([])
    expect(ctl.get('WorkflowNode', 'default', 'n3')!.status).toEqual({})
  })
})

describe('deleting an owner whose child cannot recover', () => {
  afterEach(() => stopControllers())
  it('retries the child with its own back-off, not at every wake of the owner (a runtime that fails every remove)', async () => {
    const { ctl, clock, runtime } = engineSetup()
    await ctl.start()
    await ctl.apply(resource(`apiVersion: chaos-mesh.org/v1alpha1\nkind: Schedule\nmetadata: {name: s, namespace: default}\nspec:\n  schedule: '@every 1m'\n  type: NetworkChaos\n  concurrencyPolicy: Allow\n  historyLimit: 5\n  networkChaos: {action: delay, mode: all, selector: {labelSelectors: {app: web}}, delay: {latency: 10ms}}\n`))
    clock.advance(60_000)
    await expect.poll(() => ctl.list({ kind: 'NetworkChaos' }).map((o) => o.status.experiment.containerRecords[0]?.phase)).toEqual(['Injected'])
    runtime.broken.add('remove')
    const before = runtime.calls.filter((c) => c === 'remove').length
    void ctl.delete('Schedule', 'default', 's', { wait: false })
    // real time passes, the manual clock does not: back-off timers never fire, so a child retried anyway would spin
    await new Promise((r) => setTimeout(r, 1000))
    expect(runtime.calls.filter((c) => c === 'remove').length - before).toBeLessThan(5)
    runtime.broken.delete('remove')
    clock.advance(1000)
    await expect.poll(() => ctl.list().length, { timeout: 5000 }).toBe(0)
  })
})
