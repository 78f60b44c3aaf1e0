/**
 * @module verdict/activities/chaoscope: chaoscope's own Python-provider activities (`chaoscope.actions.*`,
 * `chaoscope.probes.*`), so an experiment keeps Chaos Toolkit's format:
 *
 *   {"type": "python", "module": "chaoscope.probes", "func": "latency", "arguments": {"service": "middle"}}
 *
 * - actions: apply (a manifest or a file), delete, pause, resume, load (src/load/, loopback targets only);
 * - probes: golden_signals, latency, error_rate, throughput (from the sidecars, see signals.ts), load_result (a
 *   load action's figure), wait_for (a probe run until its tolerance holds).
 *
 * Also the pieces every activity module shares: the target or RUN_NO_TARGET, argument readers, errors as
 * ActivityFailed.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ERROR_CODES, isChaosError } from '../../errors.js'
import { parseDuration } from '../../manifest/duration.js'
import { formatIssue } from '../../manifest/issues.js'
import type { Issue } from '../../manifest/issues.js'
import type { LoadPlan, LoadResult, Stage } from '../../load/types.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition, ChaosToolkitTolerance, PythonActivity, Target } from '../types.js'
import { SidecarSampler, describeScope, goldenSignals, increaseOver, inScope, latencyMs, sleep } from './signals.js'
import type { GoldenSignals, Increase, Scope } from './signals.js'

// ───────────────────────────── shared by the activity modules ─────────────────────────────

/** The target, or ActivityFailed RUN_NO_TARGET (with its hint) when no controller runs. */
export function requireTarget(ctx: ActivityContext, what: string): Target {
  if (ctx.target) return ctx.target
  const [meaning, hint] = ERROR_CODES.RUN_NO_TARGET
  throw new ActivityFailed(`${what}: ${meaning} (hint: ${hint})`, 'RUN_NO_TARGET')
}

/** A ChaosError (a refusal of the controller or the runtime) as the ActivityFailed the run records, with its hint and issues. */
export function asActivityFailed(e: unknown): never {
  if (e instanceof ActivityFailed) throw e
  if (isChaosError(e)) {
    const issues = (e as { issues?: Issue[] }).issues
    const list = issues && issues.length > 0 ? `:\n${issues.map(formatIssue).join('\n')}` : ''
    throw new ActivityFailed(`${e.message}${list}${e.hint ? ` (hint: ${e.hint})` : ''}`, e.code)
  }
  throw e
}

/** Runs `fn`, turning a ChaosError into ActivityFailed. */
export async function refusalsFailed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    return asActivityFailed(e)
  }
}

/** Reads an activity's arguments, as the Python function would take them (types checked, defaults applied). */
export class Args {
  constructor(
    private readonly args: Record<string, unknown>,
    private readonly fn: string,
  ) {}

  private bad(name: string, expected: string): never {
    throw new ActivityFailed(`${this.fn}: argument ${name} must be ${expected}, got ${JSON.stringify(this.args[name])}`)
  }

  has(name: string): boolean {
    return this.args[name] !== undefined && this.args[name] !== null
  }

  raw(name: string): unknown {
    return this.args[name]
  }

  str(name: string): string | undefined
  str(name: string, def: string): string
  str(name: string, def?: string): string | undefined {
    const v = this.args[name]
    if (v === undefined || v === null) return def
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    return this.bad(name, 'a string')
  }

  need(name: string): string {
    const v = this.str(name)
    if (v === undefined || v === '') throw new ActivityFailed(`${this.fn}: missing argument ${name}`)
    return v
  }

  num(name: string): number | undefined
  num(name: string, def: number): number
  num(name: string, def?: number): number | undefined {
    const v = this.args[name]
    if (v === undefined || v === null) return def
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.bad(name, 'a number')
    return n
  }

  int(name: string, def: number): number {
    const n = this.num(name, def)
    if (!Number.isInteger(n)) return this.bad(name, 'a whole number')
    return n
  }

  bool(name: string, def: boolean): boolean {
    const v = this.args[name]
    if (v === undefined || v === null) return def
    if (typeof v === 'boolean') return v
    if (v === 'true' || v === 'True') return true
    if (v === 'false' || v === 'False') return false
    return this.bad(name, 'true or false')
  }

