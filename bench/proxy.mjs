// Sidecar proxy benchmarks: throughput and p99 through the TCP and HTTP sidecars against a direct connection
// and HAProxy (TCP mode), latency-fault fidelity, and fault switch time. Every ratio compares runs made in
// this same process, against the same upstream, with the same load tool (wrk).
//
// Usage: npm run build && node bench/proxy.mjs [--quick]
// Needs wrk and haproxy on PATH (scripts/setup.sh installs them).
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { DataPlane } from '../dist/src/runtime/proxy/data-plane.js'
import { freePort, haproxyTcpConfig } from './lib.mjs'

const QUICK = process.argv.includes('--quick')
const WRK_SECONDS = QUICK ? 2 : 5
const RUNS = QUICK ? 1 : 3
const FIDELITY_N = QUICK ? 2000 : 10_000
const SWITCHES = QUICK ? 50 : 200

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
for (const cmd of ['wrk', 'haproxy']) {
  if (!has(cmd)) {
    console.error(`bench: ${cmd} is missing; run scripts/setup.sh`)
    process.exit(2)
  }
}

// ---- the upstream: a plain Node HTTP server in a process of its own ---------------------------------------
const UPSTREAM = `
const http = require('node:http')
const body = Buffer.from('hello, sidecar\\n')
const s = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))
`
function startUpstream() {
  const child = spawn(process.execPath, ['-e', UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve) => {
    child.stdout.once('data', (b) => resolve({ port: Number(String(b).trim()), child }))
  })
}

// ---- HAProxy in TCP mode ----------------------------------------------------------------------------------
async function startHaproxy(upPort) {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-haproxy-'))
  const port = await freePort()
  const cfg = haproxyTcpConfig(port, upPort, 1000)
  writeFileSync(join(dir, 'haproxy.cfg'), cfg)
  const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'inherit'] })
  let ok = false
  for (let i = 0; i < 100 && !ok; i++) {
    ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)))
      s.on('error', () => r(false))
    })
    if (!ok) await sleep(50)
  }
  if (!ok) throw new Error('haproxy did not start')
  return { port, stop: () => (child.kill(), rmSync(dir, { recursive: true, force: true })) }
}

// ---- wrk ---------------------------------------------------------------------------------------------------
function toMs(s) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s)
  if (!m) return NaN
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1)
}
function wrk(port, connections = 32) {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${WRK_SECONDS}s`, '--latency', `http://127.0.0.1:${port}/`], {
    encoding: 'utf8',
  })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1])
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)[1])
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)[1])
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out)?.[0] ?? ''
  return { rps, p50, p99, errors }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// ---- a raw keep-alive HTTP client for fidelity and switch timing --------------------------------------------
class Conn {
  constructor(port) {
    this.sock = net.connect({ port, host: '127.0.0.1', noDelay: true })
    this.buf = Buffer.alloc(0)
    this.waiter = null
    this.sock.on('data', (b) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : b
      this.tryComplete()
    })
    this.ready = new Promise((r) => this.sock.once('connect', r))
  }
  tryComplete() {
    if (!this.waiter) return
    const e = this.buf.indexOf('\r\n\r\n')
    if (e < 0) return
    const head = this.buf.toString('latin1', 0, e)
    const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
    if (this.buf.length < e + 4 + len) return
    this.buf = this.buf.subarray(e + 4 + len)
    const status = Number(head.slice(9, 12))
    const w = this.waiter
    this.waiter = null
    w({ status, head, at: performance.now() })
  }
  get() {
    return new Promise((resolve) => {
      this.waiter = resolve
      this.sock.write('GET / HTTP/1.1\r\nhost: bench\r\n\r\n')
    })
  }
  close() {
    this.sock.destroy()
  }
}

/**
 * n requests over `concurrency` keep-alive connections, each connection starting a request every
 * `intervalMs` (paced, so the offered load is the same with and without a fault and nothing queues);
 * returns per-request latencies in ms, sorted.
 */
async function load(port, n, concurrency, intervalMs) {
  const conns = Array.from({ length: concurrency }, () => new Conn(port))
  await Promise.all(conns.map((c) => c.ready))
  const lat = []
  let issued = 0
  await Promise.all(
    conns.map(async (c, i) => {
      await sleep((i * intervalMs) / concurrency)
      while (issued < n) {
        issued++
        const t = performance.now()
        await c.get()
        lat.push(performance.now() - t)
        const wait = intervalMs - (performance.now() - t)
        if (wait > 0) await sleep(wait)
      }
    }),
  )
  conns.forEach((c) => c.close())
  return lat.sort((a, b) => a - b)
}
const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

