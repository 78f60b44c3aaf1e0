/** @module demo/lib/metrics: one Prometheus registry per demo service: served requests, outgoing calls, failures. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface MetricNames {
  /** Counter of served requests, labelled method, route, status. */
  requests: string
  /** Histogram of served request latency in seconds, labelled method, route, status. */
  duration: string
}

export const DEFAULT_METRIC_NAMES: MetricNames = { requests: 'http_requests_total', duration: 'http_request_duration_seconds' }

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface ServiceMetrics {
  registry: Registry
  requests: Counter<'method' | 'route' | 'status'>
  duration: Histogram<'method' | 'route' | 'status'>
  /** Outgoing calls by dependency and outcome (an HTTP status, or timeout / unreachable). */
  calls: Counter<'to' | 'outcome'>
  callDuration: Histogram<'to' | 'outcome'>
  /** Outgoing calls that failed (timed out, unreachable, or a 5xx), by dependency. */
  failedCalls: Counter<'to'>
}

/**
 * Each service owns its registry, so several services can share one process (as the tests do).
 * `processMetrics` adds Node's process metrics (only worth it when the service has the process to itself).
 */
export function createMetrics(service: string, names: MetricNames = DEFAULT_METRIC_NAMES, processMetrics = false): ServiceMetrics {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  if (processMetrics) collectDefaultMetrics({ register: registry })
  const labels = ['method', 'route', 'status'] as const
  return {
    registry,
    requests: new Counter({ name: names.requests, help: 'HTTP requests served', labelNames: labels, registers: [registry] }),
    duration: new Histogram({ name: names.duration, help: 'latency of HTTP requests served, in seconds', labelNames: labels, buckets: BUCKETS, registers: [registry] }),
    calls: new Counter({ name: 'http_client_requests_total', help: 'HTTP calls made to dependencies', labelNames: ['to', 'outcome'], registers: [registry] }),
    callDuration: new Histogram({ name: 'http_client_request_duration_seconds', help: 'latency of HTTP calls made to dependencies, in seconds', labelNames: ['to', 'outcome'], buckets: BUCKETS, registers: [registry] }),
    failedCalls: new Counter({ name: 'failed_call_total', help: 'calls to a dependency that timed out, could not connect, or got a 5xx', labelNames: ['to'], registers: [registry] }),
  }
}
