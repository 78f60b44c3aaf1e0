/**
 * @module test/doubles/in-pod: what the tests of the in-pod kinds (StressChaos, TimeChaos, IOChaos, DNSChaos) share:
 * a spec of the kind from a few YAML lines (selecting the `py` pods), a refusal as one line of text, and a pod as
 * the runtime lists it.
 */
import type { ChaosError } from '../../src/errors.js'
import type { RuntimePod } from '../../src/runtime/client.js'
import { specOf } from './test-app.js'

/** The validated spec of a `kind` whose spec is `mode: all`, the `py` pods, and `body` (YAML lines of the spec). */
export const kindSpec = <S>(kind: string, body: string): S =>
  specOf<S>(`apiVersion: chaos-mesh.org/v1alpha1\nkind: ${kind}\nmetadata: {name: t}\nspec:\n  mode: all\n  selector: {labelSelectors: {app: py}}\n${body.replace(/^/gm, '  ')}\n`)

/** `CODE: message (hint)` of what `fn` throws, or `admitted`. */
export const refusal = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    return `${(e as ChaosError).code}: ${(e as Error).message} (${(e as ChaosError).hint})`
  }
  return 'admitted'
}

/** A running pod as the runtime lists it. */
export const listedPod = (name: string, service: string, more: Partial<RuntimePod> = {}): RuntimePod =>
  ({ name, service, namespace: 'default', uid: name, labels: {}, annotations: {}, phase: 'Running', ready: true, restartCount: 0, startTime: '', port: 1, ...more }) as RuntimePod
