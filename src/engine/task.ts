/**
 * @module engine/task: a Workflow Task's container run as a local process, when the controller allows it
 * (`--allow-exec`). Chaos Mesh runs the Task as a pod and reads its exit code and its log; here `command` +
 * `args` (Kubernetes' rule: command replaces the image's entrypoint, args follow it; with no command, args are
 * the whole command line, as there is no image) run without a shell, `command[0]` found on PATH, in
 * `workingDir`, with the container's `env` over the controller's PATH, HOME, LANG and TZ only (not its whole
 * environment). `image`, `volumeMounts`, `resources` and the rest of the container are not used locally.
 *
 * `$(NAME)` in command, args and env values is replaced by the container's env variable NAME, as Kubernetes does
 * (`$$` is one `$`, so `$$(NAME)` stays `$(NAME)` and a shell's `$$` must be written `$$$$`; a name the container
 * does not define stays as written).
 *
 * The process leads its own process group. As a container ends when its main process exits, the Task ends when
 * the command exits: whatever it left running in its group is killed then (SIGKILL). At the timeout (the Task
 * node's deadline) or an abort, the whole group gets SIGTERM, then SIGKILL after a grace of 2 s. stdout and
 * stderr are kept up to 1 MiB each, and `log` (both, in the order they arrived, as `kubectl logs` shows a
 * container's output) up to 1 MiB; the rest is counted, not kept. A command that cannot be started ends with
 * exit code 127 (126 when it is not executable) and says why on stderr, as a shell would.
 */
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { constants } from 'node:os'
import { ChaosError } from '../errors.js'

/** What a Task produced, as written (not trimmed). */
export interface TaskResult {
  exitCode: number
  stdout: string
  stderr: string
  /**
   * stdout and stderr interleaved in the order they arrived: what Chaos Mesh calls `stdout` in a branch
   * expression is the Task pod's log, which holds both streams (then trimmed of surrounding white space).
   */
  log: string
  /** Stopped at the timeout (or by the abort signal): exitCode is 128 + the signal's number, or 137. */
  timedOut: boolean
}

export interface RunTaskOptions {
  /** The controller was started with --allow-exec; otherwise CONTROLLER_EXEC_REFUSED. */
  allowExec: boolean
  /** Stop the process group after this long. */
  timeoutMs: number
  /** Stops it early (the Task node was aborted or deleted, the controller stops). */
  signal?: AbortSignal
  /** Where it runs when the container names no workingDir (default: the controller's cwd). */
  cwd?: string
}

/** How much of each stream is kept. */
export const OUTPUT_CAP = 1024 * 1024
const GRACE_MS = 2000
/** After the command exited and its group was killed, how long its output may take to drain. */
const DRAIN_MS = 1000
/** The longest delay a Node timer takes (about 24.8 days); a longer timeout would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

interface Container {
  name?: string
  image?: string
  command?: unknown
  args?: unknown
  workingDir?: unknown
  env?: unknown
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** Kubernetes' `$(NAME)` references: replaced from `vars`; `$$` is one `$` (so `$$(NAME)` stays); unknown names stay. */
export function expandRefs(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (m, name: string | undefined) => (name === undefined ? '$' : (vars.get(name) ?? m)))
}

/** The container's env list in order, each value expanded against those before it (as Kubernetes does). */
function containerEnv(container: Record<string, unknown>): Map<string, string> {
  const vars = new Map<string, string>()
  const list = (container as Container).env
  if (Array.isArray(list)) {
    for (const e of list as { name?: unknown; value?: unknown }[]) {
      if (typeof e?.name === 'string') vars.set(e.name, typeof e.value === 'string' ? expandRefs(e.value, vars) : '')
    }
  }
  return vars
}

/** The command line a Task's container runs here: command + args, or args alone, `$(NAME)` expanded. */
export function argvOf(container: Record<string, unknown>): string[] {
  const c = container as Container
  const vars = containerEnv(container)
  return [...strings(c.command), ...strings(c.args)].map((a) => expandRefs(a, vars))
}

/** One line for `describe`: the command line, and what is not used locally. */
export function describeTask(container: Record<string, unknown>): string {
  const argv = argvOf(container)
  const c = container as Container
  const shown = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
  return `${shown || '<no command>'}${typeof c.image === 'string' ? ` (image ${c.image} is not used: the command runs on this machine)` : ''}`
}