// ---- main ----------------------------------------------------------------------------------------------------
const results = {}
const up = await startUpstream()
const dp = await DataPlane.start()
const tcp = await dp.createProxy({ name: 'bench-tcp', mode: 'tcp', upstreams: [`127.0.0.1:${up.port}`] })
const http = await dp.createProxy({ name: 'bench-http', mode: 'http', upstreams: [`127.0.0.1:${up.port}`] })
const ha = await startHaproxy(up.port)
try {
  console.log(`machine: ${cpus().length} x ${cpus()[0].model}, node ${process.version}`)
  // Throughput and p99: interleave the targets so drift in machine load hits them all alike.
  const targets = { direct: up.port, 'tcp sidecar': tcp.port, 'haproxy tcp': ha.port, 'http sidecar': http.port }
  const runs = Object.fromEntries(Object.keys(targets).map((k) => [k, []]))
  for (const port of Object.values(targets)) wrk(port) // warm-up
  for (let r = 0; r < RUNS; r++) for (const [k, port] of Object.entries(targets)) runs[k].push(wrk(port))
  const thr = {}
  for (const [k, rs] of Object.entries(runs)) {
    thr[k] = { rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)) }
    const errs = rs.map((x) => x.errors).filter(Boolean)
    if (errs.length) thr[k].errors = errs.join('; ')
  }
  results.throughput = thr
  console.log(`\nwrk -t1 -c32 -d${WRK_SECONDS}s, median of ${RUNS} runs (requests/s, p50, p99):`)
  for (const [k, v] of Object.entries(thr)) {
    console.log(`  ${k.padEnd(13)} ${v.rps.toFixed(0).padStart(8)} req/s  p50 ${v.p50.toFixed(2)} ms  p99 ${v.p99.toFixed(2)} ms${v.errors ? '  ' + v.errors : ''}`)
  }
  const ratio = (a, b) => (thr[a].rps / thr[b].rps).toFixed(2)
  console.log(`  ratios: tcp sidecar/direct ${ratio('tcp sidecar', 'direct')}x, tcp sidecar/haproxy ${ratio('tcp sidecar', 'haproxy tcp')}x, ` +
    `haproxy/direct ${ratio('haproxy tcp', 'direct')}x, http sidecar/direct ${ratio('http sidecar', 'direct')}x (goal >= 0.6x)`)

  // Latency fault fidelity: the same client with and without a 100 ms fault.
  for (const [mode, port, name, dir] of [
    ['http', http.port, 'bench-http', 'upstream'],
    ['tcp', tcp.port, 'bench-tcp', 'downstream'],
  ]) {
    const conc = 100
    const base = await load(port, FIDELITY_N, conc, 150)
    await dp.addFault(name, { id: 'fid', type: 'latency', direction: dir, latencyMs: 100 })
    const slow = await load(port, FIDELITY_N, conc, 150)
    await dp.removeFault(name, 'fid')
    const added50 = q(slow, 0.5) - q(base, 0.5)
    const added99 = q(slow, 0.99) - q(base, 0.99)
    results[`fidelity_${mode}`] = { n: FIDELITY_N, concurrency: conc, base50: q(base, 0.5), base99: q(base, 0.99), fault50: q(slow, 0.5), fault99: q(slow, 0.99), added50, added99 }
    console.log(`\nlatency fault 100 ms (${mode} mode, ${dir}), ${FIDELITY_N} requests x2 over ${conc} keep-alive connections, one request per connection every 150 ms:`)
    console.log(`  without: p50 ${q(base, 0.5).toFixed(2)} ms, p99 ${q(base, 0.99).toFixed(2)} ms; with: p50 ${q(slow, 0.5).toFixed(2)} ms, p99 ${q(slow, 0.99).toFixed(2)} ms`)
    console.log(`  added: median ${added50.toFixed(2)} ms (goal 100 ± 1), p99 ${added99.toFixed(2)} ms (goal 100 ± 3); min with fault ${slow[0].toFixed(2)} ms`)
  }

  // Fault switch time: control call → first affected response, with requests flowing on 4 connections.
  const conns = Array.from({ length: 4 }, () => new Conn(http.port))
  await Promise.all(conns.map((c) => c.ready))
  let want = 0
  let seenAt = 0
  let stop = false
  // Each connection sends a request every ~1 ms: the traffic is continuous without saturating the machine.
  const loops = conns.map(async (c) => {
    while (!stop) {
      const r = await c.get()
      if (seenAt === 0 && ((want === 503 && r.status === 503) || (want === 200 && r.status === 200))) seenAt = r.at
      await sleep(1)
    }
  })
  const on = []
  const off = []
  const fault = { id: 'sw', type: 'http', direction: 'downstream', target: 'Response', action: 'replace', replace: { code: 503 } }
  for (let i = 0; i < SWITCHES; i++) {
    want = 503
    seenAt = 0
    let t0 = performance.now()
    await dp.addFault('bench-http', fault)
    while (seenAt === 0) await new Promise((r) => setImmediate(r))
    on.push(seenAt - t0)
    want = 200
    seenAt = 0
    t0 = performance.now()
    await dp.removeFault('bench-http', 'sw')
    while (seenAt === 0) await new Promise((r) => setImmediate(r))
    off.push(seenAt - t0)
  }
  stop = true
  await Promise.all(loops)
  conns.forEach((c) => c.close())
  on.sort((a, b) => a - b)
  off.sort((a, b) => a - b)
  results.switch = { n: SWITCHES, addP50: q(on, 0.5), addP95: q(on, 0.95), addMax: on[on.length - 1], removeP50: q(off, 0.5), removeP95: q(off, 0.95) }
  console.log(`\nfault switch time (control call -> first affected response; 4 connections, ~1 request/ms each), ${SWITCHES} add/remove cycles:`)
  console.log(`  add: p50 ${q(on, 0.5).toFixed(2)} ms, p95 ${q(on, 0.95).toFixed(2)} ms, max ${on[on.length - 1].toFixed(2)} ms (goal p95 < 10 ms)`)
  console.log(`  remove: p50 ${q(off, 0.5).toFixed(2)} ms, p95 ${q(off, 0.95).toFixed(2)} ms`)
  console.log('\n' + JSON.stringify(results))
} finally {
  ha.stop()
  up.child.kill()
  await dp.close()
}
