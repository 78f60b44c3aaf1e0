/**
 * The runtime control API's OpenAPI document against the app it describes: it names every route and no other,
 * holds together, and is served at /runtime/v1/openapi.json. What each operation answers is checked against a
 * running runtime by test/e2e/openapi.test.ts (schemathesis).
 */
import { describe, expect, it } from 'vitest'
import { controlApi } from './control-api.js'
import { effectTypes } from './effect.js'
import type { LocalRuntime } from './local-runtime.js'
import { EFFECT_BODIES, runtimeOpenApiDocument } from './openapi.js'
import { danglingRefs, operationProblems, operationsOf, routesOf } from '../../test/openapi-doc.js'

// the routes are registered when the app is built; none that reaches the runtime is called here
const app = controlApi({} as LocalRuntime, { onShutdown() {}, rateLimit: false })

describe('the runtime control API document', () => {
  it('names every route of the control API, and only those', () => {
    expect(operationsOf(runtimeOpenApiDocument())).toEqual(routesOf(app))
  })

  it('is what GET /runtime/v1/openapi.json serves', async () => {
    const res = await app.request('/runtime/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(runtimeOpenApiDocument())
  })

  it('holds together: every reference resolves, every path parameter is declared, every answer has content', () => {
    const doc = runtimeOpenApiDocument()
    expect(danglingRefs(doc)).toEqual([])
    expect(operationProblems(doc)).toEqual([])
  })

  it('lists the effect types there are, each with its body', () => {
    const effect = (runtimeOpenApiDocument() as { components: { schemas: { Effect: { properties: { type: { enum: string[] } } } } } }).components.schemas.Effect
    expect(effect.properties.type.enum).toEqual(effectTypes())
    expect(Object.keys(EFFECT_BODIES).sort()).toEqual(effectTypes())
  })
})
