/**
 * @module engine/test-injectors: small injectors for the engine's tests (not shipped behaviour): NetworkChaos
 * delay as one real latency fault on the pod's ingress sidecar, and a PodChaos that kills once or holds a pod.
 */
import { ChaosError } from '../../src/errors.js'
import { ownedEffect } from '../../src/faults/injector.js'
import type { FaultInjector, Injection } from '../../src/faults/injector.js'
import { parseDuration } from '../../src/manifest/duration.js'
import { validateText } from '../../src/manifest/validate.js'
import type { Resource } from '../../src/manifest/validate.js'

/** Adds `{latency}` to every reply leaving the pod's ingress sidecar; recover removes it. Counts its calls. */
export function delayInjector(): FaultInjector & { injects: number; recovers: number; failNext: number } {
  const inj = {
    kind: 'NetworkChaos',
    injects: 0,
    recovers: 0,
    /** The next N inject calls throw (a transient failure). */
    failNext: 0,
    check(spec: Record<string, unknown>) {
      if (spec.action !== 'delay') throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `the test injector does only delay, not ${String(spec.action)}`)
    },
    async inject(ctx: Parameters<FaultInjector['inject']>[0], target: Parameters<FaultInjector['inject']>[1], spec: Record<string, unknown>): Promise<Injection> {
      inj.injects++
      if (inj.failNext > 0) {
        inj.failNext--
        throw new ChaosError('RUNTIME_NOT_RUNNING', 'the sidecar did not answer (test)', { retryable: true })
      }
      const latencyMs = parseDuration((spec.delay as { latency: string }).latency) ?? 0
      const effect = ownedEffect(ctx, target.key, { part: 'delay', type: 'sidecar-fault', target: { pod: target.pod.name }, body: { fault: { type: 'latency', direction: 'downstream', latencyMs } } })
      const id = effect.id
      await ctx.runtime.apply(effect)
      return { kind: 'NetworkChaos', action: 'delay', targetKey: target.key, pod: target.pod.name, data: { id, latencyMs }, evidence: { faults: 1 } }
    },
    async recover(ctx: Parameters<FaultInjector['recover']>[0], injection: Injection) {
      inj.recovers++
      await ctx.runtime.remove(String(injection.data.id))
    },
  }
  return inj
}

/** PodChaos: pod-kill is one-shot (deletes the pod); pod-failure holds the pod down until recovered. */
export function podInjector(): FaultInjector {
  return {
    kind: 'PodChaos',
    oneShot: (spec) => spec.action === 'pod-kill' || spec.action === 'container-kill',
    async inject(ctx, target, spec) {
      const type = spec.action === 'pod-failure' ? 'pod-failure' : 'pod-kill'
      const effect = ownedEffect(ctx, target.key, { part: type, type, target: { pod: target.pod.name }, body: {} })
      await ctx.runtime.apply(effect)
      return { kind: 'PodChaos', action: String(spec.action), targetKey: target.key, pod: target.pod.name, data: { id: effect.id } }
    },
    async recover(ctx, injection) {
      if (injection.action === 'pod-failure') await ctx.runtime.remove(String(injection.data.id))
    },
  }
}

/** The one resource in a YAML text, validated (with Chaos Mesh's defaults); throws with the issues otherwise. */
export function resource(yaml: string): Resource {
  const r = validateText(yaml, 'test.yaml')
  if (r.issues.length > 0 || r.resources.length !== 1) throw new Error(`invalid test resource: ${JSON.stringify(r.issues)}`)
  return r.resources[0]!
}

/** A NetworkChaos delay on pods labelled app=`app`. */
export function delayYaml(name: string, opts: { app?: string; latency?: string; duration?: string; mode?: string; value?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): string {
  const meta = [
    `  name: ${name}`,
    ...(opts.labels ? ['  labels:', ...Object.entries(opts.labels).map(([k, v]) => `    ${k}: "${v}"`)] : []),
    ...(opts.annotations ? ['  annotations:', ...Object.entries(opts.annotations).map(([k, v]) => `    ${k}: "${v}"`)] : []),
  ]
  return [
    'apiVersion: chaos-mesh.org/v1alpha1',
    'kind: NetworkChaos',
    'metadata:',
    ...meta,
    'spec:',
    '  action: delay',
    `  mode: ${opts.mode ?? 'all'}`,
    ...(opts.value ? [`  value: "${opts.value}"`] : []),
    '  selector:',
    `    labelSelectors: {app: ${opts.app ?? 'web'}}`,
    `  delay: {latency: "${opts.latency ?? '300ms'}"}`,
    ...(opts.duration ? [`  duration: "${opts.duration}"`] : []),
    '',
  ].join('\n')
}
