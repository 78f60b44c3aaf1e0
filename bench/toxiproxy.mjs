// `chaoscope proxy` against the real Toxiproxy (the release scripts/setup.sh builds) in the same run, on the same
// upstream (bench/load-target.mjs, a plain Node http server in a process of its own):
//   1. throughput and latency through a proxy with no toxic: wrk -t1 -c32, each server's proxy in turn,
//      interleaved A B B A, medians; with the CPU time each server's process spent per 1 000 requests;
//   2. the same with a latency toxic of 10 ms downstream on both;
//   3. latency fidelity: one keep-alive connection, one request at a time, paced, with and without the toxic:
//      the added latency measured against the 10 ms asked, both servers; then 32 such connections at once (no
//      pause between requests): the share of responses that came back sooner than the 10 ms asked.
// Both servers are started the same way (plain spawn, no setsid, output drained), each makes its proxy through
// its own HTTP API (listen 127.0.0.1:0). All traffic to 127.0.0.1; every loop is bounded: the default run takes
// about 2 minutes, --quick about 30 s.
//
// Usage: npm run build && node bench/toxiproxy.mjs [--quick] [--toxiproxy-log-level LEVEL] [--json]
//   --toxiproxy-log-level: Toxiproxy's LOG_LEVEL (default: none set, its own default, which logs every
//   connection at trace level); chaoscope proxy logs no connection either way.
// Needs wrk (scripts/setup.sh installs it) and Toxiproxy (scripts/setup.sh builds it).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './lib.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const QUICK = process.argv.includes('--quick')
const WRK_SECONDS = QUICK ? 2 : 5
const RUNS = QUICK ? 1 : 3
const CONNECTIONS = 32
const LATENCY_MS = 10
const FIDELITY_N = QUICK ? 100 : 300
const LOG_LEVEL = process.argv.includes('--toxiproxy-log-level') ? process.argv[process.argv.indexOf('--toxiproxy-log-level') + 1] : undefined

const TOXIPROXY_VERSION = /^TOXIPROXY_VERSION=(.+)$/m.exec(readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8'))[1]
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'chaoscope')
const TOXIPROXY = join(CACHE, `toxiproxy-${TOXIPROXY_VERSION}`, 'toxiproxy-server')
const WRK = '/usr/bin/wrk'
const CLI = join(ROOT, 'bin/chaoscope.js')
for (const [what, path, fix] of [
  ['wrk', WRK, 'bash scripts/setup.sh'],
  ['toxiproxy-server', TOXIPROXY, 'bash scripts/setup.sh'],
  ['chaoscope proxy', join(ROOT, 'dist/src/runtime/toxiproxy/api.js'), 'npm run build'],
]) {
  if (!existsSync(path)) {
    console.error(`bench: ${what} is missing (${path}); run ${fix}`)
    process.exit(2)
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
/** CPU time (user + system, all threads) a process has used, in ms. */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICK
}

// ---- processes ---------------------------------------------------------------------------------------------
const children = []
function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts }) // stdin open: load-target.mjs ends with it
  children.push(child)
  let out = ''
  const keep = (b) => {
    if (out.length < 64 * 1024) out += b
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  return { child, out: () => out }
}
async function until(what, test, ms = 20_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await test()
    if (v) return v
    await sleep(50)
  }
  throw new Error(`bench: ${what} not ready in ${ms} ms`)
}
async function api(url, method, path, body) {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`bench: ${method} ${url}${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

async function startUpstream() {
  const p = start(process.execPath, [join(ROOT, 'bench/load-target.mjs')])
  const port = await until('the upstream', () => Number(/^(\d+)$/m.exec(p.out())?.[1]))
  return { port, pid: p.child.pid }
}
async function startToxiproxy() {
  const port = await freePort()
  const env = { ...process.env }
  delete env.LOG_LEVEL
  if (LOG_LEVEL) env.LOG_LEVEL = LOG_LEVEL
  const p = start(TOXIPROXY, ['-host', '127.0.0.1', '-port', String(port)], { env })
  const url = `http://127.0.0.1:${port}`
  await until('toxiproxy', () => fetch(`${url}/version`).then((r) => r.ok, () => false))
  return { name: 'toxiproxy', url, pid: p.child.pid }
}
async function startChaoscope() {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-bench-proxy-'))
  const p = start(process.execPath, [CLI, 'proxy', '--port', '0'], { cwd: home, env: { ...process.env, CHAOSCOPE_HOME: home } })
  const url = await until('chaoscope proxy', () => /API on (http:\/\/[0-9.]+:\d+)/.exec(p.out())?.[1])
  return { name: 'chaoscope', url, pid: p.child.pid, home }
}

