/** Label selectors in map and string form, and the errors a user gets for a selector that cannot be read. */
import { describe, expect, it } from 'vitest'
import { ChaosError } from './errors.js'
import { matchesSelector, parseSelector } from './selector.js'

const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/component': 'web', empty: '' }

it.each([
  [undefined, true],
  [{}, true],
  [{ app: 'web' }, true],
  [{ app: 'web', tier: 'db' }, false],
  ['', true],
  ['   ', true],
  ['app=web', true],
  ['app = web', true],
  ['app==web,tier=frontend', true],
  ['app!=web', false],
  ['zone!=b', true],
  ['tier', true],
  ['!tier', false],
  ['!zone', true],
  ['app in (api, web)', true],
  ['app notin (api,web)', false],
  ['zone notin (a)', true],
  ['app.kubernetes.io/component=web', true],
  ['app in (web),tier notin (db)', true],
  ['empty=', true],
  ['tier=', false],
])('%j → %s', (selector, expected) => {
  expect(matchesSelector(labels, selector)).toBe(expected)
})

it('reads each requirement with its operator and values', () => {
  expect(parseSelector('app=web, env in (dev,qa), !legacy, canary, zone notin (b)')).toEqual([
    { key: 'app', op: 'in', values: ['web'] },
    { key: 'env', op: 'in', values: ['dev', 'qa'] },
    { key: 'legacy', op: '!exists' },
    { key: 'canary', op: 'exists' },
    { key: 'zone', op: 'notin', values: ['b'] },
  ])
})

/** What parseSelector throws for `text`: a coded error, or a failure of this test. */
function errorFor(text: string): ChaosError {
  try {
    parseSelector(text)
  } catch (e) {
    if (e instanceof ChaosError) return e
    throw e
  }
  throw new Error(`${JSON.stringify(text)} was accepted`)
}

describe('a selector that cannot be read is SELECTOR_INVALID, quoting it and naming the column where it breaks', () => {
  it.each([
    ['app in (web', 'label selector "app in (web" breaks at column 12: expected "," or ")" to close the values opened at column 8, got the end of the selector'],
    ['=x', 'label selector "=x" breaks at column 1: expected a label key, got "="'],
    ['app=web,=x', 'label selector "app=web,=x" breaks at column 9: expected a label key, got "="'],
    ['app=web,', 'label selector "app=web," breaks at column 9: expected a label key, got the end of the selector'],
    ['app=web,,tier', 'label selector "app=web,,tier" breaks at column 9: expected a label key, got ","'],
    ['app in web', 'label selector "app in web" breaks at column 8: expected "(" to open the values of "in", got "web"'],
    ['app in ()', 'label selector "app in ()" breaks at column 8: "in" needs at least one value between the parentheses'],
    ['app=web tier=db', 'label selector "app=web tier=db" breaks at column 9: expected "," between requirements or the end of the selector, got "tier"'],
    ['app=a=b', 'label selector "app=a=b" breaks at column 6: expected "," between requirements or the end of the selector, got "="'],
    ['app=web)', 'label selector "app=web)" breaks at column 8: expected "," between requirements or the end of the selector, got ")"'],
    ['!', 'label selector "!" breaks at column 2: expected a label key, got the end of the selector'],
    ['replicas>1', 'label selector "replicas>1" breaks at column 9: ">" is not a label selector operator (use =, ==, !=, in or notin)'],
    ['app=-web', 'label selector "app=-web" breaks at column 5: the value "-web" is not a label value (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)'],
    ['Example.COM/app=web', 'label selector "Example.COM/app=web" breaks at column 1: the key prefix "Example.COM" is not a DNS subdomain (lowercase letters, digits, "-" and ".")'],
    ['example.com/=web', 'label selector "example.com/=web" breaks at column 13: the key name "" is not a label name (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)'],
    [`app=${'x'.repeat(64)}`, `label selector "app=${'x'.repeat(64)}" breaks at column 5: the value "${'x'.repeat(64)}" is not a label value (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`],
  ])('%j', (text, message) => {
    const e = errorFor(text)
    expect(e.code).toBe('SELECTOR_INVALID')
    expect(e.message).toBe(message)
    expect(e.hint).toMatch(/key in \(a,b\)/)
  })

  it('matching with a malformed selector throws the same error instead of matching nothing (or everything)', () => {
    expect(() => matchesSelector(labels, 'app in (web')).toThrow(expect.objectContaining({ code: 'SELECTOR_INVALID' }))
    // asked again (the parsed form is cached): still an error, not a stale result
    expect(() => matchesSelector(labels, 'app in (web')).toThrow(expect.objectContaining({ code: 'SELECTOR_INVALID' }))
  })
})
