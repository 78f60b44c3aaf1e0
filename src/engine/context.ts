/**
 * @module engine/context: what the controller and its reconcilers share: the store, the runtime, the injectors,
 * the clock, metrics, logs, and `commit`, the one way state changes (one transaction, then events and changes
 * are published); `atomically` joins several commits in one transaction, published only once it commits.
 */
import type { FaultInjector } from '../faults/injector.js'
import type { ControllerMetrics } from '../observe/metrics.js'
import type { RuntimeClient } from '../runtime/client.js'
import type { EventRow, EventType, ResourceRow, Store } from '../store/store.js'
import type { DesiredPhase } from './decide.js'
import { NO_LIFECYCLE } from './lifecycle-tracing.js'
import type { Lifecycle } from './lifecycle-tracing.js'
import { OWNER_KINDS, objectOf, statusOf } from './object.js'
import type { ChaosObject } from './object.js'
import type { Random } from './select.js'

/** A timer set on a {@link Clock}. */
export interface ClockTimer {
  cancel(): void
}

/**
 * Where time comes from: injected, so that decisions and waits are testable. Every timer of the engine (the
 * loop's requeue-after and back-off, delete's wait) is set on it, so a test clock that is advanced fires them.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Calls `fn` once `ms` of this clock's time have passed. Does not keep the process alive. */
  setTimer(fn: () => void, ms: number): ClockTimer
}

/** setTimeout's ceiling (about 24.8 days); a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The machine's clock: Date.now and unref'd setTimeout (waits longer than setTimeout's ceiling are re-armed). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const at = Date.now() + Math.max(0, ms)
    let t: NodeJS.Timeout
    const arm = () => {
      t = setTimeout(() => (at - Date.now() > 0 ? arm() : fn()), Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS))
      t.unref?.()
    }
    arm()
    return { cancel: () => clearTimeout(t) }
  },
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void

/** What `on('change')` listeners receive: an object created, changed or gone, or an event. */
export type Change =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ChaosObject }
  | { type: 'EVENT'; event: EventRow }

/** Writes an event; `at` (ms since the epoch) when it happened earlier than now (seen after a restart). */
export type Emit = (type: EventType, reason: string, message: string, at?: number) => void

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
    /** The spans of the objects' lifecycles (engine/lifecycle-tracing.ts); none without tracing. */
    readonly lifecycle: Lifecycle = NO_LIFECYCLE,
  ) {}

  /** Publications held back while {@link atomically} runs: run once its transaction has committed, dropped on a throw. */
  private deferred: (() => void)[] | undefined

  /** True for experiments whose action acts once (pod-kill, container-kill). */
  oneShot(row: Pick<ResourceRow, 'kind' | 'spec'>): boolean {
    return this.injectors[row.kind]?.oneShot?.(row.spec) ?? false
  }

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
      const emit: Emit = (type, reason, message, at) => {
        const r = this.store.getResource(uid)
        // a Warning that repeats the experiment's latest event (a failure retried with back-off) is written once:
        // its record's history and the log keep every attempt, and a stuck experiment does not grow its events
        const last = r && type === 'Warning' ? this.store.lastEvent(uid) : undefined
        if (last && last.type === type && last.reason === reason && last.message === message) return
        if (r) events.push(this.store.addEvent({ uid, kind: r.kind, namespace: r.namespace, name: r.name, type, reason, message, time: this.iso(at !== undefined ? Math.min(at, this.clock.now()) : undefined) }))
      }
      fn(emit)
      const now = this.store.getResource(uid)
      if (!now) return undefined
      // kinds with their own reconciler (engine/family.ts) keep the status it wrote
      if (OWNER_KINDS.has(now.kind)) return now
      const status = statusOf(now, this.store.records(uid), { desired: opts.desired, oneShot: this.oneShot(now), now: this.clock.now() })
      this.store.updateResource(uid, { status: status as unknown as Record<string, unknown> })
      return { ...now, status: status as unknown as Record<string, unknown> }
    })
    this.afterCommit(() => {
      this.published(events)
      if (row) this.publish({ type: opts.change ?? 'MODIFIED', object: objectOf(row) })
    })
    return row
  }

  /**
   * Runs `fn` (which may call {@link commit} many times) in ONE transaction: a throw anywhere rolls every write
   * back, and nothing is published; otherwise the events and changes are published once it has committed.
   */
  atomically<T>(fn: () => T): T {
    if (this.deferred) return fn()
    const pending: (() => void)[] = []
    this.deferred = pending
    let out: T
    try {
      out = this.store.transaction(fn)
    } finally {
      this.deferred = undefined
    }
    for (const p of pending) p()
    return out
  }

  /** Runs `fn` now, or, inside {@link atomically}, once its transaction has committed. */
  afterCommit(fn: () => void): void {
    if (this.deferred) this.deferred.push(fn)
    else fn()
  }

  /** Publishes events written by a transaction that has committed, and counts them. */
  published(events: readonly EventRow[]): void {
    if (this.deferred) {
      const copy = [...events]
      this.deferred.push(() => this.published(copy))
      return
    }
    for (const e of events) {
      this.metrics.emittedEvents.inc({ type: e.type, reason: e.reason, namespace: e.namespace })
      this.log(e.type === 'Warning' ? 'warn' : 'info', `${e.kind} ${e.namespace}/${e.name}: ${e.reason}: ${e.message}`, { uid: e.uid })
      this.publish({ type: 'EVENT', event: e })
    }
  }

  publishChange(change: Change): void {
    this.afterCommit(() => this.publish(change))
  }
}
