/**
 * @module verdict/providers/process: Chaos Toolkit's `process` provider, as chaostoolkit-lib's
 * run_process_activity runs it: the path found like shutil.which (`~` expanded), string arguments through
 * `/bin/sh -c "<path> <arguments>"`, a list or a mapping as argv (str() of each, None and "" dropped), our
 * environment, `timeout` seconds, and the exit status, stdout and stderr as the result (a non-zero exit does not
 * fail the activity). Each child leads a process group of its own, so a timeout or an interrupted run kills
 * everything it started; a child still running when chaoscope exits is killed too.
 *
 * Also the refusal checked before the run (`processRefusal`), and what the Python bridge shares: process groups
 * (`spawnGroup`, `stopGroup`) and when arguments are substituted (`hasValues`).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, StdioOptions } from 'node:child_process'
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { constants as osConstants, homedir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { pyStr, pyTruthy } from '../pyvalue.js'
import { substitute } from '../substitute.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition, Refusal, Values } from '../types.js'

export interface ProcessResult {
  status: number
  stdout: string
  stderr: string
}

/** How long a group has after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2000

/** Whether chaostoolkit-lib would substitute arguments: it does only when there is configuration or a secret. */
export function hasValues(values: Values): boolean {
  return pyTruthy(values.configuration) || pyTruthy(values.secrets)
}

// ─── finding the program ─────────────────────────────────────────────────────────────────────────────────

function isExecutableFile(p: string): boolean {
  try {
    if (statSync(p).isDirectory()) return false
    accessSync(p, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}

/** `~` and `~/…` as os.path.expanduser expands them (HOME first). */
export function expandUser(p: string): string {
  if (p !== '~' && !p.startsWith('~/')) return p
  return (process.env.HOME ?? homedir()) + p.slice(1)
}

/**
 * shutil.which: a name with a slash is checked as it is (relative to `cwd`); a bare name is looked up in
 * PATH (os.defpath when PATH is unset). An executable file, not a directory; undefined when none is found.
 */
export function which(cmd: string, cwd: string): string | undefined {
  if (cmd === '') return undefined
  if (cmd.includes('/')) return isExecutableFile(resolve(cwd, cmd)) ? cmd : undefined
  const path = process.env.PATH ?? '/bin:/usr/bin'
  const seen = new Set<string>()
  for (const dir of path.split(delimiter)) {
    if (seen.has(dir)) continue
    seen.add(dir)
    const candidate = dir === '' ? cmd : join(dir, cmd)
    if (isExecutableFile(isAbsolute(candidate) ? candidate : resolve(cwd, candidate))) return candidate
  }
  return undefined
}

// ─── process groups ──────────────────────────────────────────────────────────────────────────────────────

/** Leaders still running, and groups being stopped: both are killed when chaoscope exits. */
const liveGroups = new Set<number>()
const stoppingGroups = new Set<number>()
let exitHook = false

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // the group is gone
  }
}

/**
 * Spawns `file` as the leader of a new process group (and session). Until the leader exits, chaoscope's exit
 * kills the group; what the leader left running after a normal exit (a daemon an action started) is left alone,
 * as `chaos run` leaves it.
 */
export function spawnGroup(file: string, args: string[], opts: { cwd: string; stdio: StdioOptions }): ChildProcess {
  const child = spawn(file, args, { cwd: opts.cwd, env: process.env, stdio: opts.stdio, detached: true })
  const pid = child.pid
  if (pid !== undefined) {
    liveGroups.add(pid)
    if (!exitHook) {
      exitHook = true
      process.on('exit', () => {
        for (const g of [...liveGroups, ...stoppingGroups]) signalGroup(g, 'SIGKILL')
      })
    }
    child.once('exit', () => liveGroups.delete(pid))
  }
  return child
}

/**
 * Stops a child's whole group: SIGKILL at once (`hard`, as subprocess.run's timeout kills), or SIGTERM and,
 * for whatever of the group is still there after KILL_GRACE_MS, SIGKILL. Resolves once the child itself
 * has exited; the SIGKILL for stragglers still follows (or comes with chaoscope's exit, if that is sooner).
 */
export function stopGroup(child: ChildProcess, hard: boolean): Promise<void> {
  const pid = child.pid
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done()
    else child.once('exit', () => done())
  })
  if (pid === undefined) return exited
  if (hard) {
    signalGroup(pid, 'SIGKILL')
    return exited
  }
  stoppingGroups.add(pid)
  signalGroup(pid, 'SIGTERM')
  const timer = setTimeout(() => {
    signalGroup(pid, 'SIGKILL')
    stoppingGroups.delete(pid)
  }, KILL_GRACE_MS)
  void exited.then(() => {
    if (groupAlive(pid)) return
    clearTimeout(timer)
    stoppingGroups.delete(pid)
  })
  return exited
}

// ─── decoding output ─────────────────────────────────────────────────────────────────────────────────────

/** chaoslib decodes output as UTF-8 unless it detects another encoding; bytes that are not UTF-8 read as Latin-1. */
export function decodeOutput(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return bytes.toString('latin1')
  }
}

