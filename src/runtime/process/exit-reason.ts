/**
 * @module runtime/process/exit-reason: why a pod's container ended, as a pure function of what was observed: the
 * exit code or signal, whether the kernel OOM-killed a process of the pod's cgroup since the container started, and
 * the last line the launch chain (setpriv, the cgroup-joining shell) wrote to stderr when it could not exec. The pod
 * runner gathers those facts; this module only decides, so every case is a row of a table test.
 */
import { constants as osConstants } from 'node:os'
import { JOIN_FAILED_EXIT, JOIN_FAILED_MARK } from './launch.js'
import type { PodExit } from './types.js'

/** What was seen when a container's main process ended. */
export interface ExitFacts {
  /** Its exit code, or null when a signal ended it. */
  code: number | null
  /** The signal that ended it, or null. */
  signal: NodeJS.Signals | null
  /** The pod's cgroup counted an OOM kill since the container started. */
  oomKilled: boolean
  /** The memory limit as written (`64Mi`), for the OOMKilled message. */
  memoryLimit?: string
  /** The last stderr line among the container's last few lines ('' when none). */
  lastStderr: string
  startedAt: string
  finishedAt: string
}

/**
 * The exit as `get pods` shows it. In order: an OOM kill wins (exit 137, `OOMKilled`); the cgroup-joining step or
 * setpriv failing to exec means the command never ran (`ContainerCannotRun`, their own message); a signal is
 * `Killed` with exit code 128 + the signal's number, as a shell reports it; exit 0 is `Completed`, any other `Error`.
 *
 * @example classifyExit({ code: null, signal: 'SIGKILL', oomKilled: false, lastStderr: '', startedAt, finishedAt }) // { reason: 'Killed', exitCode: 137, ... }
 */
export function classifyExit(f: ExitFacts): PodExit {
  const times = { startedAt: f.startedAt, finishedAt: f.finishedAt }
  if (f.oomKilled) {
    return { reason: 'OOMKilled', exitCode: 137, ...(f.signal ? { signal: f.signal } : {}), message: `killed at its memory limit (${f.memoryLimit ?? '?'})`, ...times }
  }
  if (f.code === JOIN_FAILED_EXIT && f.lastStderr.startsWith(JOIN_FAILED_MARK)) {
    return { reason: 'ContainerCannotRun', exitCode: f.code, message: f.lastStderr, ...times }
  }
  if ((f.code === 126 || f.code === 127) && /^setpriv: failed to execute/.test(f.lastStderr)) {
    return { reason: 'ContainerCannotRun', exitCode: f.code, message: f.lastStderr.replace(/^setpriv: /, ''), ...times }
  }
  if (f.signal) {
    return { reason: 'Killed', exitCode: 128 + (osConstants.signals[f.signal] ?? 0), signal: f.signal, message: `killed by signal ${f.signal}`, ...times }
  }
  return { reason: f.code === 0 ? 'Completed' : 'Error', exitCode: f.code ?? 0, ...times }
}

/** Why a container could not even be started (checked before spawning), and the exit code a shell would give it. */
export type LaunchProblem =
  | { kind: 'working-dir'; message: string }
  | { kind: 'executable'; message: string }
  | { kind: 'spawn'; message: string }

/**
 * A container that never ran: `ContainerCannotRun` with 126 for an executable that is not runnable (permission,
 * not a regular file), 127 for one that is not found, and 128 for a bad working directory or a refused spawn.
 */
export function cannotRunExit(problem: LaunchProblem, startedAt: string, finishedAt: string): PodExit {
  const exitCode = problem.kind === 'executable' ? (/permission|not a regular file/.test(problem.message) ? 126 : 127) : 128
  return { reason: 'ContainerCannotRun', exitCode, message: problem.message, startedAt, finishedAt }
}
