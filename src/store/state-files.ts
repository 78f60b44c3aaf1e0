/**
 * @module store/state-files: where running processes say they are, in $CHAOSCOPE_HOME: `runtime.json` (a local
 * runtime's control API) and `controller.json` (a controller's API), and the secrets kept beside them (`token`,
 * the local admin token). One file per kind of process; a file whose process is gone is stale and removed when
 * read through `require*`. A file that exists but cannot be read is an error that names it, never "nothing
 * running".
 *
 * The home is private: made 0700, every file in it 0600, and one that others could write (or that belongs to
 * another user) is refused before anything is read from it or written to it, since whoever can put a
 * controller.json there can point the CLI, and the token it sends, at a server of their own.
 */
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Stats } from 'node:fs'
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
  /** The runtime's own API token, so that the CLI and `chaoscope server` can call it (the file is 0600 in a 0700 home). */
  token?: string
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

/**
 * Makes the home (0711, with its parents) or checks the one there is: STORE_HOME_UNSAFE when group or others
 * can write it or another user owns it. One that others can read (0755) is ours, and is made 0711. Others may
 * enter it but never list it: a pod that runs as another user (PostgreSQL under setpriv) reaches its own fault and
 * data directories below, while every secret file in it is 0600.
 */
export function ensureHome(dir = stateDir()): string {
  let st = statOf(dir)
  if (!st) {
    mkdirSync(dir, { recursive: true, mode: 0o711 })
    st = statSync(dir)
  }
  refuseUnsafe(dir, st)
  if (privateModes() && (st.mode & 0o066) !== 0) chmodSync(dir, 0o711)
  return dir
}

/** The read side of {@link ensureHome}: STORE_HOME_UNSAFE on the same conditions; a home that does not exist is fine. */
export function checkHome(dir = stateDir()): void {
  const st = statOf(dir)
  if (st) refuseUnsafe(dir, st)
}

/** The file of the local admin token, in the home. */
export const ADMIN_TOKEN_FILE = 'token'

/**
 * The secret kept in `file` of the home, trimmed; undefined when there is none (no file, or an empty one).
 * STORE_STATE_FILE_CORRUPT when the file cannot be read, or group or others may read or write it (a secret
 * others saw is spent).
 */
export function readSecret(file: string): string | undefined {
  checkHome()
  const path = join(stateDir(), file)
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ChaosError('STORE_STATE_FILE_CORRUPT', `cannot read ${path}: ${(e as Error).message}`, { cause: e, hint: 'check its permissions' })
  }
  let text: string
  try {
    // the mode of the file opened, not of a path that may have been replaced since
    const mode = fstatSync(fd).mode
    if (privateModes() && (mode & 0o077) !== 0) {
      throw new ChaosError('STORE_STATE_FILE_CORRUPT', `${path} is open to other users (mode ${octal(mode)}): a secret must be private to its owner`, {
        hint: `run \`chmod 600 ${path}\`; if others could read it, revoke the secret and make a new one`,
      })
    }
    text = readFileSync(fd, 'utf8').trim()
  } catch (e) {
    if (e instanceof ChaosError) throw e
    throw new ChaosError('STORE_STATE_FILE_CORRUPT', `cannot read ${path}: ${(e as Error).message}`, { cause: e, hint: 'check that it is a file you can read' })
  } finally {
    closeSync(fd)
  }
  // an empty file holds no secret: the server that keeps one there writes a new one when it starts
  return text === '' ? undefined : text
}

/** Keeps `value` in `file` of the home (made if needed), 0600, written whole or not at all. */
export function writeSecret(file: string, value: string): void {
  ensureHome()
  writePrivate(join(stateDir(), file), `${value}\n`)
}

export function removeSecret(file: string): void {
  rmSync(join(stateDir(), file), { force: true })
}

