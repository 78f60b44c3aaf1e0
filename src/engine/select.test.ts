/** Pod selection as Chaos Mesh does it: every selector field, `pods` overriding, and each mode, with an injected random. */
import { describe, expect, it } from 'vitest'
import type { PodSelectorSpec } from '../manifest/kinds/common.js'
import { matchingPods, modeCount, noTargetsError, selectPods } from './select.js'
import type { SelectablePod } from './select.js'

const pod = (namespace: string, name: string, labels: Record<string, string>, phase = 'Running', annotations: Record<string, string> = {}): SelectablePod => ({ namespace, name, labels, annotations, phase })

const PODS: SelectablePod[] = [
  pod('default', 'web-aaaaa', { app: 'web', tier: 'front' }, 'Running', { owner: 'team-a' }),
  pod('default', 'web-bbbbb', { app: 'web', tier: 'front', canary: 'yes' }),
  pod('default', 'db-ccccc', { app: 'db' }, 'Pending'),
  pod('shop', 'cart-ddddd', { app: 'cart' }, 'Running', { owner: 'team-b' }),
  pod('shop', 'ad-eeeee', { app: 'ad', tier: 'back' }, 'Failed'),
]

const names = (ps: SelectablePod[]) => ps.map((p) => p.name)

describe('matchingPods: every selector field must match', () => {
  const table: [string, PodSelectorSpec, string[]][] = [
    ['empty selector: every pod', {}, ['db-ccccc', 'web-aaaaa', 'web-bbbbb', 'ad-eeeee', 'cart-ddddd']],
    ['namespaces', { namespaces: ['shop'] }, ['ad-eeeee', 'cart-ddddd']],
    ['labelSelectors', { labelSelectors: { app: 'web' } }, ['web-aaaaa', 'web-bbbbb']],
    ['labelSelectors and namespaces both apply', { namespaces: ['shop'], labelSelectors: { app: 'web' } }, []],
    ['expression In', { expressionSelectors: [{ key: 'tier', operator: 'In', values: ['back', 'middle'] }] }, ['ad-eeeee']],
    ['expression NotIn matches pods without the key', { expressionSelectors: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, ['db-ccccc', 'ad-eeeee', 'cart-ddddd']],
    ['expression Exists', { expressionSelectors: [{ key: 'canary', operator: 'Exists' }] }, ['web-bbbbb']],
    ['expression DoesNotExist with labels', { labelSelectors: { app: 'web' }, expressionSelectors: [{ key: 'canary', operator: 'DoesNotExist' }] }, ['web-aaaaa']],
    ['annotationSelectors', { annotationSelectors: { owner: 'team-b' } }, ['cart-ddddd']],
    ['fieldSelectors metadata.name', { fieldSelectors: { 'metadata.name': 'db-ccccc' } }, ['db-ccccc']],
    ['fieldSelectors metadata.namespace', { fieldSelectors: { 'metadata.namespace': 'shop' } }, ['ad-eeeee', 'cart-ddddd']],
    ['fieldSelectors status.phase', { fieldSelectors: { 'status.phase': 'Pending' } }, ['db-ccccc']],
    ['podPhaseSelectors include', { podPhaseSelectors: ['Running', 'Failed'] }, ['web-aaaaa', 'web-bbbbb', 'ad-eeeee', 'cart-ddddd']],
    ['podPhaseSelectors exclude', { podPhaseSelectors: ['!Running'] }, ['db-ccccc', 'ad-eeeee']],
    ['nodes: the local node', { nodes: ['local'], labelSelectors: { app: 'db' } }, ['db-ccccc']],
    ['nodes: another node matches nothing', { nodes: ['node-2'] }, []],
    ['nodeSelectors matching the local node', { nodeSelectors: { 'kubernetes.io/hostname': 'local' }, namespaces: ['shop'] }, ['ad-eeeee', 'cart-ddddd']],
    ['nodeSelectors matching no node', { nodeSelectors: { zone: 'eu' } }, []],
    ['pods overrides every other field', { pods: { shop: ['cart-ddddd'], default: ['db-ccccc', 'gone-zzzzz'] }, labelSelectors: { app: 'web' }, namespaces: ['other'] }, ['db-ccccc', 'cart-ddddd']],
  ]
  it.each(table)('%s', (_n, sel, want) => {
    expect(names(matchingPods(PODS, sel))).toEqual(want)
  })

  it('refuses a field selector it cannot evaluate', () => {
    expect(() => matchingPods(PODS, { fieldSelectors: { 'spec.serviceAccountName': 'x' } })).toThrow(/not a field pods can be selected by/)
  })
})

/** A random that returns the given values in turn (then 0). */
const seq = (...values: number[]) => {
  let i = 0
  return () => values[i++] ?? 0
}

describe('modeCount: how many of N matching pods', () => {
  const table: [string, string | undefined, number, number[], number][] = [
    ['one', undefined, 5, [], 1],
    ['all', undefined, 5, [], 5],
    ['fixed', '2', 5, [], 2],
    ['fixed', '9', 5, [], 5],
    ['fixed-percent', '50', 5, [], 3], // ceil(2.5)
    ['fixed-percent', '1', 5, [], 1], // at least one
    ['fixed-percent', '100', 5, [], 5],
    ['random-max-percent', '50', 4, [0.99], 2], // draws 50 % of 4
    ['random-max-percent', '50', 4, [0], 0], // draws 0 %: nothing
    ['random-max-percent', '100', 3, [0.5], 2], // draws floor(0.5 × 101) = 50 %, ceil(1.5) = 2
    ['all', undefined, 0, [], 0],
  ]
  it.each(table)('%s %s of %i (random %j) → %i', (mode, value, count, draws, want) => {
    expect(modeCount(mode, value, count, seq(...draws))).toBe(want)
  })

  it.each([
    ['fixed', '0'],
    ['fixed', 'two'],
    ['fixed-percent', '0'],
    ['fixed-percent', '101'],
    ['random-max-percent', undefined],
    ['sometimes', '1'],
  ])('%s %s is refused', (mode, value) => {
    expect(() => modeCount(mode, value, 3, Math.random)).toThrow()
  })
})

describe('selectPods', () => {
  const web = PODS.filter((p) => p.namespace === 'default')
  it('one: the pod the random draw points at', () => {
    expect(names(selectPods(web, {}, 'one', undefined, seq(0)))).toEqual(['db-ccccc'])
    expect(names(selectPods(web, {}, 'one', undefined, seq(0.99)))).toEqual(['web-bbbbb'])
  })

  it('fixed: distinct pods, deterministic for a given random, sorted by name', () => {
    const a = selectPods(PODS, {}, 'fixed', '3', seq(0.9, 0.9, 0.9))
    expect(names(a)).toHaveLength(3)
    expect(new Set(names(a)).size).toBe(3)
    expect(names(selectPods(PODS, {}, 'fixed', '3', seq(0.9, 0.9, 0.9)))).toEqual(names(a))
    // a random stuck at one value still yields distinct pods
    expect(new Set(names(selectPods(PODS, {}, 'fixed', '4', () => 0))).size).toBe(4)
  })

  it('modes pick among the matching pods only', () => {
    const picked = selectPods(PODS, { labelSelectors: { app: 'web' } }, 'fixed-percent', '50', seq(0.7))
    expect(names(picked)).toEqual(['web-bbbbb'])
  })

  it('a selector matching no pod: the error names the selector and the pods that exist', () => {
    const e = noTargetsError('spec.selector', { namespaces: ['default'], labelSelectors: { app: 'nope' } }, PODS.slice(0, 2))
    expect(e.code).toBe('CONTROLLER_NO_TARGETS')
    expect(e.message).toBe(
      'spec.selector {namespaces: [default], labelSelectors: {app: nope}} matches no pod; pods that exist: default/web-aaaaa (app=web,tier=front; Running); default/web-bbbbb (app=web,tier=front,canary=yes; Running)',
    )
  })

  it('names the pods of the namespaces the selector names only; those of others are counted, not named', () => {
    const pods = [...PODS.slice(0, 1), { ...PODS[1]!, namespace: 'team-b', name: 'secret-bbbbb' }]
    const inTeam = noTargetsError('spec.selector', { namespaces: ['default'], labelSelectors: { app: 'nope' } }, pods)
    expect(inTeam.message).toBe('spec.selector {namespaces: [default], labelSelectors: {app: nope}} matches no pod; pods that exist: default/web-aaaaa (app=web,tier=front; Running); 1 pod in other namespaces')
    const none = noTargetsError('spec.selector', { namespaces: ['team-a'], labelSelectors: { app: 'nope' } }, pods)
    expect(none.message).toBe('spec.selector {namespaces: [team-a], labelSelectors: {app: nope}} matches no pod; pods that exist: none in team-a; 2 pods in other namespaces')
    expect(none.message).not.toContain('secret')
  })
})
