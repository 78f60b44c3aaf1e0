/** @module runtime/proxy/toxic: the fault ("toxic") descriptions a proxy accepts, their checks, and stage construction. */

import { ChaosError } from '../../errors.js'
import type { FaultCounters, Sink, Stage, StageHost, StageOptions } from './stream.js'
import { LatencyStage } from './toxics/latency.js'
import { BandwidthStage } from './toxics/bandwidth.js'
import { StallStage } from './toxics/stall.js'
import { BlackholeStage } from './toxics/blackhole.js'
import { HttpDelayStage } from './toxics/http.js'
import { SlicerStage } from './toxics/slicer.js'
import { LimitDataStage } from './toxics/limit-data.js'
import { TimeoutStage } from './toxics/timeout.js'
import { ResetPeerStage } from './toxics/reset.js'
import { SlowCloseStage } from './toxics/slow-close.js'

/**
 * `upstream`: bytes or requests from the client to the server; `downstream`: the replies;
 * `both`: one stage on each direction (network toxics only).
 */
export type Direction = 'upstream' | 'downstream' | 'both'

interface FaultBase {
  /** Unique within a proxy. */
  id: string
  direction: Direction
  /** Share of connections (tcp) or requests (http) affected, 0–100; default 100. */
  percent?: number
  /**
   * Act only on connections this proxy opened to one of these upstream addresses (`host:port`, as in the
   * proxy's upstream list). Absent: every connection. Lets a fault on a balancing sidecar hit some pods of a
   * service and not the others. Http faults ignore it.
   */
  upstreams?: string[]
}

/** Each chunk (tcp) or request/response (http) is held for latencyMs ± jitterMs, drawn as netem draws it. */
export interface LatencyFault extends FaultBase {
  type: 'latency'
  latencyMs: number
  jitterMs?: number
  /** 0–100: the next draw leans on the previous one by this share (netem's correlation). */
  correlation?: number
  /**
   * 0–100: netem's reorder. Every `reorderGap`-th chunk (default 1: any chunk) is, with this probability,
   * not delayed: it leaves at once, though never ahead of a chunk still held (one byte stream keeps its order).
   */
  reorder?: number
  /** 0–100: correlation of the reorder draws. */
  reorderCorrelation?: number
  reorderGap?: number
}

/**
 * `rate` bytes/s. `shape` `bucket` (default): a token bucket, `buffer` bytes of burst. `serialize`: no burst;
 * each piece (at most 100 ms worth, rate/10 bytes) leaves once its own transmission time (size/rate) has passed
 * since it arrived or since the piece before it left, whichever is later: Toxiproxy's bandwidth toxic.
 * `limit`: bytes queued before the sender is paused.
 */
export interface BandwidthFault extends FaultBase {
  type: 'bandwidth'
  rate: number
  limit?: number
  buffer?: number
  shape?: 'bucket' | 'serialize'
}

/**
 * What packet loss looks like to an application over TCP: with `probability` % a chunk is held for an
 * RTO-like `rtoMs` (default 200), and everything after it waits behind it.
 */
export interface StallFault extends FaultBase {
  type: 'stall'
  probability: number
  rtoMs?: number
}

/** The direction's bytes are held and never delivered while the fault lasts (a partition); `both` cuts. */
export interface BlackholeFault extends FaultBase {
  type: 'blackhole'
}

/**
 * Without `timeoutMs`: selected connections are reset (RST) at once; new ones are reset as they arrive.
 * With `timeoutMs` (Toxiproxy's reset_peer, tcp only): the first chunk (data or FIN) that reaches the fault in
 * its direction starts a timer, that chunk and everything after it in that direction are dropped, and when the
 * timer fires (at once for 0) both sockets are reset: the client sees ECONNRESET. Removing the fault before the
 * first chunk leaves the connection alone; once the timer runs the reset still comes.
 */
export interface ResetFault extends FaultBase {
  type: 'reset'
  timeoutMs?: number
  /**
   * With `timeoutMs`: on connections that were open before the fault was added, close with a FIN instead of a
   * reset, as Toxiproxy does (it sets SO_LINGER 0, which makes its close a reset, only when a link starts).
   */
  finOnExisting?: boolean
}

