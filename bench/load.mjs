// Load generator benchmarks: `chaoscope load` against autocannon and wrk on the same target in the same run.
//   1. maximum throughput, closed model (50 connections), chaoscope with 1 and 2 worker threads, autocannon
//      and wrk -t1, interleaved A B C D D C B A …, medians of several runs;
//   2. the open model's achieved/target rate at 1 000 and 5 000 req/s (late and dropped sends, p99), with
//      autocannon -R at the same rate beside it;
//   3. a target that stalls once for exactly 1 s under 1 000 req/s: the p99 and p99.9 chaoscope reports
//      (from each request's intended time) against its own uncorrected service time and autocannon's closed loop.
// Every tool and the target are separate processes started the same way (plain spawn under /usr/bin/time, no
// setsid), all traffic to 127.0.0.1. Each loop is bounded: the default run takes under 3 minutes, --quick ~40 s.
//
// Usage: npm run build && node bench/load.mjs [--quick] [--runner cli|lib] [--only max,open,stall]
//   --runner cli: `node bin/chaoscope.js load …`; lib: bench/load-runner.mjs (the library from dist/, for
//   before the CLI verb exists). Default: cli when `chaoscope load --help` works, else lib.
// Needs wrk (scripts/setup.sh installs it) and autocannon (a devDependency).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as hdr from 'hdr-histogram-js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const QUICK = process.argv.includes('--quick')
const RUNNER_ARG = process.argv.includes('--runner') ? process.argv[process.argv.indexOf('--runner') + 1] : undefined

const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : ['max', 'open', 'stall']

const MAX = { seconds: QUICK ? 2 : 4, runs: QUICK ? 1 : 4, connections: 50, warmup: 1 }
const OPEN = { seconds: QUICK ? 2 : 5, runs: QUICK ? 1 : 2, rates: [1000, 5000], connections: 50 }
const STALL = { seconds: QUICK ? 4 : 10, rate: 1000, afterMs: QUICK ? 2000 : 4000, forMs: 1000, fewConnections: 10, manyConnections: 2000 }

const WRK = '/usr/bin/wrk'
const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js')
const TIME = '/usr/bin/time'
const CLI = join(ROOT, 'bin/chaoscope.js')
const RUNNER = join(ROOT, 'bench/load-runner.mjs')
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

for (const [what, path] of [['wrk', WRK], ['autocannon', AUTOCANNON], ['GNU time', TIME]]) {
  if (!existsSync(path)) {
    console.error(`bench: ${what} is missing (${path}); run scripts/setup.sh and npm install`)
    process.exit(2)
  }
}

function chooseRunner() {
  if (RUNNER_ARG === 'lib' || RUNNER_ARG === 'cli') return RUNNER_ARG
  const help = spawnSync(process.execPath, [CLI, 'load', '--help'], { encoding: 'utf8', cwd: ROOT })
  return help.status === 0 && /--rate/.test(help.stdout + help.stderr) ? 'cli' : 'lib'
}
const MODE = chooseRunner()
if (MODE === 'lib' && !existsSync(join(ROOT, 'dist/src/load/run.js'))) {
  console.error('bench: dist/src/load/run.js is missing; run npx tsc -p tsconfig.build.json (or npm run build)')
  process.exit(2)
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US').replaceAll(',', ' ') : '—')
const fix = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—')
const load = () => `load average ${loadavg()[0].toFixed(1)}`
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—')

// ---- the target ---------------------------------------------------------------------------------------------
function startTarget() {
  const child = spawn(process.execPath, [join(ROOT, 'bench/load-target.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting = []
  const lines = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.findIndex((x) => line.startsWith(x.prefix))
    if (w >= 0) waiting.splice(w, 1)[0].resolve(line)
    else lines.push(line)
  })
  const next = (prefix, timeoutMs = 5000) => {
    const i = lines.findIndex((l) => l.startsWith(prefix))
    if (i >= 0) return Promise.resolve(lines.splice(i, 1)[0])
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench: the target said no "${prefix}" line within ${timeoutMs} ms`)), timeoutMs)
      waiting.push({ prefix, resolve: (l) => (clearTimeout(t), resolve(l)) })
    })
  }
  return next('', 5000).then((first) => ({
    port: Number(first),
    url: `http://127.0.0.1:${Number(first)}/`,
    send: (line) => child.stdin.write(line + '\n'),
    next,
    /** Requests answered since the last call. */
    async served() {
      child.stdin.write('count\n')
      return Number((await next('count ')).split(' ')[1])
    },
    /** CPU seconds (user + system) the target used so far. */
    cpu() {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return (Number(f[11]) + Number(f[12])) / TICK
    },
    stop() {
      child.stdin.end()
      child.kill()
    },
  }))
}

