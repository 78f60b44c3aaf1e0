/**
 * @module engine/context: what the controller and its reconcilers share: the store, the runtime, the injectors,
 * the clock, metrics, logs, and `commit`, the one way state changes (one transaction, then events and changes
 * are published).
 */
import type { FaultInjector } from '../faults/injector.js'
import type { ControllerMetrics } from '../observe/metrics.js'
import type { RuntimeClient } from '../runtime/client.js'
import type { EventRow, EventType, ResourceRow, Store } from '../store/store.js'
import type { DesiredPhase } from './decide.js'
import { objectOf, statusOf } from './object.js'
import type { ChaosObject } from './object.js'
import type { Random } from './select.js'

/** Where time comes from: injected, so that decisions are testable. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void

/** What `on('change')` listeners receive: an object created, changed or gone, or an event. */
export type Change =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ChaosObject }
  | { type: 'EVENT'; event: EventRow }

export type Emit = (type: EventType, reason: string, message: string) => void

export class EngineContext {
  constructor(
    readonly store: Store,
    readonly runtime: RuntimeClient,
    readonly injectors: Readonly<Record<string, FaultInjector>>,
    readonly clock: Clock,
    readonly random: Random,
    readonly metrics: ControllerMetrics,
    readonly log: Logger,
    private readonly publish: (change: Change) => void,
    /** This controller's id (kept in its store): the owner of every effect it makes. */
    readonly controllerId?: string,
  ) {}

  iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString()
  }

  /**
   * Runs `fn` in one transaction with an `emit` for events about `uid` (which `fn` may create), recomputes the stored status from the
   * records (and `desired`, when given), then publishes the events and the changed object.
   */
  commit(uid: string, fn: (emit: Emit) => void, opts: { desired?: DesiredPhase; change?: 'ADDED' | 'MODIFIED' } = {}): ResourceRow | undefined {
    const events: EventRow[] = []
    const row = this.store.transaction(() => {
      const emit: Emit = (type, reason, message) => {
        const r = this.store.getResource(uid)
        if (r) events.push(this.store.addEvent({ uid, kind: r.kind, namespace: r.namespace, name: r.name, type, reason, message, time: this.iso() }))
      }
      fn(emit)
      const now = this.store.getResource(uid)
      if (!now) return undefined
      const status = statusOf(now, this.store.records(uid), opts.desired)
      this.store.updateResource(uid, { status: status as unknown as Record<string, unknown> })
      return { ...now, status: status as unknown as Record<string, unknown> }
    })
    this.published(events)
    if (row) this.publish({ type: opts.change ?? 'MODIFIED', object: objectOf(row) })
    return row
  }

  /** Publishes events written by a transaction that has committed, and counts them. */
  published(events: readonly EventRow[]): void {
    for (const e of events) {
      this.metrics.emittedEvents.inc({ type: e.type, reason: e.reason, namespace: e.namespace })
      this.log(e.type === 'Warning' ? 'warn' : 'info', `${e.kind} ${e.namespace}/${e.name}: ${e.reason}: ${e.message}`, { uid: e.uid })
      this.publish({ type: 'EVENT', event: e })
    }
  }

  publishChange(change: Change): void {
    this.publish(change)
  }
}
