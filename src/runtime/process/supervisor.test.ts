/** The pod supervisor with real processes: identity, env, restarts and back-off, probes, stop, chaos hooks, logs, limits, per-pod failures. */
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { ServiceConfig as ServiceSpec } from '../app.js'
import { detectCgroups } from './cgroup.js'
import { podPortRange } from './replicas.js'
import { PodSupervisor } from './supervisor.js'
import type { SupervisorOptions } from './supervisor.js'
import { describeLimits } from './types.js'
import type { Pod, PodEvent } from './types.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/pods/', import.meta.url))
const NODE = process.execPath
const SLEEP = 'setInterval(() => {}, 1000)'

const supervisors: PodSupervisor[] = []
const cleanups: (() => void)[] = []
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll({ gracePeriodMs: 0 })))
  for (const c of cleanups.splice(0)) c()
})

function supervisor(opts: SupervisorOptions = {}): PodSupervisor {
  const s = new PodSupervisor({ workingDir: FIXTURES, secondMs: 50, backoff: { baseMs: 150, capMs: 600 }, ...opts })
  supervisors.push(s)
  return s
}

function service(name: string, more: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, command: [NODE, '-e', SLEEP], ...more }
}

/** A pid is alive when /proc has it and it is not a zombie. */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` until it returns true; fails after `timeoutMs`. */
async function until(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs}ms: ${fn.toString()}`)
    await sleep(20)
  }
}

/** Records every event of one pod. */
function recorder(sup: PodSupervisor): { events: (PodEvent & { at: number })[] } {
  const rec = { events: [] as (PodEvent & { at: number })[] }
  sup.on('pod', (e) => rec.events.push({ ...e, at: Date.now() }))
  return rec
}

const running = (p: Pod): boolean => p.phase === 'Running' && p.pid !== undefined

