/** @module manifest/kinds/status-check: StatusCheck (an HTTP probe run on an interval, judged by thresholds); Workflows embed it as statusCheck. */
import { defineKind } from '../kind.js'
import type { CheckContext } from '../kind.js'
import { arr, duration, int, map, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { isRequestUri } from './physical-machine.js'

export const STATUS_CHECK_MODES = ['Synchronous', 'Continuous'] as const

export const httpStatusCheck = obj({
  url: str(),
  method: opt(oneOf(['GET', 'POST'], { default: 'GET' })),
  headers: opt(map(arr(str()))),
  body: opt(str()),
  criteria: obj({
    statusCode: str(),
  }),
})

export const statusCheckSpec = obj({
  mode: opt(oneOf(STATUS_CHECK_MODES)),
  type: oneOf(['HTTP'], { default: 'HTTP' }),
  duration: opt(duration()),
  timeoutSeconds: opt(int({ minimum: 1, default: 1 })),
  intervalSeconds: opt(int({ minimum: 1, default: 10 })),
  failureThreshold: opt(int({ minimum: 1, default: 3 })),
  successThreshold: opt(int({ minimum: 1, default: 1 })),
  recordsHistoryLimit: opt(int({ minimum: 1, maximum: 1000, default: 100 })),
  http: opt(httpStatusCheck),
})
export type StatusCheckSpec = Static<typeof statusCheckSpec>

/**
 * Why `code` is not a status code Chaos Mesh accepts, or undefined when it is: one code ("200") or an
 * inclusive range ("200-399"), each code from 1 to 999.
 */
export function statusCodeProblem(code: string): string | undefined {
  if (code === '') return 'the status code is empty'
  const isInt = (s: string) => /^[+-]?\d+$/.test(s)
  const inRange = (s: string) => Number(s) > 0 && Number(s) < 1000
  if (isInt(code)) return inRange(code) ? undefined : `${code} is not a status code from 1 to 999`
  const dash = code.indexOf('-')
  if (dash < 0) return `${JSON.stringify(code)} is neither a status code nor a range like "200-399"`
  for (const part of [code.slice(0, dash), code.slice(dash + 1)]) {
    if (!isInt(part) || !inRange(part)) return `${JSON.stringify(part)} in the range ${JSON.stringify(code)} is not a status code from 1 to 999`
  }
  return undefined
}

/** The StatusCheck webhook's rules, shared by the kind and by Workflow templates of type StatusCheck. */
export function checkStatusCheck(spec: StatusCheckSpec, ctx: CheckContext): void {
  if (spec.http === undefined) {
    ctx.issue(['http'], 'SPEC_REQUIRED', 'a status check of type HTTP needs spec.http', 'add http: { url: "http://…", criteria: { statusCode: "200" } }')
    return
  }
  const { url, criteria } = spec.http
  if (url === '') {
    ctx.issue(['http', 'url'], 'SPEC_REQUIRED', 'the request url is empty', 'write the URL to probe, e.g. url: http://frontend:8080/healthz')
  } else if (!/^https?:\/\//i.test(url) || !isRequestUri(url)) {
    // Chaos Mesh's webhook lets opaque URIs like "frontend:8080/healthz" through; its HTTP client then fails on every probe.
    ctx.issue(['http', 'url'], 'SPEC_INVALID_VALUE', `${JSON.stringify(url)} is not an http:// or https:// URL`, 'write an absolute URL, e.g. http://frontend:8080/healthz')
  }
  const problem = statusCodeProblem(criteria.statusCode)
  if (problem) ctx.issue(['http', 'criteria', 'statusCode'], 'SPEC_INVALID_VALUE', problem, 'write one code like "200" or a range like "200-399"')
}

export const statusCheck = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'StatusCheck',
  spec: statusCheckSpec,
  check: checkStatusCheck,
  defaults(spec) {
    spec.mode ??= 'Synchronous'
  },
})
