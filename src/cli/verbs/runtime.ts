/** @module cli/verbs/runtime: `up`, `down`, `logs`, `get pods`: the local runtime from the command line. */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ChaosError, ensureHome, EXIT, formatIssue, HttpRuntimeClient, loadApp, pidAlive, readState, requireRuntime, startRuntimeServer, startUpController } from '../../index.js'
import type { RuntimeServer } from '../../index.js'
import type { GetFlags, UpFlags } from '../commands.js'
import { usage } from '../flags.js'
import { LogRotation, rotate, sizeOf } from '../log-rotation.js'
import type { Run } from '../main.js'
import { describePodText, json, list, podTable, v1Pod, yaml } from '../print.js'
import { SignalLatch } from '../signals.js'
import { accessArgs, accessOf, controllerLog, dashboardLine, retentionArgs, retentionOf } from './server.js'

/**
 * `up` in the foreground. Ctrl-C is heard from the first line on: a signal during start-up stops what has
 * started so far (pods, sidecars, controller) and removes the state files, as one after start-up does.
 */
export async function up(opts: UpFlags, run: Run): Promise<void> {
  if (opts.detach) return detach(opts, run)
  const rotation = opts.logFile ? rotateOutput(run, opts.logFile, opts) : undefined
  const latch = new SignalLatch()
  let server: RuntimeServer | undefined
  const stop = async (why: string) => {
    run.out(`stopping (${why})...\n`)
    await server?.close()
    run.out('stopped\n')
  }
  try {
    const app = await loadApp(opts.filename)
    if ('issues' in app) {
      for (const i of app.issues) run.err(`${formatIssue(i)}\n`)
      run.exitCode = EXIT.USAGE
      return
    }
    if (latch.reason) return await stop(latch.reason)
    const access = accessOf(opts, 'up')
    server = await startRuntimeServer(app.resource, resolve(opts.filename), {
      controlPort: access.port ?? opts.controlPort,
      ...(access.host ? { host: access.host } : {}),
      ...(access.auth ? { auth: access.auth } : {}),
      ...(access.allowedHosts ? { allowedHosts: access.allowedHosts } : {}),
      ...(access.corsOrigins ? { corsOrigins: access.corsOrigins } : {}),
      hostPorts: opts.hostPorts,
      log: (line) => run.out(`${line}\n`),
    })
    server.onShutdownRequest(() => latch.stop('chaoscope down'))
    run.out(`runtime ${server.state.app} (pid ${process.pid}): control API ${server.state.url}\n`)
    if (latch.reason) return await stop(latch.reason)
    try {
      const ctl = await startUpController(server, { ...(opts.db ? { db: opts.db } : {}), log: controllerLog(run), retention: retentionOf(opts), ...(opts.allowExec ? { allowExec: true } : {}), ...(access.policy ? { policy: access.policy } : {}) })
      run.out(`controller: API ${ctl.state.url}/api/v1, db ${ctl.state.db}\n`)
      run.out(ctl.adminToken ? `auth: tokens (the CLI sends the local admin token, ${'$'}CHAOSCOPE_HOME/token)\n` : 'auth: none (loopback only)\n')
      run.out(dashboardLine(ctl.state.url, ctl.adminToken !== undefined))
    } catch (e) {
      await server.close()
      throw e
    }
    if (latch.reason) return await stop(latch.reason)
    const ready = server.runtime.waitReady(readyTimeout(opts) * 1000).then(
      (pods) => ({ pods }),
      (e: unknown) => ({ error: e as Error }),
    )
    const first = await Promise.race([ready, latch.stopped.then(() => undefined)])
    if (first === undefined) return await stop(latch.reason!)
    if ('pods' in first) {
      run.out(`ready: ${first.pods.length} pod(s)\n${podTable(first.pods, { wide: true, namespaces: true })}`)
      for (const [svc, addr, protocol] of server.hostPorts()) run.out(`service ${svc}: ${protocol === 'http' ? `http://${addr}/` : addr}\n`)
    } else {
      run.err(`warning: ${first.error.message}\n`)
    }
    // `up --detach` has read the log up to here: from now on it may rotate
    rotation?.start()
    await stop(await latch.stopped)
  } finally {
    latch.dispose()
  }
}

/** --timeout, or its former name. */
function readyTimeout(opts: UpFlags): number {
  return opts.readyTimeout ?? opts.timeout
}

/** Starts `up` again in the background and waits until its pods are ready; Ctrl-C meanwhile stops it again. */
async function detach(opts: UpFlags, run: Run): Promise<void> {
  const existing = readState()
  if (existing && pidAlive(existing.pid)) throw new ChaosError('RUNTIME_ALREADY_RUNNING', `a runtime (pid ${existing.pid}, app ${existing.app}) is already running`, { hint: 'stop it with `chaoscope down`, or set CHAOSCOPE_HOME to run another' })
  const app = await loadApp(opts.filename)
  if ('issues' in app) {
    for (const i of app.issues) run.err(`${formatIssue(i)}\n`)
    run.exitCode = EXIT.USAGE
    return
  }
  accessOf(opts, 'up') // a bad --listen or --config is said here, not in the log of a child that exits
  const logFile = join(ensureHome(), 'runtime.log')
  // the last run's log becomes runtime.log.1; appending, so that the runtime's truncations start it over
  if (sizeOf(logFile) > 0) rotate(logFile, opts.logMaxFiles)
  const fd = openSync(logFile, 'a', 0o600)
  fchmodSync(fd, 0o600) // a log left by an older chaoscope may be 0644
  const rotated = `${logFile}.1`
  const stamp = (f: string) => (existsSync(f) ? `${statSync(f).ino}:${statSync(f).size}:${statSync(f).mtimeMs}` : '')
  const before = stamp(rotated)
  const args = [
    process.argv[1]!, 'up', '-f', opts.filename, '--timeout', String(readyTimeout(opts)), '--control-port', String(opts.controlPort), ...(opts.db ? ['--db', opts.db] : []), '--host-ports', opts.hostPorts,
    '--log-file', logFile, '--log-max-size', String(opts.logMaxSize), '--log-max-files', String(opts.logMaxFiles), ...retentionArgs(opts), ...accessArgs(opts),
  ]
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  const exited = new Promise<number>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 : 1))))
  const latch = new SignalLatch()
  const deadline = Date.now() + (readyTimeout(opts) + 10) * 1000
  try {
    for (;;) {
      const step = await Promise.race([exited, latch.stopped, new Promise<'tick'>((r) => setTimeout(r, 100, 'tick'))])
      if (typeof step === 'number') {
        run.err(readFileSync(logFile, 'utf8'))
        throw new ChaosError('RUNTIME_START_FAILED', `the runtime exited during start-up with code ${step} (log: ${logFile})`, { hint: 'the lines above say why' })
      }
      if (step !== 'tick') {
        // interrupted while waiting: the child stops cleanly (its pods, its state files)
        child.kill('SIGTERM')
        await exited
        run.out(`stopped (${step}) before the runtime was ready\n`)
        return
      }
      // the child may rotate its log right after its ready line: that line is then in the newest rotated copy
      // (the one there before the child started is the last run's, not read)
      const log = `${stamp(rotated) !== before ? readFileSync(rotated, 'utf8') : ''}${readFileSync(logFile, 'utf8')}`
      const at = log.search(/^(ready: |warning: )/m)
      if (at >= 0) {
        child.unref()
        const s = readState()
        run.out(`runtime started in the background (pid ${child.pid}, log ${logFile})${s ? `; control API ${s.url}` : ''}\n`)
        const notReady = /^warning: (.*)$/m.exec(log.slice(at))
        if (!notReady) {
          run.out(log.slice(at))
          return
        }
        // it keeps running, as `docker compose up --wait` leaves its containers: their logs say why
        throw new ChaosError('RUNTIME_NOT_READY', notReady[1]!, { hint: 'the runtime keeps running: `chaoscope logs POD` shows why a pod is not ready, `chaoscope down` stops it' })
      }
      if (Date.now() > deadline) throw new ChaosError('RUNTIME_NOT_READY', `the runtime did not report ready within ${readyTimeout(opts)} s (log: ${logFile})`, { hint: 'read the log; `chaoscope get pods` shows which pods are not ready, `chaoscope down` stops it' })
    }
  } finally {
    latch.dispose()
  }
}


