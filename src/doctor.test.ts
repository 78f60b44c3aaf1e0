/** `chaoscope doctor` says what is missing and how to get it. */
import { afterEach, expect, it } from 'vitest'
import { checkSystem, which } from './doctor.js'

const PATH = process.env.PATH

afterEach(() => {
  process.env.PATH = PATH
})

it('finds executables on PATH', () => {
  expect(which('node')).toMatch(/\/node$/)
  expect(which('no-such-tool-chaoscope')).toBeUndefined()
})

it('reports a missing tool with what needs it and the apt package that brings it', () => {
  process.env.PATH = '/nonexistent'
  const setpriv = checkSystem().find((c) => c.name === 'setpriv')!
  expect(setpriv).toMatchObject({ ok: false, required: false })
  expect(setpriv.fix).toContain('apt-get install -y util-linux')
  expect(setpriv.neededFor).toMatch(/die with the runtime/)
  expect(checkSystem().find((c) => c.name === 'node')).toMatchObject({ ok: true, required: true })
})