// ─── the activity ────────────────────────────────────────────────────────────────────────────────────────

type ProcessProvider = Extract<ChaosToolkitActivityDefinition['provider'], { type: 'process' }>

function processProvider(activity: ChaosToolkitActivityDefinition): ProcessProvider {
  const p = activity.provider
  if (p.type !== 'process') throw new ActivityFailed(`activity '${activity.name}' is not a process activity`)
  return p
}

/** The argv after the path, or the one shell string, as run_process_activity builds them. */
export function processArguments(args: unknown): string | string[] {
  if (typeof args === 'string') return args
  if (args === null || args === undefined) return []
  let items: unknown[]
  if (Array.isArray(args)) items = args
  else if (typeof args === 'object') items = Object.entries(args).flat()
  else throw new ActivityFailed(`process arguments must be a string, a list or a mapping, not ${pyStr(args)}`)
  return items.filter((a) => a !== null && a !== undefined && a !== '').map(pyStr)
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number | undefined>)[signal] ?? 0
}

/**
 * Runs a process activity. Resolves with its exit status (minus the signal number when a signal ended it, as
 * Python reports it), stdout and stderr; rejects with ActivityFailed on a timeout, an interrupted run or a
 * program that cannot be started.
 */
export async function runProcess(activity: ChaosToolkitActivityDefinition, ctx: ActivityContext): Promise<ProcessResult> {
  const provider = processProvider(activity)
  let args: unknown = provider.arguments ?? []
  if (pyTruthy(args) && hasValues(ctx.values)) args = substitute(args, ctx.values)
  const rawPath = String(provider.path ?? '')
  const path = which(expandUser(rawPath), ctx.cwd)
  if (path === undefined) throw new ActivityFailed(`path '${rawPath}' cannot be found, in activity '${activity.name}'`)
  const argv = processArguments(args)
  const [file, fileArgs] = typeof argv === 'string' ? ['/bin/sh', ['-c', `${path} ${argv}`]] : [path, argv]
  const timeout = provider.timeout
  const timeoutMs = typeof timeout === 'number' && timeout > 0 ? timeout * 1000 : undefined

  if (ctx.signal.aborted) throw new ActivityFailed('interrupted')
  const child = spawnGroup(file, fileArgs, { cwd: ctx.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => out.push(b))
  child.stderr?.on('data', (b: Buffer) => err.push(b))

  return await new Promise<ProcessResult>((resolveRun, rejectRun) => {
    let settled = false
    let stopped: string | undefined
    let timer: NodeJS.Timeout | undefined
    const finish = (fn: () => void): void => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      ctx.signal.removeEventListener('abort', onAbort)
      fn()
    }
    const fail = (message: string): void => finish(() => rejectRun(new ActivityFailed(message)))
    const stop = (hard: boolean, message: string): void => {
      if (settled || stopped !== undefined) return
      stopped = message
      void stopGroup(child, hard).then(() => {
        // a process that left the group may still hold the pipes: stop reading them
        child.stdout?.destroy()
        child.stderr?.destroy()
        fail(message)
      })
    }
    const onAbort = (): void => stop(false, 'interrupted')
    ctx.signal.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs !== undefined) timer = setTimeout(() => stop(true, 'process activity took too long to complete'), timeoutMs)
    child.once('error', (e: NodeJS.ErrnoException) => fail(`could not run '${path}': ${e.message}`))
    // 'close': the child exited and its pipes reached their end (subprocess.run reads them to the end too)
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (stopped !== undefined) return fail(stopped)
      const status = code ?? -signalNumber(signal ?? 'SIGKILL')
      if (activity.tolerance === undefined && status > 0) {
        ctx.log(`process activity '${activity.name}' exited with status ${status}: this may indicate an error`)
      }
      finish(() => resolveRun({ status, stdout: decodeOutput(Buffer.concat(out)), stderr: decodeOutput(Buffer.concat(err)) }))
    })
  })
}

/**
 * Why a process activity cannot run here, checked before the run: without --allow-exec none runs; with it,
 * the path must be found as chaostoolkit-lib's validate_process_activity finds it (shutil.which, `~` not
 * expanded), with its wording.
 */
export function processRefusal(
  activity: ChaosToolkitActivityDefinition,
  opts: { allowExec: boolean; cwd: string; path?: string },
): Refusal | undefined {
  const at = { activity: activity.name, path: opts.path ?? '' }
  if (!opts.allowExec) {
    return {
      ...at,
      reason: 'process activities run only with --allow-exec',
      hint: 'pass --allow-exec when the experiment is yours to run: its programs run as you, with your environment',
    }
  }
  const provider = activity.provider
  const raw = provider.type === 'process' ? provider.path : undefined
  if (typeof raw !== 'string' || raw === '') return { ...at, reason: 'a process activity must have a path' }
  const found = which(raw, opts.cwd)
  if (found === undefined) {
    return { ...at, reason: `path '${raw}' cannot be found, in activity '${activity.name}'`, hint: 'install the program, fix the path, or add its directory to PATH' }
  }
  return undefined
}
