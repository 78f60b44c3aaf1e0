/**
 * @module index: chaoscope's programmatic API; the CLI calls only this.
 *
 * Cheap to import: what it loads at once is the error table, the state files, the runtime's HTTP client and the
 * label-selector and duration parsers. Everything heavier (the schemas, the controller, SQLite, hono, OpenTelemetry) is loaded
 * by the function that needs it, on its first call, so these functions are async even where the code behind them
 * is not. Types are re-exported as types only.
 *
 * @example
 * const result = await validatePaths(['delay.yaml'])
 * const api = await controllerClient()            // the controller $CHAOSCOPE_HOME/controller.json names
 * const pods = await HttpRuntimeClient.fromState().listPods({ labelSelector: 'app=web' })
 */
import { existsSync } from 'node:fs'
import type * as AppFile from './app-file.js'
import type * as Validate from './manifest/validate.js'
import type * as Wiring from './wiring.js'
import type * as ToxiproxyApi from './runtime/toxiproxy/api.js'
import type * as Doctor from './doctor.js'
import type * as KubePreflight from './kube/preflight.js'
import type * as Apply from './api/apply.js'
import type * as Kinds from './api/kinds.js'
import type { ControllerClient } from './api/client.js'
import type { ReportData } from './report/types.js'
import type * as LoadRun from './load/run.js'
import type * as FlowFile from './load/flow-file.js'
import type * as LoadMetrics from './load/metrics.js'
import type * as PromConfig from './observe/prometheus-config.js'
import type * as Prepare from './verdict/prepare.js'
import type * as Runner from './verdict/runner.js'
import type { Journal } from './verdict/types.js'
import type { Target } from './verdict/types.js'
import type { TargetChoice } from './run-target.js'
import { isoOf } from './report/score.js'

// loaded at once (light)
export { ChaosError, ERROR_CODES, EXIT, isChaosError } from './errors.js'
export type { ErrorCode } from './errors.js'
export { HttpRuntimeClient } from './runtime/client.js'
export type { RuntimeClient, RuntimePod } from './runtime/client.js'
export { readControllerState, readState, requireRuntime, pidAlive, stateDir, ensureHome, writeLoadState, clearLoadState, liveLoads } from './store/state-files.js'
export { parseListen } from './http-security.js'
export { corsOriginProblem, loadServerConfig, namespaceProblem } from './server-config.js'
export type { ServerConfig } from './server-config.js'
export type { TargetChoice } from './run-target.js'
export type { NamespacePolicy } from './engine/namespace-policy.js'
export type { ControllerState, RuntimeState } from './store/state-files.js'
export { formatIssue } from './manifest/issues.js'
export type { Issue } from './manifest/issues.js'
export { parseSelector } from './selector.js'
export { parseDuration } from './manifest/duration.js'
export { VERSION } from './version.js'
/** A journal's time as ISO UTC (Chaos Toolkit writes UTC without a zone). */
export { isoOf }
export { parseRate, RateSyntaxError } from './load/schedule.js'

// types of what the functions below load
export type { Resource, SkippedDocument, ValidationResult } from './manifest/validate.js'
export type { AppDocument } from './app-file.js'
export type { RuntimeServer, RuntimeServerOptions } from './runtime/server.js'
export type { ControllerClient, ApplyResponse } from './api/client.js'
export type { ApiOptions } from './api/app.js'
export type { ApplyAction, ApplyResult, ChaosEvent, ChaosObject, ChaoscopeRecord, ChaoscopeStatus, Condition, ContainerRecord, ControllerApi, EventQuery, ListQuery } from './api/types.js'
export type { ControllerHandle, ControllerServer, ControllerServerOptions, LocalControllerOptions } from './wiring.js'
export type { ControllerOptions } from './engine/controller.js'
export type { Check } from './doctor.js'
export type { IssuesError } from './api/apply.js'
export type { FlowSet, LoadPlan, LoadProgress, LoadResult, Quantiles, SecondStats, Stage, StepStats } from './load/types.js'
export type { LoadHooks, LoadRun, LoadSnapshot } from './load/run.js'
export type { MetricsServer } from './load/metrics.js'
export type { PrometheusConfigOptions, ScrapeTargets } from './observe/prometheus-config.js'
export type { ActivityRun, Journal, RunEvent, RunOptions, SteadyState, Target, ToleranceCheck } from './verdict/types.js'
export type { PreparedRun, RunFlags } from './verdict/prepare.js'

