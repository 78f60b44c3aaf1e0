/**
 * @module observe/metrics: the controller's Prometheus metrics (prom-client), with the names Chaos Mesh
 * operators already chart and alert on, plus chaoscope's injection, recovery and reconcile-latency series.
 * Chaos Mesh's schedule and workflow gauges (chaos_controller_manager_chaos_schedules, ..._workflows) count the
 * live Schedule and Workflow objects by namespace, as Chaos Mesh's do.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Experiment phases as Chaos Mesh's controller reports them in chaos_controller_manager_chaos_experiments. */
export type ExperimentMetricPhase = 'injecting' | 'running' | 'paused' | 'finished' | 'deleting'

/** Where the gauges read the current state when scraped (the controller sets it). */
export interface MetricSources {
  experiments?: () => { namespace: string; kind: string; phase: ExperimentMetricPhase }[]
  /** The namespace of every live Schedule. */
  schedules?: () => string[]
  /** The namespace of every live Workflow. */
  workflows?: () => string[]
}

export interface ControllerMetrics {
  /** Its own registry (not prom-client's global one): several controllers may live in one process (tests). */
  registry: Registry
  experiments: Gauge<'namespace' | 'kind' | 'phase'>
  schedules: Gauge<'namespace'>
  workflows: Gauge<'namespace'>
  emittedEvents: Counter<'type' | 'reason' | 'namespace'>
  injections: Counter<'kind' | 'action' | 'result'>
  recoveries: Counter<'kind' | 'result'>
  reconcileDuration: Histogram<'result'>
  /** Points the gauges at the live state; read at every scrape. */
  setSources(sources: MetricSources): void
  /** The exposition text for `/metrics`. */
  text(): Promise<string>
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, { item: T; n: number }> {
  const out = new Map<string, { item: T; n: number }>()
  for (const it of items) {
    const k = key(it)
    const cur = out.get(k)
    if (cur) cur.n++
    else out.set(k, { item: it, n: 1 })
  }
  return out
}

/**
 * A fresh registry with every controller metric.
 *
 * @example
 * const m = createMetrics()
 * m.injections.inc({ kind: 'NetworkChaos', action: 'delay', result: 'success' })
 * await m.text() // '# HELP chaoscope_injections_total ...'
 */
export function createMetrics(): ControllerMetrics {
  const registry = new Registry()
  let sources: MetricSources = {}

  const experiments = new Gauge({
    name: 'chaos_controller_manager_chaos_experiments',
    help: 'Chaos experiments by namespace, kind and phase (injecting, running, paused, finished, deleting)',
    labelNames: ['namespace', 'kind', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const { item, n } of countBy(sources.experiments?.() ?? [], (e) => `${e.namespace}\0${e.kind}\0${e.phase}`).values()) {
        this.set({ namespace: item.namespace, kind: item.kind, phase: item.phase }, n)
      }
    },
  })
  const byNamespace = (name: string, help: string, read: () => string[] | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const { item, n } of countBy(read() ?? [], (ns) => ns).values()) this.set({ namespace: item }, n)
      },
    })
  const schedules = byNamespace('chaos_controller_manager_chaos_schedules', 'Live chaos schedules, by namespace', () => sources.schedules?.())
  const workflows = byNamespace('chaos_controller_manager_chaos_workflows', 'Live chaos workflows, by namespace', () => sources.workflows?.())
  const emittedEvents = new Counter({
    name: 'chaos_controller_manager_emitted_event_total',
    help: 'Events emitted by the controller, by type, reason and namespace',
    labelNames: ['type', 'reason', 'namespace'] as const,
    registers: [registry],
  })
  const injections = new Counter({
    name: 'chaoscope_injections_total',
    help: 'Fault injections into one target, by kind, action and result (success or failure)',
    labelNames: ['kind', 'action', 'result'] as const,
    registers: [registry],
  })
  const recoveries = new Counter({
    name: 'chaoscope_recoveries_total',
    help: 'Fault recoveries of one target, by kind and result (success, failure, or orphan for faults no experiment owned)',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  })
  const reconcileDuration = new Histogram({
    name: 'chaoscope_reconcile_duration_seconds',
    help: 'Time one reconcile of one resource took, by result (success or error)',
    labelNames: ['result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  return {
    registry,
    experiments,
    schedules,
    workflows,
    emittedEvents,
    injections,
    recoveries,
    reconcileDuration,
    setSources(s) {
      sources = s
    },
    text: () => registry.metrics(),
  }
}