// ---- load --------------------------------------------------------------------------------------------------
function toMs(s) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s)
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN
}
/** wrk, run asynchronously: the servers' output must keep being drained meanwhile (a full pipe stalls Toxiproxy, which logs every connection). */
async function wrk(port, pid) {
  const before = cpuMs(pid)
  const child = spawn(WRK, ['-t1', `-c${CONNECTIONS}`, `-d${WRK_SECONDS}s`, '--latency', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (b) => (out += b))
  await new Promise((r) => child.on('close', r))
  const cpu = cpuMs(pid) - before
  const requests = Number(/(\d+) requests in/.exec(out)[1])
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
    p50: toMs(/\s50%\s+(\S+)/.exec(out)[1]),
    p99: toMs(/\s99%\s+(\S+)/.exec(out)[1]),
    cpuPer1k: requests ? (cpu * 1000) / requests : NaN,
    errors: /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out)?.[0] ?? '',
  }
}

/** One keep-alive connection, one GET at a time, `gapMs` apart: each request's latency in ms. */
async function paced(port, n, gapMs = 2) {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await new Promise((r, j) => (sock.once('connect', r), sock.once('error', j)))
  let buf = ''
  let waiter
  sock.on('data', (b) => {
    buf += b.toString('latin1')
    const e = buf.indexOf('\r\n\r\n')
    if (e < 0 || !waiter) return
    const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, e))?.[1] ?? 0)
    if (buf.length < e + 4 + len) return
    buf = buf.slice(e + 4 + len)
    const w = waiter
    waiter = undefined
    w()
  })
  const lat = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await new Promise((r) => {
      waiter = r
      sock.write('GET / HTTP/1.1\r\nhost: bench\r\n\r\n')
    })
    lat.push(performance.now() - t)
    if (gapMs) await sleep(gapMs)
  }
  sock.destroy()
  return lat.sort((a, b) => a - b)
}
const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

