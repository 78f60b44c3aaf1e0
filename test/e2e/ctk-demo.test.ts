/**
 * The Chaos Toolkit chain demo's three public experiments (../shared/conformance/chaostoolkit-demos/experiments),
 * run unchanged by `chaoscope run` against the chain demo that `chaoscope up` runs, with the outcomes the demo's
 * README describes: latency over front's one-second timeout deviates, a restart of middle under load deviates, the
 * partition of back deviates; and rollbacks leave no chaos and no fault behind. vegeta (the experiments' load tool)
 * comes from scripts/setup.sh (`go install`); the restart experiment's own `tolerances` module is our stand-in in
 * test/fixtures/ctk-demo. Real processes, real sockets, loopback only. Needs `npm run build` and `npm run setup`.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runtimeHeaders } from '../doubles/auth.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const EXPERIMENTS = join(ROOT, '../shared/conformance/chaostoolkit-demos/experiments')
const VEGETA_DIR = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'chaoscope', 'vegeta-12.13.0')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Journal {
  status: string
  deviated: boolean
  steady_states: { before: { steady_state_met: boolean } | null; after: { steady_state_met: boolean; probes: { activity: { name: string }; tolerance_met: boolean; chaoscope?: { observed?: string } }[] } | null }
  run: { activity: { name: string }; status: string; output: unknown }[]
  rollbacks: { activity: { name: string }; status: string }[]
}

describe('the chain demo\'s public Chaos Toolkit experiments, run unchanged', () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-ctkdemo-'))
  const work = mkdtempSync(join(tmpdir(), 'chaoscope-ctkdemo-work-'))
  const env = { ...process.env, CHAOSCOPE_HOME: home, PATH: `${VEGETA_DIR}:${process.env.PATH}`, PYTHONPATH: join(ROOT, 'test/fixtures/ctk-demo') }
  let up: ChildProcess
  let out = ''
  let front = ''

  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: work, env, encoding: 'utf8', timeout: 60_000 })
  const run = (file: string, ...flags: string[]) =>
    new Promise<{ code: number; out: string; journal: Journal }>((resolve, reject) => {
      const journal = join(work, `${file}.journal.json`)
      const child = spawn(process.execPath, [BIN, 'run', join(EXPERIMENTS, file), '--journal-path', journal, ...flags], { cwd: work, env: { ...env, FRONT_URL: front }, stdio: ['ignore', 'pipe', 'pipe'] })
      let text = ''
      child.stdout.on('data', (c: Buffer) => (text += c.toString()))
      child.stderr.on('data', (c: Buffer) => (text += c.toString()))
      child.on('error', reject)
      child.on('close', (code) => {
        if (!existsSync(journal)) return reject(new Error(`no journal; output:\n${text}`))
        resolve({ code: code ?? -1, out: text, journal: JSON.parse(readFileSync(journal, 'utf8')) as Journal })
      })
    })
  /** Nothing of the experiment is left: no Chaos Mesh object on the controller, no fault on the runtime. */
  const leftovers = async () => {
    const all = cli('get', 'all', '-A', '-o', 'json')
    expect(all.status, all.stderr).toBe(0)
    const objects = (JSON.parse(all.stdout) as { items: { kind: string; metadata: { name: string } }[] }).items.map((o) => `${o.kind}/${o.metadata.name}`)
    const runtime = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { url: string }
    const effects = ((await (await fetch(`${runtime.url}/runtime/v1/effects`, { headers: runtimeHeaders(home) })).json()) as { items: { id: string }[] }).items.map((e) => `effect ${e.id}`)
    return [...objects, ...effects]
  }

  beforeAll(async () => {
    expect(existsSync(join(VEGETA_DIR, 'vegeta')), `vegeta is missing in ${VEGETA_DIR}: run npm run setup`).toBe(true)
    up = spawn(process.execPath, [BIN, 'up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--timeout', '30'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    up.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 40_000
    for (;;) {
      const m = /^service front: (http:\S+)$/m.exec(out)
      if (m) {
        front = m[1]!.endsWith('/') ? m[1]! : `${m[1]!}/`
        break
      }
      if (Date.now() > deadline || up.exitCode !== null) throw new Error(`chaoscope up did not start:\n${out}`)
      await sleep(50)
    }
    // the experiments' vegeta targets, relative to the directory they run from (as in the demo's repository)
    mkdirSync(join(work, 'experiments/data'), { recursive: true })
    for (const name of ['latency', 'middle_service_restarts', 'stricter_network_policy']) writeFileSync(join(work, `experiments/data/${name}.txt`), `GET ${front}\n`)
  }, 60_000)

  afterAll(async () => {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM')
      await new Promise((r) => up.once('exit', r))
    }
  })

  it('middle_service_has_latency.json (--rollback-strategy always): 1500 ms on middle, over front\'s 1 s timeout, deviates; the rollback removes it', async () => {
    const r = await run('middle_service_has_latency.json', '--rollback-strategy', 'always', '--allow-exec')
    expect(r.journal.steady_states.before?.steady_state_met, r.out).toBe(true)
    expect(r.journal.deviated, r.out).toBe(true)
    expect(r.journal.status).toBe('completed')
    const after = r.journal.steady_states.after!
    expect(after.probes.map((p) => [p.activity.name, p.tolerance_met])).toEqual([
      ['front-service-must-be-ok', true],
      ['front-service-does-not-return-an-error', false],
    ])
    expect(after.probes[1]!.chaoscope?.observed).toMatch(/1/)
    expect(r.journal.run.map((a) => [a.activity.name, a.status])).toEqual([
      ['simulate-some-traffic', 'succeeded'],
      ['inject-latency', 'succeeded'],
      ['plot-traffic', 'succeeded'],
      ['fetch-application-logs', 'succeeded'],
    ])
    expect(existsSync(join(work, 'experiments/data/latency.html'))).toBe(true)
    expect(r.journal.rollbacks.map((a) => [a.activity.name, a.status])).toEqual([['remove-latency', 'succeeded']])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^deviated: We can tolerate a small latency/m)
    expect(await leftovers()).toEqual([])
  }, 120_000)

  it('middle_service_restarts.json (--allow-exec, the demo\'s tolerances module): killing middle under load deviates; Kubernetes-style restart, no rollback', async () => {
    const runtime = JSON.parse(readFileSync(join(home, 'runtime.json'), 'utf8')) as { url: string }
    /** middle's pod: its name, restarts and when its process started (a new pod, or the same one restarted, changes one). */
    const middle = async () => {
      const items = ((await (await fetch(`${runtime.url}/runtime/v1/pods`, { headers: runtimeHeaders(home) })).json()) as { items: { service: string; name: string; restarts: number; startedAt?: string }[] }).items
      const p = items.find((x) => x.service === 'middle')!
      return `${p.name} ${p.restarts} ${p.startedAt}`
    }
    const before = await middle()
    const r = await run('middle_service_restarts.json', '--allow-exec')
    expect(r.journal.steady_states.before?.steady_state_met, r.out).toBe(true)
    expect(r.journal.deviated, r.out).toBe(true)
    expect(r.journal.steady_states.after!.probes.map((p) => [p.activity.name, p.tolerance_met])).toEqual([
      ['front-service-must-be-ok', true],
      ['front-service-does-not-return-an-error', false],
    ])
    expect(r.journal.run.find((a) => a.activity.name === 'terminate-middle-pod')?.status).toBe('succeeded')
    const logs = r.journal.run.find((a) => a.activity.name === 'fetch-application-logs')!
    expect(logs.status).toBe('succeeded')
    expect(Object.keys(logs.output as object).some((k) => k.startsWith('middle'))).toBe(true)
    expect(await middle()).not.toBe(before)
    expect(r.journal.rollbacks).toEqual([])
    expect(await leftovers()).toEqual([])
  }, 120_000)

  it('without --allow-exec the restart experiment is refused before anything runs, naming its process and Python activities', async () => {
    const r = spawnSync(process.execPath, [BIN, 'run', join(EXPERIMENTS, 'middle_service_restarts.json'), '--journal-path', join(work, 'refused.json')], { cwd: work, env: { ...env, FRONT_URL: front }, encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/middle_service_restarts\.json:\d+:\d+ {2}method\[0\]: simulate-some-traffic: .*--allow-exec.*\[RUN_REFUSED_ACTIVITY\]/)
    expect(r.stderr).toMatch(/steady-state-hypothesis\.probes\[1\]: front-service-does-not-return-an-error: .*tolerances\.should_not_have_any_errors/)
    expect(r.stderr).toMatch(/nothing was run/)
    expect(existsSync(join(work, 'refused.json'))).toBe(false)
  })

  it('stricter_network_policy.json (--rollback-strategy always): back denied all ingress deviates; the rollback restores it', async () => {
    const r = await run('stricter_network_policy.json', '--rollback-strategy', 'always', '--allow-exec')
    expect(r.journal.steady_states.before?.steady_state_met, r.out).toBe(true)
    expect(r.journal.deviated, r.out).toBe(true)
    expect(r.journal.steady_states.after!.probes.map((p) => [p.activity.name, p.tolerance_met])).toEqual([
      ['front-service-must-be-ok', true],
      ['front-service-does-not-return-an-error', false],
    ])
    expect(r.journal.rollbacks.map((a) => [a.activity.name, a.status])).toEqual([['remove-deny-all-ingress-traffic', 'succeeded']])
    expect(await leftovers()).toEqual([])
    // the front is whole again: no error in its answer
    const body = (await (await fetch(front)).json()) as { error?: string }
    expect(body.error).toBeUndefined()
  }, 120_000)
})
