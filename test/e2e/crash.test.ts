/**
 * Crash safety, end to end, with real processes and sockets (loopback only; needs `npm run build`):
 *
 * 1. `chaoscope server` SIGKILLed at seeded random points over 100 short experiments, restarted each time, against
 *    a runtime that lives on: no fault outlives its experiment by more than 1 s (the runtime ends them by itself
 *    while no controller runs), no record claims a fault the runtime does not hold, no event or record is lost.
 * 2. The whole `chaoscope up` (runtime, pods and controller in one process) SIGKILLed and started again on the
 *    same database: the pods die with it (its watchdog), so do their faults; from the first answer of the new one,
 *    no record says Injected on a pod that no longer exists, and the experiments on the old pods end (selection
 *    is fixed at creation, as in Chaos Mesh); no event is lost.
 * 3. Two controllers on one runtime coexist when each has its own home and database (a second one in the same home,
 *    or on the same database, is refused): each touches only the effects it made (its id, kept in its store), even
 *    when the second one fails to start.
 */
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminToken, runtimeToken } from '../doubles/auth.js'
import { edgeDelayYaml } from '../doubles/chaos-yaml.js'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import { seeded } from '../seeded.mjs'
import { startDemo } from '../demo.js'
import { ControllerClient } from '../../src/api/client.js'
import type { ChaosEvent, ChaosObject, RuntimeServer } from '../../src/index.js'
import { HttpRuntimeClient } from '../../src/runtime/client.js'
import type { HeldEffect, RuntimeClient } from '../../src/runtime/client.js'
import { Store } from '../../src/store/store.js'

const ROOT = join(import.meta.dirname, '../..')
const APP = join(ROOT, 'demo/chain/app.yaml')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const EDGES = [['middle', 'back'], ['front', 'middle']] as const

const killHard = (c: ChildProcess | undefined) => signalAndWait(c, 'SIGKILL')
const stop = (c: ChildProcess | undefined) => signalAndWait(c, 'SIGTERM')

/** End (ms since the epoch) of an experiment with a duration in whole seconds. */
const endOf = (o: { metadata: { creationTimestamp?: string }; spec: Record<string, unknown> }) => Date.parse(o.metadata.creationTimestamp!) + parseFloat(String(o.spec.duration)) * 1000

/**
 * Records that say Injected while the runtime holds no effect of theirs, leaving out experiments whose end is
 * within a second of the look (the runtime ends a fault at the end by itself; the controller's record follows).
 */
function claims(objects: readonly ChaosObject[], effects: readonly HeldEffect[], at: number): string[] {
  const held = new Set(effects.map((e) => `${e.owner?.experiment}/${e.owner?.record}`))
  const out: string[] = []
  for (const o of objects) {
    if (Math.abs(endOf(o) - at) < 1000 || endOf(o) < at) continue
    for (const r of o.status?.experiment?.containerRecords ?? []) {
      const pod = r.id.split('/')[1]
      if (r.phase === 'Injected' && !held.has(`${o.metadata.uid}/${pod}`)) out.push(`${o.metadata.name} ${r.id}`)
    }
  }
  return out
}

/** Every uid, event id, record and end the store has, live and archived. */
function storeFacts(db: string) {
  const store = Store.open(db)
  try {
    const ends = new Map<string, number>()
    const events = new Set<number>()
    const records = new Set<string>()
    for (const r of store.listResources()) {
      for (const rec of store.records(r.uid)) records.add(`${r.uid}/${rec.id}`)
      ends.set(r.uid, endOf({ metadata: r.metadata, spec: r.spec }))
    }
    for (const a of store.listArchived()) {
      for (const e of a.events) events.add(e.id)
      for (const rec of a.records) records.add(`${a.uid}/${rec.id}`)
      ends.set(a.uid, endOf(a.object as unknown as ChaosObject))
    }
    for (const e of store.events({})) events.add(e.id)
    return { ends, events, records }
  } finally {
    store.close()
  }
}

