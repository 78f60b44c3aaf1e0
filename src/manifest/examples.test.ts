/** Every file of examples/ validates, says on its first line what it does, and holds at least one experiment. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../version.js'
import { validateText } from './validate.js'

const EXAMPLES = join(PACKAGE_ROOT, 'examples')

it('every example validates', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f))
  expect(files.length).toBeGreaterThan(8)
  for (const f of files) {
    const text = readFileSync(join(EXAMPLES, f), 'utf8')
    const r = validateText(text, f)
    expect(r.issues, f).toEqual([])
    expect(r.resources.length + r.experiments.length, f).toBeGreaterThan(0)
    expect(text, f).toMatch(/^# \S/)
  }
})
