// Controller benchmarks: apply-to-effect and delete-to-recovered through the controller API, against the same
// fault added and removed directly through the runtime's control API (the baseline, same run, same sidecar);
// and scale: 500 concurrent experiments over 200 pods, the controller as its own process (`chaoscope server`).
//
// Usage: npm run build && node bench/controller.mjs [--quick]
import { spawn } from 'node:child_process'
import { seeded } from '../test/seeded.mjs'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { controllerClient, loadApp, startRuntimeServer, startUpController } from '../dist/src/index.js'

const QUICK = process.argv.includes('--quick')
const ROUNDS = QUICK ? 10 : 40
const SCALE_EXPERIMENTS = QUICK ? 100 : 500
const ROOT = join(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const fmt = (x) => `${x.toFixed(1)} ms`
const home = mkdtempSync(join(tmpdir(), 'chaoscope-bench-'))
process.env.CHAOSCOPE_HOME = home


// ---- part 1: apply-to-effect and delete-to-recovered on the chain -----------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
function timedGet(port) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ start, ms: performance.now() - start }))
    })
    req.on('error', reject)
  })
}
/** Sends requests back to back until one satisfies `affected`; returns its start time. */
async function firstWhere(port, pred, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const r = await timedGet(port)
    if (pred(r.ms)) return r.start
    if (performance.now() > deadline) throw new Error('no request changed within the timeout')
  }
}

const LATENCY_MS = 50
const chainFile = join(ROOT, 'demo/chain/app.yaml')
const chain = await loadApp(chainFile)
const rtServer = await startRuntimeServer(chain.resource, chainFile, { stateless: true, hostPorts: 'ephemeral' })
await rtServer.runtime.waitReady(30_000)
const ctl = await startUpController(rtServer, { stateless: true, db: join(home, 'effect.db') })
const api = await controllerClient(rtServer.state.url, ctl.adminToken)
const rtAuth = { authorization: `Bearer ${rtServer.state.token}` }
const middle = rtServer.runtime.pods('app=middle')[0].name
const edge = (await rtServer.runtime.stats()).find((s) => s.name === `${middle}>back`)
const port = edge.port
for (let i = 0; i < 50; i++) await timedGet(port) // warm up

const yaml = (name) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app: middle}}
  direction: to
  target: {mode: all, selector: {labelSelectors: {app: back}}}
  delay: {latency: ${LATENCY_MS}ms}
`
const affected = (ms) => ms >= LATENCY_MS * 0.8
const clean = (ms) => ms < LATENCY_MS * 0.5
const res = { ctlApply: [], ctlEffect: [], ctlDelete: [], ctlRecovered: [], rtAdd: [], rtEffect: [], rtRemove: [], rtRecovered: [] }
for (let i = 0; i < ROUNDS; i++) {
  // through the controller
  let t0 = performance.now()
  await api.apply(yaml(`bench-${i}`))
  let t1 = performance.now()
  res.ctlApply.push(t1 - t0)
  res.ctlEffect.push((await firstWhere(port, affected)) - t1)
  t0 = performance.now()
  await api.delete('NetworkChaos', 'default', `bench-${i}`)
  t1 = performance.now()
  res.ctlDelete.push(t1 - t0)
  res.ctlRecovered.push((await firstWhere(port, clean)) - t1)
  // baseline: the same fault straight through the runtime's control API
  const id = `baseline-${i}`
  t0 = performance.now()
  const add = await fetch(`${rtServer.state.url}/runtime/v1/effects`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...rtAuth },
    body: JSON.stringify({ id, type: 'sidecar-fault', target: { pod: middle, edge: 'back' }, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: LATENCY_MS } } }),
  })
  await add.text()
  t1 = performance.now()
  res.rtAdd.push(t1 - t0)
  res.rtEffect.push((await firstWhere(port, affected)) - t1)
  t0 = performance.now()
  await (await fetch(`${rtServer.state.url}/runtime/v1/effects/${id}`, { method: 'DELETE', headers: rtAuth })).text()
  t1 = performance.now()
  res.rtRemove.push(t1 - t0)
  res.rtRecovered.push((await firstWhere(port, clean)) - t1)
}
await ctl.close()
await rtServer.close()
agent.destroy()

// ---- part 2: scale: 500 experiments over 200 pods, the controller in its own process -----------------------
const appFile = join(home, 'scale-app.yaml')
writeFileSync(appFile, `apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: scale}
spec:
  services:
    - {name: a, command: ["sleep", "3600"], replicas: 100}
    - {name: b, command: ["sleep", "3600"], replicas: 100}
`)
const scaleApp = await loadApp(appFile)
if ('issues' in scaleApp) throw new Error(JSON.stringify(scaleApp.issues))
const scaleRt = await startRuntimeServer(scaleApp.resource, appFile, { stateless: true, hostPorts: 'ephemeral' })
await scaleRt.runtime.waitReady(120_000)
const pods = scaleRt.runtime.pods().map((p) => p.name)
let out = ''
const server = spawn(process.execPath, [BIN, 'server', '--runtime', scaleRt.state.url, '--db', join(home, 'scale.db'), '--port', '0'], { env: { ...process.env, CHAOSCOPE_RUNTIME_TOKEN: scaleRt.state.token }, stdio: ['ignore', 'pipe', 'pipe'] })
server.stdout.on('data', (d) => (out += d))
server.stderr.on('data', (d) => (out += d))
while (!/API (http:\S+)\/api\/v1/.test(out)) {
  if (server.exitCode !== null) throw new Error(out)
  await sleep(50)
}
const scaleToken = readFileSync(join(home, 'token'), 'utf8').trim() // the local admin token the server wrote
const scaleApi = await controllerClient(/API (http:\S+)\/api\/v1/.exec(out)[1], scaleToken)
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024
const rssIdle = rss()
let rssPeak = rssIdle
const lastSeen = new Map()
let watching = true
const watcher = (async () => {
  while (watching) {
    const now = Date.now()
    for (const e of await scaleRt.runtime.effects()) if (e.owner) lastSeen.set(e.owner.experiment, now)
    rssPeak = Math.max(rssPeak, rss())
    await sleep(100)
  }
})()
const random = seeded(42)
const t0 = performance.now()
const applied = await Promise.all(Array.from({ length: SCALE_EXPERIMENTS }, (_, i) => {
  const pod = pods[i % pods.length]
  const duration = `${5 + Math.floor(random() * 11)}s`
  return scaleApi.apply(`apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: scale-${i}}