/** Polls a runtime's effects every 50 ms: when each owner's fault was seen last. Errors (a runtime down) are skipped. */
function watchFaults(runtime: () => RuntimeClient | undefined) {
  const lastSeen = new Map<string, number>()
  let watching = true
  const done = (async () => {
    while (watching) {
      const rt = runtime()
      const now = Date.now()
      const list = rt ? await rt.effects().catch(() => [] as HeldEffect[]) : []
      for (const e of list) if (e.owner?.experiment) lastSeen.set(e.owner.experiment, now)
      await sleep(50)
    }
  })()
  return { lastSeen, stop: async () => ((watching = false), await done) }
}

function lateFaults(lastSeen: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>): string[] {
  const late: string[] = []
  for (const [uid, seen] of lastSeen) {
    const end = ends.get(uid)
    if (end !== undefined && seen > end + 1000) late.push(`${uid}: seen ${seen - end} ms after its end`)
  }
  return late
}

describe('crash safety: chaoscope server SIGKILLed at seeded points over 100 experiments', () => {
  let runtime: RuntimeServer
  beforeAll(async () => {
    runtime = await startDemo('chain')
  }, 60_000)
  afterAll(() => runtime?.close())

  it('no fault outlives its experiment by more than 1 s, no record claims a fault the runtime does not hold, no event or record is lost', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-crash-'))
    const db = join(home, 'crash.db')
    // the server calls the demo's runtime with its token, as a controller in another process does
    const env = { ...process.env, CHAOSCOPE_HOME: home, CHAOSCOPE_RUNTIME_TOKEN: runtime.state.token }
    const random = seeded(20240501)
    const EXPERIMENTS = 100
    const KILLS = 12
    const rt = new HttpRuntimeClient(runtime.state.url, runtime.state.token)

    let server: { child: ChildProcess; out: () => string } | undefined
    let startedAt = 0
    const start = async (): Promise<ControllerClient> => {
      server = launch(['server', '--runtime', runtime.state.url, '--db', db, '--port', '0'], env)
      const url = (await waitOutput(server, /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 20_000))[1]!
      startedAt = Date.now()
      return new ControllerClient(url, adminToken(home))
    }

    const faults = watchFaults(() => rt)
    const seenEvents = new Map<number, ChaosEvent>()
    const seenRecords = new Set<string>()
    const lies: string[] = []
    let looks = 0
    const observe = async (api: ControllerClient) => {
      const objects = await api.list({})
      const at = Date.now()
      const effects = await rt.effects()
      looks++
      lies.push(...claims(objects, effects, at))
      for (const e of await api.events({})) seenEvents.set(e.id, e)
      for (const o of objects) for (const r of o.status?.experiment?.containerRecords ?? []) if (r.phase === 'Injected') seenRecords.add(`${o.metadata.uid}/${r.id}`)
    }

    let api = await start()
    const killAt = new Set<number>()
    while (killAt.size < KILLS) killAt.add(1 + Math.floor(random() * (EXPERIMENTS - 1)))
    let kills = 0
    try {
      for (let i = 0; i < EXPERIMENTS; i++) {
        const duration = `${1 + Math.floor(random() * 3)}s`
        const [app, target] = EDGES[Math.floor(random() * EDGES.length)]!
        await api.apply(edgeDelayYaml(`crash-${i}`, { latency: '20ms', duration, app, target }))
        if (killAt.has(i)) {
          await sleep(Math.floor(random() * 400))
          if (random() < 0.5) await observe(api)
          await killHard(server?.child)
          kills++
          await sleep(Math.floor(random() * 1500)) // sometimes past the end of the last experiments
          api = await start()
          await observe(api) // the first answer of the new one
        } else {
          await sleep(20 + Math.floor(random() * 150))
          if (i % 10 === 0 && Date.now() - startedAt > 200) await observe(api)
        }
      }
      await sleep(3500) // let every experiment end
      await observe(api)
    } finally {
      await faults.stop()
      await stop(server?.child)
    }

    const facts = storeFacts(db)
    expect(kills).toBe(KILLS)
    expect(looks).toBeGreaterThan(KILLS)
    // every fault had an owner the store knows, and none is left
    expect([...faults.lastSeen.keys()].filter((uid) => !facts.ends.has(uid))).toEqual([])
    expect(await rt.effects()).toEqual([])
    expect(lateFaults(faults.lastSeen, facts.ends)).toEqual([])
    expect(faults.lastSeen.size).toBeGreaterThan(EXPERIMENTS / 2)
    expect(lies).toEqual([])
    expect([...seenEvents.keys()].filter((id) => !facts.events.has(id))).toEqual([])
    expect([...seenRecords].filter((k) => !facts.records.has(k))).toEqual([])
    expect(seenEvents.size).toBeGreaterThan(EXPERIMENTS * 3)
  }, 240_000)
})