/**
 * The manifest layer: the one-file bundle that `npm run build` makes of it and the YAML parser
 * (scripts/bundle.mjs), loaded far faster than its modules one by one; the modules where there is no
 * bundle (running from the TypeScript sources).
 */
let manifest: Promise<typeof Validate> | undefined
function manifestLayer(): Promise<typeof Validate> {
  const bundle = new URL('./manifest/validate.bundle.js', import.meta.url)
  manifest ??= existsSync(bundle) ? (import(/* @vite-ignore */ bundle.href) as Promise<typeof Validate>) : import('./manifest/validate.js')
  return manifest
}

/** Validates files, directories and `-` (stdin): every problem of every document, with positions. */
export async function validatePaths(...args: Parameters<typeof Validate.validatePaths>): Promise<ReturnType<typeof Validate.validatePaths>> {
  return (await manifestLayer()).validatePaths(...args)
}

/** Validates one text as if read from `file`. */
export async function validateText(...args: Parameters<typeof Validate.validateText>): Promise<ReturnType<typeof Validate.validateText>> {
  return (await manifestLayer()).validateText(...args)
}

/** Reads and checks an App file: its resource, or its issues. */
export async function loadApp(file: string): Promise<ReturnType<typeof AppFile.loadApp>> {
  return (await import('./app-file.js')).loadApp(file)
}

/** Documents that validate but that the controller does not keep (Chaos Toolkit experiments, Apps, other groups). */
export async function notApplicable(...args: Parameters<typeof Apply.notApplicable>): Promise<ReturnType<typeof Apply.notApplicable>> {
  return (await import('./api/apply.js')).notApplicable(...args)
}

/** Kind names as kubectl accepts them (`resolveKind('nc')`), and as it prints them (`resourceType`, `plural`). */
export async function kindNames(): Promise<Pick<typeof Kinds, 'resolveKind' | 'resourceType' | 'plural' | 'findKind' | 'CONTROLLER_KINDS'>> {
  return import('./api/kinds.js')
}

/**
 * The controller's API over HTTP: at `url` with `token`, or the controller `$CHAOSCOPE_SERVER` or
 * `$CHAOSCOPE_HOME/controller.json` names, with the CLI's token (`$CHAOSCOPE_TOKEN`, else `$CHAOSCOPE_HOME/token`).
 */
export async function controllerClient(url?: string, token?: string): Promise<ControllerClient> {
  const { ControllerClient: Client } = await import('./api/client.js')
  return url === undefined ? Client.fromState() : new Client(url, token)
}

/**
 * What the experiment commands (apply, get, describe, delete, pause, resume, events) call: the controller's API, or a
 * Kubernetes cluster's Chaos Mesh resources (`--target kubernetes`), which answer with the same shapes.
 */
export type ExperimentApi = Pick<ControllerClient, 'apply' | 'list' | 'get' | 'pause' | 'resume' | 'events' | 'objectEvents' | 'watch'> & {
  delete(kind: string, namespace: string, name: string, opts?: { wait?: boolean; timeoutSeconds?: number; force?: boolean }): ReturnType<ControllerClient['delete']>
}

/** The ExperimentApi of a target: the local controller (controller.json, $CHAOSCOPE_SERVER) or a cluster. */
export async function experimentApi(where: TargetChoice = { target: 'local' }): Promise<ExperimentApi> {
  if (where.target !== 'kubernetes') return controllerClient()
  const api: ExperimentApi = await (await import('./run-target.js')).kubeBackend(where)
  return api
}

