/**
 * The controller end to end: `chaoscope up` runs the chain with its controller, the kubectl-like CLI applies,
 * inspects and deletes experiments whose effect is measured through the sidecars; and the crash test:
 * `chaoscope server` SIGKILLed at random points over many short experiments, restarted each time.
 * Real processes, real sockets, loopback only. Needs `npm run build` (the CLI runs from dist/).
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seeded } from '../seeded.mjs'
import { loadApp, startRuntimeServer } from '../../src/index.js'
import { ControllerClient } from '../../src/api/client.js'
import type { ChaosEvent, RuntimeServer } from '../../src/index.js'
import { Store } from '../../src/store/store.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function delayYaml(name: string, opts: { latency?: string; duration?: string; app?: string; target?: string } = {}): string {
  return `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: ${name}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: ${opts.app ?? 'middle'}}
  direction: to
  target:
    mode: all
    selector:
      labelSelectors: {app: ${opts.target ?? 'back'}}
  delay:
    latency: ${opts.latency ?? '300ms'}
${opts.duration ? `  duration: ${opts.duration}\n` : ''}`
}

/** Waits until `re` appears in the child's output. */
async function waitOutput(child: ChildProcess, out: () => string, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const m = re.exec(out())
    if (m) return m
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in the output:\n${out()}`)
    await sleep(50)
  }
}

/** Median time of n GETs, each on a fresh connection (an idle keep-alive socket may be closed under us). */
async function latency(url: string, n = 3): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)))
      req.on('error', reject)
    })
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

describe('chaoscope up with the controller, and the kubectl-like CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-ctl-'))
  const env = { ...process.env, CHAOSCOPE_HOME: home }
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
  const file = (name: string, text: string) => {
    const p = join(home, name)
    writeFileSync(p, text)
    return p
  }
  let up: ChildProcess
  let out = ''
  let front = ''

  beforeAll(async () => {
    up = spawn(process.execPath, [BIN, 'up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--ready-timeout', '30'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    up.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    front = (await waitOutput(up, () => out, /^service front: (http:\S+)$/m, 40_000))[1]!
  }, 60_000)
  afterAll(async () => {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM')
      await new Promise((r) => up.once('exit', r))
    }
  })

  it('serves the controller API on the runtime\'s port and says so in controller.json', async () => {
    expect(out).toMatch(/^controller: API http:\/\/127\.0\.0\.1:\d+\/api\/v1, db .*chaoscope\.db$/m)
    const get = cli('get', 'pods')
    expect(get.status, get.stderr).toBe(0)
    expect(get.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY/)
  })

  it('apply slows middle→back and front feels it; get and describe show conditions and records with evidence; delete removes it', async () => {
    const before = await latency(front)
    const f = file('delay.yaml', delayYaml('middle-back', { latency: '400ms' }))
    const applied = cli('apply', '-f', f)
    expect(applied.status, applied.stderr).toBe(0)
    expect(applied.stdout).toBe('networkchaos.chaos-mesh.org/middle-back created\n')
    expect(cli('apply', '-f', f).stdout).toBe('networkchaos.chaos-mesh.org/middle-back unchanged\n')
    const slow = await latency(front)
    expect(slow - before).toBeGreaterThan(200) // 400 ms injected; the tolerance covers a loaded machine

    const table = cli('get', 'networkchaos')
    expect(table.stdout).toMatch(/^NAME\s+ACTION\s+DURATION\s+PHASE\s+INJECTED\s+AGE\nmiddle-back\s+delay\s+<none>\s+Running\s+1\/1\s+\d+s\n$/)
    const all = cli('get', 'all', '-A')
    expect(all.stdout).toContain('networkchaos.chaos-mesh.org/middle-back')
    const json = cli('get', 'nc', 'middle-back', '-o', 'json')
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'NetworkChaos',
      status: {
        conditions: expect.arrayContaining([{ type: 'AllInjected', status: 'True', reason: '' }]),
        experiment: { desiredPhase: 'Run', containerRecords: [{ id: expect.stringMatching(/^default\/middle-\w{5}$/), selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0, events: [expect.objectContaining({ type: 'Succeeded', operation: 'Apply' })] }] },
        chaoscope: { phase: 'running', action: 'delay', records: [{ id: expect.stringMatching(/^default\/middle-/), active: true }] },
      },
    })

    const d = cli('describe', 'networkchaos', 'middle-back')
    expect(d.status, d.stderr).toBe(0)
    expect(d.stdout).toMatch(/Conditions:\n\s+Type\s+Status\s+Reason\n\s+Selected\s+True/)
    expect(d.stdout).toMatch(/AllInjected\s+True/)
    expect(d.stdout).toMatch(/Records:\n {2}default\/middle-\w{5}:\n {4}Phase:\s+Injected\n {4}Injected Count:\s+1/)
    const evidence = /Evidence:\n([\s\S]*?)Events:/.exec(d.stdout)?.[1] ?? ''
    expect(evidence).toMatch(/middle-\w{5}>back/)
    expect(d.stdout).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+Message\n[\s\S]*Normal\s+Selected/)

    const ev = cli('events', '--for', 'networkchaos/middle-back')
    expect(ev.stdout).toMatch(/Selected/)

    const del = cli('delete', 'networkchaos', 'middle-back')
    expect(del.status, del.stderr).toBe(0)
    expect(del.stdout).toBe('networkchaos.chaos-mesh.org "middle-back" deleted\n')
    expect(await latency(front)).toBeLessThan(slow - 200)
    expect(cli('get', 'nc').stderr).toContain('No resources found')
    const again = cli('delete', 'networkchaos', 'middle-back')
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('[CONTROLLER_NOT_FOUND]')
  }, 60_000)

  it('pause recovers the fault and resume injects it again', async () => {
    const base = await latency(front)
    expect(cli('apply', '-f', file('p.yaml', delayYaml('paused', { latency: '400ms' }))).status).toBe(0)
    expect(await latency(front)).toBeGreaterThan(base + 200)
    // pause and resume return once their reconcile has run: no wait needed before looking
    expect(cli('pause', 'nc', 'paused').stdout).toBe('networkchaos.chaos-mesh.org/paused paused\n')
    expect(cli('get', 'nc', 'paused').stdout).toMatch(/Paused\s+0\/1/)
    expect(await latency(front)).toBeLessThan(base + 200)
    const paused = JSON.parse(cli('get', 'nc', 'paused', '-o', 'json').stdout) as { status: { chaoscope: { records: { active: boolean }[] } } }
    expect(paused.status.chaoscope.records.map((r) => r.active)).toEqual([false])
    expect(cli('resume', 'nc', 'paused').status).toBe(0)
    expect(await latency(front)).toBeGreaterThan(base + 200)
    expect(cli('delete', 'nc', 'paused').status).toBe(0)
  }, 60_000)

  it('--dry-run shows the targets and changes nothing', async () => {
    const r = cli('apply', '-f', file('dry.yaml', delayYaml('dry')), '--dry-run')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^networkchaos\.chaos-mesh\.org\/dry created \(dry run\)\n[\s\S]*pod: middle-\w{5}/)
    expect(cli('get', 'nc').stderr).toContain('No resources found')
    const effects = (await (await fetch(`${readRuntimeUrl(home)}/runtime/v1/effects`)).json()) as { items: unknown[] }
    expect(effects.items).toEqual([])
  })

  it('refuses a selector that matches no pod, naming the selector and the pods that exist', () => {
    const r = cli('apply', '-f', file('none.yaml', delayYaml('nothing', { app: 'nosuchapp' })))
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/none\.yaml:1:1 .*\[CONTROLLER_NO_TARGETS\]/)
    expect(r.stderr).toContain('nosuchapp')
    expect(r.stderr).toMatch(/front-\w{5}/)
    expect(r.stderr).toContain('nothing was applied')
  })

  it('refuses a kind the local runtime cannot run before anything changes, all or nothing', () => {
    const kernel = `apiVersion: chaos-mesh.org/v1alpha1
kind: KernelChaos
metadata: {name: kernel}
spec:
  mode: one
  selector: {namespaces: [default]}
  failKernRequest:
    callchain: [{funcname: __x64_sys_mount}]
    failtype: 0
`
    const f = file('mixed.yaml', `${delayYaml('fine')}---\n${kernel}`)
    const r = cli('apply', '-f', f)
    expect(r.status).toBe(1) // refused by the controller, as `apply --help` says
    expect(r.stderr).toMatch(/mixed\.yaml:\d+:1 +KernelChaos default\/kernel: .*\[SPEC_LOCAL_UNSUPPORTED\]/)
    expect(cli('get', 'all').stderr).toContain('No resources found')
  })

  it('prints validation problems like validate does, exits 2 and applies nothing', () => {
    const r = cli('apply', '-f', file('bad.yaml', `${delayYaml('ok')}---\n${delayYaml('bad').replace('300ms', 'fast')}`))
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+ +spec\.delay\.latency: .*\[SPEC_INVALID_DURATION\]/)
    expect(cli('get', 'nc').stderr).toContain('No resources found')
  })

  it('an experiment whose pods are all gone (the app taken down and up again) ends and is archived, with an event', async () => {
    expect(cli('apply', '-f', file('gone.yaml', delayYaml('outlived'))).status).toBe(0)
    up.kill('SIGTERM')
    await new Promise((r) => up.once('exit', r))
    out = ''
    up = spawn(process.execPath, [BIN, 'up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--ready-timeout', '30'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    up.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    front = (await waitOutput(up, () => out, /^service front: (http:\S+)$/m, 40_000))[1]!
    // the restarted controller finds the old middle pod gone; the new one is not selected: selection is fixed at
    // creation, as in Chaos Mesh
    await expect.poll(() => cli('get', 'nc').stderr, { timeout: 15_000, interval: 200 }).toContain('No resources found')
    const ev = cli('events', '--for', 'networkchaos/outlived')
    expect(ev.stdout).toMatch(/TargetsGone\s+.*every selected pod is gone \(default\/middle-\w{5}\): the experiment ends/)
    expect(ev.stdout).toMatch(/Archived/)
    const effects = (await (await fetch(`${readRuntimeUrl(home)}/runtime/v1/effects`)).json()) as { items: unknown[] }
    expect(effects.items).toEqual([])
  }, 90_000)
})

function readRuntimeUrl(home: string): string {
  const r = spawnSync('cat', [join(home, 'runtime.json')], { encoding: 'utf8' })
  return (JSON.parse(r.stdout) as { url: string }).url
}


describe('crash safety: chaoscope server SIGKILLed at random points', () => {
  let runtime: RuntimeServer
  beforeAll(async () => {
    const f = join(ROOT, 'demo/chain/app.yaml')
    const app = await loadApp(f)
    if ('issues' in app) throw new Error(JSON.stringify(app.issues))
    runtime = await startRuntimeServer(app.resource, f, { stateless: true, hostPorts: 'ephemeral' })
    await runtime.runtime.waitReady(30_000)
  }, 60_000)
  afterAll(() => runtime?.close())

  it('no fault outlives its experiment, none is left without an owner, no event or record is lost', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-crash-'))
    const db = join(home, 'crash.db')
    const env = { ...process.env, CHAOSCOPE_HOME: home }
    const random = seeded(20240501)
    const EXPERIMENTS = 24
    const KILLS = 6
    const EDGES = [['middle', 'back'], ['front', 'middle']] as const

    // the server as a child process; restarted after each SIGKILL
    let child: ChildProcess | undefined
    let downSince: number | undefined
    const downWindows: [number, number][] = []
    const start = async (): Promise<ControllerClient> => {
      let out = ''
      child = spawn(process.execPath, [BIN, 'server', '--runtime', runtime.state.url, '--db', db, '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
      const url = (await waitOutput(child, () => out, /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 20_000))[1]!
      if (downSince !== undefined) downWindows.push([downSince, Date.now()])
      downSince = undefined
      return new ControllerClient(url)
    }
    const kill = async () => {
      const c = child!
      downSince = Date.now()
      c.kill('SIGKILL')
      if (c.exitCode === null) await new Promise((r) => c.once('exit', r))
    }

    // watch the runtime's faults: the last time each owner's fault was seen
    const lastSeen = new Map<string, number>()
    let watching = true
    const watcher = (async () => {
      while (watching) {
        const now = Date.now()
        for (const e of await runtime.runtime.effects()) {
          const owner = e.owner?.experiment
          if (owner) lastSeen.set(owner, now)
        }
        await sleep(50)
      }
    })()

    const seenEvents = new Map<number, ChaosEvent>()
    const seenRecords = new Set<string>()
    const observe = async (api: ControllerClient) => {
      for (const e of await api.events({})) seenEvents.set(e.id, e)
      for (const o of await api.list({})) for (const r of o.status?.experiment?.containerRecords ?? []) if (r.phase === 'Injected') seenRecords.add(`${o.metadata.uid}/${r.id}`)
    }

    let api = await start()
    const killAt = new Set<number>()
    while (killAt.size < KILLS) killAt.add(1 + Math.floor(random() * (EXPERIMENTS - 1)))
    try {
      for (let i = 0; i < EXPERIMENTS; i++) {
        const duration = `${1 + Math.floor(random() * 4)}s`
        const [app, target] = EDGES[Math.floor(random() * EDGES.length)]!
        const text = delayYaml(`crash-${i}`, { latency: '20ms', duration, app, target })
        await api.apply(text)
        if (killAt.has(i)) {
          await sleep(Math.floor(random() * 600))
          await observe(api).catch(() => undefined)
          await kill()
          await sleep(Math.floor(random() * 300))
          api = await start()
        } else {
          await sleep(100 + Math.floor(random() * 300))
        }
      }
      // let every experiment end, then look once more
      await sleep(5500)
      await observe(api)
    } finally {
      watching = false
      await watcher
      if (child && child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child!.once('exit', r))
      }
    }

    const store = Store.open(db)
    try {
      const ends = new Map<string, number>()
      const known = new Set<string>()
      const events = new Set<number>()
      const records = new Set<string>()
      for (const r of store.listResources()) {
        known.add(r.uid)
        for (const e of store.events({ uid: r.uid })) events.add(e.id)
        for (const rec of store.records(r.uid)) records.add(`${r.uid}/${rec.id}`)
        if (typeof r.spec.duration === 'string') ends.set(r.uid, Date.parse(r.metadata.creationTimestamp) + parseFloat(r.spec.duration) * 1000)
      }
      for (const a of store.listArchived()) {
        known.add(a.uid)
        for (const e of a.events) events.add(e.id)
        for (const rec of a.records) records.add(`${a.uid}/${rec.id}`)
        const meta = (a.object as { metadata: { creationTimestamp: string } }).metadata
        const spec = (a.object as { spec: { duration?: string } }).spec
        if (spec.duration) ends.set(a.uid, Date.parse(meta.creationTimestamp) + parseFloat(spec.duration) * 1000)
      }
      for (const e of store.events({})) events.add(e.id)

      // every fault had an owner the store knows
      expect([...lastSeen.keys()].filter((uid) => !known.has(uid))).toEqual([])
      // nothing is left on the runtime
      expect(await runtime.runtime.effects()).toEqual([])
      // no fault outlived its experiment by more than a second, even when the server was dead at its end: the
      // runtime removes a fault at its experiment's end by itself
      const late: string[] = []
      for (const [uid, seen] of lastSeen) {
        const end = ends.get(uid)
        if (end === undefined) continue
        const down = downWindows.some(([a, b]) => end >= a && end <= b)
        if (seen > end + 1000) late.push(`${uid}: seen ${seen - end} ms after its end${down ? ' (the server was down at the end)' : ''}`)
      }
      expect(downWindows.length).toBe(KILLS)
      expect(late).toEqual([])
      expect(lastSeen.size).toBeGreaterThan(EXPERIMENTS / 3)
      // no event and no record seen before a kill was lost
      expect([...seenEvents.keys()].filter((id) => !events.has(id))).toEqual([])
      expect([...seenRecords].filter((k) => !records.has(k))).toEqual([])
      expect(seenEvents.size).toBeGreaterThan(0)
    } finally {
      store.close()
    }
  }, 120_000)
})
