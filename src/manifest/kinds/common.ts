/** @module manifest/kinds/common: the parts every Chaos Mesh kind shares: metadata, selectors, modes, durations. */
import { any, arr, duration, int, map, obj, oneOf, openObj, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import type { CheckContext, ObjectMeta } from '../kind.js'

export const MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] as const
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const

/** Kubernetes ObjectMeta, as far as a user writes it in a manifest. */
export const objectMeta = obj({
  name: opt(str()),
  generateName: opt(str()),
  namespace: opt(str()),
  labels: opt(map(str())),
  annotations: opt(map(str())),
  uid: opt(str()),
  resourceVersion: opt(str()),
  generation: opt(int()),
  creationTimestamp: opt(any()),
  finalizers: opt(arr(str())),
  ownerReferences: opt(arr(openObj())),
  managedFields: opt(arr(openObj())),
})

export const expressionSelector = obj({
  key: str(),
  operator: str(),
  values: opt(arr(str())),
})

/** Which pods: every field that is set must match; `pods` names pods directly and overrides the rest. */
export const podSelectorSpec = obj({
  namespaces: opt(arr(str())),
  fieldSelectors: opt(map(str())),
  labelSelectors: opt(map(str())),
  expressionSelectors: opt(arr(expressionSelector)),
  annotationSelectors: opt(map(str())),
  nodes: opt(arr(str())),
  pods: opt(map(arr(str()))),
  nodeSelectors: opt(map(str())),
  podPhaseSelectors: opt(arr(str())),
})
export type PodSelectorSpec = Static<typeof podSelectorSpec>

/** Fields of Chaos Mesh's PodSelector (selector, mode, value), to spread into a kind's spec. */
export const podSelectorFields = {
  selector: podSelectorSpec,
  mode: oneOf(MODES),
  value: opt(str()),
}

/** PodSelector plus containerNames (ContainerSelector). */
export const containerSelectorFields = {
  ...podSelectorFields,
  containerNames: opt(arr(str())),
}

export const durationField = { duration: opt(duration()) }
export const remoteClusterField = { remoteCluster: opt(str()) }

export interface SelectorSpecLike {
  selector?: PodSelectorSpec
  mode?: string
  value?: string
}

/**
 * Chaos Mesh's PodSelector rules: `fixed` needs a pod count > 0; `fixed-percent` and `random-max-percent`
 * need a percent in (0, 100]; expression selectors need a known operator and values only where it takes them.
 * `base` is where the selector fields sit relative to `ctx`.
 */
export function checkPodSelector(s: SelectorSpecLike, ctx: CheckContext, base: (string | number)[] = []): void {
  const valuePath = [...base, 'value']
  if (s.mode === 'fixed' || s.mode === 'fixed-percent' || s.mode === 'random-max-percent') {
    const raw = s.value
    const percent = s.mode !== 'fixed'
    const what = percent ? 'a percent from 1 to 100' : 'the number of pods'
    if (raw === undefined || raw === '') {
      ctx.issue(valuePath, 'SPEC_MODE_VALUE', `mode ${s.mode} needs spec.value (${what})`, `add value: "${percent ? '50' : '1'}"`)
    } else if (!/^[+-]?\d+$/.test(raw.trim())) {
      ctx.issue(valuePath, 'SPEC_MODE_VALUE', `expected an integer in a string for mode ${s.mode}, got ${JSON.stringify(raw)}`, `write ${what}, e.g. value: "${percent ? '50' : '1'}"`)
    } else {
      const n = Number(raw)
      if (percent && (n <= 0 || n > 100)) ctx.issue(valuePath, 'SPEC_MODE_VALUE', `value ${n} is out of range for mode ${s.mode}: must be in (0, 100]`)
      if (!percent && n <= 0) ctx.issue(valuePath, 'SPEC_MODE_VALUE', `value must be greater than 0 with mode fixed, got ${n}`)
    }
  }
  s.selector?.expressionSelectors?.forEach((e, i) => {
    const p = [...base, 'selector', 'expressionSelectors', i]
    if (!(SELECTOR_OPERATORS as readonly string[]).includes(e.operator)) {
      ctx.issue([...p, 'operator'], 'SPEC_ENUM', `expected one of ${SELECTOR_OPERATORS.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(e.operator)}`)
    } else if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values && e.values.length > 0)) {
      ctx.issue([...p, 'values'], 'SPEC_REQUIRED', `operator ${e.operator} needs at least one value`)
    } else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && e.values && e.values.length > 0) {
      ctx.issue([...p, 'values'], 'SPEC_INVALID_VALUE', `operator ${e.operator} takes no values`, 'remove values')
    }
  })
  s.selector?.podPhaseSelectors?.forEach((ph, i) => {
    if (!(POD_PHASES as readonly string[]).includes(ph)) {
      ctx.issue([...base, 'selector', 'podPhaseSelectors', i], 'SPEC_ENUM', `expected one of ${POD_PHASES.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(ph)}`)
    }
  })
}

/** Chaos Mesh's default: a selector with no namespaces selects in the object's own namespace. */
export function defaultSelectorNamespace(s: { selector?: PodSelectorSpec } | undefined, metadata: ObjectMeta): void {
  if (!s?.selector) return
  if (!s.selector.namespaces || s.selector.namespaces.length === 0) s.selector.namespaces = [metadata.namespace ?? 'default']
}