/**
 * Each chunk is cut into pieces of about `averageSize` ± `sizeVariation` bytes (Toxiproxy's halving: a piece
 * longer than averageSize + sizeVariation is split near its middle, moved by up to ± sizeVariation, and so on),
 * and the pieces are written separately, `delayUs` microseconds apart (default 0). Order and bytes are kept.
 */
export interface SlicerFault extends FaultBase {
  type: 'slicer'
  averageSize: number
  sizeVariation?: number
  delayUs?: number
}

/**
 * Tcp only. Once `bytes` bytes have passed in the fault's direction (counted per connection from when the fault
 * is on it), the connection is closed as Toxiproxy closes it: exactly `bytes` are delivered, then that
 * direction's destination gets a FIN and is closed, and the other direction ends (FIN) after what it holds.
 * Bytes after the limit are dropped. With 0 the first chunk closes it.
 */
export interface LimitDataFault extends FaultBase {
  type: 'limitData'
  bytes: number
}

/**
 * Tcp only. Every byte in the fault's direction is dropped. After `timeoutMs` with no byte arriving in that
 * direction (each chunk restarts the wait, as Toxiproxy's loop does) the connection is closed (FIN both ways,
 * as limitData closes it); 0: never closed by time. A FIN arriving closes it at once. Removing the fault
 * closes every connection it was put on, selected by `percent` or not (Toxiproxy's cleanup does).
 */
export interface TimeoutFault extends FaultBase {
  type: 'timeout'
  timeoutMs: number
}

/** The end (FIN) of the fault's direction is held `delayMs` after it would have left; data is untouched. */
export interface SlowCloseFault extends FaultBase {
  type: 'slowClose'
  delayMs: number
}

/** Which HTTP messages an http fault acts on; every given matcher must match. */
export interface HttpMatch {
  /** Glob over the request path (no query): `*` any run of characters, `?` one character. */
  path?: string
  method?: string
  /** Response status (target Response only). */
  code?: number
  /** Exact values; names are case-insensitive. */
  requestHeaders?: Record<string, string>
  responseHeaders?: Record<string, string>
}

export interface HttpReplace {
  code?: number
  headers?: Record<string, string>
  body?: string | Uint8Array
  queries?: Record<string, string>
  method?: string
  path?: string
}

export interface HttpPatch {
  /** Added (appended) headers. */
  headers?: [string, string][]
  /** A JSON merge-patch (RFC 7396) applied to a JSON body. */
  body?: unknown
  /** Added query parameters. */
  queries?: [string, string][]
}

/** HTTP-level faults (http mode only). Request faults act on `upstream`, Response faults on `downstream`. */
export interface HttpFault extends FaultBase {
  type: 'http'
  target: 'Request' | 'Response'
  action: 'abort' | 'delay' | 'replace' | 'patch'
  match?: HttpMatch
  delayMs?: number
  replace?: HttpReplace
  patch?: HttpPatch
}

export type FaultSpec =
  | LatencyFault
  | BandwidthFault
  | StallFault
  | BlackholeFault
  | ResetFault
  | SlicerFault
  | LimitDataFault
  | TimeoutFault
  | SlowCloseFault
  | HttpFault
export type FaultType = FaultSpec['type']

const FAULT_TYPES: readonly FaultType[] = [
  'latency',
  'bandwidth',
  'stall',
  'blackhole',
  'reset',
  'slicer',
  'limitData',
  'timeout',
  'slowClose',
  'http',
]

/** The longest timer Node keeps (a longer setTimeout fires after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647

/** Whether the fault is reset without a timeout: connections are reset at once and at accept, no stage. */
export function isImmediateReset(f: FaultSpec): boolean {
  return f.type === 'reset' && f.timeoutMs === undefined
}

function invalid(msg: string): never {
  throw new ChaosError('PROXY_INVALID_FAULT', msg, { hint: 'see the fault fields in src/runtime/proxy/toxic.ts' })
}