// ---- main --------------------------------------------------------------------------------------------------
let chaoscope
try {
  const up = await startUpstream()
  const toxiproxy = await startToxiproxy()
  chaoscope = await startChaoscope()
  const servers = [toxiproxy, chaoscope]
  for (const s of servers) {
    const p = await api(s.url, 'POST', '/proxies', { name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` })
    s.port = Number(p.listen.split(':').pop())
  }
  const version = await api(chaoscope.url, 'GET', '/version')
  console.log(`machine: ${cpus().length} x ${cpus()[0].model}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log(`toxiproxy ${TOXIPROXY_VERSION} (go install from the Go module proxy, ${execFileSync('go', ['version'], { encoding: 'utf8' }).trim()}); chaoscope ${version.chaoscope ?? '?'} (API ${version.version}); Toxiproxy LOG_LEVEL ${LOG_LEVEL ?? 'unset (its default: every level)'}`)

  const results = {}
  const measure = async (label) => {
    const runs = { toxiproxy: [], chaoscope: [] }
    await wrk(toxiproxy.port, toxiproxy.pid) // warm-up, both
    await wrk(chaoscope.port, chaoscope.pid)
    for (let r = 0; r < RUNS; r++) {
      for (const s of [toxiproxy, chaoscope, chaoscope, toxiproxy]) runs[s.name].push(await wrk(s.port, s.pid))
    }
    const med = (rs) => ({
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      cpuPer1k: median(rs.map((x) => x.cpuPer1k)),
      errors: rs.map((x) => x.errors).filter(Boolean).join('; '),
    })
    const t = med(runs.toxiproxy)
    const c = med(runs.chaoscope)
    results[label] = { toxiproxy: t, chaoscope: c }
    console.log(`\n${label}: wrk -t1 -c${CONNECTIONS} -d${WRK_SECONDS}s, A B B A x ${RUNS}, median of ${RUNS * 2} runs each`)
    for (const [name, v] of [['toxiproxy', t], ['chaoscope', c]]) {
      console.log(`  ${name.padEnd(10)} ${v.rps.toFixed(0).padStart(7)} req/s  p50 ${v.p50.toFixed(2)} ms  p99 ${v.p99.toFixed(2)} ms  CPU ${v.cpuPer1k.toFixed(1)} ms/1k req${v.errors ? '  ' + v.errors : ''}`)
    }
    console.log(`  chaoscope/toxiproxy: throughput ${(c.rps / t.rps).toFixed(2)}x (goal >= 1x), p99 ${(c.p99 / t.p99).toFixed(2)}x, CPU per request ${(c.cpuPer1k / t.cpuPer1k).toFixed(2)}x`)
  }

  // direct, for reference
  const direct = []
  for (let r = 0; r < RUNS; r++) direct.push(await wrk(up.port, up.pid))
  console.log(`\ndirect to the upstream: ${median(direct.map((x) => x.rps)).toFixed(0)} req/s, p50 ${median(direct.map((x) => x.p50)).toFixed(2)} ms`)

  await measure('no toxic')
  const base = {}
  for (const s of servers) base[s.name] = await paced(s.port, FIDELITY_N)
  for (const s of servers) await api(s.url, 'POST', '/proxies/bench/toxics', { type: 'latency', attributes: { latency: LATENCY_MS } })
  await measure(`latency toxic ${LATENCY_MS} ms downstream`)
  console.log(`\nlatency fidelity: ${FIDELITY_N} requests one at a time on one keep-alive connection, ${LATENCY_MS} ms asked`)
  for (const s of servers) {
    const withToxic = await paced(s.port, FIDELITY_N)
    const added = q(withToxic, 0.5) - q(base[s.name], 0.5)
    results[`fidelity ${s.name}`] = { base: q(base[s.name], 0.5), p50: q(withToxic, 0.5), p99: q(withToxic, 0.99), added }
    console.log(
      `  ${s.name.padEnd(10)} no toxic p50 ${q(base[s.name], 0.5).toFixed(2)} ms; with it p50 ${q(withToxic, 0.5).toFixed(2)} ms, p99 ${q(withToxic, 0.99).toFixed(2)} ms, ` +
        `max ${withToxic.at(-1).toFixed(2)} ms; added ${added.toFixed(2)} ms (${((added / LATENCY_MS) * 100).toFixed(0)}% of asked)`,
    )
  }
  console.log(`\nlatency floor under load: ${CONNECTIONS} connections at once, each one request at a time (no pause), ${LATENCY_MS} ms asked`)
  for (const s of servers) {
    const all = (await Promise.all(Array.from({ length: CONNECTIONS }, () => paced(s.port, Math.ceil(FIDELITY_N / 4), 0)))).flat().sort((a, b) => a - b)
    const early = all.filter((x) => x < LATENCY_MS).length / all.length
    results[`floor ${s.name}`] = { min: all[0], p1: q(all, 0.01), p50: q(all, 0.5), early }
    console.log(`  ${s.name.padEnd(10)} ${all.length} responses: min ${all[0].toFixed(2)} ms, p1 ${q(all, 0.01).toFixed(2)} ms, p50 ${q(all, 0.5).toFixed(2)} ms; sooner than asked: ${(early * 100).toFixed(1)}%`)
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(results))
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  await sleep(300)
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  if (chaoscope?.home) rmSync(chaoscope.home, { recursive: true, force: true })
}