  /** A duration as Go writes it ("30s", "1m30s") or a number of seconds; in ms. */
  durationMs(name: string, def: number): number {
    const v = this.args[name]
    if (v === undefined || v === null) return def
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000
    if (typeof v === 'string') {
      const t = v.trim()
      if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000
      const ms = parseDuration(t)
      if (ms !== undefined && ms >= 0) return ms
    }
    return this.bad(name, 'a duration like "30s" or "1m30s", or a number of seconds')
  }

  record(name: string): Record<string, unknown> | undefined {
    const v = this.args[name]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'object' || Array.isArray(v)) return this.bad(name, 'a mapping')
    return v as Record<string, unknown>
  }

  /** A mapping of strings (labels, headers). */
  strings(name: string): Record<string, string> | undefined {
    const r = this.record(name)
    if (!r) return undefined
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') this.bad(name, 'a mapping of strings')
      out[k] = String(v)
    }
    return out
  }
}

/** Five random characters as Kubernetes' generateName draws them (no vowels, no 0, 1, 3). */
export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let s = ''
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)]
  return s
}

// ───────────────────────────── chaoscope.actions: apply, delete, pause, resume ─────────────────────────────

/** The text of a manifest argument: YAML/JSON text as given, an object (or a list of them) as JSON documents. */
export function manifestText(manifest: unknown, fn: string): string {
  if (typeof manifest === 'string') return manifest
  if (Array.isArray(manifest)) return manifest.map((m) => JSON.stringify(m)).join('\n---\n')
  if (manifest && typeof manifest === 'object') return JSON.stringify(manifest)
  throw new ActivityFailed(`${fn}: manifest must be YAML or JSON text, or an object, got ${JSON.stringify(manifest)}`)
}

const apply: PythonActivity = async (args, ctx) => {
  const a = new Args(args, 'chaoscope.actions.apply')
  const target = requireTarget(ctx, 'chaoscope.actions.apply')
  let text: string
  let file: string | undefined
  if (a.has('path') === a.has('manifest')) throw new ActivityFailed('chaoscope.actions.apply: give manifest (YAML or JSON text, or an object) or path (a file), one of them')
  if (a.has('path')) {
    file = a.need('path')
    try {
      text = readFileSync(resolve(ctx.cwd, file), 'utf8')
    } catch (e) {
      throw new ActivityFailed(`chaoscope.actions.apply: cannot read ${file}: ${(e as Error).message}`, 'SPEC_FILE_NOT_FOUND')
    }
  } else {
    text = manifestText(a.raw('manifest'), 'chaoscope.actions.apply')
  }
  const items = await refusalsFailed(() => target.apply(text, file))
  for (const i of items) ctx.log(`${i.kind} ${i.namespace}/${i.name} ${i.action}`)
  return items
}

function objectArgs(args: Record<string, unknown>, fn: string): { kind: string; name: string; ns: string } {
  const a = new Args(args, fn)
  return { kind: a.need('kind'), name: a.need('name'), ns: a.str('ns') ?? a.str('namespace') ?? 'default' }
}

const del: PythonActivity = async (args, ctx) => {
  const { kind, name, ns } = objectArgs(args, 'chaoscope.actions.delete')
  const target = requireTarget(ctx, 'chaoscope.actions.delete')
  const deleted = await refusalsFailed(() => target.delete(kind, ns, name))
  return { kind, namespace: ns, name, deleted }
}

const pause: PythonActivity = async (args, ctx) => {
  const { kind, name, ns } = objectArgs(args, 'chaoscope.actions.pause')
  await refusalsFailed(() => requireTarget(ctx, 'chaoscope.actions.pause').pause(kind, ns, name))
  return { kind, namespace: ns, name, paused: true }
}

const resume: PythonActivity = async (args, ctx) => {
  const { kind, name, ns } = objectArgs(args, 'chaoscope.actions.resume')
  await refusalsFailed(() => requireTarget(ctx, 'chaoscope.actions.resume').resume(kind, ns, name))
  return { kind, namespace: ns, name, paused: false }
}

// ───────────────────────────── chaoscope.probes: golden signals ─────────────────────────────

