/**
 * @module cli/verbs/demo: `chaoscope demo [shop|chain|movies]`: chaos engineering end to end on this machine,
 * nothing else installed. It starts a demo app on the local runtime with its controller and dashboard (as
 * `chaoscope up`), the app's user flow as steady load (as `chaoscope load -f`), then runs the app's experiment
 * files one after another as `chaoscope run` runs them, and writes one report of them all (as `chaoscope report`).
 * The shop's is one Experiment whose fault is a Workflow of four steps, run with the hypothesis checked
 * continuously: each step gets the verdict of the checks made from its fault's start to the next step's.
 *
 *   home ─▶ runtime + controller + dashboard ─▶ load ─▶ file 1..n (run: journal; a workflow's steps watched)
 *        ─▶ report ─▶ verdict and time to recover per scenario ─▶ (without --once: wait for Ctrl-C) ─▶ stop everything
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ChaosError, EXIT, controllerClient, formatIssue, loadApp, parseDuration, renderReportData, reportFormatOfFile, startLoad, startRuntimeServer, startUpController } from '../../index.js'
import type { ChaosObject, ControllerClient, FaultWindow, Journal, LoadRun, ReportData, RuntimeServer, SteadyState } from '../../index.js'
import type { DemoFlags } from '../commands.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'
import { planOf } from './load.js'
import { exitOf, missedCheck, run as runExperimentFile } from './run.js'


/**
 * A demo: its App, its experiment files (run in this order), and the steady load sent into the service `entry` all
 * along (so that the report sees each recovery). The entry is reached at its host port, or at its pod's address
 * when it has none.
 */