function num(f: Record<string, unknown>, key: string, min: number, max: number, required: boolean): void {
  const v = f[key]
  if (v === undefined && !required) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    invalid(`fault ${String(f.id)}: ${key} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
}

function int(f: Record<string, unknown>, key: string, min: number, max: number, required: boolean): void {
  num(f, key, min, max, required)
  const v = f[key]
  if (v !== undefined && !Number.isInteger(v)) invalid(`fault ${String(f.id)}: ${key} must be a whole number, got ${JSON.stringify(v)}`)
}

function tcpOnly(r: Record<string, unknown>, mode: 'tcp' | 'http', what: string): void {
  if (mode !== 'tcp') invalid(`fault ${String(r.id)}: ${what} needs a proxy in tcp mode`)
}

/** Checks a fault description; throws PROXY_INVALID_FAULT naming the first bad field. Returns it unchanged. */
export function checkFault(f: unknown, mode: 'tcp' | 'http'): FaultSpec {
  if (typeof f !== 'object' || f === null) invalid('a fault must be an object')
  const r = f as Record<string, unknown>
  if (typeof r.id !== 'string' || r.id === '') invalid('a fault needs a non-empty string id')
  if (!FAULT_TYPES.includes(r.type as FaultType)) invalid(`fault ${r.id}: type must be one of ${FAULT_TYPES.join(', ')}`)
  if (!['upstream', 'downstream', 'both'].includes(r.direction as string)) {
    invalid(`fault ${r.id}: direction must be upstream, downstream or both`)
  }
  num(r, 'percent', 0, 100, false)
  if (r.upstreams !== undefined && !(Array.isArray(r.upstreams) && r.upstreams.every((u) => typeof u === 'string'))) {
    invalid(`fault ${r.id}: upstreams must be a list of host:port strings`)
  }
  switch (r.type as FaultType) {
    case 'latency':
      num(r, 'latencyMs', 0, 3_600_000, true)
      num(r, 'jitterMs', 0, 3_600_000, false)
      num(r, 'correlation', 0, 100, false)
      num(r, 'reorder', 0, 100, false)
      num(r, 'reorderCorrelation', 0, 100, false)
      num(r, 'reorderGap', 0, 1_000_000, false)
      break
    case 'bandwidth':
      num(r, 'rate', 1, Number.MAX_SAFE_INTEGER, true)
      num(r, 'limit', 0, Number.MAX_SAFE_INTEGER, false)
      num(r, 'buffer', 0, Number.MAX_SAFE_INTEGER, false)
      if (r.shape !== undefined && r.shape !== 'bucket' && r.shape !== 'serialize') {
        invalid(`fault ${r.id}: shape must be bucket or serialize, got ${JSON.stringify(r.shape)}`)
      }
      break
    case 'stall':
      num(r, 'probability', 0, 100, true)
      num(r, 'rtoMs', 0, 3_600_000, false)
      break
    case 'blackhole':
      break
    case 'reset':
      num(r, 'timeoutMs', 0, MAX_TIMER_MS, false)
      if (r.timeoutMs !== undefined) tcpOnly(r, mode, 'reset with timeoutMs')
      if (r.finOnExisting !== undefined && typeof r.finOnExisting !== 'boolean') {
        invalid(`fault ${r.id}: finOnExisting must be true or false, got ${JSON.stringify(r.finOnExisting)}`)
      }
      break
    case 'slicer':
      int(r, 'averageSize', 1, Number.MAX_SAFE_INTEGER, true)
      int(r, 'sizeVariation', 0, Number.MAX_SAFE_INTEGER, false)
      num(r, 'delayUs', 0, MAX_TIMER_MS, false)
      break
    case 'limitData':
      tcpOnly(r, mode, 'limitData')
      int(r, 'bytes', 0, Number.MAX_SAFE_INTEGER, true)
      break
    case 'timeout':
      tcpOnly(r, mode, 'timeout')
      num(r, 'timeoutMs', 0, MAX_TIMER_MS, true)
      break
    case 'slowClose':
      num(r, 'delayMs', 0, MAX_TIMER_MS, true)
      break
    case 'http': {
      if (mode !== 'http') invalid(`fault ${r.id}: http faults need a proxy in http mode`)
      if (r.target !== 'Request' && r.target !== 'Response') invalid(`fault ${r.id}: target must be Request or Response`)
      const dir = r.target === 'Request' ? 'upstream' : 'downstream'
      if (r.direction !== dir) invalid(`fault ${r.id}: target ${r.target} acts on direction ${dir}, got ${r.direction}`)
      if (!['abort', 'delay', 'replace', 'patch'].includes(r.action as string)) {
        invalid(`fault ${r.id}: action must be abort, delay, replace or patch`)
      }
      if (r.action === 'delay') num(r, 'delayMs', 0, 3_600_000, true)
      if (r.action === 'replace' && (typeof r.replace !== 'object' || r.replace === null)) {
        invalid(`fault ${r.id}: action replace needs a replace object`)
      }
      if (r.action === 'patch' && (typeof r.patch !== 'object' || r.patch === null)) {
        invalid(`fault ${r.id}: action patch needs a patch object`)
      }
      const m = (r.match ?? {}) as HttpMatch
      if (m.code !== undefined && r.target !== 'Response') invalid(`fault ${r.id}: match.code needs target Response`)
      if (m.responseHeaders !== undefined && r.target !== 'Response') {
        invalid(`fault ${r.id}: match.responseHeaders needs target Response`)
      }
      break
    }
  }
  return f as FaultSpec
}

/** Whether the fault acts on the given direction of a link. */
export function actsOn(f: FaultSpec, dir: 'upstream' | 'downstream'): boolean {
  return f.direction === 'both' || f.direction === dir
}

/**
 * Builds the stage a fault puts on one direction of one connection, or undefined when the fault has no
 * per-byte stage (reset without timeout, and the http actions the session applies itself: abort, replace, patch).
 * `perMessage`: in http mode percent is drawn per request instead of per connection. `passive`: the connection
 * was not selected by `percent`; only a fault that acts on removal anyway (timeout) gets a stage then.
 * `existing`: the connection was open before the fault was added (not a new one taking the proxy's faults).
 */
export function makeStage(
  f: FaultSpec,
  host: StageHost,
  counters: FaultCounters,
  perMessage: boolean,
  next: Sink,
  passive = false,
  existing = false,
): Stage | undefined {
  if (passive) return f.type === 'timeout' ? new TimeoutStage(f, host, counters, OPTS_ALL, next, true) : undefined
  // Tcp: the link drew the percent for the whole connection. Http faults: the session drew it with the matchers.
  const pm: StageOptions =
    f.type === 'http'
      ? { perMessage: true, percent: 100, needsMatch: true }
      : { perMessage, percent: perMessage ? (f.percent ?? 100) : 100, needsMatch: false }
  switch (f.type) {
    case 'latency':
      return new LatencyStage(f, host, counters, pm, next)
    case 'bandwidth':
      return new BandwidthStage(f, host, counters, pm, next)
    case 'stall':
      return new StallStage(f, host, counters, pm, next)
    case 'blackhole':
      return new BlackholeStage(f, host, counters, pm, next)
    case 'slicer':
      return new SlicerStage(f, host, counters, pm, next)
    case 'limitData':
      return new LimitDataStage(f, host, counters, pm, next)
    case 'timeout':
      return new TimeoutStage(f, host, counters, pm, next, false)
    case 'slowClose':
      return new SlowCloseStage(f, host, counters, pm, next)
    case 'http':
      return f.action === 'delay' ? new HttpDelayStage(f, host, counters, pm, next) : undefined
    case 'reset':
      if (f.timeoutMs === undefined) return undefined
      return new ResetPeerStage(f, host, counters, pm, next, existing && f.finOnExisting === true ? 'fin' : 'rst')
  }
}

const OPTS_ALL: StageOptions = { perMessage: false, percent: 100, needsMatch: false }
