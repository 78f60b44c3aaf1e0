/** @module runtime/proxy/metrics: Prometheus metrics for the sidecars, pulled from the data plane at scrape time. */

import { Registry } from 'prom-client'
import type { Metric } from 'prom-client'
import { histogramSamples, pulledMetric, snapshotter } from '../../observe/pulled.js'
import type { Labels, Sample } from '../../observe/pulled.js'
import type { ProxyStats } from './proxy.js'

function base(p: ProxyStats): Labels {
  return { ...p.labels, proxy: p.name, mode: p.mode }
}

const metric = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Promise<ProxyStats[]>, samples: (stats: ProxyStats[]) => Sample[]): Metric =>
  pulledMetric(name, help, type, read, samples)

/** The metric names, for dashboards and tests. */
export const SIDECAR_METRICS = {
  requests: 'chaoscope_sidecar_requests_total',
  duration: 'chaoscope_sidecar_request_duration_seconds',
  bytes: 'chaoscope_sidecar_bytes_total',
  active: 'chaoscope_sidecar_connections_active',
  connections: 'chaoscope_sidecar_connections_total',
  faults: 'chaoscope_sidecar_faults_active',
  faultTouched: 'chaoscope_sidecar_fault_touched_total',
} as const

/**
 * Registers the sidecar metrics on `registry`. Each scrape pulls one snapshot through `source`
 * (usually `() => dataPlane.stats()`), so the values are those of the worker at scrape time.
 */
export function registerSidecarMetrics(registry: Registry, source: () => Promise<ProxyStats[]>): void {
  const read = snapshotter(source)
  const M = SIDECAR_METRICS
  registry.registerMetric(
    metric(M.requests, 'HTTP requests through a sidecar, by status class (error: no response)', 'counter', read, (ss) =>
      ss
        .filter((p) => p.mode === 'http')
        .flatMap((p) =>
          Object.entries(p.requests).map(([cls, value]) => ({ value, labels: { ...base(p), status_class: cls } })),
        ),
    ),
  )
  registry.registerMetric(
    metric(M.duration, 'HTTP request latency as the client sees it through a sidecar', 'histogram', read, (ss) =>
      ss
        .filter((p) => p.mode === 'http')
        .flatMap((p) => histogramSamples(M.duration, p.latency, base(p))),
    ),
  )
  registry.registerMetric(
    metric(M.bytes, 'Bytes delivered through a sidecar (upstream: client to server)', 'counter', read, (ss) =>
      ss.flatMap((p) => [
        { value: p.bytes.upstream, labels: { ...base(p), direction: 'upstream' } },
        { value: p.bytes.downstream, labels: { ...base(p), direction: 'downstream' } },
      ]),
    ),
  )
  registry.registerMetric(
    metric(M.active, 'Open connections through a sidecar', 'gauge', read, (ss) =>
      ss.map((p) => ({ value: p.connections.active, labels: base(p) })),
    ),
  )
  registry.registerMetric(
    metric(M.connections, 'Connections accepted by a sidecar', 'counter', read, (ss) =>
      ss.map((p) => ({ value: p.connections.total, labels: base(p) })),
    ),
  )
  registry.registerMetric(
    metric(M.faults, 'Faults active on a sidecar, by type', 'gauge', read, (ss) =>
      ss.flatMap((p) => {
        const by = new Map<string, number>()
        for (const f of p.faults) by.set(f.spec.type, (by.get(f.spec.type) ?? 0) + 1)
        return [...by].map(([type, value]) => ({ value, labels: { ...base(p), type } }))
      }),
    ),
  )
  registry.registerMetric(
    metric(M.faultTouched, 'What each active fault acted on (unit: connections, requests, chunks, bytes)', 'counter', read, (ss) =>
      ss.flatMap((p) =>
        p.faults.flatMap((f) =>
          Object.entries(f.touched).map(([unit, value]) => ({
            value,
            labels: { ...base(p), fault: f.spec.id, type: f.spec.type, unit },
          })),
        ),
      ),
    ),
  )
}

/** A registry holding only the sidecar metrics; `await collect()` renders Prometheus text. */
export function sidecarRegistry(source: () => Promise<ProxyStats[]>): { registry: Registry; collect(): Promise<string> } {
  const registry = new Registry()
  registerSidecarMetrics(registry, source)
  return { registry, collect: () => registry.metrics() }
}