/** One sampler per run (keyed by the run's results map), started on first use. */
const samplers = new WeakMap<object, SidecarSampler>()

/** The run's sampler, started if it is not running. */
export function samplerOf(ctx: ActivityContext, target: Target): SidecarSampler {
  let s = samplers.get(ctx.results)
  if (!s) {
    s = new SidecarSampler(() => target.sidecars())
    samplers.set(ctx.results, s)
  }
  const run = new WeakRef(ctx.results)
  s.start(() => run.deref() !== undefined)
  return s
}

/** Stops the sampler of a run (the runner may call it when the run ends; it also stops by itself when idle). */
export function stopSampler(results: Map<string, Promise<unknown>>): void {
  samplers.get(results)?.stop()
}

function scopeOf(a: Args, fn: string): Scope {
  if (a.has('service') === a.has('edge')) throw new ActivityFailed(`${fn}: give service (traffic into a service) or edge ("source->destination"), one of them`)
  if (a.has('service')) return { service: a.need('service') }
  const edge = a.need('edge')
  const m = /^\s*([^\s>-][^>]*?)\s*->\s*(\S.*?)\s*$/.exec(edge)
  if (!m) throw new ActivityFailed(`${fn}: edge must read "source->destination" (service names, e.g. "front->middle"), got ${JSON.stringify(edge)}`)
  return { edge: { source: m[1]!, destination: m[2]! } }
}

/** The increase of the probe's scope over its window (default 30 s), and the seconds it spans. */
async function windowOf(args: Record<string, unknown>, ctx: ActivityContext, fn: string): Promise<{ scope: string; inc: Increase; spanMs: number }> {
  const a = new Args(args, fn)
  const scope = scopeOf(a, fn)
  const windowMs = a.durationMs('window', 30_000)
  const target = requireTarget(ctx, fn)
  const sampler = samplerOf(ctx, target)
  if (!(windowMs >= 1000)) throw new ActivityFailed(`${fn}: window must be 1s or more (the sidecars are read once a second), got ${JSON.stringify(a.raw('window'))}`)
  if (windowMs > sampler.spanMs) throw new ActivityFailed(`${fn}: window ${windowMs / 1000}s is longer than the ${sampler.spanMs / 1000}s the sampler keeps`)
  const { samples, spanMs } = await refusalsFailed(() => sampler.window(windowMs, ctx.signal))
  if (!samples.some((s) => [...s.sidecars.values()].some((x) => inScope(scope, x.labels)))) {
    const last = [...samples[samples.length - 1]!.sidecars.values()]
    const services = [...new Set(last.filter((s) => s.labels.source === 'ingress').map((s) => s.labels.destination))].sort()
    const edges = [...new Set(last.filter((s) => s.labels.source !== 'ingress').map((s) => `${s.labels.source}->${s.labels.destination}`))].sort()
    throw new ActivityFailed(`${fn}: no sidecar carries the traffic of ${describeScope(scope)}; services: ${services.join(', ') || 'none'}; edges: ${edges.join(', ') || 'none'}`)
  }
  return { scope: describeScope(scope), inc: increaseOver(samples, scope), spanMs }
}

async function signalsOf(args: Record<string, unknown>, ctx: ActivityContext, fn: string): Promise<GoldenSignals & { scope: string }> {
  const { scope, inc, spanMs } = await windowOf(args, ctx, fn)
  return { scope, ...goldenSignals(inc, spanMs) }
}

const golden_signals: PythonActivity = (args, ctx) => signalsOf(args, ctx, 'chaoscope.probes.golden_signals')

/** `0.99`, `99` (a percent) or `"p99"`: the quantile as a fraction. */
function quantileArg(a: Args, fn: string): number {
  const raw = a.raw('quantile')
  let q = 0.99
  if (typeof raw === 'string' && /^p\d+(\.\d+)?$/i.test(raw.trim())) q = Number(raw.trim().slice(1)) / 100
  else if (raw !== undefined && raw !== null) q = a.num('quantile', 0.99)
  if (q > 1 && q <= 100) q /= 100
  if (!(q >= 0 && q <= 1)) throw new ActivityFailed(`${fn}: quantile must be between 0 and 1 (or "p99"), got ${JSON.stringify(raw)}`)
  return q
}