/** The controller's PATH, HOME, LANG and TZ, under the container's env (nothing else of the controller's). */
function envOf(container: Record<string, unknown>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]
  for (const [k, v] of containerEnv(container)) env[k] = v
  return env
}

/** Collects a stream up to the cap. */
function collector(): { push(b: Buffer): void; text(): string } {
  const parts: Buffer[] = []
  let kept = 0
  let dropped = 0
  return {
    push(b) {
      const room = OUTPUT_CAP - kept
      if (room > 0) {
        const part = b.length <= room ? b : b.subarray(0, room)
        parts.push(part)
        kept += part.length
      }
      dropped += b.length - Math.min(b.length, Math.max(0, room))
    },
    text: () => Buffer.concat(parts).toString('utf8') + (dropped > 0 ? `\n[${dropped} more bytes not kept]` : ''),
  }
}

/**
 * Runs a Task's container as a local process and resolves with its exit code and output once it has exited
 * (never rejects for what the process does). Throws CONTROLLER_EXEC_REFUSED when `allowExec` is false, and
 * SPEC_REQUIRED when the container has no command.
 */
export function runTask(container: Record<string, unknown>, opts: RunTaskOptions): Promise<TaskResult> {
  if (!opts.allowExec) {
    throw new ChaosError('CONTROLLER_EXEC_REFUSED', `the Task container "${String((container as Container).name ?? '')}" would run \`${describeTask(container)}\` as a local process, which this controller does not allow`, {
      hint: 'start the server with --allow-exec to run Task containers as local processes',
    })
  }
  const argv = argvOf(container)
  if (argv.length === 0) {
    throw new ChaosError('SPEC_REQUIRED', 'the Task container has no command: there is no image to take an entrypoint from locally', { hint: 'give task.container.command, e.g. [sh, -c, "curl -fsS http://127.0.0.1:8080/healthz"]' })
  }
  const workingDir = (container as Container).workingDir
  const cwd = typeof workingDir === 'string' && workingDir !== '' ? workingDir : opts.cwd
  if (cwd !== undefined && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
    const stderr = `${argv[0]}: cannot run in ${cwd}: no such directory\n`
    return Promise.resolve({ exitCode: 127, stdout: '', stderr, log: stderr, timedOut: false })
  }
  return new Promise((resolve) => {
    const out = collector()
    const err = collector()
    const log = collector()
    let timedOut = false
    let settled = false
    let exitCode: number | undefined
    let killTimer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: envOf(container), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const group = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, sig)
      } catch {
        // the group is gone
      }
    }
    const stop = () => {
      if (settled || timedOut || exitCode !== undefined) return
      timedOut = true
      group('SIGTERM')
      killTimer = setTimeout(() => group('SIGKILL'), GRACE_MS)
      killTimer.unref()
    }
    const timer = setTimeout(stop, Math.min(MAX_TIMER_MS, Math.max(0, opts.timeoutMs)))
    timer.unref()
    if (opts.signal?.aborted) stop()
    opts.signal?.addEventListener('abort', stop, { once: true })
    const finish = (code: number, extraErr?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(killTimer)
      clearTimeout(drainTimer)
      opts.signal?.removeEventListener('abort', stop)
      group('SIGKILL')
      if (extraErr) {
        err.push(Buffer.from(extraErr))
        log.push(Buffer.from(extraErr))
      }
      resolve({ exitCode: code, stdout: out.text(), stderr: err.text(), log: log.text(), timedOut })
    }
    child.stdout.on('data', (b: Buffer) => {
      out.push(b)
      log.push(b)
    })
    child.stderr.on('data', (b: Buffer) => {
      err.push(b)
      log.push(b)
    })
    child.on('error', (e: NodeJS.ErrnoException) => {
      // the command could not be started (a running child does not emit 'error' for what it does)
      if (exitCode !== undefined) return
      finish(e.code === 'EACCES' ? 126 : 127, `${argv[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`)
    })
    child.on('exit', (code, signal) => {
      // the container's main process is done: what it left in its group goes with it, then its output drains
      exitCode = code ?? 128 + signalNumber(signal)
      clearTimeout(killTimer)
      group('SIGKILL')
      drainTimer = setTimeout(() => {
        // a descendant that left the group (setsid) still holds the pipes: stop reading them
        child.stdout.destroy()
        child.stderr.destroy()
        finish(exitCode!)
      }, DRAIN_MS)
      drainTimer.unref()
    })
    child.on('close', () => finish(exitCode ?? 127))
  })
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal ? (constants.signals as Record<string, number>)[signal] : undefined) ?? 9
}
