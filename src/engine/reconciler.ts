/**
 * @module engine/reconciler: the Reconciler contract and the one loop that runs reconcilers: a work queue keyed
 * by id, one reconcile per id at a time, retry with exponential back-off, requeue-after timers. Retry, timing,
 * metrics and logs live only here. Its timers are set on the injected Clock (engine/context.ts).
 */
import { systemClock } from './context.js'
import type { Clock, ClockTimer } from './context.js'

/** Level-based: reads the desired and observed state of `id` and moves one towards the other. Idempotent. */
export interface Reconciler {
  /**
   * Resolves with when to look again (`requeueAfterMs`: a timer, e.g. the end of a duration), or nothing.
   * A throw is retried with back-off; a {@link TerminalError} is logged and not retried.
   */
  reconcile(id: string): Promise<{ requeueAfterMs?: number } | void>
}

/** An error that retrying cannot fix. */
export class TerminalError extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error), { cause: error })
    this.name = 'TerminalError'
  }
}

export function terminal(error: unknown): TerminalError {
  return new TerminalError(error)
}

export interface LoopOptions {
  /** First retry after `baseMs`, doubling up to `capMs`. Default 100 ms → 30 s. */
  backoff?: { baseMs: number; capMs: number }
  /** How many ids reconcile at once (each id still one at a time). Default 8. */
  concurrency?: number
  /** Called after every reconcile: for metrics and logs. */
  onDone?: (id: string, outcome: { ok: boolean; seconds: number; error?: unknown; retryInMs?: number }) => void
  /** Where requeue-after and back-off timers are set. Default: the system clock. */
  clock?: Clock
}

/**
 * The work queue:
 *
 *   enqueue(id) ─▶ queue ─▶ reconcile(id) ─┬─ ok, requeueAfterMs ─▶ timer ─▶ queue
 *                    ▲                      ├─ throw ─▶ back-off timer (100 ms, 200 ms ... 30 s) ─▶ queue
 *                    └── enqueued meanwhile ┴─ (dirty) ─▶ queue at once
 *
 * An id is never reconciled twice at the same time; enqueueing an id that waits in the queue is a no-op.
 * Timers are the only way time passes: there is no polling.
 */
export class ReconcileLoop {
  private readonly queue: string[] = []
  private readonly queued = new Set<string>()
  private readonly running = new Set<string>()
  private readonly dirty = new Set<string>()
  private readonly timers = new Map<string, { at: number; timer: ClockTimer }>()
  private readonly failures = new Map<string, number>()
  private readonly inflight = new Set<Promise<void>>()
  private idleWaiters: (() => void)[] = []
  /** Callers of {@link enqueueAndWait} whose reconcile has not started yet, by id. */
  private readonly runWaiters = new Map<string, (() => void)[]>()
  private started = false
  private stopped = false
  private readonly backoff: { baseMs: number; capMs: number }
  private readonly concurrency: number
  private readonly clock: Clock

  constructor(
    private readonly reconciler: Reconciler,
    private readonly opts: LoopOptions = {},
  ) {
    this.backoff = opts.backoff ?? { baseMs: 100, capMs: 30_000 }
    this.concurrency = opts.concurrency ?? 8
    this.clock = opts.clock ?? systemClock
  }

  start(): void {
    if (this.started || this.stopped) return
    this.started = true
    this.pump()
  }

  /** Stops taking work and cancels timers; resolves once the reconciles in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers.values()) t.timer.cancel()
    this.timers.clear()
    this.queue.length = 0
    this.queued.clear()
    this.dirty.clear()
    const waiting = [...this.runWaiters.values()].flat()
    this.runWaiters.clear()
    for (const w of waiting) w()
    await Promise.allSettled([...this.inflight])
    this.notifyIdle()
  }

  /** Reconcile `id` now, or after `afterMs` (an earlier pending timer wins). */
  enqueue(id: string, afterMs = 0): void {
    if (this.stopped) return
    if (afterMs > 0) return this.schedule(id, afterMs)
    if (this.running.has(id)) {
      this.dirty.add(id)
      return
    }
    if (this.queued.has(id)) return
    this.queued.add(id)
    this.queue.push(id)
    this.pump()
  }

