/**
 * @module engine/task: a Workflow Task's container run as a local process, when the controller allows it
 * (`--allow-exec`). Chaos Mesh runs the Task as a pod and reads its exit code and its log; here `command` +
 * `args` (Kubernetes' rule: command replaces the image's entrypoint, args follow it; with no command, args are
 * the whole command line, as there is no image) run without a shell, `command[0]` found on PATH, in
 * `workingDir`, with the container's `env` over the controller's PATH, HOME, LANG and TZ only (not its whole
 * environment). `image`, `volumeMounts`, `resources` and the rest of the container are not used locally.
 *
 * The process leads its own process group: at the timeout (the Task node's deadline) or an abort, the whole group
 * gets SIGTERM, then SIGKILL after a grace of 2 s, so a Task's children die with it. stdout and stderr are kept up
 * to 1 MiB each (the rest is counted, not kept). A command that cannot be started ends with exit code 127 (126
 * when it is not executable) and says why on stderr, as a shell would.
 */
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { constants } from 'node:os'
import { ChaosError } from '../errors.js'

/** What a Task produced. `stdout` and `stderr` as written (a branch expression sees stdout trimmed). */
export interface TaskResult {
  exitCode: number
  stdout: string
  stderr: string
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

interface Container {
  name?: string
  image?: string
  command?: unknown
  args?: unknown
  workingDir?: unknown
  env?: unknown
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** The command line a Task's container runs here: command + args, or args alone. */
export function argvOf(container: Record<string, unknown>): string[] {
  const c = container as Container
  return [...strings(c.command), ...strings(c.args)]
}

/** One line for `describe`: the command line, and what is not used locally. */
export function describeTask(container: Record<string, unknown>): string {
  const argv = argvOf(container)
  const c = container as Container
  const shown = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
  return `${shown || '<no command>'}${typeof c.image === 'string' ? ` (image ${c.image} is not used: the command runs on this machine)` : ''}`
}

function envOf(container: Record<string, unknown>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]
  const list = (container as Container).env
  if (Array.isArray(list)) {
    for (const e of list as { name?: unknown; value?: unknown }[]) if (typeof e?.name === 'string') env[e.name] = typeof e.value === 'string' ? e.value : ''
  }
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
    return Promise.resolve({ exitCode: 127, stdout: '', stderr: `${argv[0]}: cannot run in ${cwd}: no such directory\n`, timedOut: false })
  }
  return new Promise((resolve) => {
    const out = collector()
    const err = collector()
    let timedOut = false
    let settled = false
    let killTimer: NodeJS.Timeout | undefined
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
      if (settled || timedOut) return
      timedOut = true
      group('SIGTERM')
      killTimer = setTimeout(() => group('SIGKILL'), GRACE_MS)
      killTimer.unref()
    }
    const timer = setTimeout(stop, Math.max(0, opts.timeoutMs))
    timer.unref()
    if (opts.signal?.aborted) stop()
    opts.signal?.addEventListener('abort', stop, { once: true })
    const finish = (exitCode: number, extraErr?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      opts.signal?.removeEventListener('abort', stop)
      // what the process left running in its group goes with it
      group('SIGKILL')
      resolve({ exitCode, stdout: out.text(), stderr: err.text() + (extraErr ?? ''), timedOut })
    }
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code === 'EACCES' ? 126 : 127
      finish(code, `${argv[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`)
    })
    child.on('close', (code, signal) => finish(code ?? 128 + signalNumber(signal)))
  })
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal ? (constants.signals as Record<string, number>)[signal] : undefined) ?? 9
}
