/**
 * docs/real-software.md, run as written: `chaoscope up` runs examples/real-software/app.yaml (Redis 7, PostgreSQL 15
 * and nginx 1.22 from Debian's packages, each pod in a network namespace of its own, PostgreSQL as its own user),
 * and the page's three experiments act on them as their own clients see it: redis-benchmark sees Redis's replies
 * delayed, PostgreSQL comes back from a pod kill with its rows, wrk counts nginx's 503s. Skipped, saying why, without
 * root (namespaces, runAsUser) or the packages (`bash scripts/setup.sh` installs them).
 * Needs `npm run build` (the CLI runs from dist/).
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const EXAMPLES = join(ROOT, 'examples/real-software')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (pods get network namespaces; PostgreSQL runs as its own user)'
  for (const bin of ['/usr/bin/redis-server', '/usr/bin/redis-benchmark', '/usr/lib/postgresql/15/bin/postgres', '/usr/bin/psql', '/usr/sbin/nginx', '/usr/bin/wrk']) {
    if (!existsSync(bin)) return `${bin} is not installed (bash scripts/setup.sh)`
  }
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return 'there is no postgres user (the postgresql package creates it)'
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'iproute2 cannot list network namespaces here'
  return undefined
}
const skip = missing()

/** Polls `fn` until it returns a value (not undefined), or fails with what it saw last. */
async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