describe('identity', () => {
  it('gives each pod a Kubernetes-like identity, its own port and the service labels', async () => {
    const sup = supervisor()
    const pods = await sup.start(service('web', { replicas: 2, namespace: 'shop', labels: { app: 'web', 'app.kubernetes.io/component': 'web', tier: 'frontend' }, annotations: { owner: 'team-a' } }))
    expect(pods).toHaveLength(2)
    for (const p of pods) {
      expect(p.name).toMatch(/^web-[a-z0-9]{5}$/)
      expect(p.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      expect(p.namespace).toBe('shop')
      expect(p.labels).toEqual({ app: 'web', 'app.kubernetes.io/component': 'web', tier: 'frontend' })
      expect(p.annotations).toEqual({ owner: 'team-a' })
      expect(Date.parse(p.startTime)).toBeGreaterThan(Date.now() - 10_000)
      const now = await sup.waitFor(p.name, running)
      expect(now.ready).toBe(true) // no probe: ready once running
      expect(now.restartCount).toBe(0)
      expect(alive(now.pid)).toBe(true)
    }
    expect(new Set(pods.map((p) => p.name)).size).toBe(2)
    expect(new Set(pods.map((p) => p.port)).size).toBe(2)
    expect(new Set(pods.map((p) => p.uid)).size).toBe(2)
  })

  it('a pod\'s port lies below the range of outgoing connections\' ports, so that none can take it while the pod restarts', async () => {
    const range = podPortRange()
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    expect(range).toEqual([10_000, Math.min(low - 1, 29_999)])
    const pods = await supervisor().start(service('web', { replicas: 5 }))
    for (const p of pods) expect(p.port).toBeLessThan(low)
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-range-'))
    writeFileSync(join(dir, 'range'), '1024\t65535\n')
    expect(podPortRange(join(dir, 'range'))).toBeUndefined() // no room below it: any port the kernel gives
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds app and component labels when the service spec has none, and selects pods by label', async () => {
    const sup = supervisor()
    await sup.start(service('api', { labels: { tier: 'backend' } }))
    await sup.start(service('db'))
    const [api] = sup.list({ app: 'api' })
    expect(api?.labels).toEqual({ app: 'api', 'app.kubernetes.io/component': 'api', tier: 'backend' })
    expect(api?.namespace).toBe('default')
    expect(sup.list().map((p) => p.service).sort()).toEqual(['api', 'db'])
    expect(sup.list('tier=backend').map((p) => p.service)).toEqual(['api'])
    expect(sup.list('app in (api,db),!tier').map((p) => p.service)).toEqual(['db'])
    expect(sup.list({ app: 'api' }, 'other')).toEqual([])
    expect(sup.get(api!.name)?.uid).toBe(api!.uid)
    expect(sup.get('nope')).toBeUndefined()
  })
})

describe('environment and command', () => {
  it('sets PORT and extras, expands $(VAR) in env, command and args as Kubernetes does, and runs in the App directory', async () => {
    const sup = supervisor({ baseEnv: { PATH: process.env.PATH, INHERITED: 'yes' } })
    const code = 'console.log(JSON.stringify({ argv: process.argv.slice(1), env: process.env, cwd: process.cwd() }))'
    const [pod] = await sup.start(
      service('env', {
        command: [NODE, '-e', code, '--'],
        args: ['$(PORT)', '$$(PORT)', '$(NOPE)', '$(GREETING)', 'cost: $5', '$(CART_ADDR)'],
        env: { GREETING: 'hi $(PORT) $(INHERITED)', LATER: '$(GREETING)!', PORT: '1' },
        restartPolicy: 'Never',
      }),
      { env: { SHARED: 's' }, podEnv: (p) => ({ CART_ADDR: `127.0.0.1:${p.port + 1}`, POD_NAME: p.name }) },
    )
    const done = await sup.waitFor(pod!.name, (p) => p.phase === 'Succeeded')
    const out = JSON.parse(sup.logs(pod!.name).lines()[0]!.text) as { argv: string[]; env: Record<string, string>; cwd: string }
    const port = String(done.port)
    expect(out.argv).toEqual([port, '$(PORT)', '$(NOPE)', `hi ${port} yes`, 'cost: $5', `127.0.0.1:${done.port + 1}`])
    expect(out.env).toMatchObject({ PORT: port, SHARED: 's', POD_NAME: pod!.name, INHERITED: 'yes', GREETING: `hi ${port} yes`, LATER: `hi ${port} yes!` })
    expect(out.cwd).toBe(FIXTURES.replace(/\/$/, ''))
  })

  it('resolves a relative workingDir against the App directory', async () => {
    const sup = supervisor({ workingDir: join(FIXTURES, '..') })
    const [pod] = await sup.start(service('cwd', { command: [NODE, '-e', 'console.log(process.cwd())'], workingDir: 'pods', restartPolicy: 'Never' }))
    await sup.waitFor(pod!.name, (p) => p.phase === 'Succeeded')
    expect(sup.logs(pod!.name).lines()[0]?.text).toBe(FIXTURES.replace(/\/$/, ''))
  })
})

describe('envFrom, securityContext and lifecycle', () => {
  const printEnv = 'console.log(JSON.stringify(process.env))'

  it('envFrom reads .env files relative to the App directory: env wins over them, a later file over an earlier one, prefix applies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-envfrom-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'a.env'), '# shared\nDB_HOST=db\nLEVEL=debug\nQUOTED="two words"\nPORT=1\n')
    writeFileSync(join(dir, 'b.env'), 'LEVEL=info\n')
    const sup = supervisor({ workingDir: dir })
    const [pod] = await sup.start(service('envfrom', {
      command: [NODE, '-e', printEnv], restartPolicy: 'Never',
      envFrom: [{ file: 'a.env' }, { file: 'b.env' }, { file: 'a.env', prefix: 'X_' }, { file: 'missing.env', optional: true }],
      env: { DB_HOST: 'override', FROM_FILE: '$(QUOTED)!' },
    }))
    const done = await sup.waitFor(pod!.name, (p) => p.phase === 'Succeeded')
    const env = JSON.parse(sup.logs(pod!.name).lines()[0]!.text) as Record<string, string>
    expect(env).toMatchObject({ DB_HOST: 'override', LEVEL: 'info', QUOTED: 'two words', X_DB_HOST: 'db', X_LEVEL: 'debug', FROM_FILE: 'two words!' })
    expect(env.PORT).toBe(String(done.port)) // the runtime's variables win over the files
  })

  it('a missing envFrom file leaves the pod in CreateContainerConfigError, naming the file', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('nofile', { envFrom: [{ file: 'nope.env' }] }))
    const p = await sup.waitFor(pod!.name, (x) => x.reason === 'CreateContainerConfigError')
    expect(p.message).toContain(join(FIXTURES, 'nope.env'))
    expect(p.message).toContain('no such file')
    expect(p.pid).toBeUndefined()
  })

  it('an unknown runAsUser leaves the pod in CreateContainerConfigError, other pods unaffected', async () => {
    const sup = supervisor()
    const [bad] = await sup.start(service('nouser', { securityContext: { runAsUser: 'no-such-user-here' } }))
    const [good] = await sup.start(service('fine'))
    const p = await sup.waitFor(bad!.name, (x) => x.reason === 'CreateContainerConfigError')
    expect(p.message).toMatch(/no user named "no-such-user-here"/)
    await sup.waitFor(good!.name, running)
  })

  it.skipIf(process.getuid?.() !== 0)('runAsUser/runAsGroup: the pod runs as that user with its groups, and owns the data directory (root only)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chaoscope-data-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const closed = supervisor({ dataDir })
    const [blocked] = await closed.start(service('blocked', { securityContext: { runAsUser: 'nobody' } }))
    const p = await closed.waitFor(blocked!.name, (x) => x.reason === 'CreateContainerConfigError')
    expect(p.message).toContain(`${dataDir} is mode 0700`) // mkdtemp's mode: the user could not get in
    chmodSync(dataDir, 0o755)
    const sup = supervisor({ dataDir })
    const code = 'const fs=require("fs");const d=process.env.CHAOSCOPE_DATA_DIR;fs.writeFileSync(d+"/mine","x");console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),groups:process.getgroups(),owner:fs.statSync(d).uid}))'
    const [byName] = await sup.start(service('as-nobody', { command: [NODE, '-e', code], restartPolicy: 'Never', securityContext: { runAsUser: 'nobody' } }))
    const [byId] = await sup.start(service('as-ids', { command: [NODE, '-e', code], restartPolicy: 'Never', securityContext: { runAsUser: 4242, runAsGroup: 4343 } }))
    const nobody = Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2])
    await sup.waitFor(byName!.name, (p) => p.phase === 'Succeeded')
    await sup.waitFor(byId!.name, (p) => p.phase === 'Succeeded')
    const a = JSON.parse(sup.logs(byName!.name).lines()[0]!.text) as { uid: number; gid: number; groups: number[]; owner: number }
    const b = JSON.parse(sup.logs(byId!.name).lines()[0]!.text) as { uid: number; gid: number; groups: number[]; owner: number }
    expect(a).toMatchObject({ uid: nobody, owner: nobody })
    expect(a.groups).not.toContain(0)
    expect(b).toMatchObject({ uid: 4242, gid: 4343, owner: 4242 })
    expect(b.groups.filter((g) => g !== 4343)).toEqual([]) // no supplementary groups of root's kept
  })

  it('preStop runs in the pod before it is signalled, then stopSignal stops it well before the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-prestop-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const sup = supervisor({ secondMs: 1000 })
    // ignores SIGTERM; SIGINT ends it after writing what it saw (the preStop's file must already be there)
    const code = `const fs=require("fs");process.on("SIGTERM",()=>{});process.on("SIGINT",()=>{fs.writeFileSync(${JSON.stringify(join(dir, 'seen'))},String(fs.existsSync(${JSON.stringify(join(dir, 'hook'))})));process.exit(0)});console.log("up");setInterval(()=>{},1000)`
    const [pod] = await sup.start(service('hooked', {
      command: [NODE, '-e', code], terminationGracePeriodSeconds: 10,
      lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `echo $POD_NAME_FILE > ${join(dir, 'hook')}`] } }, stopSignal: 'SIGINT' },
    }))
    await sup.waitFor(pod!.name, running)
    await until(() => sup.logs(pod!.name).lines().some((l) => l.text === 'up'))
    const t0 = Date.now()
    await sup.stopPod(pod!.name)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(readFileSync(join(dir, 'seen'), 'utf8')).toBe('true')
  })

  it('the stop signal waits for preStop; a preStop that hangs is cut at the grace period, and what it left running dies with the pod', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-prestop-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const sup = supervisor({ secondMs: 300 })
    // the pod exits at once on SIGTERM: a stop that lasts the grace period shows that SIGTERM waited for the hook
    const [pod] = await sup.start(service('hang', {
      command: [NODE, 'http-server.mjs'], terminationGracePeriodSeconds: 2,
      lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `sleep 123 >/dev/null 2>&1 & echo $! > ${join(dir, 'bg')}; exec sleep 30`] } } },
    }))
    await sup.waitFor(pod!.name, running)
    await until(() => sup.logs(pod!.name).lines().some((l) => l.text.startsWith('listening')))
    const t0 = Date.now()
    await sup.stopPod(pod!.name)
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(550)
    expect(took).toBeLessThan(3000)
    const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'))
    await until(() => !alive(bg), 2000)
  })

  it('a pod deleted as soon as it is ADDED is prepared no further: podEnv (which makes its sidecars) is never asked', async () => {
    const sup = supervisor()
    const events: string[] = []
    sup.on('pod', (e) => {
      events.push(e.type)
      if (e.type === 'ADDED') void sup.stopPod(e.pod.name, { gracePeriodMs: 0 })
    })
    await sup.start(service('gone', { envFrom: [{ file: 'missing.env', optional: true }] }), { podEnv: () => (events.push('podEnv'), {}) })
    await until(() => events.includes('DELETED'))
    await sleep(100)
    expect(events).not.toContain('podEnv')
    expect(sup.list({ app: 'gone' })).toEqual([])
  })

  it('killPod (a crash, pod-kill) does not run preStop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-prestop-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const sup = supervisor()
    const [pod] = await sup.start(service('nohook', { lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', `touch ${join(dir, 'ran')}`] } } } }))
    const first = await sup.waitFor(pod!.name, running)
    sup.killPod(pod!.name)
    await sup.waitFor(pod!.name, (p) => running(p) && p.pid !== first.pid)
    await sup.stopPod(pod!.name, { gracePeriodMs: 0 })
    expect(existsSync(join(dir, 'ran'))).toBe(false)
  })
})

