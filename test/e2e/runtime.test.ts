/**
 * The local runtime end to end: the demo apps run as pods behind sidecars, answer through them, and the
 * sidecars' faults act on exactly the edge they are put on. Real processes, real sockets, loopback only.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RuntimeServer } from '../../src/index.js'
import { pidAlive } from '../../src/store/state-files.js'
import { startDemo } from '../demo.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')


/** Fastest of five sequential requests: load on the machine only ever adds time. */
async function fastestMs(url: string): Promise<number> {
  let best = Infinity
  for (let i = 0; i < 5; i++) best = Math.min(best, (await get(url)).ms)
  return best
}

async function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now()
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  return { status: res.status, body: await res.text(), ms: performance.now() - t0 }
}

/** Polls `cond` every 25 ms until it holds, or fails after `timeoutMs`. */
async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('the chain demo on the local runtime', () => {
  let server: RuntimeServer
  let front: string
  beforeAll(async () => {
    server = await startDemo('chain')
    front = `http://${server.runtime.hostPortAddress('front')}/`
  }, 60_000)
  afterAll(() => server?.close())

  it('runs each service as a pod with Kubernetes-like identity and labels', () => {
    const pods = server.runtime.pods()
    expect(pods.map((p) => p.service).sort()).toEqual(['back', 'front', 'middle'])
    for (const p of pods) {
      expect(p.name).toMatch(new RegExp(`^${p.service}-[a-z0-9]{5}$`))
      expect(p.labels).toMatchObject({ app: p.service, name: p.service, service: p.service, 'app.kubernetes.io/component': p.service })
      expect(p).toMatchObject({ namespace: 'default', phase: 'Running', ready: true, restartCount: 0 })
      expect(p.address).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(pidAlive(p.pid!)).toBe(true)
    }
    expect(server.runtime.pods('name=middle').map((p) => p.service)).toEqual(['middle'])
  })

  it('hands each pod its port, its dependencies\' egress sidecars and its tracing name in its environment', () => {
    const front = server.runtime.pods('app=front')[0]!
    const env = Object.fromEntries(readFileSync(`/proc/${front.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    expect(env).toMatchObject({ PORT: String(front.port), OTEL_SERVICE_NAME: 'front', MIDDLE_ADDR: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
    expect(env.MIDDLE_URL).toBe(`http://${env.MIDDLE_ADDR}`)
    expect(env.MIDDLE_ADDR).not.toBe(server.runtime.pods('app=middle')[0]!.address) // the egress sidecar, not middle's ingress
  })

  it('answers through hostPort → front → middle → back, every hop through sidecars', async () => {
    const r = await get(front)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ service: 'front', stale: false, path: ['front', 'middle', 'back'] })
    const stats = await server.runtime.stats()
    const names = stats.filter((s) => s.requests['2xx'] > 0).map((s) => s.name)
    expect(names.some((n) => n.startsWith('front-') && n.endsWith('>middle'))).toBe(true)
    expect(names.some((n) => n.startsWith('middle-') && n.endsWith('>back'))).toBe(true)
  })

  it('slows only the edge the fault is on, and recovers when it is removed', async () => {
    // fastest of a few requests: load on the machine can only add time, so the minimum shows the fault alone
    const middle = server.runtime.pods('app=middle')[0]!.name
    const target = { pod: middle, edge: 'back' }
    await server.runtime.applyEffect({ id: 'slow-back', type: 'sidecar-fault', target, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 300 } } })
    try {
      expect(JSON.parse((await get(front)).body)).toMatchObject({ stale: false })
      expect(await fastestMs(front)).toBeGreaterThanOrEqual(295)
      // the fault sits on middle's egress to back only: front's own ingress stays fast
      const frontPod = server.runtime.pods('app=front')[0]!
      expect(await fastestMs(`http://${frontPod.address}/healthz`)).toBeLessThan(150)
    } finally {
      expect(await server.runtime.removeEffect('slow-back')).toBe(true)
    }
    expect(await fastestMs(front)).toBeLessThan(150)
  })

  it('removes a fault with an expiry by itself, with no controller involved', async () => {
    const middle = server.runtime.pods('app=middle')[0]!.name
    const target = { pod: middle, edge: 'back' }
    const expiresAt = Date.now() + 400
    await server.runtime.applyEffect({ id: 'brief', type: 'sidecar-fault', target, expiresAt, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 50 } } })
    expect((await server.runtime.effects()).map((e) => [e.id, e.expiresAt, e.observed?.present])).toEqual([['brief', expiresAt, true]])
    const onSidecar = async () => (await server.runtime.stats()).flatMap((p) => p.faults.map((f) => f.spec.id))
    expect(await onSidecar()).toEqual(['brief'])
    await waitFor(async () => (await server.runtime.effects()).length === 0 && (await onSidecar()).length === 0, 5000)
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt)
    // an expiry already past is refused, and adds nothing
    const late = server.runtime.applyEffect({ id: 'late', type: 'sidecar-fault', target, expiresAt: Date.now() - 1, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 50 } } })
    await expect(late).rejects.toMatchObject({ code: 'EFFECT_INVALID' })
    expect(await onSidecar()).toEqual([])
  })

  it('a partition between middle and back makes front serve a stale value with an error, still 200', async () => {
    const middle = server.runtime.pods('app=middle')[0]!.name
    await get(front) // warm the caches with a fresh value
    await server.runtime.applyEffect({ id: 'cut', type: 'sidecar-fault', target: { pod: middle, edge: 'back' }, body: { fault: { type: 'blackhole', direction: 'upstream' } } })
    try {
      const r = await get(front, 5000)
      expect(r.status).toBe(200)
      const body = JSON.parse(r.body) as { stale: boolean; error?: string }
      expect(body.stale).toBe(true)
      expect(body.error).toBeTruthy()
    } finally {
      await server.runtime.removeEffect('cut')
    }
    expect(JSON.parse((await get(front)).body)).toMatchObject({ stale: false })
  })

  it('a killed pod is restarted with a new pid, and traffic reaches it again', async () => {
    const back = server.runtime.pods('app=back')[0]!
    server.runtime.supervisor.killPod(back.name, 'SIGKILL')
    const restarted = await server.runtime.supervisor.waitFor(back.name, (p) => p.restartCount >= 1 && p.ready, 20_000)
    expect(restarted.pid).not.toBe(back.pid)
    await server.runtime.waitReady(20_000)
    expect(JSON.parse((await get(front)).body)).toMatchObject({ stale: false })
  })
})

