/** @module cli/runtime: `up`, `get pods`, `logs`, `down`: the local runtime from the command line. */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Option } from 'commander'
import type { Command } from 'commander'
import { stringify } from 'yaml'
import { ChaosError, EXIT } from '../errors.js'
import { HttpRuntimeClient, loadApp, pidAlive, readState, requireRuntime, startRuntimeServer, startUpController, stateDir } from '../index.js'
import type { RuntimePod } from '../index.js'
import { formatIssue } from '../manifest/issues.js'
import { usage } from './main.js'
import type { Run } from './main.js'
import { controllerLog } from './server.js'

export function registerRuntime(program: Command, io: Run): void {
  program
    .command('up')
    .description('run an App\'s services as local pods behind sidecar proxies (foreground; Ctrl-C stops everything)')
    .requiredOption('-f, --filename <file>', 'the App file (chaoscope.dev/v1alpha1, kind App)')
    .option('-d, --detach', 'start in the background and return once every pod is ready')
    .option('--ready-timeout <seconds>', 'how long to wait for every pod to be ready', (v) => positive(v, '--ready-timeout'), 60)
    .addOption(new Option('--control-port <port>', 'port of the control API on 127.0.0.1 (0: any free port)').argParser((v) => Number(v)).default(0))
    .option('--db <file>', 'the controller\'s SQLite file (default $CHAOSCOPE_HOME/chaoscope.db)')
    .addOption(new Option('--host-ports <mode>', 'fixed: listen on each service\'s hostPort; ephemeral: on any free port (printed)').choices(['fixed', 'ephemeral']).default('fixed'))
    .addHelpText('after', `
The controller runs beside the runtime: its API (/api/v1) is served on the control API's port, so that
\`chaoscope apply\`, \`get\`, \`describe\` and \`delete\` work against it.
The runtime keeps its state in $CHAOSCOPE_HOME (default ~/.chaoscope); one runtime per state directory.
Examples:
  chaoscope up -f demo/chain/app.yaml
  chaoscope up -f demo/shop/app.yaml --detach && chaoscope get pods`)
    .action(async (opts: { filename: string; detach?: boolean; readyTimeout: number; controlPort: number; db?: string; hostPorts: 'fixed' | 'ephemeral' }) => {
      if (opts.detach) return detach(opts, io)
      const app = loadApp(opts.filename)
      if ('issues' in app) {
        for (const i of app.issues) io.err(`${formatIssue(i)}\n`)
        io.exitCode = EXIT.USAGE
        return
      }
      const server = await startRuntimeServer(app.resource, resolve(opts.filename), {
        controlPort: opts.controlPort,
        hostPorts: opts.hostPorts,
        log: (line) => io.out(`${line}\n`),
      })
      io.out(`runtime ${server.state.app} (pid ${process.pid}): control API ${server.state.url}\n`)
      try {
        const ctl = await startUpController(server, { ...(opts.db ? { db: opts.db } : {}), log: controllerLog(io) })
        io.out(`controller: API ${ctl.state.url}/api/v1, db ${ctl.state.db}\n`)
      } catch (e) {
        await server.close()
        throw e
      }
      try {
        const pods = await server.runtime.waitReady(opts.readyTimeout * 1000)
        io.out(`ready: ${pods.length} pod(s)\n${podTable(pods, 'wide')}`)
        for (const [svc, addr] of server.hostPorts()) io.out(`service ${svc}: http://${addr}/\n`)
      } catch (e) {
        io.err(`warning: ${(e as Error).message}\n`)
      }
      const stop = async (why: string) => {
        io.out(`stopping (${why})...\n`)
        await server.close()
        io.out('stopped\n')
      }
      await new Promise<void>((done) => {
        const onSignal = (sig: string) => void stop(sig).then(done)
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        server.onShutdownRequest(() => void stop('chaoscope down').then(done))
      })
    })

  program
    .command('logs')
    .description('print the logs of a pod (stdout and stderr, with timestamps)')
    .argument('<pod>', 'pod name, as `chaoscope get pods` shows it')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--tail <lines>', 'only the last N lines', (v) => positive(v, '--tail', true))
    .action(async (pod: string, opts: { follow?: boolean; tail?: number }) => {
      const s = requireRuntime()
      const q = new URLSearchParams()
      if (opts.follow) q.set('follow', 'true')
      if (opts.tail !== undefined) q.set('tail', String(opts.tail))
      const res = await fetch(`${s.url}/runtime/v1/pods/${encodeURIComponent(pod)}/logs?${q}`).catch((cause: unknown) => {
        throw new ChaosError('RUNTIME_NOT_RUNNING', `the local runtime does not answer at ${s.url}`, { cause })
      })
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { code?: 'RUNTIME_UNKNOWN_POD'; message?: string; hint?: string }
        throw new ChaosError(body.code ?? 'INTERNAL', body.message ?? `control API answered ${res.status}`, body.hint ? { hint: body.hint } : {})
      }
      const decoder = new TextDecoder()
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) io.out(decoder.decode(chunk, { stream: true }))
    })

  program
    .command('down')
    .description('stop the local runtime: every pod gracefully, then the sidecars')
    .option('--timeout <seconds>', 'how long to wait for it to stop', (v) => positive(v, '--timeout'), 60)
    .action(async (opts: { timeout: number }) => {
      const s = requireRuntime()
      await new HttpRuntimeClient(s.url).shutdown()
      const deadline = Date.now() + opts.timeout * 1000
      while (pidAlive(s.pid)) {
        if (Date.now() > deadline) throw new ChaosError('RUNTIME_NOT_READY', `the runtime (pid ${s.pid}) is still stopping after ${opts.timeout} s`, { hint: `kill it with: kill ${s.pid}` })
        await new Promise((r) => setTimeout(r, 100))
      }
      io.out(`stopped runtime ${s.app} (pid ${s.pid})\n`)
    })
}

