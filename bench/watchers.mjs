// Watchers benchmark: the apply rate of `chaoscope server` with no watcher and with 1 000 idle watchers, arms
// interleaved A B B A. A watcher is a real HTTP connection to /api/v1/watch reading its stream: one "probe" in a
// process of its own parses every event and times the ADDED ones; the other 999 share a second process and count
// the events in the bytes. Each arm has a fresh runtime (20 pods of `sleep`), a fresh `chaoscope server` (its own
// process, started as bench/controller.mjs starts it for its scale part) and a fresh database; it applies
// NetworkChaos experiments one after another and measures
//   calls/s     applies answered per second, and
//   injected/s  experiments applied and their effect held by the runtime, per second (until the last is injected).
// Bounded: APPLIES per arm, ARM_LIMIT_MS for the applies and again for the injections, 15 s for the watchers to
// catch up.
//
// Usage: npm run build && node bench/watchers.mjs [--quick] [--watchers N] [--root DIR]
//   --root DIR  the tree whose dist/ and bin/ to run (a worktree of an older commit, for a before/after figure)
import { fork, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const now = () => performance.timeOrigin + performance.now() // a wall clock every process on the machine shares

if (process.argv[2] === '--watchers-child') await watchers(process.argv[3], Number(process.argv[4]), process.argv[5] === 'probe')
else await main()

// ---- a child: N watchers reading their streams --------------------------------------------------------------
async function watchers(base, n, probe) {
  const url = new URL('/api/v1/watch', base)
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
  const stats = { ready: 0, changes: 0, dropped: 0, ended: 0, bytes: 0 }
  /** When the probe saw each object ADDED. */
  const added = {}
  const CHANGE = Buffer.from('event: change\n')
  const DROPPED = Buffer.from('event: dropped')
  const READY = Buffer.from('event: ready')
  const count = (b, pattern) => {
    let k = 0
    for (let i = b.indexOf(pattern); i >= 0; i = b.indexOf(pattern, i + pattern.length)) k++
    return k
  }
  const open = () =>
    new Promise((resolveReady, reject) => {
      const req = http.get(url, { agent, headers: { authorization: `Bearer ${process.env.CHAOSCOPE_TOKEN}` } }, (res) => {
        let ready = false
        const isReady = () => {
          if (ready) return
          ready = true
          stats.ready++
          resolveReady()
        }
        res.on('end', () => stats.ended++)
        res.on('error', () => {})
        if (probe) {
          let buf = ''
          res.setEncoding('utf8')
          res.on('data', (d) => {
            stats.bytes += d.length
            buf += d
            let end
            while ((end = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, end)
              buf = buf.slice(end + 2)
              if (block.startsWith('event: change')) {
                stats.changes++
                if (block.includes('"type":"ADDED"')) {
                  const name = /"metadata":\{"name":"([^"]+)"/.exec(block)?.[1]
                  if (name) added[name] = now()
                }
              } else if (block.startsWith('event: dropped')) stats.dropped++
              else if (block.startsWith('event: ready')) isReady()
            }
          })
        } else {
          // counted in the bytes as they come, not decoded (a cheap load generator); an event name split over
          // two reads is found in the few bytes around the split
          let carry = Buffer.alloc(0)
          res.on('data', (d) => {
            stats.bytes += d.length
            const seam = Buffer.concat([carry, d.subarray(0, CHANGE.length - 1)])
            stats.changes += count(d, CHANGE) + count(seam, CHANGE)
            if (count(d, DROPPED) + count(seam, DROPPED) > 0) stats.dropped++
            if (!ready && count(Buffer.concat([carry, d]), READY) > 0) isReady()
            carry = Buffer.from(d.subarray(Math.max(0, d.length - (CHANGE.length - 1))))
          })
        }
      })
      req.on('error', reject)
    })
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, open))
  process.send({ stats })
  process.on('message', (m) => {
    if (m === 'stats') process.send({ stats, added })
    if (m === 'exit') process.exit(0)
  })
}