describe('crash safety: the whole chaoscope up SIGKILLed and started again on the same database', () => {
  it('faults die with it; from its first answer, no record says Injected on a pod that no longer exists; no event is lost', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-upcrash-'))
    const db = join(home, 'up.db')
    const env = { ...process.env, CHAOSCOPE_HOME: home }
    const random = seeded(7)
    const ROUNDS = 4
    const PER_ROUND = 4

    let up: { child: ChildProcess; out: () => string } | undefined
    let rt: HttpRuntimeClient | undefined
    const start = async (): Promise<ControllerClient> => {
      up = launch(['up', '-f', APP, '--db', db, '--host-ports', 'ephemeral', '--timeout', '30'], env)
      const ctl = (await waitOutput(up, /controller: API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 40_000))[1]!
      // each start makes a new runtime token (runtime.json); the admin token lives on in the home
      rt = new HttpRuntimeClient((await waitOutput(up, /control API (http:\/\/127\.0\.0\.1:\d+)/, 1000))[1]!, runtimeToken(home))
      return new ControllerClient(ctl, adminToken(home))
    }
    const faults = watchFaults(() => rt)
    const seenEvents = new Set<number>()
    const injectedOnGone: string[] = []
    let api = await start()
    let applied = 0
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < PER_ROUND; i++) {
          const [app, target] = EDGES[Math.floor(random() * EDGES.length)]!
          await api.apply(edgeDelayYaml(`up-${round}-${i}`, { latency: '20ms', duration: `${30 + Math.floor(random() * 30)}s`, app, target }))
          applied++
        }
        await sleep(200 + Math.floor(random() * 800))
        for (const e of await api.events({})) seenEvents.add(e.id)
        const before = (await api.list({})).filter((o) => o.status?.experiment?.containerRecords?.some((r) => r.phase === 'Injected'))
        expect(before.length).toBeGreaterThan(0)
        await killHard(up?.child)
        rt = undefined
        api = await start()
        // the first answers of the new one
        const pods = new Set((await rt!.pods()).map((p) => `${p.namespace}/${p.name}`))
        for (const o of await api.list({})) {
          for (const r of o.status?.experiment?.containerRecords ?? []) if (r.phase === 'Injected' && !pods.has(r.id)) injectedOnGone.push(`${o.metadata.name} ${r.id}`)
        }
        // what was live before the kill selected pods that are gone: it has ended (archived), with its reasons
        const names = new Set((await api.list({})).map((o) => o.metadata.name))
        expect(before.map((o) => o.metadata.name).filter((n) => names.has(n))).toEqual([])
        expect(await rt!.effects()).toEqual([])
      }
      const reasons = (await api.events({})).map((e) => e.reason)
      expect(reasons.filter((r) => r === 'TargetsGone').length).toBe(applied)
    } finally {
      await faults.stop()
      await stop(up?.child)
    }
    expect(injectedOnGone).toEqual([])
    const facts = storeFacts(db)
    expect([...seenEvents].filter((id) => !facts.events.has(id))).toEqual([])
    expect(lateFaults(faults.lastSeen, facts.ends)).toEqual([])
  }, 240_000)
})

