/**
 * @module cli/log-rotation: the log of `up --detach` ($CHAOSCOPE_HOME/runtime.log) kept to a size: copied aside
 * and truncated in place, the rotated copies numbered `.1` (newest) to `.N`.
 */
import { copyFileSync, existsSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs'

export interface RotationOptions {
  /** Rotate once the file is larger than this. */
  maxBytes: number
  /** Rotated copies kept beside it (0: the log is only truncated). */
  keep: number
}

/** The size of a file, 0 when there is none. */
export function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/**
 * Rotates `path` now: `path.(keep-1)` → `path.keep` … `path.1` → `path.2` (the oldest dropped), the log copied to
 * `path.1`, then truncated. Copy and truncate, not rename: the detached runtime writes through descriptors it
 * inherited (its stdout and stderr, opened for appending), which keep pointing at `path` and write from its
 * start again, where a rename would leave them writing into the rotated copy. Synchronous, so nothing of this
 * process is written between the copy and the truncation.
 */
export function rotate(path: string, keep: number): void {
  if (keep > 0) {
    rmSync(`${path}.${keep}`, { force: true })
    for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`)
    copyFileSync(path, `${path}.1`)
  }
  truncateSync(path, 0)
}

/**
 * Counts what this process writes to the log and rotates it once it passes `maxBytes`. What others write to the
 * same file (Node's own warnings, a crash report) is not counted as it goes, but the size is read from the file
 * before rotating. Nothing rotates before {@link start}: `up --detach` reads the log from its first line until
 * the runtime reports ready.
 *
 * @example
 * const log = new LogRotation('/home/me/.chaoscope/runtime.log', { maxBytes: 10 * 2 ** 20, keep: 5 })
 * process.stdout.write(line); log.wrote(Buffer.byteLength(line))
 */
export class LogRotation {
  private size: number
  private started = false

  constructor(
    readonly path: string,
    readonly opts: RotationOptions,
  ) {
    this.size = sizeOf(path)
  }

  /** From now on, rotates when the log is too large (at once if it already is). */
  start(): void {
    this.started = true
    this.wrote(0)
  }

  /** `bytes` more were written to the log. */
  wrote(bytes: number): void {
    this.size += bytes
    if (!this.started || this.size <= this.opts.maxBytes) return
    this.size = sizeOf(this.path)
    if (this.size <= this.opts.maxBytes) return
    rotate(this.path, this.opts.keep)
    this.size = 0
  }
}