const latency: PythonActivity = async (args, ctx) => {
  const fn = 'chaoscope.probes.latency'
  const q = quantileArg(new Args(args, fn), fn)
  const { scope, inc, spanMs } = await windowOf(args, ctx, fn)
  const ms = latencyMs(inc, q)
  if (ms === null) throw new ActivityFailed(`${fn}: ${scope} had no requests in the last ${Math.round(spanMs / 1000)}s: no latency to report`)
  return ms
}

const error_rate: PythonActivity = async (args, ctx) => (await signalsOf(args, ctx, 'chaoscope.probes.error_rate')).error_rate

const throughput: PythonActivity = async (args, ctx) => (await signalsOf(args, ctx, 'chaoscope.probes.throughput')).throughput

// ───────────────────────────── chaoscope.actions.load, chaoscope.probes.load_result ─────────────────────────────

/** What a load action returns (and load_result reads). */
export interface LoadSummary {
  url: string
  model: 'open' | 'closed'
  requests: number
  /** Requests started per second. */
  rps: number
  /** Successful responses per second. */
  throughput: number
  /** Share of requests that got a 2xx/3xx answer. */
  success: number
  /** 1 - success: non-2xx/3xx answers, requests without an answer, dropped sends. */
  error_rate: number
  /** Requests that got no response (connection errors, timeouts). */
  errors: number
  status_codes: Record<string, number>
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; min: number; mean: number }
  duration_s: number
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

function summary(r: LoadResult): LoadSummary {
  const l = r.latency
  return {
    url: r.url, model: r.model, requests: r.requests, rps: r.achievedRate, throughput: r.throughput, success: r.success,
    error_rate: Math.round((1 - r.success) * 1e4) / 1e4, errors: r.errors, status_codes: r.statusCodes,
    latency_ms: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max, min: l.min, mean: l.mean }, duration_s: r.duration.total,
  }
}

const load: PythonActivity = async (args, ctx) => {
  const fn = 'chaoscope.actions.load'
  const a = new Args(args, fn)
  const urlText = a.need('url')
  let url: URL
  try {
    url = new URL(urlText)
  } catch {
    throw new ActivityFailed(`${fn}: "${urlText}" is not a URL (write it like http://127.0.0.1:30080/)`, 'LOAD_INVALID_PLAN')
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new ActivityFailed(`${fn}: ${url.host} is not this machine; load is sent to loopback addresses only (127.0.0.1, localhost, [::1])`, 'LOAD_TARGET_REFUSED')
  }
  const { parseRate, RateSyntaxError } = await import('../../load/schedule.js')
  let stages: Stage[] | undefined
  if (a.has('rate')) {
    try {
      stages = parseRate(a.str('rate')!)
    } catch (e) {
      if (e instanceof RateSyntaxError) throw new ActivityFailed(`${fn}: ${e.message.replace(/^--rate: /, 'rate: ')}`, 'LOAD_INVALID_PLAN')
      throw e
    }
  }
  const body = a.has('body') ? (typeof a.raw('body') === 'string' ? a.str('body')! : JSON.stringify(a.raw('body'))) : undefined
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(a.strings('headers') ?? {})) headers[k.toLowerCase()] = v
  if (body !== undefined && typeof a.raw('body') !== 'string' && !headers['content-type']) headers['content-type'] = 'application/json'
  const requests = a.has('requests') ? a.int('requests', 0) : undefined
  const plan: LoadPlan = {
    url: url.href,
    method: (a.str('method') ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase(),
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(stages ? { stages } : {}),
    connections: a.int('connections', stages ? 200 : 10),
    ...(requests !== undefined ? { requests } : {}),
    ...(requests === undefined || a.has('duration') ? { durationMs: a.durationMs('duration', 10_000) } : {}),
    timeoutMs: a.durationMs('timeout', 30_000),
    workers: a.int('workers', 1),
    lateAfterMs: 10,
  }
  const { runLoad } = await import('../../load/run.js')
  const result = await refusalsFailed(() => runLoad(plan, { signal: ctx.signal }))
  const s = summary(result)
  ctx.log(`load on ${s.url}: ${s.requests} requests, ${s.rps}/s, success ${s.success}, p99 ${s.latency_ms.p99} ms`)
  return s
}