describe('restart policies', () => {
  it('Never: a failing pod ends Failed with its exit code, never restarted', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('never', { command: [NODE, '-e', 'process.exit(3)'], restartPolicy: 'Never' }))
    // control: the same crash under Always, started after it, restarts twice meanwhile (at once, then after 150 ms)
    const [control] = await sup.start(service('control', { command: [NODE, '-e', 'process.exit(3)'] }))
    const p = await sup.waitFor(pod!.name, (x) => x.phase === 'Failed')
    expect(p.lastExit).toMatchObject({ reason: 'Error', exitCode: 3 })
    await sup.waitFor(control!.name, (x) => x.restartCount >= 2)
    expect(sup.get(pod!.name)).toMatchObject({ phase: 'Failed', restartCount: 0, ready: false })
  })

  it('OnFailure: exit 0 ends Succeeded; a non-zero exit restarts', async () => {
    const sup = supervisor()
    const [ok] = await sup.start(service('ok', { command: [NODE, '-e', 'process.exit(0)'], restartPolicy: 'OnFailure' }))
    const [bad] = await sup.start(service('bad', { command: [NODE, '-e', 'setTimeout(() => process.exit(2), 50)'], restartPolicy: 'OnFailure' }))
    expect(await sup.waitFor(ok!.name, (x) => x.phase === 'Succeeded')).toMatchObject({ restartCount: 0, lastExit: { reason: 'Completed', exitCode: 0 } })
    const p = await sup.waitFor(bad!.name, (x) => x.restartCount >= 2)
    expect(p.lastExit).toMatchObject({ reason: 'Error', exitCode: 2 })
    expect(p.phase).toBe('Running')
  })

  it('Always: even a clean exit restarts', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('always', { command: [NODE, '-e', 'setTimeout(() => {}, 50)'] }))
    const p = await sup.waitFor(pod!.name, (x) => x.restartCount >= 2)
    expect(p.lastExit?.reason).toBe('Completed')
  })

  it('backs off like the kubelet: immediate, then base, doubling up to the cap, shown as CrashLoopBackOff', async () => {
    const sup = supervisor({ backoff: { baseMs: 150, capMs: 600 } })
    const rec = recorder(sup)
    const [pod] = await sup.start(service('crash', { command: [NODE, '-e', 'process.exit(1)'] }))
    await sup.waitFor(pod!.name, (x) => x.restartCount >= 5, 15_000)
    const mine = rec.events.filter((e) => e.pod.name === pod!.name)
    // gap between an exit and the next start
    const gaps: number[] = []
    let exitedAt: number | undefined
    for (const e of mine) {
      if (e.pod.lastExit && e.pod.pid === undefined && exitedAt === undefined) exitedAt = Date.parse(e.pod.lastExit.finishedAt)
      if (e.pod.pid !== undefined && exitedAt !== undefined) {
        gaps.push(e.at - exitedAt)
        exitedAt = undefined
      }
    }
    expect(gaps.length).toBeGreaterThanOrEqual(5)
    const [g0, g1, g2, g3, g4] = gaps as [number, number, number, number, number]
    expect(g0).toBeLessThan(100)
    expect(g1).toBeGreaterThanOrEqual(140)
    expect(g1).toBeLessThan(400)
    expect(g2).toBeGreaterThanOrEqual(290)
    expect(g2).toBeLessThan(550)
    expect(g3).toBeGreaterThanOrEqual(590) // 600 = the cap
    expect(g4).toBeGreaterThanOrEqual(590)
    expect(g4).toBeLessThan(900)
    const waiting = mine.find((e) => e.pod.reason === 'CrashLoopBackOff')
    expect(waiting?.pod.message).toMatch(/^back-off 150ms restarting failed container \(last exit: Error\)$/)
  })
})

