/**
 * @module observe/tracing: OpenTelemetry traces over OTLP/HTTP, configured by the standard `OTEL_*` environment
 * and off unless it asks for them.
 *
 *   env ─▶ tracingSettings (pure) ─▶ enabled? ─▶ provider ─▶ batch processor (bounded queue) ─▶ OTLP/HTTP JSON exporter
 *                                        └─ no ─▶ a no-op tracer; the SDK is never loaded
 *
 * Importing this module loads no OpenTelemetry code: `startTracing` loads the API (and, when tracing is on, the
 * SDK and exporter) on first use, so processes that do not trace pay nothing for it.
 */
import type { Attributes, Span, SpanContext, Tracer } from '@opentelemetry/api'
import type { IdGenerator } from '@opentelemetry/sdk-trace-base'

export type Env = Readonly<Record<string, string | undefined>>

/** What the environment asks for. `warnings` say which settings were ignored and why. */
export interface TracingSettings {
  enabled: boolean
  /** Where spans are POSTed (OTLP/HTTP, JSON body). */
  url: string
  headers: Record<string, string>
  serviceName: string
  /** From OTEL_RESOURCE_ATTRIBUTES, service.name included when it was set there. */
  resourceAttributes: Record<string, string>
  /** Export timeout per request (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT / OTEL_EXPORTER_OTLP_TIMEOUT). */
  timeoutMs: number
  batch: { maxQueueSize: number; maxExportBatchSize: number; scheduledDelayMillis: number; exportTimeoutMillis: number }
  warnings: string[]
}

const DEFAULT_ENDPOINT = 'http://localhost:4318'

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim()
  return t ? t : undefined
}

function positiveInt(env: Env, name: string, fallback: number, warnings: string[]): number {
  const raw = nonEmpty(env[name])
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (Number.isInteger(n) && n > 0) return n
  warnings.push(`${name}=${JSON.stringify(raw)} is not a positive integer; using ${fallback}`)
  return fallback
}

/** `k1=v1,k2=v2` with percent-encoded values (the format of OTEL_RESOURCE_ATTRIBUTES and the OTLP headers). */
function keyValues(env: Env, name: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (env[name] ?? '').split(',')) {
    if (part.trim() === '') continue
    const i = part.indexOf('=')
    const key = i > 0 ? part.slice(0, i).trim() : ''
    if (!key) {
      warnings.push(`${name}: ignoring ${JSON.stringify(part.trim())} (expected key=value)`)
      continue
    }
    const raw = part.slice(i + 1).trim()
    try {
      out[key] = decodeURIComponent(raw)
    } catch {
      out[key] = raw
    }
  }
  return out
}

/**
 * Reads the standard environment. Tracing is on when OTEL_TRACES_EXPORTER names `otlp`, or when it is unset and an
 * OTLP endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT) is; `none`, an unsupported
 * exporter, the `grpc` protocol or OTEL_SDK_DISABLED=true turn it off. Spans are sent as OTLP/HTTP JSON, which
 * every OTLP/HTTP receiver accepts, whether the protocol says `http/json` or `http/protobuf`.
 */
export function tracingSettings(env: Env, defaultServiceName: string): TracingSettings {
  const warnings: string[] = []
  const resourceAttributes = keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES', warnings)
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? nonEmpty(resourceAttributes['service.name']) ?? defaultServiceName
  const specific = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  const generic = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT)
  // A signal-specific endpoint is used as written; the generic one gets the traces path appended.
  const url = specific ?? `${(generic ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`
  const settings: TracingSettings = {
    enabled: false,
    url,
    headers: { ...keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS', warnings), ...keyValues(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warnings) },
    serviceName,
    resourceAttributes,
    timeoutMs: positiveInt(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', positiveInt(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, warnings), warnings),
    batch: {
      maxQueueSize: positiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warnings),
      maxExportBatchSize: positiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warnings),
      scheduledDelayMillis: positiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, warnings),
      exportTimeoutMillis: positiveInt(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000, warnings),
    },
    warnings,
  }
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return settings
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
  let wanted: boolean
  if (exporters.length === 0) wanted = specific !== undefined || generic !== undefined
  else {
    for (const e of exporters) {
      if (e !== 'otlp' && e !== 'none') warnings.push(`OTEL_TRACES_EXPORTER: exporter "${e}" is not supported (only otlp and none); ignoring it`)
    }
    wanted = exporters.includes('otlp') && !exporters.includes('none')
  }
  if (!wanted) return settings
  const protocol = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL)
  if (protocol === 'grpc') {
    warnings.push('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported (use http/json or http/protobuf on port 4318); tracing is off')
    return settings
  }
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    warnings.push(`OTLP protocol "${protocol}" is unknown; sending http/json`)
  }
  try {
    const u = new URL(url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http')
  } catch {
    warnings.push(`OTLP traces endpoint ${JSON.stringify(url)} is not an http(s) URL; tracing is off`)
    return settings
  }
  settings.enabled = true
  return settings
}

