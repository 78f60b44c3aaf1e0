/** @module cli/print-load: `chaoscope load`'s summary (laid out like vegeta's report), its progress line, its step table. */
import type { LoadProgress, LoadResult, Quantiles } from '../index.js'
import { table } from './format.js'

/** A duration in ms as vegeta prints them: 812µs, 4.2ms, 1.003s. */
export function ms(v: number): string {
  if (v < 1) return `${Math.round(v * 1000)}µs`
  if (v < 1000) return `${Number(v.toFixed(v < 10 ? 2 : 1))}ms`
  return `${Number((v / 1000).toFixed(3))}s`
}

function bytes(n: number): string {
  if (n < 10_000) return `${n} B`
  if (n < 10_000_000) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

const quantileRow = (q: Quantiles): string => [q.min, q.mean, q.p50, q.p90, q.p99, q.p999, q.max].map(ms).join(', ')

export function summary(r: LoadResult): string {
  const rows: [string, string, string][] = [
    ['Requests', '[total, rate, throughput]', `${r.requests}, ${r.achievedRate.toFixed(2)}, ${r.throughput.toFixed(2)}`],
  ]
  if (r.targetRate !== null) rows.push(['Target', '[rate, late, dropped]', `${r.targetRate.toFixed(2)}, ${r.late}, ${r.dropped}`])
  rows.push(
    ['Duration', '[total, send, wait]', `${ms(r.duration.total * 1000)}, ${ms(r.duration.send * 1000)}, ${ms(Math.max(0, r.duration.total - r.duration.send) * 1000)}`],
    ['Latencies', '[min, mean, 50, 90, 99, 99.9, max]', quantileRow(r.latency)],
    ['Service time', '[min, mean, 50, 90, 99, 99.9, max]', quantileRow(r.serviceTime)],
    ['Bytes In', '[total, mean]', `${bytes(r.bytesIn)}, ${r.requests ? (r.bytesIn / r.requests).toFixed(1) : '0'}`],
    ['Bytes Out', '[total, mean]', `${bytes(r.bytesOut)}, ${r.requests ? (r.bytesOut / r.requests).toFixed(1) : '0'}`],
    ['Success', '[ratio]', `${(r.success * 100).toFixed(2)}%`],
    ['Status Codes', '[code:count]', Object.entries(r.statusCodes).map(([c, n]) => `${c}:${n}`).join('  ') || '-'],
  )
  if (r.iterations.started > 0) rows.push(['Iterations', '[started, completed]', `${r.iterations.started}, ${r.iterations.completed}`])
  const w0 = Math.max(...rows.map((x) => x[0].length))
  const w1 = Math.max(...rows.map((x) => x[1].length))
  let out = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`).join('\n') + '\n'
  const kinds = Object.entries(r.errorKinds)
  out += 'Error Set:\n'
  out += kinds.length === 0 ? '(none)\n' : kinds.map(([k, n]) => `${k}: ${n}\n`).join('')
  if (r.model === 'open') out += 'Latencies count from each request\'s intended send time; service time from its actual write.\n'
  if (r.steps.length > 0) {
    out += '\n' + table([
      ['FLOW', 'STEP', 'REQUESTS', 'FAILED', 'P50', 'P90', 'P99', 'MAX'],
      ...r.steps.map((s) => [s.flow, s.name, String(s.requests), String(s.failed), ms(s.latency.p50), ms(s.latency.p90), ms(s.latency.p99), ms(s.latency.max)]),
    ])
  }
  return out
}

/** One progress line: elapsed, sends, answers of the last second, errors. */
export function progressLine(p: LoadProgress): string {
  const elapsed = `${(p.elapsedMs / 1000).toFixed(0)}s${p.plannedMs ? `/${(p.plannedMs / 1000).toFixed(0)}s` : ''}`
  const last = p.last
  const lastPart = last ? `  last second: ${last.requests} req/s, p50 ${ms(last.latency.p50)}, p99 ${ms(last.latency.p99)}${last.errors ? `, ${last.errors} errors` : ''}` : ''
  return `${elapsed}  sent ${p.sent}  done ${p.done}  in flight ${p.inFlight}  errors ${p.errors}${lastPart}`
}
