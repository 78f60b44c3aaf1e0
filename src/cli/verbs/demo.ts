/**
 * @module cli/verbs/demo: `chaoscope demo [shop]`: chaos engineering end to end on this machine, nothing else
 * installed. It starts a demo app on the local runtime with its controller and dashboard (as `chaoscope up`), the
 * app's user flow as steady load (as `chaoscope load -f`), then runs the app's scenarios one after another, each a
 * `kind: Experiment` run as `chaoscope run` runs it, and writes one report of them all (as `chaoscope report`).
 *
 *   home ─▶ runtime + controller + dashboard ─▶ load ─▶ scenario 1..n (run: verdict, journal) ─▶ report
 *        ─▶ (without --once: wait for Ctrl-C) ─▶ stop the load, the controller, every pod ─▶ remove the home
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ChaosError, EXIT, controllerClient, formatIssue, loadApp, parseDuration, reportFormatOfFile, startLoad, startRuntimeServer, startUpController } from '../../index.js'
import type { Journal, LoadRun, ReportData, RuntimeServer } from '../../index.js'
import type { DemoFlags } from '../commands.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'
import { planOf } from './load.js'
import { exitOf, run as runExperimentFile } from './run.js'


/**
 * A demo: its App, its scenarios (Experiments, run in this order), and the steady load sent into the service
 * `entry` all along (so that the report sees each recovery). The entry is reached at its host port, or at its
 * pod's address when it has none.
 */
interface DemoApp {
  app: string
  scenarios: string[]
  entry: string
  /** A LoadProfile file (the app's user flow), or GETs of `/` at this rate. */
  load: string | { rate: string }
  /** The scenarios name the App's fixed host ports (their own load and http SLOs). */
  fixedPorts?: boolean
}

/** The demos, by name; paths from the package's root. */
const DEMOS: Record<string, DemoApp> = {
  shop: {
    app: 'demo/shop/app.yaml',
    scenarios: ['1-checkout-pod-kill', '2-catalog-latency', '3-recommendation-cpu', '4-ad-errors'].map((n) => `examples/demo/shop/${n}.yaml`),
    entry: 'frontend',
    load: 'examples/load/shop.yaml',
  },
  chain: {
    app: 'demo/chain/app.yaml',
    scenarios: ['examples/experiments/chain-front-holds-when-middle-is-slow.yaml', 'examples/experiments/chain-recovers-after-middle-is-killed.yaml'],
    entry: 'front',
    load: { rate: '10' },
    fixedPorts: true,
  },
  movies: {
    app: 'demo/movies/app.yaml',
    scenarios: ['1-db-disk-latency', '2-db-disk-errors', '3-server-cpu'].map((n) => `examples/demo/movies/${n}.yaml`),
    entry: 'server-app',
    load: 'examples/load/movies.yaml',
  },
}

/** What `--fast` multiplies every duration of a scenario by (at least 1 s remains). */
const FAST = 0.3

/**
 * The calm before each scenario: at least one SLO window (the hypothesis before sees no earlier fault) and at least
 * this long, so that the report sees the edges back within tolerance (5 good seconds in a row) before the next fault.
 */
const CALM_MS = 8000

/** The report reaches 3 s past a run, and the recorder writes each second once it has passed. */
const RECORDER_TAIL_MS = 4200

const clock = () => new Date().toISOString().slice(11, 19)

/** The package's root: the nearest directory above this module holding examples/demo (the same from dist/ and src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'examples', 'demo'))) {
    const up = dirname(dir)
    if (up === dir) throw new ChaosError('SPEC_FILE_NOT_FOUND', 'the demo files (examples/demo) are not beside this chaoscope', { hint: 'run chaoscope from its source tree or an installed package that holds examples/' })
    dir = up
  }
  return dir
}

/** A Go duration times `factor`, in whole seconds, at least 1 s: "20s" × 0.3 → "6s". */
export function scaledDuration(text: string, factor: number): string {
  const ms = parseDuration(text)
  if (ms === undefined) return text
  return `${Math.max(1, Math.round((ms * factor) / 1000))}s`
}