describe('the shop and movies demos', () => {
  it('the shop renders its home page through the frontend\'s hostPort, and survives a slow ad service', async () => {
    const server = await startDemo('shop')
    try {
      expect(server.runtime.pods()).toHaveLength(11)
      const home = `http://${server.runtime.hostPortAddress('frontend')}/`
      const ok = await get(home)
      expect(ok.status).toBe(200)
      const fe = server.runtime.pods('app.kubernetes.io/component=frontend')[0]!.name
      await server.runtime.applyEffect({ id: 'slow-ad', type: 'sidecar-fault', target: { pod: fe, edge: 'ad' }, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 2000 } } })
      const degraded = await get(home)
      expect(degraded.status).toBe(200)
      expect(degraded.ms).toBeLessThan(1500)
    } finally {
      await server.close()
    }
  }, 90_000)

  it('movies: the server app stores and lists movies in its database service', async () => {
    const server = await startDemo('movies')
    try {
      const pod = server.runtime.pods('app=server-app')[0]!
      const base = `http://${pod.address}`
      const created = await fetch(`${base}/movies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Brazil', year: 1985 }) })
      expect(created.status).toBeLessThan(300)
      const list = await get(`${base}/movies`)
      expect(list.body).toContain('Brazil')
    } finally {
      await server.close()
    }
  }, 90_000)
})

describe('chaoscope up / get pods / logs / down', () => {
  it('runs the chain from the CLI, and SIGKILL of the runtime leaves no process of its behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    const env = { ...process.env, CHAOSCOPE_HOME: home }
    const up = spawn(process.execPath, [BIN, 'up', '-f', 'demo/chain/app.yaml', '--timeout', '30', '--host-ports', 'ephemeral'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    up.stdout.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr.on('data', (d: Buffer) => (out += d.toString()))
    try {
      const deadline = Date.now() + 40_000
      while (!/^ready: 3 pod\(s\)/m.test(out)) {
        if (Date.now() > deadline || up.exitCode !== null) throw new Error(`up did not get ready:\n${out}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' })
      const table = cli('get', 'pods')
      expect(table.status, table.stderr).toBe(0)
      expect(table.stdout.split('\n')[0]).toMatch(/^NAMESPACE {3}NAME +READY {3}STATUS {4}RESTARTS {3}AGE$/)
      expect(table.stdout.split('\n')[1]).toMatch(/^default {5}back-[a-z0-9]{5} +1\/1 {5}Running {3}0 {10}\d+s$/)
      const wide = cli('get', 'pods', '-o', 'wide')
      expect(wide.stdout.split('\n')[0]).toMatch(/ {3}AGE {3}IP +ADDRESS +PORT +PID$/)
      // kubectl's v1 objects: `jq '.items[].status.phase'` and friends work
      type V1Pod = { kind: string; metadata: { name: string; annotations: Record<string, string>; labels: Record<string, string> }; status: { phase: string; podIP: string; conditions: { type: string; status: string }[]; containerStatuses: { ready: boolean; restartCount: number; state: { running?: unknown } }[] } }
      const list = JSON.parse(cli('get', 'pods', '-o', 'json').stdout) as { apiVersion: string; kind: string; items: V1Pod[] }
      expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' })
      expect(list.items).toHaveLength(3)
      for (const p of list.items) {
        expect(p.kind).toBe('Pod')
        expect(p.status).toMatchObject({ phase: 'Running', podIP: '127.0.0.1' })
        expect(p.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }))
        expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0, state: { running: expect.any(Object) } })
        expect(p.metadata.annotations['chaoscope.dev/address']).toMatch(/^127\.0\.0\.1:\d+$/)
      }
      const pods = { items: list.items.map((p) => ({ name: p.metadata.name, pid: Number(p.metadata.annotations['chaoscope.dev/pid']), address: p.metadata.annotations['chaoscope.dev/address']! })) }
      expect(pods.items.every((p) => pidAlive(p.pid))).toBe(true)
      const yamlOut = cli('get', 'pods', '-l', 'app=middle', '-o', 'yaml')
      expect(yamlOut.stdout).toMatch(/^apiVersion: v1\nkind: List\n/)
      const middle = JSON.parse(cli('get', 'pods', '-l', 'app=middle', '-o', 'json').stdout) as { items: V1Pod[] }
      expect(middle.items.map((p) => p.metadata.name)).toEqual([expect.stringMatching(/^middle-/)])
      const badSelector = cli('get', 'pods', '-l', 'app in (web')
      expect(badSelector.status).toBe(2)
      expect(badSelector.stdout).toBe('')
      expect(badSelector.stderr).toMatch(/^error: .*app in \(web.*\[SELECTOR_INVALID\]\n {4}hint: /)
      expect(cli('get', 'pods', '-n', 'nowhere').stderr).toBe('No resources found in nowhere namespace.\n')
      const logs = cli('logs', middle.items[0]!.metadata.name, '--tail', '5')
      expect(logs.status).toBe(0)
      expect(logs.stdout.trim().split('\n').length).toBeLessThanOrEqual(5)
      const unknownPod = cli('logs', 'nope-12345')
      expect([unknownPod.status, unknownPod.stderr]).toEqual([1, expect.stringContaining('[RUNTIME_UNKNOWN_POD]')])

      up.kill('SIGKILL')
      const pids = pods.items.map((p) => p.pid)
      const gone = Date.now() + 10_000
      while (pids.some(pidAlive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100))
      expect(pids.filter(pidAlive)).toEqual([])
      // and the sidecars died with it: nothing listens on the pods' addresses any more
      for (const p of pods.items) {
        const [, port] = p.address.split(':')
        await expect(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow()
      }
      expect(cli('get', 'pods').stderr).toContain('[RUNTIME_NOT_RUNNING]')
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL')
    }
  }, 90_000)

  it('down stops a detached runtime', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    const env = { ...process.env, CHAOSCOPE_HOME: home }
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
    const up = cli('up', '-f', 'demo/chain/app.yaml', '--detach', '--host-ports', 'ephemeral')
    expect(up.status, up.stderr).toBe(0)
    expect(up.stdout).toContain('ready: 3 pod(s)')
    const again = cli('up', '-f', 'demo/chain/app.yaml', '--detach', '--host-ports', 'ephemeral')
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('[RUNTIME_ALREADY_RUNNING]')
    // delete as kubectl has it: a missing object fails (1), unless --ignore-not-found (0, nothing printed)
    const missing = cli('delete', 'networkchaos', 'nope')
    expect([missing.status, missing.stdout]).toEqual([1, ''])
    expect(missing.stderr).toContain('[CONTROLLER_NOT_FOUND]')
    const ignored = cli('delete', 'networkchaos', 'nope', '--ignore-not-found')
    expect([ignored.status, ignored.stdout, ignored.stderr]).toEqual([0, '', ''])
    // a refusal by the controller exits 1, as `apply --help` says; nothing is applied
    const refused = cli('apply', '-f', '-')
    expect(refused.status).toBe(2) // nothing on stdin: no input (usage)
    const noTargets = spawnSync(process.execPath, [BIN, 'apply', '-f', '-'], { cwd: ROOT, env, encoding: 'utf8', input: 'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: k}\nspec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: nobody}}}\n' })
    expect(noTargets.status, noTargets.stderr).toBe(1)
    expect(noTargets.stderr).toMatch(/\[CONTROLLER_NO_TARGETS\]/)
    expect(noTargets.stderr).toContain('nothing was applied')
    expect(cli('get', 'podchaos').stderr).toBe('No resources found in default namespace.\n')
    const down = cli('down')
    expect(down.status, down.stderr).toBe(0)
    expect(down.stdout).toMatch(/^stopped runtime chain/)
    expect(existsSync(join(home, 'runtime.json'))).toBe(false)
    expect(existsSync(join(home, 'controller.json'))).toBe(false)
  }, 90_000)
})
