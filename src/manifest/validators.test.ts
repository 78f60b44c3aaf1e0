/**
 * The validators generated at build time (Ajv standalone code) answer exactly as the ones compiled at run time,
 * on every conformance file, fixture and example; and a run loads only the kinds it meets.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFORMANCE, filesUnder } from '../../test/conformance.js'
import { FIXTURES } from '../../test/issues.js'
import { PACKAGE_ROOT } from '../version.js'
import { validatorSchemas, writeValidators } from './standalone.js'
import { validatePaths } from './validate.js'
import { GENERATED_DIR, loadedValidators, useGeneratedValidators } from './validators.js'

const FILES = [
  ...filesUnder(CONFORMANCE),
  ...filesUnder(join(FIXTURES, 'specs')),
  ...filesUnder(join(PACKAGE_ROOT, 'examples')),
]

describe('generated validators', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-validators-'))
    writeValidators(dir)
  })
  afterAll(() => {
    useGeneratedValidators(GENERATED_DIR)
    rmSync(dir, { recursive: true, force: true })
  })

  it('give the same issues, defaults and skips as run-time compiled ones on every file', () => {
    const run = () => FILES.map((f) => {
      const r = validatePaths([f])
      return { f, issues: r.issues, resources: r.resources, experiments: r.experiments, skipped: r.skipped }
    })
    useGeneratedValidators(dir)
    const generated = run()
    const origins = loadedValidators()
    useGeneratedValidators(undefined)
    const compiled = run()
    expect(Object.values(loadedValidators())).not.toContain('generated')

    // every schema a file needed came from generated code, and the files exercise most of them
    expect(Object.values(origins).every((o) => o === 'generated')).toBe(true)
    expect(Object.keys(origins).length).toBeGreaterThan(Object.keys(validatorSchemas()).length - 3)
    // both answers occur, so the comparison compares something
    expect(FILES.length).toBeGreaterThan(200)
    expect(generated.filter((r) => r.issues.length > 0).length).toBeGreaterThan(100)
    expect(generated.filter((r) => r.resources.length > 0).length).toBeGreaterThan(40)
    for (let i = 0; i < FILES.length; i++) expect(generated[i], FILES[i]).toEqual(compiled[i])
  }, 120_000)

  it('validating a PodChaos loads the PodChaos validator only', () => {
    useGeneratedValidators(dir)
    const r = validatePaths([join(PACKAGE_ROOT, 'examples/shop-pod-kill.yaml')])
    expect(r.resources.map((x) => x.kind)).toEqual(['PodChaos'])
    expect(loadedValidators()).toEqual({ PodChaos: 'generated' })
  })
})

describe('the build output', () => {
  it('has a generated validator for every schema, and a run of dist/ uses them, lazily', () => {
    const built = join(PACKAGE_ROOT, 'dist/src/manifest/generated')
    for (const key of Object.keys(validatorSchemas())) expect(existsSync(join(built, `${key}.cjs`)), `${key}: run npm run build first`).toBe(true)
    const script = `
      const { validatePaths } = await import('./dist/src/manifest/validate.js')
      const { loadedValidators } = await import('./dist/src/manifest/validators.js')
      const r = validatePaths(['examples/shop-pod-kill.yaml'])
      console.log(JSON.stringify({ issues: r.issues.length, loaded: loadedValidators() }))`
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
    expect(out.stderr).toBe('')
    expect(JSON.parse(out.stdout)).toEqual({ issues: 0, loaded: { PodChaos: 'generated' } })
  })

  it('prints nothing of its own to stderr while reading odd YAML (a list as a key)', () => {
    const script = `
      const { validateText } = await import('./dist/src/manifest/validate.js')
      const r = validateText('? [x]\\n: 1\\n', 'odd.yaml')
      console.log(r.issues.map((i) => i.code).join(','))`
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
    expect(out.stderr).toBe('')
    expect(out.stdout).toBe('SPEC_UNRECOGNIZED_DOCUMENT\n')
  })
})