describe('readiness probes', () => {
  it('httpGet: not ready until the endpoint answers 2xx, not ready again after failureThreshold failures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-probe-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const flag = join(dir, 'unhealthy')
    const sup = supervisor()
    const [pod] = await sup.start(service('http', {
      command: [NODE, 'http-server.mjs'], port: 8080,
      env: { READY_AFTER_MS: '600', UNHEALTHY_FILE: flag },
      readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, timeoutSeconds: 4, successThreshold: 1, failureThreshold: 2 },
    }))
    await sup.waitFor(pod!.name, running)
    await until(() => sup.logs(pod!.name).lines().some((l) => l.text === 'GET /healthz 503'))
    expect(sup.get(pod!.name)?.ready).toBe(false) // a probe was answered 503
    const readyAt = Date.now()
    await sup.waitFor(pod!.name, (p) => p.ready, 5000)
    expect(Date.now() - readyAt).toBeLessThan(2000)
    writeFileSync(flag, '')
    await sup.waitFor(pod!.name, (p) => !p.ready, 5000)
    expect(sup.get(pod!.name)?.phase).toBe('Running')
    rmSync(flag)
    await sup.waitFor(pod!.name, (p) => p.ready, 5000)
  })

  it('tcpSocket: ready once the pod accepts connections on its PORT', async () => {
    const sup = supervisor()
    const rec = recorder(sup)
    const [pod] = await sup.start(service('tcp', {
      command: [NODE, 'tcp-server.mjs'], port: 9000, env: { LISTEN_AFTER_MS: '700' },
      readinessProbe: { tcpSocket: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 2, successThreshold: 2, failureThreshold: 3 },
    }))
    await sup.waitFor(pod!.name, (p) => p.ready, 5000)
    const listening = sup.logs(pod!.name).lines().find((l) => l.text === `listening on ${pod!.port}`)
    expect(listening).toBeDefined()
    const mine = rec.events.filter((e) => e.pod.name === pod!.name)
    const readyAt = mine.find((e) => e.pod.ready)!.at
    expect(mine.some((e) => running(e.pod) && !e.pod.ready && e.at < readyAt)).toBe(true) // running, not ready, first
    expect(readyAt).toBeGreaterThanOrEqual(Date.parse(listening!.time)) // ready only once it listened
  })
})

