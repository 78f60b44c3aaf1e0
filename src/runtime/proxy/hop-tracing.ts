/**
 * @module runtime/proxy/hop-tracing: one OpenTelemetry span per request per http sidecar, exported from the data
 * plane worker. Loaded only when tracing is on (it pulls in the SDK).
 *
 *   ingress / hostport sidecar ─▶ SERVER span      egress sidecar (source>destination) ─▶ CLIENT span
 *
 * The span's ids are the ones the hop put in the forwarded `traceparent` (runtime/proxy/trace), so the next
 * service's span is its child; the parent is the caller's span. Attributes: the sidecar's name and role, the
 * source and destination services, method, path, status, and `chaoscope.faults`: the ids of the http faults that
 * acted on the request or its response, and of the connection-level faults (latency, bandwidth...) it crossed. Each sidecar also keeps some of these requests as exemplars
 * (runtime/proxy/exemplars), which its stats carry.
 */
import type { Attributes } from '@opentelemetry/api'
import type { IdGenerator } from '@opentelemetry/sdk-trace-base'
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions'
import { startTracing } from '../../observe/tracing.js'
import type { Env, Tracing } from '../../observe/tracing.js'
import { setHopSpans } from './hop-spans.js'
import type { HopRecord, HopSpans, SidecarInfo } from './hop-spans.js'
import { hop } from './trace.js'
import type { HopSpan } from './trace.js'
import type { Exemplar } from '../types.js'

/** service.name of the sidecar spans unless OTEL_SERVICE_NAME says otherwise. */
export const SIDECAR_SERVICE_NAME = 'chaoscope-sidecar'

export const ATTR_SIDECAR_NAME = 'chaoscope.sidecar.name'
export const ATTR_SIDECAR_ROLE = 'chaoscope.sidecar.role'
export const ATTR_SOURCE_SERVICE = 'chaoscope.source.service'
export const ATTR_DESTINATION_SERVICE = 'chaoscope.destination.service'
/** The ids of the faults that acted on the request (string array). */
export const ATTR_FAULTS = 'chaoscope.faults'

/** The tracer must use the ids the hop already sent on; they are set just before each span starts. */
class PresetIds implements IdGenerator {
  traceId = ''
  spanId = ''
  generateTraceId(): string {
    return this.traceId
  }
  generateSpanId(): string {
    return this.spanId
  }
}

type Role = 'ingress' | 'hostport' | 'egress'

function roleOf(labels: Readonly<Record<string, string>> | undefined): Role {
  const source = labels?.source
  return source === 'ingress' || source === 'hostport' ? source : 'egress'
}

class Hop implements HopRecord {
  private readonly start = performance.now()
  private faults: string[] | undefined
  private ids: HopSpan | undefined

  constructor(
    private readonly tracer: HopTracer,
    readonly sidecar: SidecarInfo,
    readonly incoming: string | undefined,
    readonly method: string,
    readonly path: string,
  ) {}

  acted(faultId: string): void {
    const f = (this.faults ??= [])
    if (!f.includes(faultId)) f.push(faultId)
  }

  forwarded(span: HopSpan): void {
    this.ids = span
  }

  end(status: number): void {
    // A request that never went upstream (aborted, or answered 502) still gets its own span ids.
    const ids = this.ids ?? hop(this.incoming)
    const end = performance.now()
    this.tracer.export(this, ids, this.faults, status, this.start, end)
    this.keep(ids, status, end)
  }

  private keep(ids: HopSpan, status: number, end: number): void {
    const ring = this.sidecar.exemplars?.()
    if (!ring) return
    const reason: Exemplar['reason'] = this.faults ? 'fault' : status === 0 || status >= 500 ? 'failed' : 'slow'
    const start = performance.timeOrigin + this.start
    const durationMs = end - this.start
    if (reason === 'slow' && !ring.wantsSlow(start + durationMs, durationMs)) return
    const labels = this.sidecar.labels
    const e: Exemplar = { traceId: ids.traceId, spanId: ids.spanId, sidecar: this.sidecar.name ?? '', method: this.method, path: this.path, status, start, durationMs, faults: this.faults ?? [], reason }
    if (ids.parentId !== undefined) e.parentSpanId = ids.parentId
    if (labels?.source !== undefined) e.source = labels.source
    if (labels?.destination !== undefined) e.destination = labels.destination
    ring.add(e)
  }
}

class HopTracer implements HopSpans {
  constructor(
    private readonly tracing: Tracing,
    private readonly preset: PresetIds,
  ) {}

  begin(sidecar: SidecarInfo, incoming: string | undefined, method: string, path: string): HopRecord {
    const h = new Hop(this, sidecar, incoming, method, path)
    for (const id of sidecar.linkFaults?.() ?? []) h.acted(id)
    return h
  }

  export(h: Hop, ids: HopSpan, faults: string[] | undefined, status: number, start: number, end: number): void {
    const labels = h.sidecar.labels
    const role = roleOf(labels)
    const destination = labels?.destination
    const attributes: Attributes = {
      [ATTR_SIDECAR_ROLE]: role,
      [ATTR_HTTP_REQUEST_METHOD]: h.method,
      [ATTR_URL_PATH]: h.path,
    }
    if (h.sidecar.name !== undefined) attributes[ATTR_SIDECAR_NAME] = h.sidecar.name
    if (destination !== undefined) attributes[ATTR_DESTINATION_SERVICE] = destination
    if (role === 'egress' && labels?.source !== undefined) attributes[ATTR_SOURCE_SERVICE] = labels.source
    if (status > 0) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
    if (faults) attributes[ATTR_FAULTS] = faults
    const edge = role === 'egress' ? `${labels?.source ?? '?'}>${destination ?? '?'}` : (destination ?? h.sidecar.name ?? '?')
    const flags = parseInt(ids.header.slice(-2), 16)
    this.preset.traceId = ids.traceId
    this.preset.spanId = ids.spanId
    const span = this.tracing.startSpan(`${role} ${edge}`, {
      kind: role === 'egress' ? 'client' : 'server',
      parent: ids.parentId === undefined ? undefined : { traceId: ids.traceId, spanId: ids.parentId, flags },
      attributes,
      startTime: start,
    })
    // Per the HTTP conventions a client sees 4xx as failed, a server only 5xx.
    if (status === 0) {
      span.setAttribute(ATTR_ERROR_TYPE, 'no_response')
      this.tracing.setError(span, faults ? `no response (faults: ${faults.join(', ')})` : 'no response')
    } else if (status >= 500 || (role === 'egress' && status >= 400)) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status))
      this.tracing.setError(span)
    }
    span.end(end)
  }
}

/**
 * Starts sidecar tracing from `env` and installs the session hook when it is on. Resolves to the Tracing
 * (whose `shutdown` flushes), enabled or not.
 */
export async function startHopTracing(env: Env): Promise<Tracing> {
  const ids = new PresetIds()
  const tracing = await startTracing(SIDECAR_SERVICE_NAME, {
    env,
    idGenerator: ids,
    onWarning: (m) => process.stderr.write(`chaoscope data plane: tracing: ${m}\n`),
  })
  if (tracing.enabled) setHopSpans(new HopTracer(tracing, ids))
  return tracing
}
