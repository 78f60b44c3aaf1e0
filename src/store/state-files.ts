/**
 * @module store/state-files: where running processes say they are, in $CHAOSCOPE_HOME: `runtime.json` (a local
 * runtime's control API) and `controller.json` (a controller's API). One file per kind of process; a file whose
 * process is gone is stale and removed when read through `require*`. A file that exists but cannot be read is an
 * error that names it, never "nothing running".
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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

export interface ControllerState {
  pid: number
  /** Base URL of the controller API (its routes are under /api/v1), e.g. http://127.0.0.1:41234 */
  url: string
  /** The SQLite file it keeps its resources in. */
  db: string
  startedAt: string
}

/** The state directory: $CHAOSCOPE_HOME, else ~/.chaoscope. */
export function stateDir(): string {
  return process.env.CHAOSCOPE_HOME ?? join(homedir(), '.chaoscope')
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** One state file: written by the process it describes, read by the CLI and by other processes. */
class StateFile<T extends { pid: number; url: string }> {
  constructor(
    private readonly file: string,
    private readonly what: string,
    private readonly notRunning: { code: ErrorCode; hint: string },
  ) {}

  path(): string {
    return join(stateDir(), this.file)
  }

  /** Written whole or not at all (a temporary file renamed over it): a reader never sees half a file. */
  write(s: T): void {
    mkdirSync(stateDir(), { recursive: true, mode: 0o700 })
    const tmp = `${this.path()}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 })
    renameSync(tmp, this.path())
  }

  /** The state, or undefined when there is no file. STORE_STATE_FILE_CORRUPT when there is one that is not ours to read. */
  read(): T | undefined {
    let text: string
    try {
      text = readFileSync(this.path(), 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new ChaosError('STORE_STATE_FILE_CORRUPT', `cannot read ${this.path()}: ${(e as Error).message}`, { cause: e, hint: 'check its permissions, or remove it if no chaoscope is running' })
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (e) {
      throw new ChaosError('STORE_STATE_FILE_CORRUPT', `${this.path()} is not valid JSON (${(e as Error).message})`, { cause: e, hint: `remove it if no ${this.what} is running` })
    }
    const d = data as Partial<T>
    if (typeof data !== 'object' || data === null || typeof d.pid !== 'number' || typeof d.url !== 'string') {
      throw new ChaosError('STORE_STATE_FILE_CORRUPT', `${this.path()} does not describe a ${this.what} (it needs pid and url)`, { hint: `remove it if no ${this.what} is running` })
    }
    return data as T
  }

  /** Removes the file if it still names `pid` (another process may have replaced it). */
  clear(pid: number): void {
    let s: T | undefined
    try {
      s = this.read()
    } catch {
      return // not ours to remove
    }
    if (s?.pid === pid) rmSync(this.path(), { force: true })
  }

  /** The running process's state; `notRunning` when there is none (a stale file from a dead one is removed). */
  require(): T {
    const s = this.read()
    if (!s || !pidAlive(s.pid)) {
      if (s) this.clear(s.pid) // only if it still names the dead process: a new one may have just written it
      throw new ChaosError(this.notRunning.code, `no ${this.what} is running (state directory ${stateDir()})`, { hint: this.notRunning.hint })
    }
    return s
  }
}

export const runtimeStateFile = new StateFile<RuntimeState>('runtime.json', 'local runtime', {
  code: 'RUNTIME_NOT_RUNNING',
  hint: 'start one with `chaoscope up -f app.yaml`',
})

export const controllerStateFile = new StateFile<ControllerState>('controller.json', 'controller', {
  code: 'API_CONTROLLER_NOT_RUNNING',
  hint: 'start one with `chaoscope up -f app.yaml`, or `chaoscope server` beside a runtime',
})

export const readState = (): RuntimeState | undefined => runtimeStateFile.read()
export const writeState = (s: RuntimeState): void => runtimeStateFile.write(s)
export const clearState = (pid: number): void => runtimeStateFile.clear(pid)
export const requireRuntime = (): RuntimeState => runtimeStateFile.require()
export const readControllerState = (): ControllerState | undefined => controllerStateFile.read()
export const writeControllerState = (s: ControllerState): void => controllerStateFile.write(s)
export const clearControllerState = (pid: number): void => controllerStateFile.clear(pid)
export const requireController = (): ControllerState => controllerStateFile.require()
