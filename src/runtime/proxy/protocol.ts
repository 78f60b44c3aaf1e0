/** @module runtime/proxy/protocol: the messages between the DataPlane (main thread) and its worker. */

import type { FaultStats, ProxyOptions, ProxyStats, StatsOptions } from './proxy.js'
import type { FaultSpec } from './toxic.js'

/** Commands the main thread sends; each gets exactly one reply with the same id. */
export type Command =
  | { op: 'createProxy'; opts: ProxyOptions }
  | { op: 'removeProxy'; name: string; how?: 'reset' | 'close' }
  /** Stops listening (its connections closed, its faults kept), or listens again, on `listen` when given. */
  | { op: 'setListening'; name: string; listening: boolean; listen?: { host?: string; port?: number } }
  | { op: 'setUpstreams'; name: string; upstreams: string[] }
  | { op: 'addFault'; name: string; fault: FaultSpec }
  | { op: 'removeFault'; name: string; id: string }
  | { op: 'listFaults'; name: string }
  | ({ op: 'stats' } & StatsOptions)
  | { op: 'faultStats' }
  /** Exports the sidecar spans still queued and stops tracing (bounded); sent by close(). */
  | { op: 'shutdownTracing' }

/** What each command answers. */
export interface Results {
  createProxy: { name: string; host: string; port: number }
  removeProxy: boolean
  setListening: { host: string; port: number }
  setUpstreams: null
  addFault: null
  removeFault: boolean
  listFaults: FaultSpec[]
  stats: ProxyStats[]
  faultStats: { name: string; faults: FaultStats[] }[]
  shutdownTracing: null
}

export interface RequestMessage {
  id: number
  cmd: Command
}

export type ReplyMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: string; message: string; hint?: string } }
