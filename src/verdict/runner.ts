/**
 * @module verdict/runner: Chaos Toolkit's run loop (chaoslib's run.py, hypothesis.py and activity.py), on our
 * providers, with its journal. The order, the strategies and the statuses are chaoslib 1.44's:
 *
 *   before ─ met? ─no─▶ status completed (failed when a probe errored), method skipped
 *     │yes
 *   method: activities in order, background ones started and awaited at its end;
 *           during / continuously: the hypothesis every `hypothesisFrequency` s beside it (--fail-fast: failed)
 *   after  ─ met? ─no─▶ deviated, status completed (failed when a probe errored)
 *   rollbacks: default (not after failed or interrupted) | always | never | deviated (only then)
 *
 * An interrupt (the `interrupt` signal: SIGINT/SIGTERM in the CLI) aborts what runs, sets `interrupted`, and still
 * plays the rollbacks the strategy allows; `stopRollbacks` (a second interrupt) ends those too.
 */
import { hostname, platform, release } from 'node:os'
import { VERSION } from '../version.js'
import { runHttp } from './providers/http.js'
import { runProcess } from './providers/process.js'
import { runPython } from './providers/python.js'
import { substitute } from './substitute.js'
import { checkTolerance } from './tolerance.js'
import { ActivityFailed } from './types.js'
import type {
  ActivityContext,
  ActivityRun,
  ChaosToolkitActivity,
  ChaosToolkitActivityDefinition,
  ChaosToolkitExperiment,
  ChaosToolkitTolerance,
  Journal,
  RunEvent,
  RunOptions,
  SteadyState,
  Target,
  ToleranceCheck,
  Values,
} from './types.js'

/** The chaostoolkit-lib version whose run loop this follows (the journal's `chaoslib-version`). */
export const CHAOSLIB_VERSION = '1.44.0'

type Phase = 'before' | 'method' | 'after' | 'during' | 'rollbacks'

export interface RunDeps {
  values: Values
  target?: Target
  /** Aborts the run (the first SIGINT/SIGTERM). */
  interrupt?: AbortSignal
  /** Aborts the rollbacks too (a second SIGINT/SIGTERM). */
  stopRollbacks?: AbortSignal
  onEvent?: (e: RunEvent) => void
}

class Interrupted extends Error {}

