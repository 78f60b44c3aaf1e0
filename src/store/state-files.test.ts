/** State files: written private to the user, read back, a stale one removed, a corrupt one named as an error. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { controllerStateFile, readState, requireRuntime, runtimeStateFile, writeState } from './state-files.js'

let home: string
let before: string | undefined
beforeEach(() => {
  before = process.env.CHAOSCOPE_HOME
  home = mkdtempSync(join(tmpdir(), 'chaoscope-state-'))
  process.env.CHAOSCOPE_HOME = join(home, 'home')
})
afterEach(() => {
  if (before === undefined) delete process.env.CHAOSCOPE_HOME
  else process.env.CHAOSCOPE_HOME = before
  rmSync(home, { recursive: true, force: true })
})

const state = { pid: process.pid, url: 'http://127.0.0.1:1', appFile: 'app.yaml', app: 'chain', startedAt: '2026-01-01T00:00:00.000Z' }

describe('state files', () => {
  it('are written readable by the user only, in a directory only the user can enter, and read back', () => {
    writeState(state)
    expect(statSync(runtimeStateFile.path()).mode & 0o777).toBe(0o600)
    expect(statSync(process.env.CHAOSCOPE_HOME!).mode & 0o777).toBe(0o700)
    expect(readState()).toEqual(state)
    expect(requireRuntime()).toEqual(state)
  })

  it('none is "not running"; a stale one (its process gone) is removed and is "not running" too', () => {
    expect(readState()).toBeUndefined()
    expect(() => requireRuntime()).toThrow(expect.objectContaining({ code: 'RUNTIME_NOT_RUNNING' }))
    writeState({ ...state, pid: 2 ** 22 + 12345 }) // above Linux's pid_max: no such process
    expect(() => requireRuntime()).toThrow(expect.objectContaining({ code: 'RUNTIME_NOT_RUNNING' }))
    expect(readState()).toBeUndefined()
  })

  it.each([
    ['not JSON', '{"pid": 12', /controller\.json is not valid JSON/],
    ['JSON of another shape', '{"hello": "world"}', /controller\.json does not describe a controller \(it needs pid and url\)/],
  ])('%s is an error naming the file, never "nothing running"', (_what, text, message) => {
    controllerStateFile.write({ pid: 1, url: 'x', db: 'x', startedAt: 'x' })
    writeFileSync(controllerStateFile.path(), text)
    const e = (() => {
      try {
        controllerStateFile.require()
      } catch (x) {
        return x
      }
    })() as ChaosError
    expect(e).toBeInstanceOf(ChaosError)
    expect(e.code).toBe('STORE_STATE_FILE_CORRUPT')
    expect(e.message).toMatch(message)
    expect(e.message).toContain(controllerStateFile.path())
    expect(readFileSync(controllerStateFile.path(), 'utf8')).toBe(text) // left for the user to look at
  })
})
