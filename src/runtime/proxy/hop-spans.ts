/**
 * @module runtime/proxy/hop-spans: the hook through which an http session reports each request to tracing.
 * Unset while tracing is off, so a session then pays one load of `hopSpans` per request and allocates nothing.
 * The data plane worker sets it (runtime/proxy/hop-tracing) when the runtime's OTEL_* env turns tracing on.
 */
import type { ExemplarRing } from './exemplars.js'
import type { HopSpan } from './trace.js'

/** What tracing may read of the sidecar a request went through (a Proxy has both). */
export interface SidecarInfo {
  readonly name?: string
  /** `source` and `destination`: the services on either side; source `ingress` or `hostport` for those sidecars. */
  readonly labels?: Readonly<Record<string, string>>
  /** Where tracing keeps this sidecar's exemplars (made on first use, so never while tracing is off). */
  exemplars?(): ExemplarRing
  /**
   * The ids of the connection-level faults (latency, bandwidth, timeout...) active on the sidecar now: every request
   * through it crosses them, so tracing names them on its hop as it names the http faults that matched.
   */
  linkFaults?(): readonly string[]
}

/** One request through one sidecar, as tracing follows it. */
export interface HopRecord {
  /** A fault acted on the request or on its response. */
  acted(faultId: string): void
  /** The request went upstream carrying this hop's ids. */
  forwarded(span: HopSpan): void
  /** The request is done: the status the client got, 0 when it got none. */
  end(status: number): void
}

export interface HopSpans {
  /** A request head arrived with this `traceparent` value (if any). */
  begin(sidecar: SidecarInfo, incoming: string | undefined, method: string, path: string): HopRecord
}

/** The active hook, or undefined when tracing is off. */
export let hopSpans: HopSpans | undefined

export function setHopSpans(spans: HopSpans | undefined): void {
  hopSpans = spans
}
