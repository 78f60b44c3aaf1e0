/** @module cli/verbs/server: `chaoscope server`: the controller and its API beside a runtime that is already up. */
import { startServer } from '../../index.js'
import type { RetentionFlags, ServerFlags } from '../commands.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'

/** Controller log lines, for the foreground output of `server` and `up` (debug lines are left out). */
export function controllerLog(run: Run): (level: string, message: string) => void {
  return (level, message) => {
    if (level === 'debug') return
    run.out(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`)
  }
}

/** The retention flags as the controller's options: only those given (the rest keep the controller's defaults). */
export function retentionOf(opts: RetentionFlags): { eventTtlMs?: number; maxEvents?: number; archiveTtlMs?: number; maxArchived?: number } {
  return {
    ...(opts.eventTtl !== undefined ? { eventTtlMs: opts.eventTtl } : {}),
    ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
    ...(opts.archiveTtl !== undefined ? { archiveTtlMs: opts.archiveTtl } : {}),
    ...(opts.maxArchived !== undefined ? { maxArchived: opts.maxArchived } : {}),
  }
}

/** The retention flags (and --allow-exec) as given, for the command line of a runtime started in the background. */
export function retentionArgs(opts: RetentionFlags): string[] {
  return [
    ...(opts.eventTtl !== undefined ? ['--event-ttl', `${opts.eventTtl}ms`] : []),
    ...(opts.maxEvents !== undefined ? ['--max-events', String(opts.maxEvents)] : []),
    ...(opts.archiveTtl !== undefined ? ['--archive-ttl', `${opts.archiveTtl}ms`] : []),
    ...(opts.maxArchived !== undefined ? ['--max-archived', String(opts.maxArchived)] : []),
    ...(opts.allowExec ? ['--allow-exec'] : []),
  ]
}

export async function server(opts: ServerFlags, run: Run): Promise<void> {
  const latch = new SignalLatch()
  try {
    const s = await startServer({
      ...(opts.runtime ? { runtimeUrl: opts.runtime } : {}),
      ...(opts.db ? { db: opts.db } : {}),
      port: opts.port,
      log: controllerLog(run),
      retention: retentionOf(opts),
      ...(opts.allowExec ? { allowExec: true } : {}),
    })
    run.out(`controller (pid ${process.pid}): API ${s.state.url}/api/v1, runtime ${s.runtimeUrl}, db ${s.state.db}\n`)
    const why = await latch.stopped
    run.out(`stopping (${why})...\n`)
    await s.close()
    run.out('stopped\n')
  } finally {
    latch.dispose()
  }
}
