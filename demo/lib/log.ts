/** @module demo/lib/log: structured one-line JSON logs for the demo services. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Receives one finished log line (no trailing newline). */
export type LogSink = (line: string) => void

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger that adds `fields` to every line (e.g. the request's trace id). */
  child(fields: Record<string, unknown>): Logger
}

export const stdoutSink: LogSink = (line) => { process.stdout.write(line + '\n') }

/**
 * One JSON object per line: `{"ts","level","service","msg",...fields}`. Errors are flattened to their message
 * so a line never spans several lines.
 * @example createLogger('cart').info('item added', { userId, productId })
 */
export function createLogger(service: string, sink: LogSink = stdoutSink, base: Record<string, unknown> = {}): Logger {
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    const entry: Record<string, unknown> = { ts: new Date().toISOString(), level, service, msg, ...base }
    for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? v.message : v
    sink(JSON.stringify(entry))
  }
  return {
    log,
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (fields) => createLogger(service, sink, { ...base, ...fields }),
  }
}
