/** @module cli/signals: Ctrl-C and SIGTERM for the verbs that run until stopped (`up`, `server`, `--watch`). */

/**
 * Listens for SIGINT and SIGTERM from its creation on, so that a signal during start-up is not lost (the default
 * action would end the process and leave state files behind). `stopped` resolves with the signal's name;
 * `dispose()` stops listening. A second signal while stopping is ignored (the stop in progress finishes).
 *
 * @example
 * const latch = new SignalLatch()
 * try { await start(); await latch.stopped } finally { latch.dispose() }
 */
export class SignalLatch {
  reason: string | undefined
  readonly stopped: Promise<string>
  private wake!: (why: string) => void
  private readonly onSignal = (sig: NodeJS.Signals) => this.stop(sig)

  constructor() {
    this.stopped = new Promise<string>((r) => (this.wake = r))
    process.on('SIGINT', this.onSignal)
    process.on('SIGTERM', this.onSignal)
  }

  /** Stops for another reason than a signal (`chaoscope down`). */
  stop(why: string): void {
    if (this.reason !== undefined) return
    this.reason = why
    this.wake(why)
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
  }
}