describe('stopping', () => {
  it('sends SIGTERM, then SIGKILL after the grace period to a process that ignores SIGTERM', async () => {
    const sup = supervisor({ secondMs: 400 })
    const rec = recorder(sup)
    const [pod] = await sup.start(service('stubborn', { command: [NODE, 'ignore-term.mjs'], terminationGracePeriodSeconds: 1 }))
    const started = await sup.waitFor(pod!.name, running)
    await until(() => sup.logs(pod!.name).lines().some((l) => l.text === 'running'))
    const t0 = Date.now()
    await sup.stopPod(pod!.name)
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(380)
    expect(took).toBeLessThan(2000)
    expect(alive(started.pid)).toBe(false)
    expect(sup.get(pod!.name)).toBeUndefined()
    const last = rec.events.filter((e) => e.pod.name === pod!.name).at(-1)!
    expect(last.type).toBe('DELETED')
    expect(last.pod.lastExit).toMatchObject({ reason: 'Killed', signal: 'SIGKILL', exitCode: 137 })
    expect(rec.events.some((e) => e.pod.name === pod!.name && e.pod.reason === 'Terminating')).toBe(true)
  })

  it('a process that honours SIGTERM stops well before the grace period', async () => {
    const sup = supervisor({ secondMs: 1000 })
    const [pod] = await sup.start(service('polite', { command: [NODE, 'http-server.mjs'], terminationGracePeriodSeconds: 10 }))
    const p = await sup.waitFor(pod!.name, running)
    await until(() => sup.logs(pod!.name).lines().some((l) => l.text.startsWith('listening')))
    const t0 = Date.now()
    await sup.stopPod(pod!.name)
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(alive(p.pid)).toBe(false)
  })

  it('scales up and down, and stopAll leaves no process behind', async () => {
    const sup = supervisor()
    await sup.start(service('many', { replicas: 1 }))
    let pods = await sup.scale('many', 3)
    expect(pods).toHaveLength(3)
    const running3 = await Promise.all(pods.map((p) => sup.waitFor(p.name, running)))
    pods = await sup.scale('many', 1)
    expect(pods).toHaveLength(1)
    await until(() => running3.filter((p) => alive(p.pid)).length === 1)
    await sup.stopAll({ gracePeriodMs: 0 })
    expect(running3.filter((p) => alive(p.pid))).toHaveLength(0)
    expect(sup.list()).toEqual([])
  })

  it('stopPod with replace: a new pod (new name) takes its place', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('rs'))
    await sup.stopPod(pod!.name, { gracePeriodMs: 0, replace: true })
    const after = sup.list({ app: 'rs' })
    expect(after).toHaveLength(1)
    expect(after[0]!.name).not.toBe(pod!.name)
  })
})

describe('chaos hooks', () => {
  it('killPod: the restart policy brings the pod back with a new pid and a higher restart count', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('victim'))
    const before = await sup.waitFor(pod!.name, running)
    expect(sup.killPod(pod!.name)).toBe(true)
    const after = await sup.waitFor(pod!.name, (p) => p.restartCount === 1 && running(p))
    expect(after.pid).not.toBe(before.pid)
    expect(alive(before.pid)).toBe(false)
    expect(after.lastExit).toMatchObject({ reason: 'Killed', signal: 'SIGKILL', exitCode: 137 })
    expect(after.name).toBe(before.name)
    expect(after.port).toBe(before.port)
  })

  it('killPod with Never: the pod stays down as Failed', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('once', { restartPolicy: 'Never' }))
    await sup.waitFor(pod!.name, running)
    sup.killPod(pod!.name, 'SIGTERM')
    const p = await sup.waitFor(pod!.name, (x) => x.phase === 'Failed')
    expect(p.lastExit).toMatchObject({ reason: 'Killed', signal: 'SIGTERM', exitCode: 143 })
  })

  it('failPod keeps the pod down (no restarts) until released', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('held'))
    const before = await sup.waitFor(pod!.name, running)
    sup.failPod(pod!.name)
    const down = await sup.waitFor(pod!.name, (p) => p.pid === undefined)
    expect(down).toMatchObject({ ready: false, reason: 'PodFailure', restartCount: 0 })
    expect(alive(before.pid)).toBe(false)
    // control: a pod that crashes meanwhile is restarted three times (at once, after 150 ms, after 300 ms)
    const [control] = await sup.start(service('control', { command: [NODE, '-e', 'process.exit(1)'] }))
    await sup.waitFor(control!.name, (p) => p.restartCount >= 3)
    expect(sup.get(pod!.name)).toMatchObject({ reason: 'PodFailure', restartCount: 0, pid: undefined })
    sup.unfailPod(pod!.name)
    const back = await sup.waitFor(pod!.name, running)
    expect(back).toMatchObject({ restartCount: 1, ready: true })
    expect(back.reason).toBeUndefined()
  })

  it('failPod with a duration releases the pod by itself', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('timed'))
    await sup.waitFor(pod!.name, running)
    const t0 = Date.now()
    sup.failPod(pod!.name, { durationMs: 500 })
    await sup.waitFor(pod!.name, (p) => p.reason === 'PodFailure')
    await sup.waitFor(pod!.name, (p) => running(p) && p.restartCount === 1, 5000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(480)
  })

  it('failPod while the pod is being created holds it before its first start; released, it starts', async () => {
    const sup = supervisor()
    let give!: (env: Record<string, string>) => void
    const starting = sup.start(service('early'), { podEnv: () => new Promise((r) => (give = r)) })
    const [created] = await until(() => sup.list({ app: 'early' }).length === 1).then(() => sup.list({ app: 'early' }))
    sup.failPod(created!.name)
    give({})
    await starting
    expect(sup.get(created!.name)).toMatchObject({ phase: 'Pending', reason: 'PodFailure' })
    expect(sup.get(created!.name)?.pid).toBeUndefined()
    sup.unfailPod(created!.name)
    expect(await sup.waitFor(created!.name, running)).toMatchObject({ restartCount: 0, ready: true })
  })

  it('failPod on a pod that ended for good: released, it is ended as before, not restarted', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('done', { command: [NODE, '-e', 'process.exit(0)'], restartPolicy: 'Never' }))
    await sup.waitFor(pod!.name, (p) => p.phase === 'Succeeded')
    sup.failPod(pod!.name)
    expect(sup.get(pod!.name)).toMatchObject({ phase: 'Succeeded', reason: 'PodFailure' })
    sup.unfailPod(pod!.name)
    expect(sup.get(pod!.name)).toMatchObject({ phase: 'Succeeded', restartCount: 0, pid: undefined })
    expect(sup.get(pod!.name)?.reason).toBeUndefined()
  })

  it('failPod on a pod whose environment could not be prepared: released, it shows that error again', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('cfg'), { podEnv: () => Promise.reject(new Error('no egress port')) })
    await sup.waitFor(pod!.name, (p) => p.reason === 'CreateContainerConfigError')
    sup.failPod(pod!.name)
    expect(sup.get(pod!.name)?.reason).toBe('PodFailure')
    sup.unfailPod(pod!.name)
    expect(sup.get(pod!.name)).toMatchObject({ phase: 'Pending', reason: 'CreateContainerConfigError', message: 'could not prepare the environment: no egress port' })
  })

  it('stopping a held pod deletes it; a deleted pod cannot be held', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('gone'))
    await sup.waitFor(pod!.name, running)
    sup.failPod(pod!.name)
    await sup.stopPod(pod!.name, { gracePeriodMs: 0 })
    expect(sup.get(pod!.name)).toBeUndefined()
    expect(() => sup.failPod(pod!.name)).toThrow(expect.objectContaining({ code: 'RUNTIME_UNKNOWN_POD' }))
  })

  it('reports an unknown pod with a coded error', () => {
    const sup = supervisor()
    expect(() => sup.killPod('ghost-abcde')).toThrow(expect.objectContaining({ code: 'RUNTIME_UNKNOWN_POD' }))
  })
})