async function main() {
  const QUICK = process.argv.includes('--quick')
  const WATCHERS = Number(arg('--watchers', '1000'))
  const APPLIES = QUICK ? 100 : 300
  const ARM_LIMIT_MS = 60_000
  const PODS = 20
  const ROOT = resolve(arg('--root', join(import.meta.dirname, '..')))
  const BIN = join(ROOT, 'bin/chaoscope.js')
  const { controllerClient, loadApp, startRuntimeServer } = await import(join(ROOT, 'dist/src/index.js'))
  const pct = (xs, p) => {
    const v = [...xs].sort((a, b) => a - b)
    return v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)]
  }
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-bench-watchers-'))
  process.env.CHAOSCOPE_HOME = home
  const appFile = join(home, 'app.yaml')
  writeFileSync(appFile, `apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: watchers}
spec:
  services:
    - {name: a, command: ["sleep", "3600"], replicas: ${PODS}}
`)
  const app = await loadApp(appFile)
  if ('issues' in app) throw new Error(JSON.stringify(app.issues))
  const experiment = (i, pod) => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: w-${i}, labels: {bench: watchers}}
spec:
  action: delay
  mode: all
  selector: {pods: {default: [${pod}]}}
  delay: {latency: 10ms}
`
  const startChild = async (url, n, probe) => {
    const child = fork(import.meta.filename, ['--watchers-child', url, String(n), probe ? 'probe' : 'bulk'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ask = () => new Promise((r, j) => {
      child.once('message', r)
      child.once('exit', (code) => j(new Error(`watchers exited ${code}`)))
    })
    await ask()
    return { child, stats: async () => (child.send('stats'), ask()) }
  }

  async function arm(label, watchers, n) {
    const rt = await startRuntimeServer(app.resource, appFile, { stateless: true, hostPorts: 'ephemeral' })
    await rt.runtime.waitReady(60_000)
    const pods = rt.runtime.pods().map((p) => p.name)
    let out = ''
    const server = spawn(process.execPath, [BIN, 'server', '--runtime', rt.state.url, '--db', join(home, `${label}-${n}.db`), '--port', '0'], { env: { ...process.env, CHAOSCOPE_RUNTIME_TOKEN: rt.state.token }, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise((r) => server.once('exit', r))
    server.stdout.on('data', (d) => (out += d))
    server.stderr.on('data', (d) => (out += d))
    const startBy = Date.now() + 30_000
    while (!/API (http:\S+)\/api\/v1/.test(out)) {
      if (server.exitCode !== null || Date.now() > startBy) throw new Error(`server did not start: ${out}`)
      await sleep(20)
    }
    const url = /API (http:\S+)\/api\/v1/.exec(out)[1]
    const token = readFileSync(join(home, 'token'), 'utf8').trim() // the local admin token the server wrote
    process.env.CHAOSCOPE_TOKEN = token // for the watcher children
    const api = await controllerClient(url, token)
    const probe = watchers > 0 ? await startChild(url, 1, true) : undefined
    const bulk = watchers > 1 ? await startChild(url, watchers - 1, false) : undefined
    const cpu0 = readCpu(server.pid)
    const t0 = performance.now()
    let applied = 0
    const sent = {}
    while (applied < APPLIES && performance.now() - t0 < ARM_LIMIT_MS) {
      sent[`w-${applied}`] = now()
      await api.apply(experiment(applied, pods[applied % pods.length]))
      applied++
    }
    const tCalls = performance.now() - t0
    let injected = 0
    while (performance.now() - t0 < tCalls + ARM_LIMIT_MS) {
      injected = (await rt.runtime.effects()).length
      if (injected >= applied) break
      await sleep(10)
    }
    const tInjected = performance.now() - t0
    const cpuMs = readCpu(server.pid) - cpu0
    let watch
    if (probe) {
      // until the watchers have caught up (their counts stop growing), at most 15 s
      let last = -1
      let p
      let b
      for (const by = Date.now() + 15_000; Date.now() < by; await sleep(300)) {
        ;[p, b] = await Promise.all([probe.stats(), bulk?.stats()])
        const seen = p.stats.changes + (b?.stats.changes ?? 0)
        if (seen === last) break
        last = seen
      }
      const perWatcher = p.stats.changes
      const others = b?.stats ?? { changes: 0, dropped: 0, ended: 0 }
      const delays = Object.entries(sent).filter(([name]) => p.added[name] !== undefined).map(([name, t]) => p.added[name] - t)
      watch = { perWatcher, all: perWatcher * watchers === p.stats.changes + others.changes, dropped: p.stats.dropped + others.dropped, ended: p.stats.ended + others.ended, delays }
      probe.child.send('exit')
      bulk?.child.send('exit')
    }
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024
    server.kill('SIGTERM')
    await exited
    await rt.close()
    const r = { label, watchers, applied, injected, callsPerS: (applied / tCalls) * 1000, injectedPerS: (injected / tInjected) * 1000, cpuMs, rss, watch }
    console.error(`${label}: ${watchers} watchers, ${applied} applies in ${(tCalls / 1000).toFixed(1)} s (${r.callsPerS.toFixed(1)}/s), ${injected} injected by ${(tInjected / 1000).toFixed(1)} s (${r.injectedPerS.toFixed(1)}/s), server CPU ${(cpuMs / 1000).toFixed(1)} s${watch ? `; ${watch.perWatcher} changes each, every watcher all of them: ${watch.all}, ${watch.dropped} dropped; ADDED seen by the probe p50 ${pct(watch.delays, 50).toFixed(1)} ms, p99 ${pct(watch.delays, 99).toFixed(1)} ms after the apply was sent` : ''}`)
    return r
  }

  const arms = []
  for (const [label, w] of [['A', 0], ['B', WATCHERS], ['B', WATCHERS], ['A', 0]]) arms.push(await arm(label, w, arms.length))
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
  const of = (label, k) => mean(arms.filter((a) => a.label === label).map((a) => a[k]))
  const cpu = cpus()
  const rows = arms
    .map((a, i) => `| ${i + 1} | ${a.label} | ${a.watchers} | ${a.applied} | ${a.callsPerS.toFixed(1)} | ${a.injected} | ${a.injectedPerS.toFixed(1)} | ${(a.cpuMs / 1000).toFixed(1)} s | ${a.rss.toFixed(0)} MiB | ${a.watch ? `${a.watch.perWatcher}, ${a.watch.all ? 'yes' : 'NO'} / ${a.watch.dropped}` : '–'} | ${a.watch ? `${pct(a.watch.delays, 50).toFixed(0)} / ${pct(a.watch.delays, 99).toFixed(0)} ms` : '–'} |`)
    .join('\n')
  console.log(`\`node bench/watchers.mjs${QUICK ? ' --quick' : ''}${ROOT === resolve(import.meta.dirname, '..') ? '' : ` --root ${ROOT}`}\` on ${new Date().toISOString().slice(0, 10)}, ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}.
${APPLIES} NetworkChaos applies per arm, one after another, over ${PODS} pods; ${WATCHERS} watchers in arms B.

| arm | | watchers | applies | calls/s | injected | injected/s | server CPU | server RSS | changes per watcher, all got all / dropped | ADDED seen p50 / p99 |
|---|---|---|---|---|---|---|---|---|---|---|
${rows}

ratio B/A: calls ${(of('B', 'callsPerS') / of('A', 'callsPerS')).toFixed(2)}, injected ${(of('B', 'injectedPerS') / of('A', 'injectedPerS')).toFixed(2)}
`)
  process.exit(0)
}

/** User + system CPU of a process, in ms (from /proc; clock ticks are 100 a second on Linux). */
function readCpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}
