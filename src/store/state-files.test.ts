/**
 * State files and secrets: written private to the user in a home only the user can enter, read back, a stale
 * one removed, a corrupt one named as an error; a home others could write to, or another user's, refused.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { ADMIN_TOKEN_FILE, checkHome, clearLoadState, controllerStateFile, ensureHome, liveLoads, readSecret, readState, removeSecret, requireRuntime, runtimeStateFile, writeLoadState, writeSecret, writeState } from './state-files.js'

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
    expect(statSync(process.env.CHAOSCOPE_HOME!).mode & 0o777).toBe(0o711)
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

const mode = (path: string): number => statSync(path).mode & 0o777

function thrown(fn: () => unknown): ChaosError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ChaosError) return e
    throw e
  }
  throw new Error('expected a ChaosError')
}

describe('state files are private', () => {
  it('a state file that was readable by others is replaced by a 0600 one; the token it carries reads back', () => {
    writeState(state)
    chmodSync(runtimeStateFile.path(), 0o644)
    writeState({ ...state, token: 'secret-token' })
    expect(mode(runtimeStateFile.path())).toBe(0o600)
    expect(readState()?.token).toBe('secret-token')
    expect(readdirSync(process.env.CHAOSCOPE_HOME!)).toEqual(['runtime.json']) // no temporary file left
  })

  it('are not read from a home others can write to (a planted controller.json would get the CLI\'s token)', () => {
    controllerStateFile.write({ pid: process.pid, url: 'http://127.0.0.1:1', db: 'x', startedAt: 'x' })
    chmodSync(process.env.CHAOSCOPE_HOME!, 0o777)
    const e = thrown(() => controllerStateFile.require())
    expect(e.code).toBe('STORE_HOME_UNSAFE')
    expect(e.message).toContain(process.env.CHAOSCOPE_HOME!)
    expect(() => writeState(state)).toThrow(expect.objectContaining({ code: 'STORE_HOME_UNSAFE' }))
    expect(existsSync(runtimeStateFile.path())).toBe(false)
  })
})

describe('ensureHome and checkHome', () => {
  it('ensureHome makes a missing home, with its parents, 0711; checkHome of a missing home does nothing and makes nothing', () => {
    const dir = join(home, 'a', 'b', 'home')
    checkHome(dir)
    expect(existsSync(dir)).toBe(false)
    expect(ensureHome(dir)).toBe(dir)
    expect(mode(dir)).toBe(0o711)
    expect(mode(join(home, 'a'))).toBe(0o711)
    checkHome(dir)
  })

  it('a home others may only read and enter (0755) is ours: ensureHome tightens it to 0711, checkHome reads it as it is', () => {
    const dir = join(home, 'readable')
    mkdirSync(dir, { mode: 0o755 })
    chmodSync(dir, 0o755)
    checkHome(dir)
    expect(mode(dir)).toBe(0o755)
    ensureHome(dir)
    expect(mode(dir)).toBe(0o711)
  })

  it.each([0o777, 0o770, 0o702])('a home of mode %o, writable by others, is refused by both, named with its mode and owner, and left as it is', (m) => {
    const dir = join(home, 'open')
    mkdirSync(dir)
    chmodSync(dir, m)
    for (const check of [ensureHome, checkHome]) {
      const e = thrown(() => check(dir))
      expect(e.code).toBe('STORE_HOME_UNSAFE')
      expect(e.message).toContain(dir)
      expect(e.message).toContain(`mode 0${m.toString(8)}`)
      expect(e.message).toContain(`owner uid ${process.getuid!()}`)
      expect(e.hint).toContain(`chmod 711 ${dir}`)
    }
    expect(mode(dir)).toBe(m)
  })

  it.runIf(process.getuid?.() === 0)('a home that belongs to another user is refused by both, even at 0700', () => {
    const dir = join(home, 'theirs')
    mkdirSync(dir, { mode: 0o700 })
    chownSync(dir, 12345, 12345)
    for (const check of [ensureHome, checkHome]) {
      const e = thrown(() => check(dir))
      expect(e.code).toBe('STORE_HOME_UNSAFE')
      expect(e.message).toContain(dir)
      expect(e.message).toContain('uid 12345')
      expect(e.message).toContain('mode 0700')
    }
  })

  it('a home that is a file is refused', () => {
    const file = join(home, 'file')
    writeFileSync(file, '')
    expect(() => ensureHome(file)).toThrow(expect.objectContaining({ code: 'STORE_HOME_UNSAFE', message: expect.stringContaining('is not a directory') }))
  })
})

describe('secrets', () => {
  const file = (): string => join(process.env.CHAOSCOPE_HOME!, ADMIN_TOKEN_FILE)

  it('are written 0600 with a newline, read back trimmed, and removed; none is undefined', () => {
    expect(readSecret(ADMIN_TOKEN_FILE)).toBeUndefined()
    writeSecret(ADMIN_TOKEN_FILE, 'ccs_abc')
    expect(readFileSync(file(), 'utf8')).toBe('ccs_abc\n')
    expect(mode(file())).toBe(0o600)
    expect(mode(process.env.CHAOSCOPE_HOME!)).toBe(0o711)
    expect(readSecret(ADMIN_TOKEN_FILE)).toBe('ccs_abc')
    writeSecret(ADMIN_TOKEN_FILE, 'ccs_def')
    expect(readSecret(ADMIN_TOKEN_FILE)).toBe('ccs_def')
    removeSecret(ADMIN_TOKEN_FILE)
    expect(readSecret(ADMIN_TOKEN_FILE)).toBeUndefined()
    removeSecret(ADMIN_TOKEN_FILE) // removing none is fine
  })

  it('one others can read (0644) is refused, naming the file and chmod 600', () => {
    writeSecret(ADMIN_TOKEN_FILE, 'ccs_abc')
    chmodSync(file(), 0o644)
    const e = thrown(() => readSecret(ADMIN_TOKEN_FILE))
    expect(e.code).toBe('STORE_STATE_FILE_CORRUPT')
    expect(e.message).toContain(file())
    expect(e.message).toContain('mode 0644')
    expect(e.hint).toContain(`chmod 600 ${file()}`)
  })

  it('one that cannot be read is an error naming it, an empty one is none, and one in a home others can write is not read', () => {
    mkdirSync(file(), { recursive: true })
    expect(() => readSecret(ADMIN_TOKEN_FILE)).toThrow(expect.objectContaining({ code: 'STORE_STATE_FILE_CORRUPT', message: expect.stringContaining(file()) }))
    rmSync(file(), { recursive: true })
    writeFileSync(file(), '\n', { mode: 0o600 })
    expect(readSecret(ADMIN_TOKEN_FILE)).toBeUndefined()
    writeSecret(ADMIN_TOKEN_FILE, 'ccs_abc')
    chmodSync(process.env.CHAOSCOPE_HOME!, 0o777)
    expect(() => readSecret(ADMIN_TOKEN_FILE)).toThrow(expect.objectContaining({ code: 'STORE_HOME_UNSAFE' }))
    expect(() => writeSecret(ADMIN_TOKEN_FILE, 'ccs_def')).toThrow(expect.objectContaining({ code: 'STORE_HOME_UNSAFE' }))
  })
})

describe('load generators\' state files', () => {
  it('lists the live ones, removes a dead one\'s file, leaves a file that is none alone, and clears its own', () => {
    expect(liveLoads()).toEqual([])
    writeLoadState('http://127.0.0.1:9464/metrics')
    const dir = join(process.env.CHAOSCOPE_HOME!, 'loads')
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, `${process.pid}.json`)).mode & 0o777).toBe(0o600)
    // a pid no process has (above the kernel's pid_max)
    writeFileSync(join(dir, '4194305.json'), JSON.stringify({ pid: 4194305, url: 'http://127.0.0.1:1/metrics' }), { mode: 0o600 })
    writeFileSync(join(dir, '77.json'), 'not json', { mode: 0o600 })
    expect(liveLoads()).toEqual(['http://127.0.0.1:9464/metrics'])
    expect(readdirSync(dir).sort()).toEqual([`${process.pid}.json`, '77.json'].sort())
    clearLoadState()
    expect(liveLoads()).toEqual([])
    expect(readdirSync(dir)).toEqual(['77.json'])
  })
})
