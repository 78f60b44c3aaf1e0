/**
 * @module observe/pulled: Prometheus metrics whose values are read at scrape time from a snapshot another thread
 * keeps (the sidecars' data plane, a load run's workers), rather than counted in this thread with prom-client's
 * own Counter and Histogram.
 */
import type { Metric } from 'prom-client'
import type { HistogramSnapshot } from '../wire/histogram.js'

export type Labels = Record<string, string | number>
export interface Sample {
  value: number
  labels: Labels
  metricName?: string
}

/** Coalesces reads: every metric of one scrape reads the same snapshot. */
export function snapshotter<T>(source: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined
  return () => {
    inflight ??= source().finally(() => {
      inflight = undefined
    })
    return inflight
  }
}

/** A metric for `registry.registerMetric` whose samples are computed from `read()` at each scrape. */
export function pulledMetric<T>(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Promise<T>, samples: (snapshot: T) => Sample[]): Metric {
  const m = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, aggregator: 'sum', values: samples(await read()) }
    },
    reset() {},
  }
  return m as unknown as Metric
}

/** The _bucket, _sum and _count samples of a fixed-bucket histogram in milliseconds, exposed in seconds. */
export function histogramSamples(name: string, h: HistogramSnapshot, labels: Labels): Sample[] {
  const out: Sample[] = []
  let cum = 0
  h.counts.forEach((c, i) => {
    cum += c
    const le = i < h.boundsMs.length ? String(h.boundsMs[i]! / 1000) : '+Inf'
    out.push({ metricName: `${name}_bucket`, value: cum, labels: { ...labels, le } })
  })
  out.push({ metricName: `${name}_sum`, value: h.sumMs / 1000, labels })
  out.push({ metricName: `${name}_count`, value: h.count, labels })
  return out
}