describe('data directory', () => {
  const printDataDir = [NODE, '-e', 'console.log(process.env.CHAOSCOPE_DATA_DIR + " " + process.env.DATA_DIR)']

  async function dataDirOf(sup: PodSupervisor, name: string): Promise<string> {
    await sup.waitFor(name, (p) => p.phase === 'Succeeded')
    return sup.logs(name).lines()[0]!.text
  }

  it('hands each pod $CHAOSCOPE_DATA_DIR, one per service under the supervisor\'s dataDir, which the service env can use', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-data-'))
    cleanups.push(() => rmSync(home, { recursive: true, force: true }))
    const a = supervisor({ dataDir: join(home, 'a') })
    const b = supervisor({ dataDir: join(home, 'b') })
    const spec = service('db', { command: printDataDir, env: { DATA_DIR: '$(CHAOSCOPE_DATA_DIR)/files', CHAOSCOPE_DATA_DIR: '/tmp/not-this' }, restartPolicy: 'Never', namespace: 'shop' })
    const [inA] = await a.start(spec)
    const [inB] = await b.start(spec)
    const [other] = await a.start(service('cache', { command: printDataDir, restartPolicy: 'Never' }))
    expect(await dataDirOf(a, inA!.name)).toBe(`${join(home, 'a', 'shop', 'db')} ${join(home, 'a', 'shop', 'db', 'files')}`)
    expect(await dataDirOf(b, inB!.name)).toBe(`${join(home, 'b', 'shop', 'db')} ${join(home, 'b', 'shop', 'db', 'files')}`)
    expect(await dataDirOf(a, other!.name)).toBe(`${join(home, 'a', 'default', 'cache')} undefined`)
    // made before the pod starts, as a volume is mounted before a container starts
    expect(statSync(join(home, 'a', 'shop', 'db')).isDirectory()).toBe(true)
  })

  it('a data directory that cannot be made leaves the pod in CreateContainerConfigError', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-data-'))
    cleanups.push(() => rmSync(home, { recursive: true, force: true }))
    writeFileSync(join(home, 'file'), '')
    const sup = supervisor({ dataDir: join(home, 'file') })
    const [pod] = await sup.start(service('db'))
    const p = await sup.waitFor(pod!.name, (x) => x.reason === 'CreateContainerConfigError')
    expect(p.message).toContain(`its data directory ${join(home, 'file', 'default', 'db')}`)
  })

  it('keeps the directory across a restart and a replacement of the pod', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-data-'))
    cleanups.push(() => rmSync(home, { recursive: true, force: true }))
    const sup = supervisor({ dataDir: join(home, 'test') })
    const [pod] = await sup.start(service('store', { command: [NODE, '-e', 'console.log(process.env.CHAOSCOPE_DATA_DIR); setTimeout(() => {}, 60_000)'] }))
    await until(() => sup.logs(pod!.name).lines().length === 1)
    sup.killPod(pod!.name)
    await until(() => sup.logs(pod!.name).lines().length === 2)
    const before = sup.logs(pod!.name).lines()
    await sup.stopPod(pod!.name, { gracePeriodMs: 0, replace: true })
    const [next] = sup.list({ app: 'store' })
    expect(next!.name).not.toBe(pod!.name)
    await until(() => sup.logs(next!.name).lines().length === 1)
    const dirs = [...before, ...sup.logs(next!.name).lines()].map((l) => l.text)
    expect(dirs).toEqual(Array(3).fill(join(home, 'test/default/store')))
  })

  it('defaults to $CHAOSCOPE_HOME/data', async () => {
    const saved = process.env.CHAOSCOPE_HOME
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    process.env.CHAOSCOPE_HOME = home
    cleanups.push(() => (saved === undefined ? delete process.env.CHAOSCOPE_HOME : (process.env.CHAOSCOPE_HOME = saved)))
    cleanups.push(() => rmSync(home, { recursive: true, force: true }))
    const sup = supervisor()
    expect(sup.dataDir).toBe(join(home, 'data'))
    const [pod] = await sup.start(service('db', { command: printDataDir, restartPolicy: 'Never' }))
    expect(await dataDirOf(sup, pod!.name)).toBe(`${join(home, 'data/default/db')} undefined`)
  })
})