/** A scenario's Experiment with its duration and its SLOs' windows scaled (`--fast`); the rest as written. */
export function scaledExperiment(doc: { spec?: { duration?: string; hypothesis?: { window?: string }[]; faults?: { metadata?: { name?: string } }[] } }, factor: number): typeof doc {
  const spec = doc.spec ?? {}
  return {
    ...doc,
    spec: {
      ...spec,
      duration: scaledDuration(spec.duration ?? '30s', factor),
      ...(spec.hypothesis ? { hypothesis: spec.hypothesis.map((s) => (s.window ? { ...s, window: scaledDuration(s.window, factor) } : s)) } : {}),
    },
  }
}

/** The names of a scenario's faults, as the report's fault windows name them. */
function faultNames(doc: { spec?: { faults?: { metadata?: { name?: string } }[] } }): string[] {
  return (doc.spec?.faults ?? []).map((f) => f.metadata?.name ?? '').filter(Boolean)
}

/** The longest SLO window of a scenario, in ms: the load (or the calm after a scenario) must last that long before its hypothesis. */
function longestWindowMs(doc: { spec?: { hypothesis?: { window?: string }[] } }): number {
  return Math.max(10_000 * (doc.spec?.hypothesis?.some((s) => !s.window) ? 1 : 0), ...(doc.spec?.hypothesis ?? []).map((s) => parseDuration(s.window ?? '10s') ?? 10_000))
}

/** The scenario files to run, in order, as they are or (with `--fast`) scaled into `dir`. */
async function scenarioFiles(demo: DemoApp, root: string, dir: string, fast: boolean): Promise<{ file: string; windowMs: number; faults: string[] }[]> {
  const { parse, stringify } = await import('yaml')
  return demo.scenarios.map((path) => {
    const file = join(root, path)
    const name = basename(path)
    const doc = parse(readFileSync(file, 'utf8')) as Parameters<typeof scaledExperiment>[0]
    if (!fast) return { file, windowMs: longestWindowMs(doc), faults: faultNames(doc) }
    const scaled = scaledExperiment(doc, FAST)
    const out = join(dir, name)
    writeFileSync(out, stringify(scaled))
    return { file: out, windowMs: longestWindowMs(scaled), faults: faultNames(doc) }
  })
}

/**
 * An OTLP/HTTP receiver that keeps nothing: with it as the endpoint, tracing is on, so the sidecars keep the spans
 * of failing and faulted requests and the report can draw one such trace, with no collector installed.
 */
async function startTraceSink(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return { endpoint: `http://127.0.0.1:${port}`, server }
}

/** One scenario's outcome: its verdict in words, its exit code, the checks it missed, and whether its faults were applied. */
export function verdictOf(journal: Journal): { verdict: string; exit: number; why: string[]; injected: boolean } {
  const exit = exitOf(journal)
  const before = journal.steady_states.before
  const notTested = before !== undefined && before !== null && before.steady_state_met === false
  const verdict = notTested ? 'not tested (no steady state before the fault)' : journal.deviated ? 'DEVIATED' : journal.status === 'completed' ? 'held' : String(journal.status)
  const missed = [...(before?.probes ?? []), ...(journal.steady_states.after?.probes ?? [])].filter((p) => p.tolerance_met === false)
  const why = missed.map((p) => `${p.activity.name}: observed ${p.chaoscope?.observed}, expected ${p.chaoscope?.expected}`)
  return { verdict, exit, why, injected: !notTested && journal.run.length > 0 }
}

/**
 * How long after its faults (by name) ended every edge they affected was back within its tolerance, read from the
 * report's data: the slowest such edge.
 */
