/**
 * @module load/metrics: a running load's Prometheus metrics, read from the run's snapshot at each scrape, and a
 * small /metrics server for `chaoscope load --metrics-addr`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { ChaosError } from '../errors.js'
import { histogramSamples, pulledMetric, snapshotter } from '../observe/pulled.js'
import type { LoadSnapshot } from './run.js'

/** The metric names, for dashboards and tests. */
export const LOAD_METRICS = {
  requests: 'chaoscope_load_requests_total',
  errors: 'chaoscope_load_errors_total',
  latency: 'chaoscope_load_latency_seconds',
  service: 'chaoscope_load_service_time_seconds',
  sent: 'chaoscope_load_sent_total',
  late: 'chaoscope_load_late_total',
  dropped: 'chaoscope_load_dropped_total',
  inFlight: 'chaoscope_load_in_flight',
  targetRate: 'chaoscope_load_target_rate',
  bytes: 'chaoscope_load_bytes_total',
} as const

/** Registers the metrics of the run `source` reads (usually `run.snapshot`); `labels` go on every sample. */
export function registerLoadMetrics(registry: Registry, source: () => LoadSnapshot, labels: Record<string, string> = {}): void {
  const read = snapshotter(async () => source())
  const M = LOAD_METRICS
  const add = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: (s: LoadSnapshot) => { value: number; labels: Record<string, string | number>; metricName?: string }[]) =>
    registry.registerMetric(pulledMetric(name, help, type, read, samples))
  add(M.requests, 'Responses received, by status class', 'counter', (s) =>
    Object.entries(s.statusClasses).map(([cls, value]) => ({ value, labels: { ...labels, status_class: cls } })))
  add(M.errors, 'Requests that got no response, by kind (timeout, refused, reset, closed, protocol...)', 'counter', (s) =>
    Object.entries(s.errorKinds).map(([kind, value]) => ({ value, labels: { ...labels, kind } })))
  add(M.latency, 'Latency from each request\'s intended send time to the end of its response', 'histogram', (s) => histogramSamples(M.latency, s.latencyBuckets, labels))
  add(M.service, 'Service time: from the request\'s write to the end of its response', 'histogram', (s) => histogramSamples(M.service, s.serviceBuckets, labels))
  add(M.sent, 'Requests written', 'counter', (s) => [{ value: s.sent, labels }])
  add(M.late, 'Requests written later than their intended time by more than the late threshold', 'counter', (s) => [{ value: s.late, labels }])
  add(M.dropped, 'Intended requests never written (no free connection in time, or the run ended)', 'counter', (s) => [{ value: s.dropped, labels }])
  add(M.inFlight, 'Requests written and not yet answered', 'gauge', (s) => [{ value: s.inFlight, labels }])
  add(M.targetRate, 'The open model\'s arrival rate now, per second (absent in the closed model)', 'gauge', (s) => (s.targetRate === null ? [] : [{ value: s.targetRate, labels }]))
  add(M.bytes, 'Bytes read and written, headers included', 'counter', (s) => [
    { value: s.bytesIn, labels: { ...labels, direction: 'in' } },
    { value: s.bytesOut, labels: { ...labels, direction: 'out' } },
  ])
}

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string
  close(): Promise<void>
}

/** Serves `registry` on GET /metrics at `host:port` (port 0: any free port). */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ChaosError('LOAD_INVALID_PLAN', `cannot serve metrics on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`, { hint: 'pick another --metrics-addr, or port 0 for any free port' })))
    server.listen(port, host, () => resolve())
  })
  const a = server.address() as AddressInfo
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    url: `http://${shown}:${a.port}/metrics`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}

export { Registry }
