/** @module runtime/controller-state: where a running controller says it is (CHAOSCOPE_HOME/controller.json). */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ChaosError } from '../errors.js'
import { pidAlive, stateDir } from './state.js'

export interface ControllerState {
  pid: number
  /** Base URL of the controller API (its routes are under /api/v1), e.g. http://127.0.0.1:41234 */
  url: string
  /** The SQLite file it keeps its resources in. */
  db: string
  startedAt: string
}

const statePath = () => join(stateDir(), 'controller.json')

export function writeControllerState(s: ControllerState): void {
  mkdirSync(stateDir(), { recursive: true })
  writeFileSync(statePath(), `${JSON.stringify(s, null, 2)}\n`)
}

export function readControllerState(): ControllerState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as ControllerState
  } catch {
    return undefined
  }
}

/** Removes the state file if it still names `pid` (another controller may have replaced it). */
export function clearControllerState(pid: number): void {
  if (readControllerState()?.pid === pid) rmSync(statePath(), { force: true })
}

/** The running controller's state, or API_CONTROLLER_NOT_RUNNING (a stale file from a dead one is removed). */
export function requireController(): ControllerState {
  const s = readControllerState()
  if (!s || !pidAlive(s.pid)) {
    if (s) rmSync(statePath(), { force: true })
    throw new ChaosError('API_CONTROLLER_NOT_RUNNING', `no controller is running (state directory ${stateDir()})`, { hint: 'start one with `chaoscope up -f app.yaml`, or `chaoscope server` beside a runtime' })
  }
  return s
}
