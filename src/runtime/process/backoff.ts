/** @module runtime/process/backoff: the kubelet's crash-loop back-off for one pod, as a small pure state machine. */

export interface BackoffOptions {
  /** First wait (kubelet: 10 s). */
  baseMs: number
  /** Longest wait (kubelet: 5 min). */
  capMs: number
  /** A pod that has not been restarted for this long starts over with an immediate restart (kubelet: 2 × cap = 10 min). */
  resetMs: number
}

export const KUBELET_BACKOFF: BackoffOptions = { baseMs: 10_000, capMs: 300_000, resetMs: 600_000 }

/**
 * Restart delays of one pod: the first restart is immediate, later ones wait base, 2×base, 4×base … up to cap,
 * measured from the moment the container exited. When the last restart is older than `resetMs` the sequence starts
 * over. Time is passed in (ms since any epoch), so this is deterministic.
 *
 * @example
 * const b = new Backoff({ baseMs: 10, capMs: 40, resetMs: 80 })
 * b.delay(0)   // 0   → b.restarted(0)
 * b.delay(5)   // 10  → b.restarted(15)
 * b.delay(20)  // 20  → b.restarted(40)
 */
export class Backoff {
  private current: number | undefined
  private lastRestart = 0

  constructor(readonly opts: BackoffOptions) {}

  private expired(now: number): boolean {
    return this.current === undefined || now - this.lastRestart > this.opts.resetMs
  }

  /** How long to wait, from `exitedAt`, before restarting a container that exited then. */
  delay(exitedAt: number): number {
    return this.expired(exitedAt) ? 0 : this.current!
  }

  /** Records a restart at `now`: the next wait doubles (or starts at base after a reset). */
  restarted(now: number): void {
    this.current = this.expired(now) ? this.opts.baseMs : Math.min(this.current! * 2, this.opts.capMs)
    this.lastRestart = now
  }
}
