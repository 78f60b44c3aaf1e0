/**
 * @module engine/retention: keeps the history in the store bounded: events, archived experiments and the reports'
 * signals are pruned by age and count (Store.prune) on a timer on the engine's clock, one bounded batch at a time.
 */
import type { PruneResult, Retention, Store } from '../store/store.js'
import type { Clock, ClockTimer, Logger } from './context.js'

const HOUR = 3_600_000
/** Events deleted in one transaction (see {@link RetentionOptions.batch}). */
export const PRUNE_BATCH = 100

/**
 * What `chaoscope up` and `server` keep unless told otherwise: Chaos Mesh's dashboard keeps events 168 h and
 * archived experiments 336 h (its TTL_EVENT and TTL_EXPERIMENT); the counts bound a busy store between those.
 * The sidecars' per-second signals (for reports) are kept a day: about 6 MB for each sidecar busy all day; the
 * last 1000 runs of `chaoscope run` are kept.
 */
export const DEFAULT_RETENTION: Required<Retention> = { eventTtlMs: 168 * HOUR, maxEvents: 10_000, archiveTtlMs: 336 * HOUR, maxArchived: 1_000, signalTtlMs: 24 * HOUR, maxRuns: 1_000 }

export interface RetentionOptions extends Retention {
  /** How often (ms, on the clock) to prune. Default 60 000. */
  everyMs?: number
  /**
   * Events per batch (archived experiments: a tenth of it). Default 100: about 2 ms on a file database of
   * 100 000 events (1000 take 30-50 ms: each deleted event rewrites pages of the five event indexes). A batch
   * whose commit takes the WAL past 1000 pages also checkpoints it (30-40 ms), as any write of the controller does.
   */
  batch?: number
}

/**
 * Prunes once when started, then every `everyMs`. A batch that was full is followed by the next one on a 0 ms
 * timer, so that the event loop serves other work between batches however much there is to delete. A failed
 * prune is logged and tried again at the next period; stopping cancels the timer (nothing else to undo).
 *
 * @example
 * const pruner = new Pruner(store, systemClock, { ...DEFAULT_RETENTION, maxEvents: 500 }, log)
 * pruner.start()
 * pruner.stop()
 */
export class Pruner {
  private timer: ClockTimer | undefined
  private stopped = false

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly opts: RetentionOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0)
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  /** One batch, now. */
  pruneOnce(): PruneResult {
    return this.store.prune(this.opts, this.clock.now(), this.opts.batch ?? PRUNE_BATCH)
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = this.clock.setTimer(() => this.tick(), ms)
  }

  private tick(): void {
    if (this.stopped || !this.store.open) return
    let more = false
    try {
      const r = this.pruneOnce()
      more = r.more
      if (r.events > 0 || r.archived > 0) this.log('debug', `retention: pruned ${r.events} event(s) and ${r.archived} archived experiment(s)`)
    } catch (e) {
      this.log('warn', `retention: pruning failed (tried again in ${this.opts.everyMs ?? 60_000} ms): ${(e as Error).message}`)
    }
    this.schedule(more ? 0 : (this.opts.everyMs ?? 60_000))
  }
}