/** Modes mean something on POSIX systems only; on Windows the home's ACLs are the user's profile's. */
const privateModes = (): boolean => process.platform !== 'win32'

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`

function statOf(dir: string): Stats | undefined {
  try {
    return statSync(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ChaosError('STORE_HOME_UNSAFE', `cannot check the state directory ${dir}: ${(e as Error).message}`, {
      cause: e,
      hint: 'point CHAOSCOPE_HOME at a directory of your own',
    })
  }
}

function refuseUnsafe(dir: string, st: Stats): void {
  if (!st.isDirectory()) {
    throw new ChaosError('STORE_HOME_UNSAFE', `the state directory ${dir} is not a directory`, { hint: 'remove it, or point CHAOSCOPE_HOME at a directory of your own' })
  }
  if (!privateModes()) return
  const uid = process.getuid!()
  if (st.uid !== uid) {
    throw new ChaosError('STORE_HOME_UNSAFE', `the state directory ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}; mode ${octal(st.mode)})`, {
      hint: `point CHAOSCOPE_HOME at a directory of your own, or make it yours with \`chown ${uid} ${dir} && chmod 711 ${dir}\``,
    })
  }
  if ((st.mode & 0o022) !== 0) {
    throw new ChaosError('STORE_HOME_UNSAFE', `the state directory ${dir} can be written by other users (mode ${octal(st.mode)}, owner uid ${st.uid})`, {
      hint: `run \`chmod 711 ${dir}\`, or point CHAOSCOPE_HOME at a directory of your own`,
    })
  }
}

/** Writes `text` to `path`, 0600, whole or not at all (a fresh temporary file renamed over it): a reader never sees half a file. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  // one left by a crashed process of the same pid is removed: 'wx' then makes a new file, so the mode is ours
  rmSync(tmp, { force: true })
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' })
  renameSync(tmp, path)
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
    /** What {@link require} says when the process is not running (a state file that is never required has none). */
    private readonly notRunning?: { code: ErrorCode; hint: string },
  ) {}

  path(): string {
    return join(stateDir(), this.file)
  }

  /** Written whole or not at all, 0600, in a home {@link ensureHome} made or checked. */
  write(s: T): void {
    ensureHome()
    writePrivate(this.path(), `${JSON.stringify(s, null, 2)}\n`)
  }

  /**
   * The state, or undefined when there is no file. STORE_HOME_UNSAFE when others could have planted it;
   * STORE_STATE_FILE_CORRUPT when there is one that is not ours to read.
   */
  read(): T | undefined {
    checkHome()
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
      throw new ChaosError(this.notRunning?.code ?? 'INTERNAL', `no ${this.what} is running (state directory ${stateDir()})`, this.notRunning ? { hint: this.notRunning.hint } : {})
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

/** A running `chaoscope load --metrics-addr`: where its metrics are (`chaoscope prometheus-config` lists them). */
export interface LoadState {
  pid: number
  url: string
}

const LOADS_DIR = 'loads'
const loadStateFile = (pid: number) => new StateFile<LoadState>(join(LOADS_DIR, `${pid}.json`), 'load generator')

/** Says where this process's metrics are: $CHAOSCOPE_HOME/loads/<pid>.json, in a 0700 directory of the home. */
export function writeLoadState(url: string): void {
  ensureHome()
  mkdirSync(join(stateDir(), LOADS_DIR), { recursive: true, mode: 0o700 })
  loadStateFile(process.pid).write({ pid: process.pid, url })
}

export function clearLoadState(): void {
  loadStateFile(process.pid).clear(process.pid)
}

/**
 * The metrics URLs of the load generators running now; the file of one that died without removing it (SIGKILL)
 * is removed, and one that is not a load state file is left alone and skipped.
 */
export function liveLoads(): string[] {
  let names: string[]
  try {
    names = readdirSync(join(stateDir(), LOADS_DIR))
  } catch {
    return []
  }
  const urls: string[] = []
  for (const name of names.filter((n) => /^\d+\.json$/.test(n)).sort()) {
    const file = loadStateFile(Number(name.slice(0, -'.json'.length)))
    let s: LoadState | undefined
    try {
      s = file.read()
    } catch {
      continue
    }
    if (!s) continue
    if (pidAlive(s.pid)) urls.push(s.url)
    else file.clear(s.pid)
  }
  return urls
}
