/**
 * The controller API's OpenAPI document against the app it describes: it names every route the app serves and
 * no other, and holds together (references, path parameters, answers). What each operation answers is checked
 * against the running API by test/e2e/openapi.test.ts (schemathesis).
 */
import { describe, expect, it } from 'vitest'
import { apiApp } from './app.js'
import { openApiDocument } from './openapi.js'
import type { ControllerApi } from './types.js'
import { danglingRefs, operationProblems, operationsOf, routesOf } from '../../test/openapi-doc.js'

// the routes are registered when the app is built; none of them is called here
const app = apiApp({ controller: { on() {} } as unknown as ControllerApi, rateLimit: false })

describe('the controller API document', () => {
  it('names every route of the app, and only those', () => {
    expect(operationsOf(openApiDocument())).toEqual(routesOf(app))
  })

  it('is what GET /api/v1/openapi.json serves', async () => {
    const res = await app.request('/api/v1/openapi.json')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(openApiDocument())
  })

  it('holds together: every reference resolves, every path parameter is declared, every answer has content', () => {
    const doc = openApiDocument()
    expect(danglingRefs(doc)).toEqual([])
    expect(operationProblems(doc)).toEqual([])
  })

  it('documents the rate limit (429 with Retry-After) on every operation', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>> }
    const missing = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([m, o]) => (o.responses && !o.responses['429']?.headers?.['Retry-After'] ? [`${m} ${path}`] : [])),
    )
    expect(missing).toEqual([])
  })
})