spec:
  action: delay
  mode: all
  selector: {pods: {default: [${pod}]}}
  delay: {latency: 10ms}
  duration: ${duration}
`)
}))
const applyAllMs = performance.now() - t0
const ends = new Map(applied.map((r) => {
  const o = r.items[0].object
  return [o.metadata.uid, Date.parse(o.metadata.creationTimestamp) + parseFloat(o.spec.duration) * 1000]
}))
const lastEnd = Math.max(...ends.values())
while (Date.now() < lastEnd + 2500) await sleep(200)
watching = false
await watcher
const metrics = await (await fetch(`${scaleApi.url}/metrics`, { headers: { authorization: `Bearer ${scaleToken}` } })).text()
// p99 of reconcile duration from the histogram's buckets (upper bound of the bucket holding the 99th percentile)
const buckets = [...metrics.matchAll(/^chaoscope_reconcile_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)].reduce((m, [, le, n]) => m.set(le, (m.get(le) ?? 0) + Number(n)), new Map())
const total = buckets.get('+Inf') ?? 0
let p99Le = '+Inf'
for (const [le, n] of [...buckets].sort((x, y) => (x[0] === '+Inf' ? 1 : y[0] === '+Inf' ? -1 : Number(x[0]) - Number(y[0])))) {
  if (n >= total * 0.99) {
    p99Le = le
    break
  }
}
const overshoot = [...lastSeen].filter(([uid]) => ends.has(uid)).map(([uid, seen]) => seen - ends.get(uid))
const late = overshoot.filter((x) => x > 1000).length
const left = (await scaleRt.runtime.effects()).length
server.kill('SIGTERM')
await new Promise((r) => server.once('exit', r))
await scaleRt.close()

const row = (name, c, b) => `| ${name} | ${fmt(pct(c, 50))} | ${fmt(pct(c, 95))} | ${fmt(pct(b, 50))} | ${fmt(pct(b, 95))} |`
const report = `## Controller

\`node bench/controller.mjs${QUICK ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)} (${ROUNDS} rounds; the chain demo; a ${LATENCY_MS} ms NetworkChaos delay on
middle → back, measured with back-to-back requests through that egress sidecar). Baseline: the same fault added and
removed directly through the runtime's control API (\`POST /runtime/v1/effects\`, \`DELETE /runtime/v1/effects/:id\`), in
the same run. "effect" is from the call returning to the start of the first request that shows the change.

| measure | controller p50 | controller p95 | baseline p50 | baseline p95 |
|---|---|---|---|---|
${row('apply (or add) call', res.ctlApply, res.rtAdd)}
${row('apply-to-effect', res.ctlEffect, res.rtEffect)}
${row('delete (or remove) call, waits for recovery', res.ctlDelete, res.rtRemove)}
${row('delete-to-recovered', res.ctlRecovered, res.rtRecovered)}
| call + effect, apply | ${fmt(pct(res.ctlApply.map((x, i) => x + res.ctlEffect[i]), 50))} | ${fmt(pct(res.ctlApply.map((x, i) => x + res.ctlEffect[i]), 95))} | ${fmt(pct(res.rtAdd.map((x, i) => x + res.rtEffect[i]), 50))} | ${fmt(pct(res.rtAdd.map((x, i) => x + res.rtEffect[i]), 95))} |
| call + recovery, delete | ${fmt(pct(res.ctlDelete.map((x, i) => x + res.ctlRecovered[i]), 50))} | ${fmt(pct(res.ctlDelete.map((x, i) => x + res.ctlRecovered[i]), 95))} | ${fmt(pct(res.rtRemove.map((x, i) => x + res.rtRecovered[i]), 50))} | ${fmt(pct(res.rtRemove.map((x, i) => x + res.rtRecovered[i]), 95))} |

### Scale: ${SCALE_EXPERIMENTS} concurrent experiments over ${pods.length} pods

${SCALE_EXPERIMENTS} NetworkChaos delays (10 ms, durations 5–15 s, seed 42), each on one of ${pods.length} pods' ingress sidecars
(2 services × 100 replicas of \`sleep\`), applied at once through the API of \`chaoscope server\` (its own process,
talking to the runtime over HTTP).

| measure | value |
|---|---|
| all ${SCALE_EXPERIMENTS} applies answered | ${(applyAllMs / 1000).toFixed(1)} s |
| reconciles | ${total} |
| reconcile p99 (histogram bucket bound) | ≤ ${p99Le === '+Inf' ? '∞' : `${Number(p99Le) * 1000} ms`} |
| server RSS idle → peak | ${rssIdle.toFixed(0)} MiB → ${rssPeak.toFixed(0)} MiB |
| faults seen on the runtime (owners) | ${lastSeen.size} |
| fault removal after its experiment's end, max (100 ms polling) | ${fmt(Math.max(...overshoot))} |
| faults removed later than 1 s after their end | ${late} |
| faults left at the end | ${left} |
`
console.log(report)
process.exit(0)