interface DemoApp {
  app: string
  scenarios: string[]
  /** Seconds between two checks of the hypothesis beside the method (Chaos Toolkit's `continuously`); else before and after only. */
  hypothesisEvery?: number
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
    scenarios: ['examples/demo/shop/scenarios.yaml'],
    hypothesisEvery: 5,
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

/**
 * The least calm after each step of a workflow under `--fast`: the report counts 5 seconds *with traffic* in a row,
 * and the shop's sparsest edges (frontend → checkout) carry a request every second or two.
 */
const WORKFLOW_CALM_MS = 12_000

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

/** A Go duration times `factor`, in whole seconds, at least 1 s (undefined when it is not a duration). */
function scaledSeconds(text: string, factor: number): number | undefined {
  const ms = parseDuration(text)
  return ms === undefined ? undefined : Math.max(1, Math.round((ms * factor) / 1000))
}

/** A Go duration times `factor`, in whole seconds, at least 1 s: "20s" × 0.3 → "6s". */
export function scaledDuration(text: string, factor: number): string {
  const s = scaledSeconds(text, factor)
  return s === undefined ? text : `${s}s`
}

/** The parts of a Workflow fault the demo reads: its templates, walked from `entry`. */
interface WorkflowTemplate { name: string; templateType: string; deadline?: string; children?: string[] }
interface FaultDoc { kind?: string; metadata?: { name?: string }; spec?: { entry?: string; templates?: WorkflowTemplate[] } }
/** The parts of an experiment file the demo reads (an Experiment; a Chaos Toolkit file has none of them). */
export interface ScenarioDoc { spec?: { duration?: string; hypothesis?: { window?: string }[]; faults?: FaultDoc[] } }

/** How long a workflow node may take to start after the one before it has recovered, at most (the scaled duration leaves this per node). */
const NODE_START_MS = 1000

/**
 * A scenario's Experiment with its duration, its SLOs' windows and its workflows' deadlines scaled (`--fast`); the
 * rest as written. A workflow's Suspend (its calm between faults) lasts at least WORKFLOW_CALM_MS; the duration and
 * each Serial and Parallel deadline keep room for that and for each node to start once the one before has recovered.
 */
export function scaledExperiment<T extends ScenarioDoc>(doc: T, factor: number): T {
  const spec = doc.spec ?? {}
  let extraMs = 0
  // the steps and calms first; then each Serial or Parallel keeps the same room over what it runs
  const leaf = (t: WorkflowTemplate): WorkflowTemplate => {
    if (!t.deadline || t.templateType === 'Serial' || t.templateType === 'Parallel') return t
    const scaled = scaledSeconds(t.deadline, factor)! * 1000
    const ms = t.templateType === 'Suspend' ? Math.max(scaled, WORKFLOW_CALM_MS) : scaled
    extraMs += ms - scaled + NODE_START_MS
    return { ...t, deadline: `${ms / 1000}s` }
  }
  const flow = (t: WorkflowTemplate): WorkflowTemplate =>
    t.deadline && (t.templateType === 'Serial' || t.templateType === 'Parallel') ? { ...t, deadline: `${scaledSeconds(t.deadline, factor)! + Math.ceil(extraMs / 1000)}s` } : t
  const faults = spec.faults?.map((f) => (f.kind === 'Workflow' && f.spec?.templates ? { ...f, spec: { ...f.spec, templates: f.spec.templates.map(leaf).map(flow) } } : f))
  return {
    ...doc,
    spec: {
      ...spec,
      duration: `${scaledSeconds(spec.duration ?? '30s', factor)! + Math.ceil(extraMs / 1000)}s`,
      ...(spec.hypothesis ? { hypothesis: spec.hypothesis.map((s) => (s.window ? { ...s, window: scaledDuration(s.window, factor) } : s)) } : {}),
      ...(faults ? { faults } : {}),
    },
  }
}

/** The template types of a workflow that make no chaos. */
const FLOW_TEMPLATES = new Set(['Serial', 'Parallel', 'Suspend', 'Task', 'Schedule', 'StatusCheck'])

/** A step of a workflow: a chaos template, in the order the workflow reaches it from its entry. */
export interface Step { template: string; kind: string }

/** The chaos templates of a workflow, in the order it runs them (children depth first, each template once). */
export function workflowSteps(workflow: FaultDoc): Step[] {
  const byName = new Map((workflow.spec?.templates ?? []).map((t) => [t.name, t]))
  const steps: Step[] = []
  const seen = new Set<string>()
  const walk = (name: string | undefined) => {
    const t = name === undefined ? undefined : byName.get(name)
    if (!t || seen.has(t.name)) return
    seen.add(t.name)
    if (!FLOW_TEMPLATES.has(t.templateType)) steps.push({ template: t.name, kind: t.templateType })
    for (const c of t.children ?? []) walk(c)
  }
  walk(workflow.spec?.entry)
  return steps
}

/** Kubernetes' generateName, as the workflow engine names nodes and their chaos: the prefix cut to 58 characters, then 5 random ones. */
const NAME_PREFIX_MAX = 58
const RANDOM = '[a-z0-9]'

/**
 * Whether a chaos object was made by a node of `template`: Chaos Mesh names the node `<template>-xxxxx` and its chaos
 * `<node>-xxxxx`, each prefix cut to 58 characters (so a long template's chaos has fewer of the node's characters).
 */
export function madeByTemplate(chaosName: string, template: string): boolean {
  const nodePrefix = `${template}-`.slice(0, NAME_PREFIX_MAX)
  if (!chaosName.startsWith(nodePrefix)) return false
  // the chaos's prefix is the node's name and a "-", cut: what remains of the node's 5 random characters and the "-"
  const kept = Math.min(nodePrefix.length + 6, NAME_PREFIX_MAX) - nodePrefix.length
  const middle = `${RANDOM}{${Math.min(kept, 5)}}${kept === 6 ? '-' : ''}`
  return new RegExp(`^${middle}${RANDOM}{5}$`).test(chaosName.slice(nodePrefix.length))
}

/** The longest SLO window of a scenario, in ms: the load (or the calm after a scenario) must last that long before its hypothesis. */
function longestWindowMs(doc: ScenarioDoc): number {
  return Math.max(10_000 * (doc.spec?.hypothesis?.some((s) => !s.window) ? 1 : 0), ...(doc.spec?.hypothesis ?? []).map((s) => parseDuration(s.window ?? '10s') ?? 10_000))
}

/** An experiment file to run: where it is (scaled with `--fast`), its longest window, and what its verdicts are read from. */
interface ScenarioFile {
  file: string
  windowMs: number
  /** Its faults' names (an Experiment's), as the report's fault windows name them. */
  faults: string[]
  /** A workflow run with the hypothesis checked every `every` seconds: its name and steps, each judged on its own. */
  workflow?: { name: string; steps: Step[]; every: number }
}

/** The scenario files to run, in order, as they are or (with `--fast`) scaled into `dir`. */
async function scenarioFiles(demo: DemoApp, root: string, dir: string, fast: boolean): Promise<ScenarioFile[]> {
  const { parse, stringify } = await import('yaml')
  return demo.scenarios.map((path) => {
    const written = parse(readFileSync(join(root, path), 'utf8')) as ScenarioDoc
    const doc = fast ? scaledExperiment(written, FAST) : written
    const file = fast ? join(dir, basename(path)) : join(root, path)
    if (fast) writeFileSync(file, stringify(doc))
    const faults = doc.spec?.faults ?? []
    const wf = faults.find((f) => f.kind === 'Workflow')
    return {
      file,
      windowMs: longestWindowMs(doc),
      faults: faults.map((f) => f.metadata?.name ?? '').filter(Boolean),
      ...(demo.hypothesisEvery && wf?.metadata?.name ? { workflow: { name: wf.metadata.name, steps: workflowSteps(wf), every: demo.hypothesisEvery * (fast ? FAST : 1) } } : {}),
    }
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
export interface Outcome { title: string; verdict: string; exit: number; why: string[]; injected: boolean; faults: string[] }

const missedProbes = (states: (SteadyState | null | undefined)[]): string[] =>
  states.flatMap((s) => s?.probes ?? []).filter((p) => p.tolerance_met === false).map(missedCheck)

const checksText = (n: number) => `${n} check${n === 1 ? '' : 's'}`

/** Each probe the checks missed, once: with its worst observed value (the largest) and how many checks missed it. */
function worstMisses(states: SteadyState[]): string[] {
  const worst = new Map<string, { run: SteadyState['probes'][number]; times: number }>()
  for (const p of states.flatMap((s) => s.probes).filter((r) => r.tolerance_met === false)) {
    const seen = worst.get(p.activity.name)
    const larger = (a: typeof p, b: typeof p) => Number(a.chaoscope?.observed) > Number(b.chaoscope?.observed)
    worst.set(p.activity.name, { run: seen && !larger(p, seen.run) ? seen.run : p, times: (seen?.times ?? 0) + 1 })
  }
  return [...worst.values()].map(({ run, times }) => `${missedCheck(run)}${times > 1 ? ` (the worst of ${times} checks)` : ''}`)
}

/** An experiment's outcome as its run's journal says (the hypothesis before and after its faults). */
export function verdictOf(journal: Journal): Omit<Outcome, 'title' | 'faults'> {
  const exit = exitOf(journal)
  const before = journal.steady_states.before
  const notTested = before?.steady_state_met === false
  const verdict = notTested ? 'not tested (no steady state before the fault)' : journal.deviated ? 'DEVIATED' : journal.status === 'completed' ? 'held' : String(journal.status)
  return { verdict, exit, why: missedProbes([before, journal.steady_states.after]), injected: !notTested && journal.run.length > 0 }
}

/**
 * The outcome of each step of a workflow run with the hypothesis checked continuously. A step owns the checks made
 * after its fault started and up to the next step's start (the last step: to the end, the hypothesis after
 * included); it held when each of them met the hypothesis. Its start is its fault window's, from the report.
 */
export function stepOutcomes(journal: Journal, steps: Step[], windows: FaultWindow[]): Outcome[] {
  const ms = (iso: string) => Date.parse(iso)
  const runs = steps.map((s) => {
    const own = windows.filter((w) => madeByTemplate(w.experiment.name, s.template))
    return { step: s, names: own.map((w) => w.experiment.name), start: own.length > 0 ? Math.min(...own.map((w) => ms(w.start))) : undefined }
  })
  const before = journal.steady_states.before
  const checks = [before, ...journal.steady_states.during, journal.steady_states.after]
    .filter((c): c is SteadyState => !!c && c.probes.length > 0)
    .map((c) => ({ state: c, at: ms(c.probes[0]!.start) }))
  const notTested = before?.steady_state_met === false
  const interrupted = journal.status === 'interrupted'
  const lastStarted = runs.reduce((last, r, i) => (r.start !== undefined ? i : last), -1)
  return runs.map((r, i) => {
    const title = `${r.step.template} (${r.step.kind})`
    const base = { title, faults: r.names, injected: r.start !== undefined }
    if (notTested) return { ...base, verdict: 'not tested (no steady state before the faults)', exit: EXIT.FAILED, why: [], injected: false }
    if (r.start === undefined) return { ...base, verdict: interrupted ? 'not run (interrupted)' : 'not run (its fault was never injected)', exit: EXIT.FAILED, why: [] }
    const until = runs.slice(i + 1).find((n) => n.start !== undefined)?.start ?? Infinity
    const own = checks.filter((c) => c.at > r.start! && c.at <= until)
    const failed = own.filter((c) => c.state.steady_state_met === false)
    const why = worstMisses(failed.map((c) => c.state))
    if (failed.length > 0) return { ...base, verdict: `DEVIATED (${failed.length} of ${checksText(own.length)})`, exit: EXIT.FAILED, why }
    if (interrupted && i === lastStarted) return { ...base, verdict: 'interrupted', exit: EXIT.FAILED, why }
    if (own.length === 0) return { ...base, verdict: 'not checked (no check of the hypothesis in its time)', exit: EXIT.FAILED, why }
    return { ...base, verdict: `held (${checksText(own.length)})`, exit: EXIT.OK, why }
  })
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
  if (recoveries.some((r) => r.secondsToRecover === null)) return recoveries.some((r) => r.secondsToRecover === null && r.trafficAfter) ? 'never (not back within tolerance before the next fault on its services, or the end of the report)' : 'unknown (no traffic after the fault)'
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
  // found out now, not after the scenarios have run
  if (!existsSync(dirname(reportFile))) throw new ChaosError('CLI_USAGE', `--report ${opts.report}: the directory ${dirname(reportFile)} does not exist`, { hint: `create it first (mkdir -p ${dirname(reportFile)}), or give a file in an existing directory` })
  const root = packageRoot()
  // Ctrl-C is heard from here on: whatever has started is stopped below
  const latch = new SignalLatch()
  // what has started when Ctrl-C (or chaoscope down) comes; a scenario's run is interrupted through it
  const stopping = new AbortController()
  void latch.stopped.then(() => stopping.abort())
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
    server = await startRuntimeServer(app.resource, appFile, { controlPort: 0, hostPorts: opts.hostPorts, log: () => {} }).catch((e: unknown) => {
      // another copy of the app (a `chaoscope up` or demo) may hold its host ports
      if (e instanceof ChaosError && e.code === 'PROXY_LISTEN_FAILED' && opts.hostPorts === 'fixed') {
        throw new ChaosError(e.code, e.message, { cause: e, hint: `another chaoscope up or demo may be running the ${which}: stop it (chaoscope down), or run chaoscope demo ${which} --host-ports ephemeral` })
      }
      throw e
    })
    server.onShutdownRequest(() => latch.stop('chaoscope down'))
    const ctl = await startUpController(server, { log: (level, message) => (level === 'warn' || level === 'error' ? run.err(`${clock()} controller ${level}: ${message}\n`) : undefined) })
    run.out(`dashboard: ${ctl.state.url}/\n`)
    if (ctl.adminToken) run.out(`login token: ${ctl.adminToken}\n`)
    // stopped before any scenario ran: not a verdict that held
    run.exitCode = EXIT.FAILED
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

    const client = await controllerClient()
    const runs: { journal: Journal; scenario: ScenarioFile }[] = []
    for (const [i, s] of scenarios.entries()) {
      // the window before a fault sees only calm traffic; before the first, the app warms up for one window more
      if (await calm(Math.max(s.windowMs, CALM_MS) + (i === 0 ? s.windowMs : 0), latch)) break
      run.out(s.workflow
        ? `${clock()} ${s.workflow.steps.length} scenarios, the steps of workflow ${s.workflow.name} in ${s.file}, with the hypothesis checked every ${s.workflow.every} s\n`
        : `${clock()} scenario ${i + 1}/${scenarios.length}: ${s.file}\n`)
      const journal = await runUntilTested(s, join(work, `journal-${i + 1}`), latch, (file, journalPath) => {
        const one: Run = { out: run.err, err: run.err, exitCode: EXIT.OK }
        const watching = s.workflow ? watchSteps(client, s.workflow, run) : undefined
        return runExperimentFile(file, {
          journalPath, validation: true, verifyTls: true, output: 'text', signal: stopping.signal,
          ...(s.workflow ? { hypothesisStrategy: 'continuously', hypothesisFrequency: s.workflow.every } : {}),
        }, one).then((j) => {
          if (!j) throw new ChaosError('RUN_REFUSED_ACTIVITY', `scenario ${file} did not run (exit ${one.exitCode})`, { hint: 'the lines above say why' })
          return j
        }).finally(() => watching?.stop())
      }, run)
      runs.push({ journal, scenario: s })
      if (!s.workflow) {
        const v = verdictOf(journal)
        run.out(`${clock()} scenario ${i + 1}: ${journal.experiment.title}: ${v.verdict}\n`)
        for (const w of v.why) run.out(`    ${w}\n`)
      } else run.out(`${clock()} ${journal.experiment.title}: ${journal.status}; each step's verdict is below\n`)
      if (latch.reason) break
    }

    // the report of the whole demo: every scenario's run, fault window and recovery
    await new Promise((r) => setTimeout(r, RECORDER_TAIL_MS))
    const range = { from: loadStart.toISOString(), to: new Date().toISOString(), title: `chaoscope demo: the ${which}` }
    const data = JSON.parse(await client.report(range, 'json')) as ReportData
    const outcomes = runs.flatMap(({ journal, scenario }) => scenario.workflow
      ? stepOutcomes(journal, scenario.workflow.steps, data.faults)
      : [{ ...verdictOf(journal), title: journal.experiment.title, faults: scenario.faults }])
    run.out(`\n${which}: ${outcomes.length} scenario(s)\n`)
    for (const [i, o] of outcomes.entries()) {
      run.out(`  ${i + 1}. ${o.title}: ${o.verdict}; time to recover: ${o.injected ? timeToRecover(data, o.faults) : 'none (no fault was injected)'}\n`)
      for (const w of o.why) run.out(`       ${w}\n`)
    }
    // drawn here from the data the verdicts were read from, as the API draws it: one build of the report, not two
    writeFileSync(reportFile, await renderReportData(data, format))
    run.out(`report: ${reportFile}\n`)
    // a run that stopped short (aborted, interrupted) fails the demo even where its steps held
    const runExits = runs.map(({ journal, scenario }) => (scenario.workflow ? (journal.status === 'completed' ? EXIT.OK : EXIT.FAILED) : exitOf(journal)))
    run.exitCode = runs.length < scenarios.length ? EXIT.FAILED : Math.max(EXIT.OK, ...runExits, ...outcomes.map((o) => o.exit))

    if (!opts.once && !latch.reason) {
      run.out(`the ${which} keeps running with its load: ${target}/ and the dashboard ${ctl.state.url}/; Ctrl-C stops everything\n`)
      await latch.stopped
    }
  } finally {
    run.out(`${clock()} stopping${latch.reason ? ` (${latch.reason})` : ''}...\n`)
    try {
      load?.stop()
      await load?.result.catch(() => undefined)
      await server?.close()
      if (sink) {
        await new Promise<void>((r) => sink!.server.close(() => r()))
        delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
      }
    } finally {
      if (home.remove) {
        rmSync(home.dir, { recursive: true, force: true })
        delete process.env.CHAOSCOPE_HOME
      }
      latch.dispose()
    }
    run.out(`${clock()} stopped: no pod, no load, no state file left\n`)
  }
}

/** How many times a scenario is run when the steady state did not hold before its faults (nothing was injected). */
const TRIES = 3

/**
 * Runs a scenario, and again after a calm window when its hypothesis before did not hold (a moment of load on this
 * machine, not the fault: nothing was injected), up to TRIES times; the last run is the scenario's.
 */
async function runUntilTested(s: ScenarioFile, journalBase: string, latch: SignalLatch, once: (file: string, journalPath: string) => Promise<Journal>, run: Run): Promise<Journal> {
  for (let attempt = 1; ; attempt++) {
    const journal = await once(s.file, `${journalBase}${attempt > 1 ? `-try-${attempt}` : ''}.json`)
    const before = journal.steady_states.before
    if (before?.steady_state_met !== false || attempt === TRIES || latch.reason) return journal
    run.out(`${clock()} the steady state did not hold before the faults, so nothing was injected; trying again after ${Math.max(s.windowMs, CALM_MS) / 1000} s of calm (${TRIES - attempt} more ${TRIES - attempt === 1 ? 'try' : 'tries'})\n`)
    for (const w of missedProbes([before])) run.out(`    ${w}\n`)
    if (await calm(Math.max(s.windowMs, CALM_MS), latch)) return journal
  }
}

/** While a workflow runs: a line as each of its steps starts and ends (its nodes read once a second). */
function watchSteps(client: ControllerClient, workflow: { name: string; steps: Step[] }, run: Run): { stop(): Promise<void> } {
  const said = new Map<string, 'started' | 'ended'>()
  const finished = (n: ChaosObject) => ((n.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => ['Accomplished', 'DeadlineExceed', 'Aborted'].includes(c.type) && c.status === 'True')
  const look = async () => {
    const nodes = await client.list({ kind: 'WorkflowNode', labelSelector: `chaos-mesh.org/workflow=${workflow.name}` }).catch(() => [])
    for (const n of nodes) {
      const template = (n.spec as { templateName?: string }).templateName ?? ''
      const k = workflow.steps.findIndex((s) => s.template === template)
      const before = said.get(template)
      const now = finished(n) ? 'ended' : 'started'
      if (k < 0 || before === 'ended' || before === now) continue
      const say = (what: string) => run.out(`${clock()}   step ${k + 1}/${workflow.steps.length}: ${template} (${workflow.steps[k]!.kind}) ${what}\n`)
      if (before === undefined && now === 'ended') say('started')
      say(now)
      said.set(template, now)
    }
  }
  let busy: Promise<void> | undefined
  const timer = setInterval(() => {
    busy ??= look().finally(() => (busy = undefined))
  }, 1000)
  return {
    // the look under way, then one more: each step's last line comes before the run's verdict
    async stop() {
      clearInterval(timer)
      await busy
      await look()
    },
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
