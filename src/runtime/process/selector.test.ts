/** Label selectors in map and string form. */
import { expect, it } from 'vitest'
import { matchesSelector, parseSelector } from './selector.js'

const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/component': 'web' }

it.each([
  [undefined, true],
  [{}, true],
  [{ app: 'web' }, true],
  [{ app: 'web', tier: 'db' }, false],
  ['', true],
  ['app=web', true],
  ['app==web,tier=frontend', true],
  ['app!=web', false],
  ['zone!=b', true],
  ['tier', true],
  ['!tier', false],
  ['!zone', true],
  ['app in (api, web)', true],
  ['app notin (api,web)', false],
  ['app.kubernetes.io/component=web', true],
  ['app in (web),tier notin (db)', true],
])('%j → %s', (selector, expected) => {
  expect(matchesSelector(labels, selector)).toBe(expected)
})

it('names the part it cannot read', () => {
  expect(() => parseSelector('app=web,=x')).toThrow('cannot read label selector part "=x"')
})