/**
 * The runtime started by `up --detach` writes to `logFile` through its stdout and stderr (descriptors opened
 * for appending by the parent): what it prints is counted, and the log rotated past `--log-max-size` once
 * started (see cli/log-rotation.ts).
 */
function rotateOutput(run: Run, logFile: string, opts: UpFlags): LogRotation {
  const rotation = new LogRotation(logFile, { maxBytes: opts.logMaxSize, keep: opts.logMaxFiles })
  const out = run.out
  const err = run.err
  run.out = (s) => {
    out(s)
    rotation.wrote(Buffer.byteLength(s))
  }
  run.err = (s) => {
    err(s)
    rotation.wrote(Buffer.byteLength(s))
  }
  return rotation
}

export async function logs(pod: string, opts: { follow?: boolean; tail?: number }, run: Run): Promise<void> {
  const client = HttpRuntimeClient.fromState()
  const abort = new AbortController()
  const latch = opts.follow ? new SignalLatch() : undefined
  void latch?.stopped.then(() => abort.abort())
  try {
    const res = await client.logs(pod, { ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.follow ? { follow: true } : {}), signal: abort.signal })
    const decoder = new TextDecoder()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) run.out(decoder.decode(chunk, { stream: true }))
  } catch (e) {
    if (!abort.signal.aborted) throw e
  } finally {
    latch?.dispose()
  }
}

