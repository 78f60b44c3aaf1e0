/**
 * @module faults/http-chaos: HTTPChaos on the local runtime, as http faults on the selected pods' ingress
 * sidecars (abort, delay, replace, patch of requests or responses, matched by path, method, code and headers).
 */
import { ChaosError } from '../errors.js'
import type { HttpFault, HttpMatch } from '../runtime/effects/sidecar-fault.js'
import { parseDuration } from '../manifest/duration.js'
import type { HTTPChaosSpec } from '../manifest/kinds/http-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyAll, percentOf, plannedEffects, removeAll, sidecarEvidence, targetName } from './sidecar.js'
import type { SidecarEffect } from './sidecar.js'

/** The matchers of an HTTPChaos spec, as the sidecar reads them. */
export function httpMatch(spec: HTTPChaosSpec): HttpMatch {
  return {
    ...(spec.path !== undefined ? { path: spec.path } : {}),
    ...(spec.method !== undefined ? { method: spec.method } : {}),
    ...(spec.code !== undefined && spec.target === 'Response' ? { code: spec.code } : {}),
    ...(spec.request_headers ? { requestHeaders: spec.request_headers } : {}),
    ...(spec.response_headers && spec.target === 'Response' ? { responseHeaders: spec.response_headers } : {}),
  }
}

type Part = { part: string } & Pick<HttpFault, 'action'> & Partial<Pick<HttpFault, 'delayMs' | 'replace' | 'patch'>>

/**
 * One sidecar fault per action the spec sets, in the order the sidecar applies them: delay, replace, patch,
 * abort (an aborted message gets no edit). `replace.body` is base64 in the YAML (a Kubernetes byte field) and is
 * sent as the UTF-8 text it decodes to.
 */
export function httpParts(spec: HTTPChaosSpec): Part[] {
  const out: Part[] = []
  if (spec.delay !== undefined) {
    const ms = parseDuration(spec.delay)
    if (ms === undefined || ms < 0) throw new ChaosError('SPEC_INVALID_DURATION', `spec.delay: expected a duration like "100ms", got ${JSON.stringify(spec.delay)}`)
    out.push({ part: 'delay', action: 'delay', delayMs: ms })
  }
  const r = spec.replace
  if (r && Object.keys(r).length > 0) {
    out.push({
      part: 'replace',
      action: 'replace',
      replace: {
        ...(r.code !== undefined ? { code: r.code } : {}),
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.body !== undefined ? { body: Buffer.from(r.body, 'base64').toString('utf8') } : {}),
        ...(r.queries ? { queries: r.queries } : {}),
        ...(r.method !== undefined ? { method: r.method } : {}),
        ...(r.path !== undefined ? { path: r.path } : {}),
      },
    })
  }
  const p = spec.patch
  if (p && (p.headers || p.queries || p.body)) {
    out.push({
      part: 'patch',
      action: 'patch',
      patch: {
        ...(p.headers ? { headers: p.headers.map(([k, v]) => [k!, v!] as [string, string]) } : {}),
        ...(p.queries ? { queries: p.queries.map(([k, v]) => [k!, v!] as [string, string]) } : {}),
        ...(p.body ? { body: JSON.parse(p.body.value) as unknown } : {}),
      },
    })
  }
  if (spec.abort === true) out.push({ part: 'abort', action: 'abort' })
  return out
}

/**
 * HTTPChaos on the local runtime: http faults on the ingress sidecar of each selected pod, so every request
 * that reaches the pod (from other pods or through a hostPort) passes them. Target Request acts on requests
 * before the pod sees them (sidecar direction upstream), Response on the pod's responses (downstream).
 * `port` must be the port the pod's service declares; the service must be `protocol: http` (a tcp sidecar
 * cannot read requests, refused with SPEC_LOCAL_UNSUPPORTED at inject). `tls` and `remoteCluster` are refused
 * by check. The annotation `chaoscope.dev/percent` limits each action to that share of matching requests.
 * Idempotent; recover needs only the Injection.
 *
 * @example
 * const inj = await httpChaos.inject(ctx, { key: pod.name, pod }, spec)  // e.g. replace.code 500 on Response
 * await httpChaos.recover(ctx, inj)
 */
export const httpChaos: FaultInjector<HTTPChaosSpec> = {
  kind: 'HTTPChaos',

  check(spec) {
    const hint = 'remove the field to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh'
    if (spec.remoteCluster) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.remoteCluster "${spec.remoteCluster}": the local runtime has no remote clusters`, { hint })
    if (spec.tls) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', 'spec.tls: local sidecars speak plain HTTP/1.1 and cannot terminate TLS', { hint })
    if (httpParts(spec).length === 0) throw new ChaosError('SPEC_REQUIRED', 'no fault to inject: set at least one of abort, delay, replace or patch')
  },

  async inject(ctx, target, spec) {
    httpChaos.check!(spec)
    const percent = percentOf(ctx.experiment.annotations)
    const pod = (await ctx.runtime.pods()).find((p) => p.name === target.pod.name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
    if (pod.protocol !== 'http') {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `pod ${pod.name}: service ${pod.service} is protocol ${pod.protocol ?? 'tcp'}; HTTPChaos needs a service with protocol: http`, {
        hint: `set protocol: http on service ${pod.service} in the App file if it speaks HTTP/1.1, or use NetworkChaos`,
      })
    }
    if (pod.containerPort !== spec.port) {
      throw new ChaosError('SPEC_INVALID_VALUE', `spec.port ${spec.port} is not a port of pod ${pod.name}: service ${pod.service} ${pod.containerPort === undefined ? 'declares no port' : `serves HTTP on port ${pod.containerPort}`}`, {
        hint: pod.containerPort === undefined ? `declare port on service ${pod.service} in the App file` : `write port: ${pod.containerPort}`,
      })
    }
    const direction = spec.target === 'Request' ? 'upstream' : 'downstream'
    const match = httpMatch(spec)
    const plan: SidecarEffect[] = httpParts(spec).map(({ part, ...action }) => {
      const fault = {
        type: 'http' as const,
        target: spec.target,
        direction,
        ...(Object.keys(match).length ? { match } : {}),
        ...(percent !== undefined ? { percent } : {}),
        ...action,
      }
      return ownedEffect(ctx, target.key, { part, type: 'sidecar-fault', target: { pod: pod.name }, body: { fault } as SidecarEffect['body'] })
    })
    await applyAll(ctx.runtime, plan)
    return {
      kind: 'HTTPChaos',
      action: httpParts(spec).map((p) => p.part).join('+'),
      targetKey: target.key,
      pod: pod.name,
      data: { effects: plan },
      evidence: { sidecars: [...new Set(plan.map((p) => targetName(p.target)))] },
    }
  },

  async recover(ctx, injection) {
    await removeAll(ctx.runtime, plannedEffects(injection))
  },

  async evidence(ctx, injection) {
    return { ...(await sidecarEvidence(ctx, injection)) }
  },
}