/** Starts a local runtime with its control API and its state file (what `chaoscope up` runs). */
export async function startRuntimeServer(...args: Parameters<typeof Wiring.startRuntimeServer>): ReturnType<typeof Wiring.startRuntimeServer> {
  return (await import('./wiring.js')).startRuntimeServer(...args)
}

/** Serves Toxiproxy's HTTP API over a local runtime's proxies (`chaoscope proxy`). */
export async function startToxiproxyApi(...args: Parameters<typeof ToxiproxyApi.startToxiproxyApi>): ReturnType<typeof ToxiproxyApi.startToxiproxyApi> {
  return (await import('./runtime/toxiproxy/api.js')).startToxiproxyApi(...args)
}

/** The checks `chaoscope doctor` makes: the runtime's own (cgroups, tools), and the system packages. */
export async function checkSystem(...args: Parameters<typeof Doctor.checkSystem>): Promise<ReturnType<typeof Doctor.checkSystem>> {
  return (await import('./doctor.js')).checkSystem(...args)
}

/** The preflight of `chaoscope doctor --target kubernetes`: kubeconfig, API server, Chaos Mesh's CRDs and controller, permissions, namespace. */
export async function kubePreflight(...args: Parameters<typeof KubePreflight.kubePreflight>): ReturnType<typeof KubePreflight.kubePreflight> {
  return (await import('./kube/preflight.js')).kubePreflight(...args)
}

/** Runs the controller inside `up`, its API on the runtime's port. */
export async function startUpController(...args: Parameters<typeof Wiring.startUpController>): ReturnType<typeof Wiring.startUpController> {
  return (await import('./wiring.js')).startUpController(...args)
}

/** `chaoscope server`: the controller for a runtime already up. */
export async function startServer(...args: Parameters<typeof Wiring.startServer>): ReturnType<typeof Wiring.startServer> {
  return (await import('./wiring.js')).startServer(...args)
}

/** The controller on a port of its own, for a controller built by the caller. */
export async function startControllerServer(...args: Parameters<typeof Wiring.startControllerServer>): ReturnType<typeof Wiring.startControllerServer> {
  return (await import('./wiring.js')).startControllerServer(...args)
}

/** Where the controller keeps its SQLite file by default. */
export async function defaultDbPath(): Promise<string> {
  return (await import('./wiring.js')).defaultDbPath()
}

/** Starts a load run (`chaoscope load`): worker threads sending the plan's requests; its `result` resolves at the end. */
export async function startLoad(...args: Parameters<typeof LoadRun.startLoad>): Promise<ReturnType<typeof LoadRun.startLoad>> {
  return (await import('./load/run.js')).startLoad(...args)
}

/** Runs a load plan to its end (or until `signal` aborts it) and returns what was measured. */
export async function runLoad(...args: Parameters<typeof LoadRun.runLoad>): ReturnType<typeof LoadRun.runLoad> {
  return (await import('./load/run.js')).runLoad(...args)
}

/** Reads a LoadProfile file (scripted flows): the compiled flows, or every issue with its position. */
export async function loadFlowFile(...args: Parameters<typeof FlowFile.loadFlowFile>): Promise<ReturnType<typeof FlowFile.loadFlowFile>> {
  return (await import('./load/flow-file.js')).loadFlowFile(...args)
}

/** Reads a stages file (`chaoscope load --stages`): the stages, or every issue with its position. */
export async function parseStagesFile(...args: Parameters<typeof FlowFile.parseStagesFile>): Promise<ReturnType<typeof FlowFile.parseStagesFile>> {
  return (await import('./load/flow-file.js')).parseStagesFile(...args)
}

/** A Prometheus scrape configuration for chaoscope's /metrics endpoints, as YAML text (`chaoscope prometheus-config`). */
export async function prometheusConfig(...args: Parameters<typeof PromConfig.prometheusConfig>): Promise<string> {
  return (await import('./observe/prometheus-config.js')).prometheusConfig(...args)
}