  /**
   * Reconcile `id` now; resolves once a reconcile of it that started after this call has finished (whether it
   * succeeded or not: a failure is retried as usual), or at once when the loop is not running.
   */
  enqueueAndWait(id: string): Promise<void> {
    if (this.stopped || !this.started) {
      this.enqueue(id)
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const list = this.runWaiters.get(id)
      if (list) list.push(resolve)
      else this.runWaiters.set(id, [resolve])
      this.enqueue(id)
    })
  }

  /** Drops every timer and retry count of `id` (its object is gone). */
  forget(id: string): void {
    const t = this.timers.get(id)
    if (t) t.timer.cancel()
    this.timers.delete(id)
    this.failures.delete(id)
  }

  /** When the next timer of `id` fires (ms since the epoch), if one is set. */
  timerAt(id: string): number | undefined {
    return this.timers.get(id)?.at
  }

  /** Resolves when nothing is queued or running (pending timers do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private isIdle(): boolean {
    return this.stopped || !this.started ? this.running.size === 0 : this.queue.length === 0 && this.running.size === 0
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return
    const w = this.idleWaiters
    this.idleWaiters = []
    for (const f of w) f()
  }

  private schedule(id: string, afterMs: number): void {
    const at = this.clock.now() + afterMs
    const cur = this.timers.get(id)
    if (cur && cur.at <= at) return
    if (cur) cur.timer.cancel()
    const timer = this.clock.setTimer(() => {
      if (this.timers.get(id)?.timer === timer) this.timers.delete(id)
      this.enqueue(id)
    }, afterMs)
    this.timers.set(id, { at, timer })
  }

  private pump(): void {
    while (this.started && !this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!
      this.queued.delete(id)
      this.running.add(id)
      // each reconcile starts from the event loop, not from the previous one's microtasks: a burst of thousands
      // (an in-process runtime answers at once) never keeps health checks and other clients waiting
      const p = new Promise<void>((r) => setImmediate(r)).then(() => (this.stopped ? undefined : this.run(id))).finally(() => {
        this.inflight.delete(p)
        this.running.delete(id)
        if (this.dirty.delete(id)) this.enqueue(id)
        this.pump()
        this.notifyIdle()
      })
      this.inflight.add(p)
    }
  }

  private async run(id: string): Promise<void> {
    const waiters = this.runWaiters.get(id)
    this.runWaiters.delete(id)
    try {
      await this.runOnce(id)
    } finally {
      for (const w of waiters ?? []) w()
    }
  }

  private async runOnce(id: string): Promise<void> {
    const t0 = performance.now()
    const timer = this.timers.get(id)
    if (timer) {
      timer.timer.cancel()
      this.timers.delete(id)
    }
    try {
      const r = await this.reconciler.reconcile(id)
      this.failures.delete(id)
      const after = r && r.requeueAfterMs !== undefined ? Math.max(0, r.requeueAfterMs) : undefined
      if (after !== undefined && !this.stopped) {
        if (after === 0) this.dirty.add(id)
        else this.schedule(id, after)
      }
      this.opts.onDone?.(id, { ok: true, seconds: (performance.now() - t0) / 1000 })
    } catch (error) {
      const seconds = (performance.now() - t0) / 1000
      if (error instanceof TerminalError) {
        this.failures.delete(id)
        this.opts.onDone?.(id, { ok: false, seconds, error: error.error })
        return
      }
      const n = (this.failures.get(id) ?? 0) + 1
      this.failures.set(id, n)
      const retryInMs = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** (n - 1))
      if (!this.stopped) this.schedule(id, retryInMs)
      this.opts.onDone?.(id, { ok: false, seconds, error, retryInMs })
    }
  }
}
