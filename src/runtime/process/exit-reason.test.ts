/** Exit classification: the facts seen when a container ended → the reason, exit code and message `get pods` shows. */
import { expect, it } from 'vitest'
import { cannotRunExit, classifyExit } from './exit-reason.js'
import type { ExitFacts } from './exit-reason.js'
import { JOIN_FAILED_MARK } from './launch.js'

const startedAt = '2026-01-02T03:04:05.000Z'
const finishedAt = '2026-01-02T03:04:06.500Z'
const facts = (f: Partial<ExitFacts>): ExitFacts => ({ code: null, signal: null, oomKilled: false, lastStderr: '', startedAt, finishedAt, ...f })

it.each<[string, Partial<ExitFacts>, object]>([
  ['exit 0 is Completed', { code: 0 }, { reason: 'Completed', exitCode: 0 }],
  ['a non-zero exit is Error with its code', { code: 3 }, { reason: 'Error', exitCode: 3 }],
  ['exit 1 with an ordinary stderr line is still Error', { code: 1, lastStderr: 'Error: listen EADDRINUSE' }, { reason: 'Error', exitCode: 1 }],
  ['SIGKILL is Killed, 128 + 9', { signal: 'SIGKILL' }, { reason: 'Killed', exitCode: 137, signal: 'SIGKILL', message: 'killed by signal SIGKILL' }],
  ['SIGTERM is Killed, 128 + 15', { signal: 'SIGTERM' }, { reason: 'Killed', exitCode: 143, signal: 'SIGTERM', message: 'killed by signal SIGTERM' }],
  ['SIGINT is Killed, 128 + 2', { signal: 'SIGINT' }, { reason: 'Killed', exitCode: 130, signal: 'SIGINT' }],
  ['an OOM kill wins over the signal', { signal: 'SIGKILL', oomKilled: true, memoryLimit: '64Mi' }, { reason: 'OOMKilled', exitCode: 137, signal: 'SIGKILL', message: 'killed at its memory limit (64Mi)' }],
  ['an OOM kill of a child, main process exiting 1, is still OOMKilled', { code: 1, oomKilled: true, memoryLimit: '96Mi' }, { reason: 'OOMKilled', exitCode: 137, message: 'killed at its memory limit (96Mi)' }],
  ['the cgroup-joining step failing: the command never ran', { code: 125, lastStderr: `${JOIN_FAILED_MARK} /sys/fs/cgroup/x/cgroup.procs` }, { reason: 'ContainerCannotRun', exitCode: 125, message: `${JOIN_FAILED_MARK} /sys/fs/cgroup/x/cgroup.procs` }],
  ['exit 125 without the joining mark is the program\'s own Error', { code: 125, lastStderr: 'something else' }, { reason: 'Error', exitCode: 125 }],
  ['setpriv failing to exec: the command never ran', { code: 127, lastStderr: 'setpriv: failed to execute /app/run: No such file or directory' }, { reason: 'ContainerCannotRun', exitCode: 127, message: 'failed to execute /app/run: No such file or directory' }],
  ['setpriv failing to exec with permission denied', { code: 126, lastStderr: 'setpriv: failed to execute /app/run: Permission denied' }, { reason: 'ContainerCannotRun', exitCode: 126, message: 'failed to execute /app/run: Permission denied' }],
  ['exit 127 from the program itself is Error', { code: 127, lastStderr: 'sh: 1: foo: not found' }, { reason: 'Error', exitCode: 127 }],
])('%s', (_, f, expected) => {
  const exit = classifyExit(facts(f))
  expect(exit).toMatchObject({ ...expected, startedAt, finishedAt })
  if (!('signal' in expected)) expect(exit.signal).toBeUndefined()
})

it.each<[Parameters<typeof cannotRunExit>[0], number]>([
  [{ kind: 'executable', message: 'executable "nope" not found in $PATH' }, 127],
  [{ kind: 'executable', message: 'cannot run "./x": no such file or directory' }, 127],
  [{ kind: 'executable', message: 'cannot run "./x": /a/x is not executable (permission denied)' }, 126],
  [{ kind: 'executable', message: 'cannot run "./d": /a/d is not a regular file' }, 126],
  [{ kind: 'working-dir', message: 'working directory /nope does not exist' }, 128],
  [{ kind: 'spawn', message: 'cannot start "x": spawn E2BIG' }, 128],
])('a container that never ran (%j) is ContainerCannotRun with exit code %d', (problem, exitCode) => {
  expect(cannotRunExit(problem, startedAt, finishedAt)).toEqual({ reason: 'ContainerCannotRun', exitCode, message: problem.message, startedAt, finishedAt })
})
