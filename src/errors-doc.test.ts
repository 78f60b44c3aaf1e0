/** docs/errors.md lists every error code, with its meaning and fix, exactly as src/errors.ts defines them. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { ERROR_CODES } from './errors.js'
import { renderErrorsDoc } from './errors-doc.js'
import { PACKAGE_ROOT } from './version.js'

it('docs/errors.md is in sync with src/errors.ts (regenerate with npm run docs:errors)', () => {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs/errors.md'), 'utf8')
  expect(doc).toBe(renderErrorsDoc())
  for (const code of Object.keys(ERROR_CODES)) expect(doc).toContain(`| \`${code}\` |`)
})

it('codes are SCREAMING_SNAKE with a known area prefix', () => {
  for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^(SPEC|CTK|CLI|RUNTIME|EFFECT|PROXY|FAULT|STORE|API|ENGINE|CONTROLLER|SELECTOR|LOAD|RUN|AUTH|POLICY|CONFIG|REPORT|KUBE)_[A-Z0-9_]+$|^INTERNAL$/)
})
