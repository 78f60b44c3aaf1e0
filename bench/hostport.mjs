// The hostPort path against direct and HAProxy: redis-benchmark GET/SET against redis-server and wrk against nginx,
// each figure a ratio to direct measured in the same run, runs interleaved (A B C C B A ...), and the CPU per
// request of the proxy process (ours: a data plane in a process of its own; HAProxy: its process), read from
// /proc/<pid>/stat before and after each run.
//
// Our path is built as the local runtime builds it (src/runtime/local-runtime.ts): an ingress sidecar in front of
// the server and a hostPort proxy (handoff) whose upstream is that sidecar, in one DataPlane.
//
// Usage: npx tsc -p tsconfig.build.json && node bench/hostport.mjs [--quick] [--old /tmp/old9/dist]
//   --old DIR   also runs the path of another tree's dist/ (the same wiring; a tree without handoff makes it the
//               two hops it had), interleaved with the others in the same run.
// Needs redis-server, redis-benchmark, wrk, haproxy (/usr/sbin/haproxy) and nginx (/usr/sbin/nginx).
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import net from 'node:net'
import { freePort, haproxyTcpConfig } from './lib.mjs'

const ROOT = resolve(fileURLToPath(import.meta.url), '../..')
const args = process.argv.slice(2)
const QUICK = args.includes('--quick')
const OLD = args.includes('--old') ? resolve(args[args.indexOf('--old') + 1]) : undefined
const ROUNDS = QUICK ? 1 : 2
const REDIS_N = QUICK ? 50_000 : 200_000
const WRK_SECONDS = QUICK ? 2 : 4

async function main() {
  for (const cmd of ['redis-server', 'redis-benchmark', 'wrk', '/usr/sbin/haproxy', '/usr/sbin/nginx']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
      console.error(`bench: ${cmd} is missing; run scripts/setup.sh`)
      process.exit(2)
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-hostport-'))
  chmodSync(dir, 0o755) // nginx's worker (nobody, when run as root) reads its html there
  const stops = []
  try {
    const redis = await startRedis(dir, stops)
    const nginx = await startNginx(dir, stops)
    const paths = {
      redis: await pathsTo(redis, 'tcp', dir, stops),
      nginx: await pathsTo(nginx, 'tcp', dir, stops),
    }
    const names = Object.keys(paths.redis)
    // A B C C B A per round: each path runs early and late as often as the others
    const order = []
    for (let r = 0; r < ROUNDS; r++) order.push(...names, ...[...names].reverse())

    const results = { GET: {}, SET: {}, wrk: {} }
    const cpu = { GET: {}, SET: {}, wrk: {} }
    for (const name of order) {
      const r = paths.redis[name]
      for (const op of ['GET', 'SET']) {
        const before = cpuTicks(r.pid)
        const rps = redisBenchmark(r.port, op)
        add(results[op], name, rps)
        if (r.pid) add(cpu[op], name, (cpuTicks(r.pid) - before) / REDIS_N)
      }
      const n = paths.nginx[name]
      const before = cpuTicks(n.pid)
      const w = wrk(n.port)
      add(results.wrk, name, w.rps)
      if (n.pid) add(cpu.wrk, name, (cpuTicks(n.pid) - before) / w.requests)
    }
    report(names, results, cpu)
  } finally {
    for (const stop of stops.reverse()) await stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- figures ---------------------------------------------------------------------------------------------------
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

/** utime + stime of a process, in clock ticks (every thread). */
function cpuTicks(pid) {
  if (!pid) return 0
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

function add(into, name, v) {
  ;(into[name] ??= []).push(v)
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

function report(names, results, cpu) {
  const rows = []
  const line = (cells) => rows.push(`| ${cells.join(' | ')} |`)
  line(['', ...names.map((n) => `${n} (req/s)`), ...names.filter((n) => n !== 'direct').map((n) => `${n} / direct`)])
  line(Array(1 + names.length * 2 - 1).fill('---'))
  for (const [what, label] of [['GET', 'redis GET'], ['SET', 'redis SET'], ['wrk', 'nginx (wrk)']]) {
    const d = mean(results[what].direct)
    line([label, ...names.map((n) => Math.round(mean(results[what][n])).toString()), ...names.filter((n) => n !== 'direct').map((n) => `${(mean(results[what][n]) / d).toFixed(2)}×`)])
  }
  const proxies = names.filter((n) => n !== 'direct')
  rows.push('', `| CPU per request (µs of the proxy process) | ${proxies.join(' | ')} |`, `| --- | ${proxies.map(() => '---').join(' | ')} |`)
  for (const [what, label] of [['GET', 'redis GET'], ['SET', 'redis SET'], ['wrk', 'nginx (wrk)']]) {
    rows.push(`| ${label} | ${proxies.map((n) => (mean(cpu[what][n]) * TICK_US).toFixed(1)).join(' | ')} |`)
  }
  console.log(rows.join('\n'))
  console.log(`\n(redis-benchmark -n ${REDIS_N} -c 50 -q; wrk -t1 -c32 -d${WRK_SECONDS}s; ${ROUNDS} round(s) of interleaved runs, means)`)
}

// ---- load tools --------------------------------------------------------------------------------------------------
function redisBenchmark(port, op) {
  const out = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', op.toLowerCase(), '-n', String(REDIS_N), '-c', '50', '-q'], { encoding: 'utf8' })
  const m = new RegExp(`${op}: ([\\d.]+) requests per second`).exec(out.replace(/\r/g, '\n'))
  if (!m) throw new Error(`redis-benchmark said: ${out}`)
  return Number(m[1])
}

function wrk(port) {
  const out = execFileSync('wrk', ['-t1', '-c32', `-d${WRK_SECONDS}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' })
  const requests = Number(/(\d+) requests in/.exec(out)[1])
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`wrk saw errors: ${out}`)
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), requests }
}

// ---- servers and proxies -----------------------------------------------------------------------------------------

async function waitListening(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)))
      s.on('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing listens on ${port}`)
}

function started(child, stops) {
  stops.push(() => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill()))))
  return child
}

async function startRedis(dir, stops) {
  const port = await freePort()
  started(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }), stops)
  await waitListening(port)
  return port
}

async function startNginx(dir, stops) {
  const port = await freePort()
  const root = join(dir, 'nginx')
  execFileSync('mkdir', ['-p', join(root, 'logs'), join(root, 'html')])
  writeFileSync(join(root, 'html', 'index.html'), 'hello from nginx\n')
  writeFileSync(
    join(root, 'nginx.conf'),
    `worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${root}/tmp;
  proxy_temp_path ${root}/tmp;
  fastcgi_temp_path ${root}/tmp;
  uwsgi_temp_path ${root}/tmp;
  scgi_temp_path ${root}/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:${port}; root ${root}/html; }
}
`,
  )
  started(spawn('/usr/sbin/nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' }), stops)
  await waitListening(port)
  return port
}