/** Runs a command without blocking the event loop (the CLI's children must be reaped while it runs). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr, ms: performance.now() - t0 })
    })
  })
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port })
    s.on('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.on('error', () => resolve(true))
  })
}

interface V1Pod {
  metadata: { name: string; labels: Record<string, string> }
  status: { podIP?: string; phase: string; containerStatuses?: { ready: boolean }[] }
}

describe.skipIf(skip !== undefined)(`real software as pods, as docs/real-software.md runs it${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-rs-'))
  const work = join(home, 'examples')
  const env = { ...process.env, CHAOSCOPE_HOME: home }
  const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: work, env })
  const hostPorts: Record<string, number> = {}
  let up: ChildProcess | undefined
  let out = ''
  /** The ports of the three programs that nothing listened on on the host's loopback before `up` (a system Redis may). */
  const freeBefore: number[] = []

  const pods = async (app: string): Promise<V1Pod[]> => {
    const r = await cli('get', 'pods', '-l', `app=${app}`, '-o', 'json')
    expect(r.status, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as { items: V1Pod[] }).items
  }
  const readyPods = async (app: string) => (await pods(app)).filter((p) => p.status.containerStatuses?.[0]?.ready === true)
  const apply = async (file: string) => {
    const r = await cli('apply', '-f', file)
    expect(r.status, r.stderr).toBe(0)
  }
  const remove = async (file: string) => {
    const r = await cli('delete', '-f', file)
    expect(r.status, r.stderr).toBe(0)
  }
  /** p50 of redis-benchmark's GETs through the hostPort, in ms. */
  const redisP50 = async (n: number) => {
    const r = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(hostPorts.redis), '-t', 'get', '-n', String(n), '-c', '1', '-q'])
    expect(r.status, r.stderr).toBe(0)
    const m = /p50=([\d.]+) msec/.exec(r.stdout)
    expect(m, r.stdout).not.toBeNull()
    return Number(m![1])
  }
  const psql = (sql: string) => run('psql', ['-h', '127.0.0.1', '-p', String(hostPorts.postgres), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { timeoutMs: 30_000 })
  /** wrk for `seconds` through nginx's hostPort: the requests and the non-2xx/3xx among them. */
  const wrk = async (seconds: number) => {
    const r = await run('wrk', ['-t1', '-c4', `-d${seconds}s`, `http://127.0.0.1:${hostPorts.nginx}/`], { timeoutMs: (seconds + 30) * 1000 })
    expect(r.status, r.stderr).toBe(0)
    const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1])
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0)
    return { requests, non2xx, text: r.stdout }
  }

  beforeAll(async () => {
    chmodSync(home, 0o755) // the postgres user walks into its data directory under CHAOSCOPE_HOME
    cpSync(EXAMPLES, work, { recursive: true })
    for (const port of [6379, 5432, 8080]) if (await refused('127.0.0.1', port)) freeBefore.push(port)
    up = spawn(process.execPath, [BIN, 'up', '-f', 'app.yaml', '--host-ports', 'ephemeral', '--timeout', '90'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] })
    up.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    for (const s of ['redis', 'postgres', 'nginx']) {
      hostPorts[s] = Number(await until(`${s}'s host port`, () => new RegExp(`^service ${s}: (?:http://)?127\\.0\\.0\\.1:(\\d+)`, 'm').exec(out)?.[1], 120_000))
    }
    await until('the controller', () => (/^controller: API/m.test(out) ? true : undefined))
    for (const s of ['redis', 'postgres', 'nginx']) await until(`${s} ready`, async () => ((await readyPods(s)).length > 0 ? true : undefined), 90_000)
  }, 240_000)

  afterAll(async () => {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM')
      await new Promise((r) => up!.once('exit', r))
    }
    rmSync(home, { recursive: true, force: true })
  }, 90_000)

  it('each pod has an address of its own and listens on the port its config names; nothing of theirs listens on the host\'s loopback', async () => {
    const nginx = await until('two nginx pods ready', async () => {
      const ready = await readyPods('nginx')
      return ready.length === 2 ? ready : undefined
    }, 60_000)
    const ips = nginx.map((p) => p.status.podIP)
    expect(new Set(ips).size).toBe(2) // both replicas on port 8080, each in its own namespace
    for (const ip of ips) expect(ip).toMatch(/^169\.254\./)
    const described = await cli('describe', 'pod', nginx[0]!.metadata.name)
    expect(described.status, described.stderr).toBe(0)
    expect(described.stdout).toMatch(new RegExp(`^Network: +namespace chaoscope-[0-9a-f]{8} \\(IP ${ips[0]!.replace(/\./g, '\\.')}\\)$`, 'm'))
    expect(freeBefore).toContain(8080)
    for (const port of freeBefore) expect(await refused('127.0.0.1', port), `127.0.0.1:${port}`).toBe(true)
    // nginx logs to /dev/stdout and /dev/stderr: both reach `chaoscope logs`
    await run('wrk', ['-t1', '-c1', '-d1s', `http://127.0.0.1:${hostPorts.nginx}/`])
    const logs = (await Promise.all(nginx.map((p) => cli('logs', p.metadata.name)))).map((r) => r.stdout).join('')
    expect(logs).toMatch(/stdout .*"GET \/ HTTP\/1\.1" 200/)
    expect(logs).toMatch(/stderr .*start worker process/)
  }, 90_000)

  it('a 50 ms delay on Redis shows in redis-benchmark\'s latency through the hostPort, and goes with the experiment', async () => {
    const before = await redisP50(200)
    expect(before).toBeLessThan(20)
    await apply('redis-delay.yaml')
    const during = await until('redis-benchmark to see the delay', async () => {
      const p50 = await redisP50(20)
      return p50 >= 45 ? p50 : undefined
    })
    expect(during).toBeLessThan(45 + 150) // the delay, not a hang
    await remove('redis-delay.yaml')
    await until('redis fast again', async () => ((await redisP50(50)) < 20 ? true : undefined))
  }, 90_000)

  it('PostgreSQL comes back from a pod kill with its committed rows (the data directory outlives the pod)', async () => {
    expect((await psql('CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, item text)')).status).toBe(0)
    const ins = await psql("INSERT INTO orders VALUES (1, 'tea'), (2, 'cake') ON CONFLICT DO NOTHING")
    expect(ins.status, ins.stderr).toBe(0)
    const [first] = await readyPods('postgres')
    await apply('postgres-kill.yaml')
    await until('a new postgres pod, ready', async () => {
      const ready = await readyPods('postgres')
      return ready.length === 1 && ready[0]!.metadata.name !== first!.metadata.name ? true : undefined
    }, 60_000)
    const rows = await until('PostgreSQL answering again', async () => {
      const r = await psql('SELECT id, item FROM orders ORDER BY id')
      return r.status === 0 ? r.stdout.trim() : undefined
    })
    expect(rows).toBe('1|tea\n2|cake')
    await remove('postgres-kill.yaml')
  }, 90_000)

  it('an HTTP 503 on nginx is what wrk counts while the experiment runs, and nothing after it', async () => {
    const clean = await wrk(1)
    expect(clean.requests).toBeGreaterThan(20)
    expect(clean.non2xx).toBe(0)
    await apply('nginx-503.yaml')
    const during = await until('wrk to see 503s', async () => {
      const r = await wrk(2)
      return r.non2xx === r.requests && r.requests > 0 ? r : undefined
    })
    expect(during.requests).toBeGreaterThan(10)
    await remove('nginx-503.yaml')
    await until('nginx answering 200 again', async () => ((await wrk(1)).non2xx === 0 ? true : undefined))
  }, 90_000)

  it('`chaoscope down` stops PostgreSQL with its fast shutdown (stopSignal SIGINT) although a client is connected, well within its 30 s grace, and removes the namespaces', async () => {
    // SIGTERM (smart shutdown) would wait for this session to end; SIGINT (fast) ends it
    const session = psql('SELECT pg_sleep(120)')
    await until('the session running', async () => ((await psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")).stdout.trim() === '1' ? true : undefined))
    const t0 = Date.now()
    const r = await cli('down')
    expect(r.status, r.stderr).toBe(0)
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect((await session).stderr).toMatch(/terminating connection due to administrator command|server closed the connection/)
    await until('the runtime gone', () => (up!.exitCode !== null ? true : undefined))
    const ns = await run('ip', ['netns', 'list'])
    const ours = (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => / cs-[0-9a-f]{8}/.test(l))
    expect(ns.stdout).not.toMatch(/chaoscope-/)
    expect(ours).toEqual([])
  }, 90_000)
})
