/** @module cli/verbs/server: `chaoscope server`: the controller and its API beside a runtime that is already up. */
import { startServer } from '../../index.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'

/** Controller log lines, for the foreground output of `server` and `up` (debug lines are left out). */
export function controllerLog(run: Run): (level: string, message: string) => void {
  return (level, message) => {
    if (level === 'debug') return
    run.out(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`)
  }
}

export async function server(opts: { runtime?: string; db?: string; port: number }, run: Run): Promise<void> {
  const latch = new SignalLatch()
  try {
    const s = await startServer({
      ...(opts.runtime ? { runtimeUrl: opts.runtime } : {}),
      ...(opts.db ? { db: opts.db } : {}),
      port: opts.port,
      log: controllerLog(run),
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
