/** StatusCheck: the public example validates with Chaos Mesh's defaults; the webhook's URL and status-code rules. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAOS_MESH_EXAMPLES } from '../../../test/conformance.js'
import { invalidFixture, short } from '../../../test/issues.js'
import { validatePaths } from '../validate.js'
import { statusCodeProblem } from './status-check.js'

describe('StatusCheck', () => {
  it('validates statuscheck-example.yaml and applies the defaults', () => {
    const r = validatePaths([join(CHAOS_MESH_EXAMPLES, 'statuscheck-example.yaml')])
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources[0]!.spec).toEqual({
      type: 'HTTP', mode: 'Synchronous', timeoutSeconds: 1, intervalSeconds: 10, failureThreshold: 3, successThreshold: 1, recordsHistoryLimit: 100,
      http: { url: 'http://123.123.123.123', method: 'GET', criteria: { statusCode: '200' } },
    })
  })

  const cases: Record<string, string[]> = {
    'status-check-without-http.yaml': ['5:1 spec.http: a status check of type HTTP needs spec.http [SPEC_REQUIRED]'],
    'status-check-url-and-code-range.yaml': [
      '8:10 spec.http.url: "frontend:8080 /healthz" is not an http:// or https:// URL [SPEC_INVALID_VALUE]',
      '10:19 spec.http.criteria.statusCode: "1000" in the range "200-1000" is not a status code from 1 to 999 [SPEC_INVALID_VALUE]',
    ],
    'status-check-method-and-threshold.yaml': [
      '7:21 spec.failureThreshold: must be >= 1, got number 0 [SPEC_OUT_OF_RANGE]',
      '10:13 spec.http.method: expected one of "GET", "POST", got "PUT" [SPEC_ENUM]',
    ],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it.each([
    ['200', undefined],
    ['999', undefined],
    ['200-399', undefined],
    ['+200', undefined],
    ['0', '0 is not a status code from 1 to 999'],
    ['1000', '1000 is not a status code from 1 to 999'],
    ['', 'the status code is empty'],
    ['2xx', '"2xx" is neither a status code nor a range like "200-399"'],
    ['200-', '"" in the range "200-" is not a status code from 1 to 999'],
    ['-200', '-200 is not a status code from 1 to 999'],
  ])('status code %j', (code, problem) => expect(statusCodeProblem(code)).toBe(problem))
})