/** Serves a load run's Prometheus metrics on http://host:port/metrics while it runs. */
export async function serveLoadMetrics(run: Pick<LoadRun.LoadRun, 'snapshot'>, host: string, port: number, labels: Record<string, string> = {}): Promise<LoadMetrics.MetricsServer> {
  const m = await import('./load/metrics.js')
  const registry = new m.Registry()
  m.registerLoadMetrics(registry, () => run.snapshot(), labels)
  return m.serveMetrics(registry, host, port)
}

/** Checks a Chaos Toolkit experiment and everything its run needs (`chaoscope run`): the issues, or the prepared run. */
export async function prepareRun(...args: Parameters<typeof Prepare.prepareRun>): ReturnType<typeof Prepare.prepareRun> {
  return (await import('./verdict/prepare.js')).prepareRun(...args)
}

/** Runs a prepared experiment to its journal (Chaos Toolkit's run loop and statuses). */
export async function runExperiment(...args: Parameters<typeof Runner.runExperiment>): ReturnType<typeof Runner.runExperiment> {
  return (await import('./verdict/runner.js')).runExperiment(...args)
}

/** A journal as JUnit XML: a testcase per probe and phase. */
export async function junitXml(journal: Journal): Promise<string> {
  return (await import('./verdict/junit.js')).junitXml(journal)
}

/** The target of `chaoscope run` (the controller and runtime the state files name); undefined when none runs. */
export async function connectTarget(where?: TargetChoice): Promise<Target | undefined> {
  return (await import('./run-target.js')).connectTarget(where)
}

/** The controller `chaoscope run` records its journal on (undefined when none runs). */
export async function runController(): Promise<ControllerClient | undefined> {
  return (await import('./run-target.js')).runController()
}

export type { FaultWindow, ReportData } from './report/types.js'
export type { ReportFormat } from './report/formats.js'

/** A report's range from `since`, or `from` and `to` (epoch ms); REPORT_INVALID_RANGE when it is not one. */
export async function parseReportRange(q: { since?: string | undefined; from?: string | undefined; to?: string | undefined }, now: number): Promise<{ from: number; to: number }> {
  return (await import('./report/range.js')).parseRange(q, now)
}

/** The format a report file's name asks for (.html, .json, .md), or undefined. */
export async function reportFormatOfFile(file: string): Promise<'json' | 'html' | 'md' | undefined> {
  return (await import('./report/formats.js')).formatOfFile(file)
}

/** A report's data (as `GET /api/v1/report?format=json` answers it) as a file of `format`, drawn as the API draws it. */
export async function renderReportData(data: ReportData, format: 'json' | 'html' | 'md'): Promise<string> {
  return (await import('./report/render.js')).renderReport(data, format).body
}

/**
 * The report of one journal alone, when no controller recorded the run's traffic and faults: the hypothesis,
 * verdict and score, with a note saying why there are no charts.
 */
export async function reportOfJournal(journal: Journal, format: 'json' | 'html' | 'md', experiment = journal.experiment.title, why?: string): Promise<string> {
  const { buildReport } = await import('./report/build.js')
  const from = Date.parse(isoOf(journal.start))
  const to = Math.max(from + 1000, Date.parse(isoOf(journal.end ?? journal.start)))
  const data = buildReport({ from, to, signals: [], exemplars: [], faults: [], runs: [{ experiment, journal }] })
  data.notes.unshift(why ? `${why}: this report has the journal only` : 'no controller was running: the run\'s traffic and faults were not recorded (start the services with `chaoscope up` for charts)')
  return renderReportData(data, format)
}

/** The JSON Schema of Chaos Toolkit's experiment format, as chaoscope checks it (`chaoscope schema experiment`). */
export async function experimentSchema(): Promise<Record<string, unknown>> {
  return (await import('./manifest/chaos-toolkit.js')).chaosToolkitSchema as unknown as Record<string, unknown>
}
