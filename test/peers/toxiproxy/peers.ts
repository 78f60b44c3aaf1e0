/**
 * @module test/peers/toxiproxy/peers: the real Toxiproxy and `chaoscope proxy` side by side for the oracle tests:
 * where scripts/setup.sh put Toxiproxy and its clients, starting either server on a free loopback port (and always
 * stopping it), the echo upstream the client scenarios expect, and the normalisation of the ports each server chose.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '../../..')
export const TOXIPROXY_VERSION = /^TOXIPROXY_VERSION=(.+)$/m.exec(readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8'))![1]!
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'chaoscope')
export const TOXIPROXY_DIR = join(CACHE, `toxiproxy-${TOXIPROXY_VERSION}`)
export const TOXIPROXY_SERVER = join(TOXIPROXY_DIR, 'toxiproxy-server')
export const TOXIPROXY_CLI = join(TOXIPROXY_DIR, 'toxiproxy-cli')
const GO_SOURCES = join(ROOT, 'test/peers/toxiproxy/go')
const PY_VERSION = /^toxiproxy-python==(.+)$/m.exec(readFileSync(join(ROOT, 'scripts/toxiproxy-python-requirements.txt'), 'utf8'))![1]!
export const PYTHON = join(CACHE, `venv-toxiproxy-python-${PY_VERSION}`, 'bin', 'python')
export const PY_SCENARIO = join(ROOT, 'test/peers/toxiproxy/python/scenario.py')

/** The Go scenario, under the hash setup.sh names it by: sha256 of go.mod, go.sum, then the *.go files in byte order. */
export function goScenario(): string {
  const files = ['go.mod', 'go.sum', ...readdirSync(GO_SOURCES).filter((f) => f.endsWith('.go')).sort()]
  const h = createHash('sha256')
  for (const f of files) h.update(readFileSync(join(GO_SOURCES, f)))
  return join(TOXIPROXY_DIR, `toxiproxy-scenario-${h.digest('hex').slice(0, 12)}`)
}

const BUILT = join(ROOT, 'dist/src/runtime/toxiproxy/api.js')

/**
 * What is missing among `paths` (and chaoscope's build), said as the fix. A test skips on it outside CI and fails on
 * it under CI (process.env.CI), so a CI machine without the peers cannot pass silently.
 */
export function missingPeers(paths: string[]): { skip: boolean; why: string | undefined } {
  const gone = paths.filter((p) => !existsSync(p))
  const why = gone.length ? `not installed: ${gone.join(', ')}; run bash scripts/setup.sh` : !existsSync(BUILT) ? `${BUILT} is missing: run npm run build` : undefined
  return { skip: why !== undefined && !process.env.CI, why }
}

export interface Peer {
  name: 'toxiproxy' | 'chaoscope'
  url: string
  pid: number
  /** What the server printed, for failure messages. */
  log(): string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

function watch(name: Peer['name'], child: ChildProcess, url: Promise<string>, cleanup: () => void): Promise<Peer> {
  let out = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    }
    cleanup()
  }
  return new Promise<Peer>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => fail(new Error(`${name} did not start in 20 s:\n${out}`)), 20_000)
    const fail = (e: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void stop().then(() => reject(e))
    }
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}) before it listened:\n${out}`)))
    child.once('error', fail)
    url.then((u) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ name, url: u, pid: child.pid!, log: () => out, stop })
    }, fail)
  })
}

/** Polls GET /version until it answers (every 50 ms, while the server runs, 20 s at most). */
async function answering(url: string, child: ChildProcess): Promise<string> {
  const until = Date.now() + 20_000
  while (Date.now() < until && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/version`)).ok) return url
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} did not answer in 20 s`)
}

/** The real Toxiproxy on a free loopback port (it has no port 0: a free port is picked, and tried again if taken). */
export async function startToxiproxy(extra: string[] = []): Promise<Peer> {
  let last: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(TOXIPROXY_SERVER, ['-host', '127.0.0.1', '-port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      return await watch('toxiproxy', child, answering(`http://127.0.0.1:${port}`, child), () => {})
    } catch (e) {
      last = e
    }
  }
  throw last
}

/** `chaoscope proxy --port 0` from dist/, with a CHAOSCOPE_HOME of its own; the URL is the one it prints. */
export function startChaoscope(extra: string[] = []): Promise<Peer> {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-toxiproxy-'))
  const child = spawn(process.execPath, [join(ROOT, 'bin/chaoscope.js'), 'proxy', '--port', '0', ...extra], {
    cwd: home,
    env: { ...process.env, CHAOSCOPE_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const url = new Promise<string>((resolve) => {
    let seen = ''
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString()
      const m = /API on (http:\/\/[0-9.]+:\d+)/.exec(seen)
      if (m) resolve(m[1]!)
    })
  })
  return watch('chaoscope', child, url, () => rmSync(home, { recursive: true, force: true }))
}

/**
 * The upstream of the client scenarios, on 127.0.0.1:0: echoes every byte and closes the connection once it has
 * echoed "END" (Toxiproxy passes no half-close on, so a stream's end is told in-band).
 */
export async function startEcho(): Promise<{ addr: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    let tail = ''
    s.on('data', (d: Buffer) => {
      s.write(d)
      tail = (tail + d.toString('latin1')).slice(-3)
      if (tail === 'END') s.end()
    })
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

/**
 * Replaces the ports a server chose by the order they first appear (PORT1, PORT2, ...), and the given fixed
 * addresses by their labels, in any JSON value (strings inside included), so two servers' answers compare equal.
 */
export function portNormaliser(fixed: Record<string, string>): (v: unknown) => unknown {
  const seen = new Map<string, string>()
  const text = (s: string) => {
    for (const [addr, label] of Object.entries(fixed)) s = s.split(addr).join(label)
    return s.replace(/127\.0\.0\.1:(\d+)/g, (_, p: string) => {
      if (!seen.has(p)) seen.set(p, `PORT${seen.size + 1}`)
      return `127.0.0.1:${seen.get(p)}`
    })
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk
}

/** Runs a scenario program to its end (60 s at most): its stdout parsed as JSON. */
export async function runScenario(cmd: string, args: string[]): Promise<{ steps: unknown[]; effects: Record<string, unknown> }> {
  const { code, out, err } = await run(cmd, args, 60_000)
  try {
    return JSON.parse(out) as { steps: unknown[]; effects: Record<string, unknown> }
  } catch {
    throw new Error(`${cmd} exited ${code} without JSON:\n${out}\n${err}`)
  }
}

/** Runs a command to its end (20 s at most, or `timeoutMs`): its exit code, stdout and stderr. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}
