/** @module manifest/kinds/http-chaos: HTTPChaos (abort, delay, replace and patch of HTTP requests or responses). */
import { defineKind } from '../kind.js'
import type { CheckContext } from '../kind.js'
import { arr, bool, duration, int, map, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, defaultSelectorNamespace, durationField, podSelectorFields, remoteClusterField } from './common.js'
import { checkPort, checkUnusedFields } from './field-rules.js'

export const HTTP_TARGETS = ['Request', 'Response'] as const
/** The methods Chaos Mesh accepts in `method` when the target is Request. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'] as const
/** Body patch types the HTTP fault proxy understands. */
export const HTTP_PATCH_BODY_TYPES = ['JSON'] as const

const replaceActions = obj({
  path: opt(str()),
  method: opt(str()),
  code: opt(int()),
  body: opt(str({ format: 'byte' })),
  queries: opt(map(str())),
  headers: opt(map(str())),
})

const patchActions = obj({
  body: opt(obj({ type: str(), value: str() })),
  queries: opt(arr(arr(str()))),
  headers: opt(arr(arr(str()))),
})

const tlsSpec = obj({
  secretName: str(),
  secretNamespace: str(),
  certName: str(),
  keyName: str(),
  caName: opt(str()),
})

export const httpChaosSpec = obj({
  ...podSelectorFields,
  target: oneOf(HTTP_TARGETS),
  abort: opt(bool()),
  delay: opt(duration()),
  replace: opt(replaceActions),
  patch: opt(patchActions),
  port: opt(int()),
  path: opt(str()),
  method: opt(str()),
  code: opt(int()),
  request_headers: opt(map(str())),
  response_headers: opt(map(str())),
  tls: opt(tlsSpec),
  ...durationField,
  ...remoteClusterField,
})
export type HTTPChaosSpec = Static<typeof httpChaosSpec>

function checkStatusCode(ctx: CheckContext, path: (string | number)[], code: number | undefined): void {
  if (code !== undefined && (code < 100 || code > 599)) {
    ctx.issue(path, 'SPEC_OUT_OF_RANGE', `expected an HTTP status code from 100 to 599, got ${code}`)
  }
}

function checkPairs(ctx: CheckContext, field: 'queries' | 'headers', pairs: string[][] | undefined): void {
  pairs?.forEach((p, i) => {
    if (p.length !== 2) {
      ctx.issue(['patch', field, i], 'SPEC_INVALID_VALUE', `expected a [name, value] pair, got ${p.length} item(s)`, `write each entry as ["name", "value"]`)
    }
  })
}

export const httpChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'HTTPChaos',
  embedKey: 'httpChaos',
  spec: httpChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)

    // Chaos Mesh validates the port even when it is left out (0), so it is required in practice.
    if (spec.port === undefined) {
      ctx.issue(['port'], 'SPEC_REQUIRED', 'missing required field "port": the port the pods serve HTTP on', 'add port: 80')
    } else {
      checkPort(ctx, ['port'], spec.port)
    }

    if (!(spec.abort === true || spec.delay !== undefined || spec.replace !== undefined || spec.patch !== undefined)) {
      ctx.issue([], 'SPEC_REQUIRED', 'no fault to inject: set at least one of abort, delay, replace or patch', 'e.g. abort: true, or delay: "1s"')
    }
    if (spec.delay === '') {
      ctx.issue(['delay'], 'SPEC_INVALID_DURATION', 'expected a duration like "100ms", got ""', 'remove delay, or give it a duration like "1s"')
    }

    if (spec.method !== undefined && spec.target === 'Request' && !(HTTP_METHODS as readonly string[]).includes(spec.method)) {
      const upper = spec.method.toUpperCase()
      ctx.issue(['method'], 'SPEC_ENUM', `expected one of ${HTTP_METHODS.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(spec.method)}`, (HTTP_METHODS as readonly string[]).includes(upper) ? `methods are upper case: "${upper}"` : undefined)
    }
    if (spec.path !== undefined && !(spec.path.startsWith('/') || spec.path.startsWith('*'))) {
      ctx.issue(['path'], 'SPEC_INVALID_VALUE', `path ${JSON.stringify(spec.path)} can never match: request paths start with "/"`, `write "/${spec.path}", or a glob like "/api/*" or "*"`)
    }
    checkStatusCode(ctx, ['code'], spec.code)
    checkStatusCode(ctx, ['replace', 'code'], spec.replace?.code)

    if (spec.target === 'Request') {
      const hint = 'use target: Response to act on responses, or remove the field'
      checkUnusedFields(ctx, [], spec, ['code', 'response_headers'], (f) => `${f} matches responses, so it cannot select requests (target is Request)`, hint)
      checkUnusedFields(ctx, ['replace'], spec.replace, ['code'], () => 'replace.code changes responses; it has no effect with target Request', hint)
    } else {
      const hint = 'use target: Request to change requests, or remove the field'
      checkUnusedFields(ctx, ['replace'], spec.replace, ['path', 'method', 'queries'], (f) => `replace.${f} changes requests; it has no effect with target Response`, hint)
      checkUnusedFields(ctx, ['patch'], spec.patch, ['queries'], () => 'patch.queries changes requests; it has no effect with target Response', hint)
    }

    const body = spec.patch?.body
    if (body) {
      if (!(HTTP_PATCH_BODY_TYPES as readonly string[]).includes(body.type)) {
        ctx.issue(['patch', 'body', 'type'], 'SPEC_ENUM', `expected one of ${HTTP_PATCH_BODY_TYPES.map((t) => `"${t}"`).join(', ')}, got ${JSON.stringify(body.type)}`)
      } else if (body.type === 'JSON' && !isJson(body.value)) {
        ctx.issue(['patch', 'body', 'value'], 'SPEC_INVALID_VALUE', 'patch.body.value is not valid JSON', 'write a JSON object to merge into the body, e.g. \'{"status": "failed"}\'')
      }
    }
    checkPairs(ctx, 'queries', spec.patch?.queries)
    checkPairs(ctx, 'headers', spec.patch?.headers)
  },
})

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
