/** @module cli/server: `chaoscope server`: the controller and its API beside a runtime that is already up. */
import { Option } from 'commander'
import type { Command } from 'commander'
import { startServer } from '../index.js'
import type { ControllerServer } from '../index.js'
import type { Run } from './main.js'

/** Controller log lines, for the foreground output of `server` and `up` (debug lines are left out). */
export function controllerLog(io: Run): (level: string, message: string) => void {
  return (level, message) => {
    if (level === 'debug') return
    io.out(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`)
  }
}

/** Resolves once SIGINT or SIGTERM arrived and `close` finished. */
export function untilSignal(io: Run, close: () => Promise<void>, also?: (stop: (why: string) => void) => void): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false
    const stop = (why: string) => {
      if (stopping) return
      stopping = true
      io.out(`stopping (${why})...\n`)
      void close().then(() => {
        io.out('stopped\n')
        done()
      })
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    also?.(stop)
  })
}

export function registerServer(program: Command, io: Run): void {
  program
    .command('server')
    .description('run the controller and its API (/api/v1) on 127.0.0.1, for a local runtime already up (foreground)')
    .option('--runtime <url>', 'the runtime control API (default: the one $CHAOSCOPE_HOME/runtime.json names)')
    .option('--db <file>', 'the SQLite file keeping experiments, records and events (default $CHAOSCOPE_HOME/chaoscope.db)')
    .addOption(new Option('--port <port>', 'port on 127.0.0.1 (0: any free port)').argParser((v) => Number(v)).default(0))
    .addHelpText('after', `
Ctrl-C or SIGTERM stops the controller without recovering anything (stopping is not deleting): faults stay
until their experiments end, and a controller started again on the same database carries on.
Examples:
  chaoscope up -f demo/chain/app.yaml --detach && chaoscope server
  chaoscope server --runtime http://127.0.0.1:41234 --db /tmp/chaos.db --port 8080`)
    .action(async (opts: { runtime?: string; db?: string; port: number }) => {
      const server: ControllerServer & { runtimeUrl: string } = await startServer({
        ...(opts.runtime ? { runtimeUrl: opts.runtime } : {}),
        ...(opts.db ? { db: opts.db } : {}),
        port: opts.port,
        log: controllerLog(io),
      })
      io.out(`controller (pid ${process.pid}): API ${server.state.url}/api/v1, runtime ${server.runtimeUrl}, db ${server.state.db}\n`)
      await untilSignal(io, () => server.close())
    })
}