export function timeToRecover(data: ReportData, faults: string[]): string {
  const ids = new Set(data.faults.filter((f) => faults.includes(f.experiment.name)).map((f) => f.id))
  if (ids.size === 0) return 'unknown (no fault window recorded)'
  const recoveries = data.edges.filter((e) => e.affected).flatMap((e) => e.recovery.filter((r) => ids.has(r.faultId)))
  if (recoveries.length === 0) return 'nothing to recover (no edge left its tolerance)'
  if (recoveries.some((r) => r.secondsToRecover === null)) return recoveries.some((r) => r.secondsToRecover === null && r.trafficAfter) ? 'never (not back within tolerance by the end of the report)' : 'unknown (no traffic after the fault)'
  return `${Math.max(...recoveries.map((r) => r.secondsToRecover!))} s`
}

/** The home the demo runs in: $CHAOSCOPE_HOME when set (kept), else a new directory removed at the end. */
function demoHome(): { dir: string; remove: boolean } {
  if (process.env.CHAOSCOPE_HOME) return { dir: process.env.CHAOSCOPE_HOME, remove: false }
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-demo-'))
  process.env.CHAOSCOPE_HOME = dir
  return { dir, remove: true }
}

export async function demo(name: string | undefined, opts: DemoFlags, run: Run): Promise<void> {
  const which = name ?? 'shop'
  const spec = DEMOS[which]
  if (!spec) throw new ChaosError('CLI_USAGE', `there is no demo "${which}"`, { hint: `the demos are: ${Object.keys(DEMOS).join(', ')}` })
  // scenarios that bring their own load name the App's fixed host ports
  if (opts.hostPorts === 'ephemeral' && spec.fixedPorts) throw new ChaosError('CLI_USAGE', `the ${which}'s scenarios send to its fixed host ports`, { hint: `chaoscope demo ${which} without --host-ports ephemeral` })
  const reportFile = resolve(opts.report ?? `chaoscope-demo-${which}.html`)
  const format = await reportFormatOfFile(reportFile)
  if (!format) throw new ChaosError('CLI_USAGE', `--report ${opts.report}: a report file's name ends in .html, .json or .md`, { hint: 'chaoscope demo --report demo.html' })
  const root = packageRoot()
  // Ctrl-C is heard from here on: whatever has started is stopped below
  const latch = new SignalLatch()
  const home = demoHome()
  let server: RuntimeServer | undefined
  let load: LoadRun | undefined
  let sink: Awaited<ReturnType<typeof startTraceSink>> | undefined
  try {
    if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
      sink = await startTraceSink()
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint
    }
    const appFile = join(root, spec.app)
    const app = await loadApp(appFile)
    if ('issues' in app) {
      for (const i of app.issues) run.err(`${formatIssue(i)}\n`)
      run.exitCode = EXIT.USAGE
      return
    }
    run.out(`${clock()} starting the ${which} (${spec.app}) on the local runtime; home ${home.dir}\n`)
    server = await startRuntimeServer(app.resource, appFile, { controlPort: 0, hostPorts: opts.hostPorts, log: () => {} })
    const ctl = await startUpController(server, { log: (level, message) => (level === 'warn' || level === 'error' ? run.err(`${clock()} controller ${level}: ${message}\n`) : undefined) })
    run.out(`dashboard: ${ctl.state.url}/\n`)
    if (ctl.adminToken) run.out(`login token: ${ctl.adminToken}\n`)
    const pods = await Promise.race([server.runtime.waitReady(60_000), latch.stopped.then(() => undefined)])
    if (!pods) return
    const address = server.hostPorts().find(([svc]) => svc === spec.entry)?.[1] ?? pods.find((p) => p.labels.app === spec.entry)?.address
    if (!address) throw new ChaosError('RUNTIME_NOT_READY', `the ${which}'s ${spec.entry} has no address`, { hint: `give ${spec.entry} a hostPort in ${spec.app}` })
    const target = `http://${address}`
    run.out(`${clock()} ready: ${pods.length} pod(s); the ${which}: ${target}/\n`)

    const work = join(home.dir, 'demo')
    mkdirSync(work, { recursive: true })
    const scenarios = await scenarioFiles(spec, root, work, !!opts.fast)
    const loadStart = new Date()
    const flow = typeof spec.load === 'string' ? { filename: join(root, spec.load) } : { rate: spec.load.rate }
    // a profile's steps are paths joined to the target; a plain load sends to the URL as given
    load = await startLoad(await planOf(typeof spec.load === 'string' ? target : `${target}/`, { ...flow, duration: 24 * 3600_000, workers: 1, quiet: true, output: 'text' }, run), {})
    run.out(`${clock()} load: ${typeof spec.load === 'string' ? `the user flow of ${spec.load}` : `GET / at ${spec.load.rate} req/s`} on ${target}/\n`)

    const journals: Journal[] = []
    for (const [i, s] of scenarios.entries()) {
      // the window before a fault sees only calm traffic; before the first, the shop warms up for one window more
      if (await calm(Math.max(s.windowMs, CALM_MS) + (i === 0 ? s.windowMs : 0), latch)) break
      run.out(`${clock()} scenario ${i + 1}/${scenarios.length}: ${s.file}\n`)
      const journalPath = join(work, `journal-${i + 1}.json`)
      const one: Run = { out: run.err, err: run.err, exitCode: EXIT.OK }
      await runExperimentFile(s.file, { journalPath, validation: true, verifyTls: true, output: 'text' }, one)
      if (!existsSync(journalPath)) throw new ChaosError('RUN_REFUSED_ACTIVITY', `scenario ${s.file} did not run (exit ${one.exitCode})`, { hint: 'the lines above say why' })
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal
      journals.push(journal)
      const v = verdictOf(journal)
      run.out(`${clock()} scenario ${i + 1}: ${journal.experiment.title}: ${v.verdict}\n`)
      for (const w of v.why) run.out(`    ${w}\n`)
      if (latch.reason) break
    }

    // the report of the whole demo: every scenario's run, fault window and recovery
    await new Promise((r) => setTimeout(r, RECORDER_TAIL_MS))
    const client = await controllerClient()
    const range = { from: loadStart.toISOString(), to: new Date().toISOString(), title: `chaoscope demo: the ${which}` }
    const data = JSON.parse(await client.report(range, 'json')) as ReportData
    writeFileSync(reportFile, format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : await client.report(range, format))
    run.out(`\n${which}: ${journals.length} scenario(s)\n`)
    for (const [i, j] of journals.entries()) {
      const v = verdictOf(j)
      run.out(`  ${i + 1}. ${j.experiment.title}: ${v.verdict}; time to recover: ${v.injected ? timeToRecover(data, scenarios[i]!.faults) : 'none (no fault was injected)'}\n`)
    }
    run.out(`report: ${reportFile}\n`)
    run.exitCode = journals.length < scenarios.length ? EXIT.FAILED : Math.max(EXIT.OK, ...journals.map((j) => exitOf(j)))

    if (!opts.once && !latch.reason) {
      run.out(`the ${which} keeps running with its load: ${target}/ and the dashboard ${ctl.state.url}/; Ctrl-C stops everything\n`)
      await latch.stopped
    }
  } finally {
    run.out(`${clock()} stopping${latch.reason ? ` (${latch.reason})` : ''}...\n`)
    load?.stop()
    await load?.result.catch(() => undefined)
    await server?.close()
    if (sink) {
      await new Promise<void>((r) => sink!.server.close(() => r()))
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    }
    if (home.remove) rmSync(home.dir, { recursive: true, force: true })
    latch.dispose()
    run.out(`${clock()} stopped: no pod, no load, no state file left\n`)
  }
}

/** Waits `ms` unless Ctrl-C comes first (then true). */
async function calm(ms: number, latch: SignalLatch): Promise<boolean> {
  if (latch.reason) return true
  let timer: NodeJS.Timeout | undefined
  const stopped = await Promise.race([latch.stopped.then(() => true), new Promise<false>((r) => (timer = setTimeout(r, ms, false)))])
  clearTimeout(timer)
  return stopped
}