describe('logs', () => {
  it('keeps the newest lines within the bound, with stream and timestamp', async () => {
    const sup = supervisor({ logs: { maxLines: 50 } })
    const [pod] = await sup.start(service('chatty', { command: [NODE, '-e', 'for (let i = 0; i < 200; i++) console.log(`line ${i}`); console.error("oops")'], restartPolicy: 'Never' }))
    await sup.waitFor(pod!.name, (p) => p.phase === 'Succeeded')
    const lines = sup.logs(pod!.name).lines()
    expect(lines).toHaveLength(50)
    expect(lines.filter((l) => l.stream === 'stdout').at(-1)?.text).toBe('line 199')
    expect(lines.find((l) => l.stream === 'stderr')?.text).toBe('oops')
    expect(Date.parse(lines[0]!.time)).toBeGreaterThan(Date.now() - 10_000)
  })

  it('follows new lines until aborted', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('ticker', { command: [NODE, '-e', 'let i = 0; setInterval(() => console.log(`tick ${i++}`), 30)'] }))
    const ac = new AbortController()
    const got: string[] = []
    for await (const line of sup.logs(pod!.name).follow({ tail: 0, signal: ac.signal })) {
      got.push(line.text)
      if (got.length === 5) ac.abort()
    }
    expect(got).toHaveLength(5)
    const nums = got.map((t) => Number(t.split(' ')[1]))
    expect(nums).toEqual(nums.map((_, i) => nums[0]! + i))
  })

  it('ends followers when the pod is deleted', async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('short'))
    const follow = (async () => {
      let n = 0
      for await (const _ of sup.logs(pod!.name).follow()) n++
      return n
    })()
    await sup.stopPod(pod!.name, { gracePeriodMs: 0 })
    await expect(follow).resolves.toBeTypeOf('number')
  })
})

describe('failures stay with their pod', () => {
  it('a missing command shows ContainerCannotRun while other pods keep running', async () => {
    const sup = supervisor()
    const [good] = await sup.start(service('good'))
    const [missing] = await sup.start(service('missing', { command: ['no-such-binary-chaoscope'], restartPolicy: 'Never' }))
    const [badPath] = await sup.start(service('badpath', { command: ['./not/here.sh'], restartPolicy: 'Never' }))
    const [badDir] = await sup.start(service('baddir', { workingDir: '/nonexistent/dir', restartPolicy: 'Never' }))
    expect(await sup.waitFor(missing!.name, (p) => p.phase === 'Failed')).toMatchObject({
      lastExit: { reason: 'ContainerCannotRun', exitCode: 127, message: 'executable "no-such-binary-chaoscope" not found in $PATH' },
    })
    expect((await sup.waitFor(badPath!.name, (p) => p.phase === 'Failed')).lastExit?.message).toBe('cannot run "./not/here.sh": no such file or directory')
    expect((await sup.waitFor(badDir!.name, (p) => p.phase === 'Failed')).lastExit?.message).toBe('working directory /nonexistent/dir does not exist')
    expect(await sup.waitFor(good!.name, running)).toMatchObject({ ready: true })
  })

  it('a missing command under Always backs off instead of spinning', async () => {
    const sup = supervisor({ backoff: { baseMs: 200, capMs: 1000 } })
    const rec = recorder(sup)
    const t0 = Date.now()
    const [pod] = await sup.start(service('spin', { command: ['no-such-binary-chaoscope'] }))
    const p = await sup.waitFor(pod!.name, (x) => x.restartCount >= 2)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190) // the second restart waited out the 200 ms back-off
    expect(p.phase).toBe('Pending') // never ran
    expect(p.lastExit?.reason).toBe('ContainerCannotRun')
    expect(rec.events.some((e) => e.pod.reason === 'CrashLoopBackOff' && /^back-off 200ms /.test(e.pod.message ?? ''))).toBe(true)
  })

  it('a pod that crashes at start because its port is taken fails alone', async () => {
    const taken = await new Promise<Server>((r) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => r(s))
    })
    cleanups.push(() => taken.close())
    const port = (taken.address() as { port: number }).port
    const sup = supervisor()
    const [ok] = await sup.start(service('fine'))
    const [clash2] = await sup.start(service('clash', { command: [NODE, '-e', `require('net').createServer().listen(${port}, '127.0.0.1')`], restartPolicy: 'Never' }))
    const failed = await sup.waitFor(clash2!.name, (p) => p.phase === 'Failed')
    expect(failed.lastExit).toMatchObject({ reason: 'Error', exitCode: 1 })
    expect(sup.logs(clash2!.name).lines().some((l) => l.stream === 'stderr' && l.text.includes('EADDRINUSE'))).toBe(true)
    expect(await sup.waitFor(ok!.name, running)).toMatchObject({ ready: true })
  })

  it('a podEnv hook that throws leaves that pod in CreateContainerConfigError; start still resolves', async () => {
    const sup = supervisor()
    let calls = 0
    const pods = await sup.start(service('cfg', { replicas: 2 }), {
      podEnv: async () => {
        if (calls++ === 0) throw new Error('no egress port')
        return {}
      },
    })
    const states = await Promise.all(pods.map((p) => sup.waitFor(p.name, (x) => x.reason === 'CreateContainerConfigError' || running(x))))
    expect(states.map((p) => p.phase).sort()).toEqual(['Pending', 'Running'])
    expect(states.find((p) => p.phase === 'Pending')).toMatchObject({ reason: 'CreateContainerConfigError', message: 'could not prepare the environment: no egress port' })
  })

  it('refuses a service without a command, or started twice', async () => {
    const sup = supervisor()
    await expect(sup.start({ name: 'redis', external: '127.0.0.1:6379' })).rejects.toMatchObject({ code: 'RUNTIME_NOT_RUNNABLE' })
    await sup.start(service('twice'))
    await expect(sup.start(service('twice'))).rejects.toMatchObject({ code: 'RUNTIME_SERVICE_EXISTS' })
    await expect(sup.scale('nope', 2)).rejects.toMatchObject({ code: 'RUNTIME_UNKNOWN_SERVICE' })
  })
})