function positive(v: string, flag: string, zeroOk = false): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw usage(`${flag} expects a whole number${zeroOk ? '' : ' above 0'}, got "${v}"`)
  return n
}

/** Starts `up` again in the background and waits until its pods are ready. */
async function detach(opts: { filename: string; readyTimeout: number; controlPort: number; db?: string; hostPorts: string }, io: Run): Promise<void> {
  const existing = readState()
  if (existing && pidAlive(existing.pid)) throw new ChaosError('RUNTIME_ALREADY_RUNNING', `a runtime (pid ${existing.pid}, app ${existing.app}) is already running`, { hint: 'stop it with `chaoscope down`, or set CHAOSCOPE_HOME to run another' })
  const app = loadApp(opts.filename)
  if ('issues' in app) {
    for (const i of app.issues) io.err(`${formatIssue(i)}\n`)
    io.exitCode = EXIT.USAGE
    return
  }
  const logFile = join(stateDir(), 'runtime.log')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(stateDir(), { recursive: true })
  const fd = openSync(logFile, 'w')
  const child = spawn(process.execPath, [process.argv[1]!, 'up', '-f', opts.filename, '--ready-timeout', String(opts.readyTimeout), '--control-port', String(opts.controlPort), ...(opts.db ? ['--db', opts.db] : []), '--host-ports', opts.hostPorts], {
    detached: true, stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  child.unref()
  const deadline = Date.now() + (opts.readyTimeout + 10) * 1000
  for (;;) {
    await new Promise((r) => setTimeout(r, 200))
    if (child.exitCode !== null || !pidAlive(child.pid!)) {
      io.err(readFileSync(logFile, 'utf8'))
      throw new ChaosError('RUNTIME_NOT_RUNNING', `the runtime exited during start-up (log: ${logFile})`)
    }
    const log = readFileSync(logFile, 'utf8')
    if (/^(ready: |warning: )/m.test(log)) {
      const s = readState()
      io.out(`runtime started in the background (pid ${child.pid}, log ${logFile})${s ? `; control API ${s.url}` : ''}\n`)
      io.out(log.slice(log.search(/^(ready: |warning: )/m)))
      return
    }
    if (Date.now() > deadline) throw new ChaosError('RUNTIME_NOT_READY', `the runtime did not report ready within ${opts.readyTimeout} s (log: ${logFile})`)
  }
}

/** `12s`, `5m`, `3h`: how long ago, as kubectl prints ages. */
export function age(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  return `${Math.floor(s / 3600)}h`
}

/** `get pods` (the command is registered with the other `get`s in cli/controller.ts): pods from the runtime's control API. */
export async function listPods(opts: { selector?: string; namespace?: string; output: 'table' | 'wide' | 'json' | 'yaml' }, io: Run): Promise<void> {
  const items = await HttpRuntimeClient.fromState().listPods({ ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}) })
  if (opts.output === 'json') io.out(`${JSON.stringify({ items }, null, 2)}\n`)
  else if (opts.output === 'yaml') io.out(stringify({ items }))
  else if (items.length === 0) io.err('no pods found\n')
  else io.out(podTable(items, opts.output))
}

/** kubectl-like table. */
export function podTable(pods: RuntimePod[], mode: 'table' | 'wide'): string {
  const head = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(mode === 'wide' ? ['ADDRESS', 'PID', 'PORT'] : [])]
  const rows = pods.map((p) => [
    p.namespace, p.name, p.ready ? '1/1' : '0/1', p.reason ?? (p.phase === 'Running' || !p.lastExit ? p.phase : p.lastExit.reason), String(p.restartCount), age(p.startTime),
    ...(mode === 'wide' ? [p.address ?? '<none>', p.pid !== undefined ? String(p.pid) : '<none>', p.external ?? String(p.port)] : []),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n') + '\n'
}
