/** @module runtime/process/log-buffer: one pod's stdout and stderr as timestamped lines in a bounded ring, followable. */

export type LogStream = 'stdout' | 'stderr'

export interface LogLine {
  /** Increases by one per line over the life of the buffer; a gap means lines were dropped. */
  seq: number
  /** ISO 8601 time the line was read. */
  time: string
  stream: LogStream
  text: string
}

export interface LogBufferOptions {
  /** Most lines kept (default 10 000). */
  maxLines?: number
  /** Most bytes of text kept (default 5 MiB). */
  maxBytes?: number
  /** A longer line is cut into pieces of this many characters (default 64 KiB), so output without newlines stays bounded. */
  maxLineLength?: number
}

export interface FollowOptions {
  /** Start with the last N lines kept (default: all kept lines; 0 = only new lines). */
  tail?: number
  /** Ends the iteration. */
  signal?: AbortSignal
}

/**
 * Keeps the newest lines within both bounds (oldest dropped first). Text is split into lines per stream, so a line
 * written in several chunks is one line; a partial last line is kept until a newline or {@link flush} comes.
 * Followers get every line appended after they start, in order; one that falls behind by more than `maxLines` lines
 * loses the oldest of them (its next line shows the gap in `seq`).
 *
 * @example
 * const logs = new LogBuffer({ maxLines: 100 })
 * logs.append('stdout', 'hello\nwor'); logs.append('stdout', 'ld\n')
 * logs.lines().map((l) => l.text) // ['hello', 'world']
 * for await (const line of logs.follow({ tail: 10, signal })) console.log(line.text)
 */
export class LogBuffer {
  readonly maxLines: number
  readonly maxBytes: number
  readonly maxLineLength: number
  private ring: LogLine[] = []
  private head = 0
  private bytes = 0
  private nextSeq = 1
  private partial: Record<LogStream, string> = { stdout: '', stderr: '' }
  private subscribers = new Set<(line: LogLine) => void>()
  private closeListeners = new Set<() => void>()
  private closed = false

  constructor(opts: LogBufferOptions = {}) {
    this.maxLines = opts.maxLines ?? 10_000
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024
    this.maxLineLength = opts.maxLineLength ?? 64 * 1024
  }

  /** Adds a chunk of a stream's output; complete lines become entries at once. */
  append(stream: LogStream, chunk: string): void {
    let text = this.partial[stream] + chunk
    let nl: number
    while ((nl = text.indexOf('\n')) >= 0) {
      this.push(stream, text.slice(0, nl).replace(/\r$/, ''))
      text = text.slice(nl + 1)
    }
    while (text.length >= this.maxLineLength) {
      this.push(stream, text.slice(0, this.maxLineLength))
      text = text.slice(this.maxLineLength)
    }
    this.partial[stream] = text
  }

  /** Turns a partial last line (of one stream, or both) into an entry: the stream ended. */
  flush(only?: LogStream): void {
    for (const stream of only ? [only] : (['stdout', 'stderr'] as const)) {
      if (this.partial[stream]) this.push(stream, this.partial[stream])
      this.partial[stream] = ''
    }
  }

  /** Adds one whole line (the runtime's own notes about the pod go through here too). */
  push(stream: LogStream, text: string): void {
    if (this.closed) return
    const line: LogLine = { seq: this.nextSeq++, time: new Date().toISOString(), stream, text }
    const size = Buffer.byteLength(text)
    this.ring.push(line)
    this.bytes += size
    while (this.ring.length - this.head > this.maxLines || (this.bytes > this.maxBytes && this.ring.length - this.head > 1)) {
      this.bytes -= Buffer.byteLength(this.ring[this.head]!.text)
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.head)
      this.head = 0
    }
    for (const s of this.subscribers) s(line)
  }

  /** The kept lines, oldest first; `tail` keeps only the last N. */
  lines(tail?: number): LogLine[] {
    const start = tail === undefined ? this.head : Math.max(this.head, this.ring.length - tail)
    return this.ring.slice(start)
  }

  get size(): { lines: number; bytes: number } {
    return { lines: this.ring.length - this.head, bytes: this.bytes }
  }

  /** Calls `fn` for each new line until the returned function is called. */
  subscribe(fn: (line: LogLine) => void): () => void {
    this.subscribers.add(fn)
    return () => this.subscribers.delete(fn)
  }

  /** Ends every follower (the pod is gone). Kept lines stay readable. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.subscribers.clear()
    for (const fn of this.closeListeners) fn()
    this.closeListeners.clear()
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Kept lines (see `tail`), then every new line, until the signal aborts or the buffer closes. */
  async *follow(opts: FollowOptions = {}): AsyncGenerator<LogLine> {
    const queue: LogLine[] = this.lines(opts.tail)
    let wake: (() => void) | undefined
    let done = this.closed || opts.signal?.aborted === true
    const notify = (): void => {
      const w = wake
      wake = undefined
      w?.()
    }
    const unsubscribe = this.subscribe((line) => {
      queue.push(line)
      if (queue.length > this.maxLines) queue.shift()
      notify()
    })
    const onEnd = (): void => {
      done = true
      notify()
    }
    this.closeListeners.add(onEnd)
    opts.signal?.addEventListener('abort', onEnd, { once: true })
    try {
      for (;;) {
        while (queue.length > 0) {
          if (opts.signal?.aborted) return
          yield queue.shift()!
        }
        if (done) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    } finally {
      unsubscribe()
      this.closeListeners.delete(onEnd)
      opts.signal?.removeEventListener('abort', onEnd)
    }
  }
}