export async function down(opts: { timeout: number }, run: Run): Promise<void> {
  const s = requireRuntime()
  await new HttpRuntimeClient(s.url, s.token).shutdown()
  const deadline = Date.now() + opts.timeout * 1000
  while (pidAlive(s.pid)) {
    if (Date.now() > deadline) throw new ChaosError('RUNTIME_STOP_TIMEOUT', `the runtime (pid ${s.pid}) is still stopping after ${opts.timeout} s`, { hint: `wait longer with --timeout, or end it with: kill ${s.pid}` })
    await new Promise((r) => setTimeout(r, 50))
  }
  run.out(`stopped runtime ${s.app} (pid ${s.pid})\n`)
}

/** `describe pod NAME`: one pod of the runtime, found by name in every namespace. */
export async function describePod(name: string, run: Run): Promise<void> {
  const pod = (await HttpRuntimeClient.fromState().listPods({})).find((p) => p.name === name)
  if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`, { hint: 'list the pods with `chaoscope get pods`' })
  run.out(describePodText(pod))
}

/** `get pods`: pods from the runtime's control API; every namespace unless -n names one. */
export async function getPods(name: string | undefined, opts: GetFlags, run: Run): Promise<void> {
  if (name) throw usage('get pods takes no name; use -l to select pods', `chaoscope get pods -l app=${name.replace(/-[a-z0-9]{5}$/, '')}`)
  if (opts.watch) throw usage('get pods --watch is not supported yet', 'run `chaoscope get pods` again, or follow the output of `chaoscope up`')
  const namespace = opts.namespace && !opts.allNamespaces ? opts.namespace : undefined
  const pods = await HttpRuntimeClient.fromState().listPods({ ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(namespace ? { namespace } : {}) })
  if (opts.output === 'json') run.out(json(list(pods.map(v1Pod))))
  else if (opts.output === 'yaml') run.out(await yaml(list(pods.map(v1Pod))))
  else if (pods.length === 0) run.err(`No resources found${namespace ? ` in ${namespace} namespace` : ''}.\n`)
  else run.out(podTable(pods, { wide: opts.output === 'wide', namespaces: namespace === undefined }))
}
