/** @module test/otlp-receiver: a tiny OTLP/HTTP (JSON) trace receiver on 127.0.0.1:0 that keeps every span it is sent. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One received span, flattened: ids in hex, kind and status as words, attributes as plain values. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** Empty for a root span. */
  parentSpanId: string
  name: string
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified'
  /** The resource's service.name. */
  service: string
  attributes: Record<string, unknown>
  status: { code: 'unset' | 'ok' | 'error'; message?: string }
  startMs: number
  endMs: number
  /** The span's events, in the order sent. */
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[]
  /** The spans this one links to (e.g. a Schedule's run to its Schedule). */
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[]
}

export interface OtlpReceiver {
  /** The traces endpoint, e.g. http://127.0.0.1:40123/v1/traces. */
  url: string
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string
  spans: ReceivedSpan[]
  /** Requests that were not a POST of JSON to /v1/traces (each as "METHOD path content-type"). */
  rejected: string[]
  /** Resolves once `predicate(spans)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>
  close(): Promise<void>
}

interface AnyValue { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } }
interface KeyValue { key: string; value: AnyValue }

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined
  if (v.stringValue !== undefined) return v.stringValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.doubleValue !== undefined) return v.doubleValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value)
  return undefined
}

const attrs = (list: KeyValue[] | undefined): Record<string, unknown> => Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]))

/** Nanoseconds since the epoch (a decimal string in OTLP JSON) as milliseconds. */
const ms = (nanos: unknown): number => Number(BigInt(String(nanos ?? 0)) / 1000n) / 1000

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const
const CODES = ['unset', 'ok', 'error'] as const

/** Starts the receiver. Always `close()` it. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const rejected: string[] = []
  const waiters = new Set<() => void>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const type = req.headers['content-type'] ?? ''
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !type.includes('json')) {
        rejected.push(`${req.method} ${req.url} ${type}`)
        res.writeHead(404).end()
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]
      }
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '')
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const status = (s.status ?? {}) as { code?: number; message?: string }
            spans.push({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: String(s.parentSpanId ?? ''),
              name: String(s.name),
              kind: KINDS[Number(s.kind ?? 0)] ?? 'unspecified',
              service,
              attributes: attrs(s.attributes as KeyValue[] | undefined),
              status: { code: CODES[status.code ?? 0] ?? 'unset', ...(status.message ? { message: status.message } : {}) },
              startMs: ms(s.startTimeUnixNano),
              endMs: ms(s.endTimeUnixNano),
              events: ((s.events ?? []) as { name?: string; timeUnixNano?: unknown; attributes?: KeyValue[] }[]).map((e) => ({ name: String(e.name ?? ''), timeMs: ms(e.timeUnixNano), attributes: attrs(e.attributes) })),
              links: ((s.links ?? []) as { traceId?: string; spanId?: string; attributes?: KeyValue[] }[]).map((l) => ({ traceId: String(l.traceId ?? ''), spanId: String(l.spanId ?? ''), attributes: attrs(l.attributes) })),
            })
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      for (const w of [...waiters]) w()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${endpoint}/v1/traces`,
    endpoint,
    spans,
    rejected,
    waitFor(predicate, timeoutMs = 5000) {
      if (predicate(spans)) return Promise.resolve(spans)
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(spans)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(spans)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`the receiver did not get the expected spans within ${timeoutMs} ms; it has ${JSON.stringify(spans.map((s) => s.name))}`))
        }, timeoutMs)
        waiters.add(check)
      })
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