/** A parent span known only by its ids (from a `traceparent` header). */
export interface RemoteParent {
  traceId: string
  spanId: string
  /** The trace-flags byte (bit 0: sampled). */
  flags: number
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/
const ZEROS = /^0+$/

/** Parses a W3C `traceparent` value; undefined when it is missing or invalid (so the span starts a new trace). */
export function parseTraceparent(value: string | string[] | undefined): RemoteParent | undefined {
  const v = Array.isArray(value) ? value[0] : value
  const m = v === undefined ? null : TRACEPARENT.exec(v.trim().toLowerCase())
  if (!m || m[1] === 'ff' || ZEROS.test(m[2]!) || ZEROS.test(m[3]!)) return undefined
  // Version 00 has exactly four fields; later versions may append more.
  if (m[1] === '00' && m[5] === '-') return undefined
  return { traceId: m[2]!, spanId: m[3]!, flags: parseInt(m[4]!, 16) }
}

export type SpanRole = 'server' | 'client' | 'internal'

export interface StartSpanOptions {
  kind: SpanRole
  /** A span of this process, a remote parent, or the incoming `traceparent` value; none starts a new trace. */
  parent?: Span | RemoteParent | string | string[]
  attributes?: Attributes
  /** `performance.now()` milliseconds or epoch milliseconds; default now. */
  startTime?: number
}

/** A tracer and what the code around it needs, without importing OpenTelemetry itself. */
export interface Tracing {
  /** False when the environment does not ask for traces: the tracer is a no-op and nothing is exported. */
  readonly enabled: boolean
  readonly serviceName: string
  readonly tracer: Tracer
  startSpan(name: string, opts: StartSpanOptions): Span
  /** The `traceparent` that makes `span` the parent of the receiver's span. */
  traceparent(span: Span): string
  /** Marks the span as failed (status ERROR), with an optional description. */
  setError(span: Span, message?: string): void
  /** Exports what is queued. */
  forceFlush(): Promise<void>
  /** Exports what is queued, then stops; waits at most `timeoutMs` (default 5 s). Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>
}

export interface StartTracingOptions {
  /** Default: process.env. */
  env?: Env
  /** Where the settings' warnings go (default: stderr). */
  onWarning?: (message: string) => void
  /** Replaces the random span/trace ids (for a component that must pick the ids itself). */
  idGenerator?: IdGenerator
}

/**
 * Starts tracing for `serviceName` (OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES, wins).
 * Nothing is registered globally: each call has its own provider, so several services can trace in one process.
 * @example
 *   const tracing = await startTracing('cart')
 *   const span = tracing.startSpan('GET /cart', { kind: 'server', parent: req.headers.traceparent })
 *   span.end()
 *   await tracing.shutdown()     // on SIGTERM: flushes
 */
export async function startTracing(serviceName: string, opts: StartTracingOptions = {}): Promise<Tracing> {
  const env = opts.env ?? process.env
  const settings = tracingSettings(env, serviceName)
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`tracing: ${m}\n`))
  for (const w of settings.warnings) warn(w)
  const api = await import('@opentelemetry/api')
  const { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = api
  const kinds = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL } as const

  const contextOf = (parent: StartSpanOptions['parent']) => {
    if (parent === undefined) return ROOT_CONTEXT
    if (typeof parent === 'string' || Array.isArray(parent)) {
      const p = parseTraceparent(parent)
      return p ? trace.setSpanContext(ROOT_CONTEXT, remote(p)) : ROOT_CONTEXT
    }
    if ('spanContext' in parent) return trace.setSpan(ROOT_CONTEXT, parent)
    return trace.setSpanContext(ROOT_CONTEXT, remote(parent))
  }
  const remote = (p: RemoteParent): SpanContext => ({ traceId: p.traceId, spanId: p.spanId, traceFlags: p.flags, isRemote: true })

  const base = {
    serviceName: settings.serviceName,
    startSpan(name: string, o: StartSpanOptions): Span {
      return tracer.startSpan(name, { kind: kinds[o.kind], attributes: o.attributes, startTime: o.startTime }, contextOf(o.parent))
    },
    traceparent(span: Span): string {
      const sc = span.spanContext()
      return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`
    },
    setError(span: Span, message?: string): void {
      span.setStatus(message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message })
    },
  }
  let tracer: Tracer
  if (!settings.enabled) {
    // Its own proxy provider without a delegate: a no-op tracer that a global registration elsewhere cannot enable.
    tracer = new api.ProxyTracerProvider().getTracer(settings.serviceName)
    return { ...base, enabled: false, tracer, forceFlush: async () => {}, shutdown: async () => {} }
  }

  const [sdk, { OTLPTraceExporter }, { defaultResource, resourceFromAttributes }, { ATTR_SERVICE_NAME }, { VERSION }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('../version.js'),
  ])
  const exporter = new OTLPTraceExporter({ url: settings.url, headers: settings.headers, timeoutMillis: settings.timeoutMs })
  const batch = { ...settings.batch, maxExportBatchSize: Math.min(settings.batch.maxExportBatchSize, settings.batch.maxQueueSize) }
  const processor = new sdk.BatchSpanProcessor(exporter, batch)
  const resource = defaultResource().merge(resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName }))
  const provider = new sdk.BasicTracerProvider({
    resource,
    spanProcessors: [processor],
    ...(opts.idGenerator ? { idGenerator: opts.idGenerator } : {}),
  })
  tracer = provider.getTracer('chaoscope', VERSION)
  let stopped: Promise<void> | undefined
  return {
    ...base,
    enabled: true,
    tracer,
    forceFlush: () => provider.forceFlush(),
    shutdown(timeoutMs = 5000): Promise<void> {
      stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })
        try {
          await Promise.race([provider.shutdown().catch(() => {}), late])
        } finally {
          clearTimeout(timer)
        }
      })()
      return stopped
    },
  }
}
