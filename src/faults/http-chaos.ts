/**
 * @module faults/http-chaos: HTTPChaos on the local runtime, as http faults on the selected pods' ingress
 * sidecars (abort, delay, replace, patch of requests or responses, matched by path, method, code and headers).
 */
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/client.js'
import type { HttpFault, HttpMatch } from '../runtime/effects/sidecar-fault.js'
import { parseDuration } from '../manifest/duration.js'
import type { HTTPChaosSpec } from '../manifest/kinds/http-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyAll, checkHeldDelay, percentOf, plannedEffects, removeAll, sidecarEvidence, targetName } from './sidecar.js'
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
 * Why HTTPChaos cannot act on these pods, or undefined when it can on all of them: each pod's service must be
 * `protocol: http` (SPEC_LOCAL_UNSUPPORTED: a tcp sidecar cannot read requests) and serve HTTP on `spec.port`
 * (SPEC_INVALID_VALUE). One error for all the pods, one sentence per service, in the order of the pods.
 */
export function unfitPods(spec: Pick<HTTPChaosSpec, 'port'>, pods: readonly RuntimePod[]): ChaosError | undefined {
  const byService = new Map<string, RuntimePod[]>()
  for (const p of pods) byService.set(p.service, [...(byService.get(p.service) ?? []), p])
  const problems: { code: 'SPEC_LOCAL_UNSUPPORTED' | 'SPEC_INVALID_VALUE'; message: string; hint: string }[] = []
  for (const [service, list] of byService) {
    const p = list[0]!
    const names = `${list.length === 1 ? 'pod' : 'pods'} ${list.map((x) => x.name).join(', ')}`
    if (p.protocol !== 'http') {
      problems.push({
        code: 'SPEC_LOCAL_UNSUPPORTED',
        message: `${names}: service ${service} is protocol ${p.protocol ?? 'tcp'}; HTTPChaos needs a service with protocol: http`,
        hint: `set protocol: http on service ${service} in the App file if it speaks HTTP/1.1, or use NetworkChaos`,
      })
    } else if (p.containerPort !== spec.port) {
      problems.push({
        code: 'SPEC_INVALID_VALUE',
        message: `spec.port ${spec.port} is not a port of ${names}: service ${service} ${p.containerPort === undefined ? 'declares no port' : `serves HTTP on port ${p.containerPort}`}`,
        hint: p.containerPort === undefined ? `declare port on service ${service} in the App file` : `write port: ${p.containerPort}`,
      })
    }
  }
  if (problems.length === 0) return undefined
  const first = problems.find((x) => x.code === 'SPEC_LOCAL_UNSUPPORTED') ?? problems[0]!
  return new ChaosError(first.code, problems.map((x) => x.message).join('; '), { hint: problems.map((x) => x.hint).join('; ') })
}

/**
 * HTTPChaos on the local runtime: http faults on the ingress sidecar of each selected pod, so every request
 * that reaches the pod (from other pods or through a hostPort) passes them. Target Request acts on requests
 * before the pod sees them (sidecar direction upstream), Response on the pod's responses (downstream).
 * `port` must be the port the pod's service declares; the service must be `protocol: http` (a tcp sidecar
 * cannot read requests): both refused by admit at apply (see {@link unfitPods}), and again at inject for pods
 * selected later. `tls`, `remoteCluster` and a delay over 1h are refused by check. The annotation `chaoscope.dev/percent` limits each action to that share of matching requests.
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
    const parts = httpParts(spec)
    if (parts.length === 0) throw new ChaosError('SPEC_REQUIRED', 'no fault to inject: set at least one of abort, delay, replace or patch')
    const delay = parts.find((p) => p.action === 'delay')
    if (delay) checkHeldDelay('spec.delay', spec.delay!, delay.delayMs!)
  },

  admit(spec, targets) {
    const unfit = unfitPods(spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    httpChaos.check!(spec)
    const percent = percentOf(ctx.experiment.annotations)
    const pod = (await ctx.runtime.pods()).find((p) => p.name === target.pod.name)
    if (!pod) throw new ChaosError('RUNTIME_UNKNOWN_POD', `pod "${target.pod.name}" no longer exists`, { hint: 'the pod was deleted after it was selected' })
    const unfit = unfitPods(spec, [pod])
    if (unfit) throw unfit
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