/** Sleeps `seconds`, or rejects with Interrupted when `signal` aborts first. */
function pause(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted('interrupted'))
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, seconds * 1000)
    const onAbort = () => {
      clearTimeout(t)
      reject(new Interrupted('interrupted'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

const isRef = (a: ChaosToolkitActivity): a is { ref: string } => typeof (a as { ref?: unknown }).ref === 'string'

/** Python's truthiness of a JSON value (a probe used as a tolerance passes when its output is truthy). */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (v instanceof Uint8Array) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

function seconds(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) > 0) return Number(v)
  return undefined
}

/** One run of an experiment. Use `runExperiment`. */
class ExperimentRun {
  readonly journal: Journal
  /** Activities by name, for refs: the method's, then the hypothesis' probes (which win), as chaoslib caches them. */
  private readonly byName = new Map<string, ChaosToolkitActivityDefinition>()
  private readonly results = new Map<string, Promise<unknown>>()
  private readonly interrupt: AbortController
  private readonly warnings: string[] = []

  constructor(
    private readonly experiment: ChaosToolkitExperiment,
    private readonly opts: RunOptions,
    private readonly deps: RunDeps,
  ) {
    this.interrupt = new AbortController()
    if (deps.interrupt) {
      if (deps.interrupt.aborted) this.interrupt.abort()
      else deps.interrupt.addEventListener('abort', () => this.interrupt.abort(), { once: true })
    }
    for (const a of [...(experiment.method ?? []), ...(experiment['steady-state-hypothesis']?.probes ?? [])]) {
      if (!isRef(a) && a.name) this.byName.set(a.name, a as ChaosToolkitActivityDefinition)
    }
    this.journal = {
      'chaoslib-version': CHAOSLIB_VERSION,
      platform: `${platform()}-${release()}`,
      node: hostname(),
      experiment: structuredClone(experiment),
      start: new Date().toISOString(),
      status: null,
      deviated: false,
      steady_states: { before: null, after: null, during: [] },
      run: [],
      rollbacks: [],
      chaoscope: { version: VERSION },
    }
  }

  private emit(e: RunEvent): void {
    this.deps.onEvent?.(e)
  }

  private warn(message: string): void {
    this.warnings.push(message)
    this.emit({ type: 'warning', message })
  }

  private get interrupted(): boolean {
    return this.interrupt.signal.aborted
  }

  private context(signal: AbortSignal): ActivityContext {
    return {
      values: this.deps.values,
      ...(this.deps.target ? { target: this.deps.target } : {}),
      signal,
      allowExec: this.opts.allowExec,
      cwd: this.opts.cwd,
      verifyTls: this.opts.verifyTls,
      log: (line) => this.emit({ type: 'log', message: line }),
      runProbe: (probe) => this.execute(probe, 'during', signal, { quiet: true }),
      checkTolerance: (tolerance, value) => this.check(tolerance, value, signal),
      results: this.results,
    }
  }

  /** Runs the provider of an activity; its output, or an ActivityFailed. */
  private async provide(activity: ChaosToolkitActivityDefinition, signal: AbortSignal): Promise<unknown> {
    const ctx = this.context(signal)
    switch (activity.provider.type) {
      case 'http':
        return runHttp(activity, ctx)
      case 'process':
        return runProcess(activity, ctx)
      case 'python':
        return runPython(activity, ctx)
      default:
        throw new ActivityFailed(`unknown provider type '${(activity.provider as { type?: unknown }).type}'`)
    }
  }

  private resolve(a: ChaosToolkitActivity): ChaosToolkitActivityDefinition {
    if (!isRef(a)) return a as ChaosToolkitActivityDefinition
    const found = this.byName.get(a.ref)
    if (!found) throw new ActivityFailed(`could not find referenced activity '${a.ref}'`)
    return found
  }

  /** chaoslib's execute_activity: pauses, dry modes, the run record (added to `runs` before it starts). */
  private async execute(
    given: ChaosToolkitActivityDefinition,
    phase: Phase,
    signal: AbortSignal,
    o: { runs?: ActivityRun[]; background?: boolean; quiet?: boolean; noDone?: boolean } = {},
  ): Promise<ActivityRun> {
    const activity = given
    const dry = (activity as { dry?: unknown }).dry ?? this.opts.dry
    const isDry = dry === 'activities' || (dry === 'actions' && activity.type === 'action') || (dry === 'probes' && activity.type === 'probe')
    const pauses = (substitute((activity.pauses ?? {}) as Record<string, unknown>, this.deps.values) ?? {}) as { before?: unknown; after?: unknown }
    const skipPause = dry === 'pause' || isDry
    const before = seconds(pauses.before)
    if (before) {
      this.emit({ type: 'pause', activity: activity.name, when: 'before', seconds: before, skipped: skipPause })
      if (!skipPause) await pause(before, signal)
    }
    if (!o.quiet) this.emit({ type: 'activity', phase, activity, background: !!o.background })
    const start = new Date()
    const run: ActivityRun = { activity: structuredClone(activity), output: null, start: start.toISOString(), status: 'succeeded' }
    o.runs?.push(run)
    let interrupted = false
    try {
      const output = isDry ? null : await this.provide(activity, signal)
      run.output = output ?? null
      run.status = 'succeeded'
    } catch (e) {
      run.status = 'failed'
      const err = e as { message?: string; code?: string }
      const message = err?.message ?? String(e)
      run.exception = [`${e instanceof ActivityFailed ? 'chaoslib.exceptions.ActivityFailed' : 'Error'}: ${message}\n`]
      run.chaoscope = { ...run.chaoscope, error: { code: typeof err?.code === 'string' ? err.code : 'ACTIVITY_FAILED', message } }
      interrupted = signal.aborted
    } finally {
      const end = new Date()
      run.end = end.toISOString()
      run.duration = (end.getTime() - start.getTime()) / 1000
    }
    if (!o.quiet && !o.noDone) this.emit({ type: 'done', phase, run })
    const after = seconds(pauses.after)
    if (after && !interrupted) {
      this.emit({ type: 'pause', activity: activity.name, when: 'after', seconds: after, skipped: skipPause })
      if (!skipPause) await pause(after, signal)
    }
    return run
  }

  private async check(tolerance: ChaosToolkitTolerance, value: unknown, signal: AbortSignal): Promise<ToleranceCheck> {
    return checkTolerance(tolerance, value, this.deps.values, async (probe: ChaosToolkitActivityDefinition) => {
      const run = await this.execute(probe, 'during', signal, { quiet: true })
      return run
    })
  }

  /** chaoslib's run_steady_state_hypothesis: the probes in order, stopping at the first one not met. */
  private async hypothesis(phase: 'before' | 'after' | 'during', signal: AbortSignal): Promise<SteadyState | null> {
    const hypo = this.experiment['steady-state-hypothesis']
    if (!hypo) return null
    const quiet = phase === 'during' // a line per iteration, not per probe
    const state: SteadyState = { steady_state_met: null, probes: [] }
    const end = (met: boolean): SteadyState => {
      state.steady_state_met = met
      this.emit({ type: 'hypothesis', phase, met, state })
      return state
    }
    for (const given of hypo.probes ?? []) {
      let activity: ChaosToolkitActivityDefinition
      try {
        activity = this.resolve(given)
      } catch (e) {
        this.warn((e as Error).message)
        return end(false)
      }
      const run = await this.execute(activity, phase, signal, { runs: state.probes, quiet, noDone: true })
      if (run.status === 'failed') {
        run.tolerance_met = false
        if (!quiet) this.emit({ type: 'done', phase, run })
        return end(false)
      }
      run.tolerance_met = true
      const dry = this.opts.dry
      if (dry === 'probes' || dry === 'activities') {
        if (!quiet) this.emit({ type: 'done', phase, run })
        continue
      }
      const check = await this.check(activity.tolerance as ChaosToolkitTolerance, run.output, signal)
      run.chaoscope = { ...run.chaoscope, observed: check.observed, expected: check.expected }
      if (!quiet) this.emit({ type: 'done', phase, run, check })
      if (!check.met) {
        run.tolerance_met = false
        return end(false)
      }
    }
    return end(true)
  }

  /** Sets completed, or failed when a probe of `state` errored (chaoslib after a hypothesis that is not met). */
  private statusAfterUnmet(state: SteadyState): void {
    this.journal.status = state.probes.some((p) => p.status !== 'succeeded') ? 'failed' : 'completed'
  }

  /** The hypothesis every `frequency` s until `stop` aborts; --fail-fast fails the run at the first deviation. */
  private async continuously(stop: AbortSignal): Promise<void> {
    this.emit({ type: 'phase', phase: 'during' })
    let iteration = 1
    while (!stop.aborted) {
      if (this.journal.status === 'failed' || this.journal.status === 'interrupted' || this.journal.status === 'aborted') break
      const state = await this.hypothesis('during', this.interrupt.signal)
      if (state) this.journal.steady_states.during.push(state)
      if (state && !state.steady_state_met && this.opts.failFast) {
        this.journal.status = 'failed'
        this.journal.chaoscope!.reason = `the steady state deviated during the method (iteration ${iteration}) and --fail-fast was given`
        break
      }
      iteration++
      try {
        await pause(this.opts.hypothesisFrequency, AbortSignal.any([stop, this.interrupt.signal]))
      } catch {
        break
      }
    }
  }

  /** chaoslib's run_method: activities in order; background ones awaited at the end. */
  private async method(): Promise<ActivityRun[]> {
    this.emit({ type: 'phase', phase: 'method' })
    const runs: ActivityRun[] = []
    this.journal.run = runs
    const background: Promise<unknown>[] = []
    try {
      for (const given of this.experiment.method ?? []) {
        if (this.interrupted) throw new Interrupted('interrupted')
        const activity = this.resolve(given)
        const bg = !!(given as { background?: unknown }).background
        const p = this.execute(activity, 'method', this.interrupt.signal, { runs, background: bg })
        const output = p.then((r) => (r.status === 'succeeded' ? r.output : Promise.reject(new ActivityFailed(`${activity.name} failed`))))
        output.catch(() => undefined)
        this.results.set(activity.name, output)
        if (bg) background.push(p.catch(() => undefined))
        else await p
        if (this.interrupted) throw new Interrupted('interrupted')
        const s = this.journal.status
        if (s === 'aborted' || s === 'failed' || s === 'interrupted') break
      }
    } finally {
      await Promise.all(background)
    }
    if (this.interrupted) throw new Interrupted('interrupted')
    return runs
  }

  private shouldPlayRollbacks(): { play: boolean; reason?: string } {
    const s = this.opts.rollbackStrategy
    if (s === 'always') return { play: true }
    if (s === 'never') return { play: false, reason: '--rollback-strategy never' }
    if (s === 'deviated') return this.journal.deviated ? { play: true } : { play: false, reason: 'the experiment did not deviate (--rollback-strategy deviated)' }
    const status = this.journal.status
    if (status === 'failed' || status === 'interrupted') return { play: false, reason: `the run ${status} (rollback strategy default plays them only otherwise; --rollback-strategy always plays them anyway)` }
    return { play: true }
  }

  private async rollbacks(): Promise<void> {
    const { play, reason } = this.shouldPlayRollbacks()
    if (!play) {
      if ((this.experiment.rollbacks ?? []).length > 0) this.emit({ type: 'skipped', phase: 'rollbacks', reason: reason ?? '' })
      return
    }
    if ((this.experiment.rollbacks ?? []).length === 0) return
    this.emit({ type: 'phase', phase: 'rollbacks' })
    const runs: ActivityRun[] = []
    this.journal.rollbacks = runs
    const stop = this.deps.stopRollbacks ?? new AbortController().signal
    const background: Promise<unknown>[] = []
    try {
      for (const given of this.experiment.rollbacks ?? []) {
        if (stop.aborted) {
          this.journal.status = 'interrupted'
          this.warn('a second interrupt: the remaining rollbacks were not run')
          break
        }
        let activity: ChaosToolkitActivityDefinition
        try {
          activity = this.resolve(given)
        } catch (e) {
          this.warn((e as Error).message)
          continue
        }
        const p = this.execute(activity, 'rollbacks', stop, { runs, background: !!(given as { background?: unknown }).background })
        if ((given as { background?: unknown }).background) background.push(p.catch(() => undefined))
        else await p.catch(() => undefined)
      }
    } finally {
      await Promise.all(background)
    }
  }

  /** The safeguards control's probes (chaosaddons): when one is not met, the run is interrupted. */
  private safeguardProbes(): (ChaosToolkitActivityDefinition & { frequency?: unknown })[] {
    const out: (ChaosToolkitActivityDefinition & { frequency?: unknown })[] = []
    for (const c of (this.experiment.controls ?? []) as { provider?: { module?: unknown; arguments?: { probes?: unknown } } }[]) {
      if (c?.provider?.module !== 'chaosaddons.controls.safeguards') continue
      const probes = c.provider.arguments?.probes
      if (Array.isArray(probes)) out.push(...(probes as (ChaosToolkitActivityDefinition & { frequency?: unknown })[]))
    }
    return out
  }

  private tripped: string | undefined

  /** Runs one safeguard probe; true when it holds. A probe that is not met interrupts the run. */
  private async guard(probe: ChaosToolkitActivityDefinition, signal: AbortSignal): Promise<boolean> {
    const run = await this.execute(probe, 'during', signal, { quiet: true })
    if (signal.aborted) return true
    const check = run.status === 'succeeded' ? await this.check(probe.tolerance as ChaosToolkitTolerance, run.output, signal) : undefined
    if (check?.met) return true
    if (this.tripped === undefined) {
      this.tripped = probe.name
      const why = check ? `observed ${check.observed}, expected ${check.expected}` : `it failed: ${run.chaoscope?.error?.message ?? 'error'}`
      this.warn(`safeguard ${probe.name} is not met (${why}): interrupting the experiment`)
      this.interrupt.abort()
    }
    return false
  }

  /** Starts the safeguards: blocking ones are awaited here; background and repeating ones run until `stop`. */
  private async startSafeguards(stop: AbortSignal): Promise<{ done: Promise<unknown> }> {
    const probes = this.safeguardProbes()
    if (probes.length === 0) return { done: Promise.resolve() }
    const signal = AbortSignal.any([stop, this.interrupt.signal])
    const now = probes.filter((p) => !seconds(p.frequency) && !p.background)
    await Promise.all(now.map((p) => this.guard(p, signal)))
    const later = probes.filter((p) => seconds(p.frequency) || p.background)
    const done = Promise.all(
      later.map(async (p) => {
        const every = seconds(p.frequency)
        do {
          if (!(await this.guard(p, signal))) return
          if (!every) return
          try {
            await pause(every, signal)
          } catch {
            return
          }
        } while (!signal.aborted)
      }),
    )
    return { done }
  }

  async run(): Promise<Journal> {
    const { journal, experiment, opts } = this
    const started = Date.now()
    this.emit({ type: 'start', title: experiment.title, hypothesisStrategy: opts.hypothesisStrategy, rollbackStrategy: opts.rollbackStrategy })
    const strategy = opts.hypothesisStrategy
    const withSsh = (experiment['steady-state-hypothesis']?.probes ?? []).length > 0
    const runBefore = withSsh && (strategy === 'default' || strategy === 'before-method-only' || strategy === 'continuously')
    const runDuring = withSsh && (strategy === 'during-method-only' || strategy === 'continuously')
    const runAfter = withSsh && (strategy === 'default' || strategy === 'after-method-only' || strategy === 'continuously')
    const stopGuards = new AbortController()
    let guards: Promise<unknown> = Promise.resolve()
    try {
      guards = (await this.startSafeguards(stopGuards.signal)).done
      if (this.interrupted) throw new Interrupted('interrupted')
      let gateOpen = true
      if (runBefore) {
        this.emit({ type: 'phase', phase: 'before' })
        const state = await this.hypothesis('before', this.interrupt.signal)
        journal.steady_states.before = state
        if (state && !state.steady_state_met) {
          this.statusAfterUnmet(state)
          gateOpen = false
          const last = state.probes[state.probes.length - 1]
          journal.chaoscope!.reason = `the steady state was not met before the method (probe ${last?.activity.name ?? '?'}): nothing was injected`
          this.emit({ type: 'skipped', phase: 'method', reason: journal.chaoscope!.reason })
        }
        if (this.interrupted) throw new Interrupted('interrupted')
      }
      if (gateOpen) {
        const stopDuring = new AbortController()
        const during = runDuring ? this.continuously(stopDuring.signal) : Promise.resolve()
        let runs: ActivityRun[] | null = null
        try {
          runs = await this.method()
        } catch (e) {
          if (e instanceof Interrupted) throw e
          journal.status = 'aborted'
          journal.chaoscope!.reason = `the method stopped on an unexpected error: ${(e as Error).message}`
          this.warn(journal.chaoscope!.reason)
        } finally {
          stopDuring.abort()
          await during
        }
        if (this.interrupted) throw new Interrupted('interrupted')
        if (journal.status !== 'interrupted' && journal.status !== 'aborted' && runAfter && runs !== null) {
          this.emit({ type: 'phase', phase: 'after' })
          const state = await this.hypothesis('after', this.interrupt.signal)
          journal.steady_states.after = state
          if (state && !state.steady_state_met) {
            journal.deviated = true
            this.statusAfterUnmet(state)
            const last = state.probes[state.probes.length - 1]
            journal.chaoscope!.reason = `the steady state deviated after the method (probe ${last?.activity.name ?? '?'})`
          }
          if (this.interrupted) throw new Interrupted('interrupted')
        }
      }
    } catch (e) {
      if (!(e instanceof Interrupted) && !this.interrupted) {
        // a bug of ours, not the experiment's: the journal says so, and the rollbacks still run
        journal.status = 'aborted'
        journal.chaoscope!.reason = `chaoscope stopped on an unexpected error: ${(e as Error).message}`
        this.warn(journal.chaoscope!.reason)
      }
    } finally {
      stopGuards.abort()
      await guards
    }
    if (this.interrupted) {
      journal.status = 'interrupted'
      journal.chaoscope!.reason = this.tripped !== undefined ? `interrupted by the safeguard ${this.tripped}` : 'interrupted (SIGINT or SIGTERM)'
    }
    await this.rollbacks()
    journal.end = new Date().toISOString()
    journal.duration = (Date.now() - started) / 1000
    if (journal.status === null) journal.status = 'completed'
    if (this.warnings.length > 0) journal.chaoscope!.warnings = [...this.warnings]
    this.emit({ type: 'end', journal })
    return journal
  }
}

/** Runs `experiment` (validated, values loaded) to its journal. Never throws for an activity's failure. */
export function runExperiment(experiment: ChaosToolkitExperiment, opts: RunOptions, deps: RunDeps): Promise<Journal> {
  return new ExperimentRun(experiment, opts, deps).run()
}

/** Every activity of an experiment with its path (hypothesis, method, rollbacks, tolerance probes, dynamic configuration). */
export function activitiesOf(experiment: ChaosToolkitExperiment): { activity: ChaosToolkitActivityDefinition; path: string }[] {
  const out: { activity: ChaosToolkitActivityDefinition; path: string }[] = []
  const add = (a: ChaosToolkitActivity, path: string) => {
    if (isRef(a)) return
    const d = a as ChaosToolkitActivityDefinition
    out.push({ activity: d, path })
    const t = d.tolerance as { type?: unknown } | undefined
    if (t && typeof t === 'object' && !Array.isArray(t) && t.type === 'probe') add(t as unknown as ChaosToolkitActivityDefinition, `${path}.tolerance`)
  }
  ;(experiment['steady-state-hypothesis']?.probes ?? []).forEach((a, i) => add(a, `steady-state-hypothesis.probes[${i}]`))
  ;(experiment.method ?? []).forEach((a, i) => add(a, `method[${i}]`))
  ;(experiment.rollbacks ?? []).forEach((a, i) => add(a, `rollbacks[${i}]`))
  for (const [k, v] of Object.entries(experiment.configuration ?? {})) {
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'probe') add(v as ChaosToolkitActivityDefinition, `configuration.${k}`)
  }
  return out
}

/** The verdict as `chaos run` prints it: deviated wins over the status. */
export function verdictOf(journal: Journal): 'deviated' | NonNullable<Journal['status']> {
  return journal.deviated ? 'deviated' : (journal.status ?? 'completed')
}