describe('resource limits', () => {
  it('reports limits as not enforced, with the reason, where cgroups cannot be used; the pod still runs', async () => {
    const sup = supervisor({ cgroups: { usable: false, reason: 'not running as root' } })
    const [pod] = await sup.start(service('limited', { resources: { limits: { cpu: '500m', memory: '64Mi' } } }))
    const p = await sup.waitFor(pod!.name, running)
    expect(p.limits).toEqual({ cpu: '500m', memory: '64Mi', enforced: false, reason: 'not running as root' })
    expect(describeLimits(p.limits)).toBe('limits: not enforced (not running as root) (cpu=500m memory=64Mi)')
    expect(p.cgroups).toBeUndefined()
  })

  it('runs the pod unlimited, saying why, when the kernel refuses its cgroup', async () => {
    const refused = { root: '/proc/self', own: '/no-cgroups-here' }
    const sup = supervisor({ cgroups: { usable: true, version: 1, memory: refused, cpu: refused } })
    const [pod] = await sup.start(service('refused', { resources: { limits: { memory: '64Mi' } } }))
    const p = await sup.waitFor(pod!.name, running)
    expect(p.limits).toMatchObject({ memory: '64Mi', enforced: false, reason: expect.stringContaining('ENOENT') })
    expect(p.cgroups).toBeUndefined()
  })

  const support = detectCgroups()

  it.runIf(support.usable)('enforces limits with a cgroup per pod, and reports an OOM kill as OOMKilled', async () => {
    const sup = supervisor()
    const [hog] = await sup.start(service('hog', { command: [NODE, 'memory-hog.mjs'], resources: { limits: { memory: '96Mi' } }, restartPolicy: 'Never' }))
    const [cpu] = await sup.start(service('cpu', { resources: { limits: { cpu: '250m' } } }))
    const c = await sup.waitFor(cpu!.name, running)
    expect(c.limits).toEqual({ cpu: '250m', enforced: true })
    const quota = c.cgroups!.map((d) => {
      try {
        return readFileSync(join(d, support.usable && support.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us'), 'utf8').trim()
      } catch {
        return undefined
      }
    }).filter(Boolean)
    expect(quota).toContain(support.usable && support.version === 2 ? '25000 100000' : '25000')
    await until(() => c.cgroups!.every((d) => readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(c.pid))))
    const h = await sup.waitFor(hog!.name, (p) => p.phase === 'Failed', 20_000)
    expect(h.lastExit).toMatchObject({ reason: 'OOMKilled', exitCode: 137 })
    expect(h.limits?.enforced).toBe(true)
    const dirs = [...c.cgroups!, ...h.cgroups!]
    await sup.stopAll({ gracePeriodMs: 0 })
    expect(dirs.filter((d) => { try { readFileSync(join(d, 'cgroup.procs')); return true } catch { return false } })).toEqual([])
  })

  it.runIf(!support.usable)(`limits are not enforced on this machine (${support.usable ? '' : support.reason})`, async () => {
    const sup = supervisor()
    const [pod] = await sup.start(service('lim', { resources: { limits: { memory: '64Mi' } } }))
    const p = await sup.waitFor(pod!.name, running)
    expect(p.limits).toMatchObject({ enforced: false })
    expect(describeLimits(p.limits)).toMatch(/^limits: not enforced \(.+\)/)
  })
})