/** A port something already listens on (so that a server asked for it fails to start). */
async function busyPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return { port: (s.address() as { port: number }).port, close: () => new Promise((r) => s.close(() => r())) }
}

describe('two controllers on one runtime', () => {
  let runtime: RuntimeServer
  beforeAll(async () => {
    runtime = await startDemo('chain')
  }, 60_000)
  afterAll(() => runtime?.close())

  it('coexist: a second one, whether it fails to start or runs, leaves the first one\'s faults alone, and each recovers only its own', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-two-'))
    const env = { ...process.env, CHAOSCOPE_HOME: home, CHAOSCOPE_RUNTIME_TOKEN: runtime.state.token }
    const rt = new HttpRuntimeClient(runtime.state.url, runtime.state.token)
    const a = launch(['server', '--runtime', runtime.state.url, '--db', join(home, 'a.db'), '--port', '0'], env)
    let b: ReturnType<typeof launch> | undefined
    const busy = await busyPort()
    try {
      const apiA = new ControllerClient((await waitOutput(a, /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 20_000))[1]!, adminToken(home))
      await apiA.apply(edgeDelayYaml('first', { latency: '20ms', duration: '60s', app: 'middle', target: 'back' }))
      const mine = await rt.effects()
      expect(mine.length).toBeGreaterThan(0)

      const unchanged = async () => expect((await rt.effects()).map((e) => e.id).sort()).toEqual(mine.map((e) => e.id).sort())
      const exits = async (p: ReturnType<typeof launch>, code: RegExp) => {
        await new Promise((r) => p.child.once('exit', r))
        expect(p.child.exitCode).not.toBe(0)
        expect(p.out()).toMatch(code)
      }
      // a second controller in the same home is refused, and has touched nothing
      await exits(launch(['server', '--runtime', runtime.state.url, '--db', join(home, 'b.db'), '--port', '0'], env), /API_CONTROLLER_ALREADY_RUNNING/)
      await unchanged()
      // one with a home of its own but A's database: refused (the two would share one id), nothing touched
      const homeB = mkdtempSync(join(tmpdir(), 'chaoscope-two-b-'))
      const envB = { ...env, CHAOSCOPE_HOME: homeB }
      await exits(launch(['server', '--runtime', runtime.state.url, '--db', join(home, 'a.db'), '--port', '0'], envB), /CONTROLLER_DB_IN_USE/)
      await unchanged()
      // one with a home and database of its own that cannot listen: it has touched nothing either
      await exits(launch(['server', '--runtime', runtime.state.url, '--db', join(home, 'b.db'), '--port', String(busy.port)], envB), /API_LISTEN_FAILED/)
      await unchanged()

      // one that runs: it sweeps only its own, applies its own, and deleting its experiment leaves A's
      b = launch(['server', '--runtime', runtime.state.url, '--db', join(home, 'b.db'), '--port', '0'], envB)
      const apiB = new ControllerClient((await waitOutput(b, /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/, 20_000))[1]!, adminToken(homeB))
      await unchanged()
      await apiB.apply(edgeDelayYaml('second', { latency: '20ms', duration: '60s', app: 'front', target: 'middle' }))
      const both = await rt.effects()
      expect(new Set(both.map((e) => e.owner?.controller)).size).toBe(2)
      await apiB.delete('NetworkChaos', 'default', 'second')
      await unchanged()
      expect((await apiA.list({}))[0]!.status!.experiment!.containerRecords!.every((r) => r.phase === 'Injected')).toBe(true)
      await apiA.delete('NetworkChaos', 'default', 'first')
      expect(await rt.effects()).toEqual([])
    } finally {
      await busy.close()
      await stop(b?.child)
      await stop(a.child)
    }
  }, 90_000)
})