// ---- running one tool ---------------------------------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), 'chaoscope-bench-load-'))
let timeFiles = 0
/** The tool running now, ended with the bench. */
let running

/** Runs a command under GNU time to its end (bounded: kills it 30 s past its planned length). */
function runTool(cmd, args, plannedSeconds) {
  const timeFile = join(scratch, `time-${timeFiles++}`)
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%U %S %e', '-o', timeFile, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT })
    running = child
    let out = ''
    let err = ''
    child.stdout.on('data', (b) => (out += b))
    child.stderr.on('data', (b) => (err += b))
    const killer = setTimeout(() => child.kill('SIGKILL'), (plannedSeconds + 30) * 1000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(killer)
      running = undefined
      let cpu = NaN
      let wall = NaN
      try {
        const [u, s, e] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number)
        cpu = u + s
        wall = e
      } catch {}
      if (code !== 0) return reject(new Error(`bench: ${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))
      resolve({ out, err, cpu, wall })
    })
  })
}

/** `chaoscope load` (or its stand-in): the LoadResult. */
async function chaoscope(url, flags, seconds) {
  const argv = MODE === 'cli' ? [CLI, 'load', url, ...flags, '-q', '-o', 'json'] : [RUNNER, url, ...flags, '-o', 'json']
  const r = await runTool(process.execPath, argv, seconds)
  const json = JSON.parse(r.out.slice(r.out.indexOf('{')))
  return {
    rps: json.throughput,
    total: json.requests,
    errors: json.errors + Object.entries(json.statusCodes).reduce((n, [code, k]) => n + (Number(code) >= 400 ? k : 0), 0),
    p50: json.latency.p50,
    p99: json.latency.p99,
    p999: json.latency.p999,
    max: json.latency.max,
    cpu: r.cpu,
    json,
  }
}

async function autocannon(url, flags, seconds) {
  const r = await runTool(process.execPath, [AUTOCANNON, '-j', ...flags, url], seconds)
  const json = JSON.parse(r.out.slice(r.out.indexOf('{')))
  return {
    rps: json.requests.average,
    total: json.requests.total,
      achieved: json.requests.total / json.duration,
    /** Latency values recorded: more than the responses when -R backfills for coordinated omission. */
    recorded: json.latency.totalCount,
    errors: json.errors + json.timeouts + json.non2xx,
    p50: json.latency.p50,
    p99: json.latency.p99,
    p999: json.latency.p99_9,
    max: json.latency.max,
    cpu: r.cpu,
    json,
  }
}

function wrkTime(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text)
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]] : NaN
}

async function wrk(url, flags, seconds) {
  const r = await runTool(WRK, [...flags, '--latency', url], seconds)
  const pct = (p) => wrkTime((new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(r.out) ?? [])[1] ?? '')
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.out)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.out)
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.out)[1]),
    total: Number(/(\d+) requests in/.exec(r.out)[1]),
    errors: (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
    p50: pct(50),
    p99: pct(99),
    p999: NaN,
    max: wrkTime((/Latency\s+\S+\s+\S+\s+(\S+)/.exec(r.out) ?? [])[1] ?? ''),
    cpu: r.cpu,
  }
}

/** One run of a tool against the target, with the target's own count of what it answered and its CPU. */
async function measured(target, fn, seconds) {
  await target.served()
  const cpu0 = target.cpu()
  const r = await fn()
  r.served = await target.served()
  r.targetCpu = target.cpu() - cpu0
  r.seconds = seconds
  return r
}

function versions() {
  const wrkV = (spawnSync(WRK, ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '').replace(/\s*Copyright.*/, '').trim()
  const acV = spawnSync(process.execPath, [AUTOCANNON, '--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim()
  const gitHead = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: ROOT }).stdout.trim()
  return `${cpus().length} × ${cpus()[0].model}, node ${process.version}, ${wrkV}, ${acV}, chaoscope ${gitHead} via ${MODE === 'cli' ? 'bin/chaoscope.js load' : 'bench/load-runner.mjs (library)'}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`
}

// ---- 1. maximum throughput ----------------------------------------------------------------------------------
async function maxThroughput(target) {
  const c = MAX.connections
  const tools = {
    'chaoscope --workers 1': (s) => chaoscope(target.url, ['--connections', String(c), '--duration', `${s}s`, '--workers', '1'], s),
    'chaoscope --workers 2': (s) => chaoscope(target.url, ['--connections', String(c), '--duration', `${s}s`, '--workers', '2'], s),
    [`autocannon -c${c}`]: (s) => autocannon(target.url, ['-c', String(c), '-d', String(s)], s),
    [`wrk -t1 -c${c}`]: (s) => wrk(target.url, ['-t1', `-c${c}`, `-d${s}s`], s),
  }
  const names = Object.keys(tools)
  console.log(`\n1. maximum throughput: closed model, ${c} keep-alive connections, ${MAX.seconds} s per run, ${MAX.runs} round(s), after a ${MAX.warmup} s warm-up of each tool; ${load()}`)
  for (const n of names) await tools[n](MAX.warmup)
  const runs = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < MAX.runs; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const n of order) {
      const r = await measured(target, () => tools[n](MAX.seconds), MAX.seconds)
      runs[n].push(r)
      console.log(`  round ${round + 1} ${n.padEnd(22)} ${int(r.rps).padStart(7)} req/s (target answered ${int(r.served / MAX.seconds)}/s), p50 ${fix(r.p50)} ms, p99 ${fix(r.p99)} ms, errors ${r.errors}, tool CPU ${fix((r.cpu * 1e6) / r.total, 1)} µs/req, target CPU ${fix((r.targetCpu * 1e6) / r.served, 1)} µs/req`)
    }
  }
  const rows = names.map((n) => {
    const rs = runs[n]
    return {
      name: n,
      rps: median(rs.map((r) => r.rps)),
      served: median(rs.map((r) => r.served / MAX.seconds)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      toolCpuUs: median(rs.map((r) => (r.cpu * 1e6) / r.total)),
      targetBusy: median(rs.map((r) => r.targetCpu / MAX.seconds)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      all: rs.map((r) => r.rps),
    }
  })
  const by = Object.fromEntries(rows.map((r) => [r.name, r]))
  const ac = by[names[2]]
  const wk = by[names[3]]
  /** Each round's ratio, so drift between rounds cancels. */
  const perRound = (a, b) => runs[a].map((r, i) => r.rps / runs[b][i].rps)
  console.log('')
  console.log('| tool | req/s (median) | runs | target answered /s | p50 | p99 | tool CPU per request | target CPU busy | vs autocannon | vs wrk |')
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(`| ${r.name} | ${int(r.rps)} | ${r.all.map(int).join(', ')} | ${int(r.served)} | ${fix(r.p50)} ms | ${fix(r.p99)} ms | ${fix(r.toolCpuUs, 1)} µs | ${fix(r.targetBusy * 100, 0)}% | ${ratio(r.rps, ac.rps)} | ${ratio(r.rps, wk.rps)} |`)
  }
  for (const n of names.slice(0, 2)) {
    const a = perRound(n, names[2])
    const w = perRound(n, names[3])
    console.log(`  ${n}: per-round ratio vs autocannon ${a.map((x) => x.toFixed(2)).join(', ')} (median ${median(a).toFixed(2)}×); vs wrk ${w.map((x) => x.toFixed(2)).join(', ')} (median ${median(w).toFixed(2)}×)`)
  }
  return { rows, by, names, ac, wk }
}

// ---- 2. open model: achieved / target rate ------------------------------------------------------------------
/** Runs `fn` with the target counting arrivals per 100 ms; the counts land in the result's `bins`. */
async function binned(target, fn) {
  target.send('bins on')
  const r = await fn()
  target.send('bins')
  r.bins = (await target.next('bins ')).split(' ').slice(1).filter(Boolean).map(Number)
  return r
}
const minMax = (xs) => (xs.length === 0 ? '—' : `${Math.min(...xs)}–${Math.max(...xs)}`)
/** The windows' spread: min–max and the share of windows with nothing in them. */
const spread = (xs) => `${minMax(xs)} (${xs.filter((x) => x === 0).length} of ${xs.length} windows empty)`

async function openRate(target) {
  const s = OPEN.seconds
  const c = OPEN.connections
  console.log(`\n2. open model: constant rate, ${s} s per run, ${OPEN.runs} run(s) per rate, up to ${c} connections, 1 worker; autocannon -R (a paced closed loop, ${c} connections) beside it; ${load()}`)
  const order = []
  for (let i = 0; i < OPEN.runs; i++) order.push(...(i % 2 === 0 ? OPEN.rates : [...OPEN.rates].reverse()))
  const runs = Object.fromEntries(OPEN.rates.map((r) => [r, []]))
  for (const rate of order) {
    const r = await binned(target, () => measured(target, () => chaoscope(target.url, ['--rate', String(rate), '--connections', String(c), '--duration', `${s}s`, '--workers', '1'], s), s))
    const j = r.json
    runs[rate].push(r)
    console.log(`  chaoscope --rate ${rate}: achieved ${fix(j.achievedRate, 1)}/s (${fix(j.achievedRate / j.targetRate, 4)}), late ${j.late}, dropped ${j.dropped}, errors ${j.errors}, p50 ${fix(j.latency.p50)} ms, p99 ${fix(j.latency.p99)} ms, p99.9 ${fix(j.latency.p999)} ms, max ${fix(j.latency.max)} ms; arrivals per 100 ms at the target ${spread(r.bins)}`)
  }
  const baseline = {}
  for (const rate of OPEN.rates) {
    const r = await binned(target, () => measured(target, () => autocannon(target.url, ['-c', String(c), '-R', String(rate), '-d', String(s)], s), s))
    baseline[rate] = r
    console.log(`  autocannon -R ${rate}: achieved ${fix(r.achieved, 1)}/s (${fix(r.achieved / rate, 4)}), p50 ${fix(r.p50)} ms, p99 ${fix(r.p99)} ms; arrivals per 100 ms at the target ${spread(r.bins)}`)
  }
  console.log('')
  console.log('| target rate | chaoscope achieved / target (median) | runs | late | dropped | p50 | p99 | p99.9 | arrivals per 100 ms (min–max) | autocannon -R achieved / target | its p99 | its arrivals per 100 ms |')
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  const rows = OPEN.rates.map((rate) => {
    const rs = runs[rate].map((r) => r.json)
    const row = {
      rate,
      ratio: median(rs.map((j) => j.achievedRate / j.targetRate)),
      all: rs.map((j) => j.achievedRate / j.targetRate),
      late: rs.map((j) => j.late),
      dropped: rs.map((j) => j.dropped),
      p50: median(rs.map((j) => j.latency.p50)),
      p99: median(rs.map((j) => j.latency.p99)),
      p999: median(rs.map((j) => j.latency.p999)),
      bins: runs[rate].flatMap((r) => r.bins),
      ac: baseline[rate],
    }
    console.log(`| ${int(rate)}/s | **${fix(row.ratio, 4)}** | ${row.all.map((x) => fix(x, 4)).join(', ')} | ${row.late.join(', ')} | ${row.dropped.join(', ')} | ${fix(row.p50)} ms | ${fix(row.p99)} ms | ${fix(row.p999)} ms | ${minMax(row.bins)} | ${fix(row.ac.achieved / rate, 4)} | ${fix(row.ac.p99)} ms | ${minMax(row.ac.bins)} |`)
    return row
  })
  return rows
}

// ---- 3. a known one-second stall ----------------------------------------------------------------------------
/** Quantiles of chaoscope's latency histogram (HdrHistogram, µs) that the result does not list, in ms. */
function finer(json, qs) {
  const h = hdr.decodeFromCompressedBase64(json.histogram, 32, false)
  return qs.map((q) => h.getValueAtPercentile(q) / 1000)
}

async function stall(target) {
  const s = STALL.seconds
  const rate = STALL.rate
  const few = STALL.fewConnections
  const many = STALL.manyConnections
  console.log(`\n3. a stall: ${rate} req/s for ${s} s; the target stops answering for ${STALL.forMs} ms, ${STALL.afterMs} ms after the run's first request, then answers what it held; ${load()}`)
  // An open-model tool sends rate × stall requests into the stall; each waits from its intended time to the
  // stall's end, uniformly 0…stall. Of N requests in all, the q-quantile is then stall × (1 − (1 − q) × N / (rate × stall)).
  const expect = (q, n, stallMs) => Math.max(0, stallMs * (1 - ((1 - q) * n) / ((rate * stallMs) / 1000)))
  const cs = (conns) => () => chaoscope(target.url, ['--rate', String(rate), '--connections', String(conns), '--duration', `${s}s`, '--workers', '1'], s)
  const ac = (extra) => () => autocannon(target.url, ['-c', String(few), '-R', String(rate), ...extra, '-d', String(s)], s)
  const configs = [
    [`chaoscope --rate ${rate} --connections ${many}`, cs(many)],
    [`chaoscope --rate ${rate} --connections ${few}`, cs(few)],
    [`autocannon -c${few} -R ${rate} (its CO correction)`, ac([])],
    [`autocannon -c${few} -R ${rate} -C (uncorrected)`, ac(['-C'])],
  ]
  const rows = []
  for (const [name, fn] of configs) {
    target.send(`arm ${STALL.afterMs} ${STALL.forMs}`)
    const r = await measured(target, fn, s)
    const [, held, actual] = (await target.next('stall ', 2000)).split(' ').map(Number)
    const row = { name, r, held, actual, expect99: expect(0.99, rate * s, actual), expect999: expect(0.999, rate * s, actual) }
    rows.push(row)
    const j = r.json
    const extra = j.histogram
      ? `; p95/p97/p98/p99.5 ${finer(j, [95, 97, 98, 99.5]).map((x) => fix(x, 1)).join('/')} ms; service time p99 ${fix(j.serviceTime.p99)} p99.9 ${fix(j.serviceTime.p999)} max ${fix(j.serviceTime.max)} ms; late ${j.late}, dropped ${j.dropped}, errors ${j.errors}`
      : `; ${int(r.recorded)} latency values recorded for ${int(r.total)} responses`
    console.log(`  ${name}: ${int(r.total)} requests, ${held} held by the target's stall (${fix(actual, 1)} ms); latency p50 ${fix(r.p50)} p99 ${fix(r.p99)} p99.9 ${fix(r.p999)} max ${fix(r.max)} ms${extra}`)
  }
  const e = rows[0]
  console.log(`  expected of an open-model tool here (${int(rate * s)} requests, ${int(rate)} of them into the stall): p99 ${fix(e.expect99, 0)} ms, p99.9 ${fix(e.expect999, 0)} ms`)
  console.log('')
  console.log('| tool | requests | held by the stall | p50 | p99 | p99.9 | max | service time p99 / p99.9 (uncorrected) |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const x of rows) {
    const svc = x.r.json?.serviceTime
    console.log(`| ${x.name} | ${int(x.r.total)} | ${x.held} | ${fix(x.r.p50)} ms | **${fix(x.r.p99)} ms** | ${fix(x.r.p999)} ms | ${fix(x.r.max)} ms | ${svc ? `${fix(svc.p99)} / ${fix(svc.p999)} ms` : '—'} |`)
  }
  console.log(`| expected (open model, from the intended time) | ${int(rate * s)} | ${int(rate)} | | ${fix(e.expect99, 0)} ms | ${fix(e.expect999, 0)} ms | ${fix(e.actual, 0)} ms | |`)
  return rows
}

// ---- the run ------------------------------------------------------------------------------------------------
const started = Date.now()
const target = await startTarget()
process.on('exit', () => {
  // the tool is GNU time's child: end it by its pid first (time does not pass SIGTERM on)
  if (running) {
    try {
      for (const pid of readFileSync(`/proc/${running.pid}/task/${running.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) process.kill(Number(pid))
    } catch {}
    running.kill()
  }
  target.stop()
  rmSync(scratch, { recursive: true, force: true })
})
process.on('SIGINT', () => process.exit(130))
console.log(`machine: ${versions()}`)
console.log(`target: plain Node http server, 12-byte body, keep-alive, its own process, 127.0.0.1:${target.port}`)
try {
  if (ONLY.includes('max')) await maxThroughput(target)
  if (ONLY.includes('open')) await openRate(target)
  if (ONLY.includes('stall')) await stall(target)
} catch (err) {
  console.error(err.message)
  process.exitCode = 1
}
console.log(`\nmachine: ${versions()}`)
console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`)
// the target's pipes would keep this process up: end it now
process.exit()