async function startHaproxy(upPort, dir, stops) {
  const port = await freePort()
  const cfg = join(dir, `haproxy-${upPort}.cfg`)
  writeFileSync(
    cfg,
    haproxyTcpConfig(port, upPort, 2000),
  )
  const child = started(spawn('/usr/sbin/haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] }), stops)
  await waitListening(port)
  return { port, pid: child.pid }
}

/** A data plane from `dist` in a child process, wired as the runtime wires a hostPort (see --serve). */
async function startOurs(dist, mode, upPort, stops) {
  const child = started(spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dist, mode, `127.0.0.1:${upPort}`], { stdio: ['pipe', 'pipe', 'inherit'] }), stops)
  const port = await new Promise((r) => child.stdout.once('data', (b) => r(Number(String(b).trim()))))
  await waitListening(port)
  return { port, pid: child.pid }
}

async function pathsTo(upPort, mode, dir, stops) {
  const out = { direct: { port: upPort, pid: undefined } }
  out.ours = await startOurs(join(ROOT, 'dist'), mode, upPort, stops)
  if (OLD) out.old = await startOurs(OLD, mode, upPort, stops)
  out.haproxy = await startHaproxy(upPort, dir, stops)
  return out
}

// ---- serve mode: a data plane in a process of its own (so its CPU is that process's) -------------------------
async function serve() {
  const [, dist, mode, upstream] = args
  const { DataPlane } = await import(pathToFileURL(join(dist, 'src/runtime/proxy/data-plane.js')).href)
  const dp = await DataPlane.start()
  const ing = await dp.createProxy({ name: 'ingress:s-1', mode, upstreams: [upstream], labels: { destination: 's', source: 'ingress' } })
  const hp = await dp.createProxy({ name: 'hostport:s', mode, upstreams: [], labels: { destination: 's', source: 'hostport' }, handoff: true })
  await dp.setUpstreams('hostport:s', [`127.0.0.1:${ing.port}`])
  process.stdout.write(`${hp.port}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => dp.close().then(() => process.exit(0)))
}

if (args[0] === '--serve') await serve()
else await main()
