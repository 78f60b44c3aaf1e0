/** @module runtime/state: where a running local runtime says it is (CHAOSCOPE_HOME/runtime.json), and a client for it. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ChaosError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

export interface RuntimeState {
  pid: number
  /** Base URL of the control API, e.g. http://127.0.0.1:41234 */
  url: string
  appFile: string
  app: string
  startedAt: string
}

/** The state directory: $CHAOSCOPE_HOME, else ~/.chaoscope. */
export function stateDir(): string {
  return process.env.CHAOSCOPE_HOME ?? join(homedir(), '.chaoscope')
}

const statePath = () => join(stateDir(), 'runtime.json')

export function writeState(s: RuntimeState): void {
  mkdirSync(stateDir(), { recursive: true })
  writeFileSync(statePath(), `${JSON.stringify(s, null, 2)}\n`)
}

export function readState(): RuntimeState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as RuntimeState
  } catch {
    return undefined
  }
}

/** Removes the state file if it still names `pid` (another runtime may have replaced it). */
export function clearState(pid: number): void {
  if (readState()?.pid === pid) rmSync(statePath(), { force: true })
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The running runtime's state, or RUNTIME_NOT_RUNNING (a stale file from a dead runtime is removed). */
export function requireRuntime(): RuntimeState {
  const s = readState()
  if (!s || !pidAlive(s.pid)) {
    if (s) rmSync(statePath(), { force: true })
    throw new ChaosError('RUNTIME_NOT_RUNNING', `no local runtime is running (state directory ${stateDir()})`, { hint: 'start one with `chaoscope up -f app.yaml`' })
  }
  return s
}

/** Calls the control API; its JSON errors come back as ChaosErrors with the same code. */
export async function controlCall<T>(path: string, init: RequestInit = {}): Promise<T> {
  const s = requireRuntime()
  let res: Response
  try {
    res = await fetch(`${s.url}${path}`, init)
  } catch (cause) {
    throw new ChaosError('RUNTIME_NOT_RUNNING', `the local runtime (pid ${s.pid}) does not answer at ${s.url}`, { cause, hint: 'it may be starting or stopping; try again, or run `chaoscope up` again' })
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: ErrorCode; message?: string; hint?: string }
    throw new ChaosError(body.code ?? 'INTERNAL', body.message ?? `control API answered ${res.status}`, body.hint ? { hint: body.hint } : {})
  }
  return (await res.json()) as T
}