const LOAD_SIGNALS: Record<string, (s: LoadSummary) => number> = {
  requests: (s) => s.requests, rps: (s) => s.rps, throughput: (s) => s.throughput, success: (s) => s.success,
  error_rate: (s) => s.error_rate, errors: (s) => s.errors, p50: (s) => s.latency_ms.p50, p90: (s) => s.latency_ms.p90,
  p99: (s) => s.latency_ms.p99, p999: (s) => s.latency_ms.p999, max: (s) => s.latency_ms.max, min: (s) => s.latency_ms.min,
  mean: (s) => s.latency_ms.mean,
}

const load_result: PythonActivity = async (args, ctx) => {
  const fn = 'chaoscope.probes.load_result'
  const a = new Args(args, fn)
  const name = a.need('name')
  const signal = a.str('signal', 'p99')
  const pick = LOAD_SIGNALS[signal]
  if (!pick) throw new ActivityFailed(`${fn}: signal must be one of ${Object.keys(LOAD_SIGNALS).join(', ')}, got ${JSON.stringify(signal)}`)
  const pending = ctx.results.get(name)
  if (!pending) throw new ActivityFailed(`${fn}: no action named ${JSON.stringify(name)} has run in this experiment (name the chaoscope.actions.load action, which may run in the background)`)
  let out: unknown
  try {
    out = await pending
  } catch {
    throw new ActivityFailed(`${fn}: the action ${JSON.stringify(name)} failed: it has no result to read`)
  }
  const s = out as Partial<LoadSummary> | null
  if (!s || typeof s !== 'object' || typeof s.requests !== 'number' || !s.latency_ms) throw new ActivityFailed(`${fn}: the action ${JSON.stringify(name)} is not a chaoscope.actions.load action (its output has no load figures)`)
  return pick(s as LoadSummary)
}

// ───────────────────────────── chaoscope.probes.wait_for ─────────────────────────────

const wait_for: PythonActivity = async (args, ctx) => {
  const fn = 'chaoscope.probes.wait_for'
  const a = new Args(args, fn)
  const probe = a.record('probe') as ChaosToolkitActivityDefinition | undefined
  if (!probe || typeof probe.provider !== 'object') throw new ActivityFailed(`${fn}: probe must be an activity with a provider (as in the method), got ${JSON.stringify(a.raw('probe'))}`)
  if (!a.has('tolerance')) throw new ActivityFailed(`${fn}: missing argument tolerance (what the probe's output must satisfy)`)
  const tolerance = a.raw('tolerance') as ChaosToolkitTolerance
  const withinMs = a.durationMs('within', 30_000)
  const intervalMs = Math.max(10, a.durationMs('interval', 1000))
  const start = Date.now()
  let tries = 0
  for (;;) {
    tries++
    const run = await ctx.runProbe({ ...probe, type: probe.type ?? 'probe', name: probe.name ?? `${fn}.probe` })
    if (run.status === 'succeeded' && (await ctx.checkTolerance(tolerance, run.output)).met) {
      ctx.log(`${fn}: tolerance met after ${((Date.now() - start) / 1000).toFixed(1)}s (${tries} tries)`)
      return true
    }
    const left = start + withinMs - Date.now()
    if (left <= 0) {
      ctx.log(`${fn}: tolerance not met within ${withinMs / 1000}s (${tries} tries)`)
      return false
    }
    await sleep(Math.min(intervalMs, left), ctx.signal)
  }
}

export const CHAOSCOPE_ACTIVITIES: Record<string, PythonActivity> = {
  'chaoscope.actions.apply': apply,
  'chaoscope.actions.delete': del,
  'chaoscope.actions.pause': pause,
  'chaoscope.actions.resume': resume,
  'chaoscope.actions.load': load,
  'chaoscope.probes.golden_signals': golden_signals,
  'chaoscope.probes.latency': latency,
  'chaoscope.probes.error_rate': error_rate,
  'chaoscope.probes.throughput': throughput,
  'chaoscope.probes.load_result': load_result,
  'chaoscope.probes.wait_for': wait_for,
}
