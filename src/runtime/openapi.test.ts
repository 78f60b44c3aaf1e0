/**
 * The runtime control API's OpenAPI document against the app it describes, built as the runtime builds it (its
 * token, the Host rules): it names every route and no other, holds together, is served at /runtime/v1/openapi.json,
 * and says which answers the layers before a route give (rate limit, token, Host and Origin). What each operation
 * answers is checked against a running runtime by test/e2e/openapi.test.ts (schemathesis).
 */
import { describe, expect, it } from 'vitest'
import { newToken } from '../http-auth.js'
import { controlApi } from './control-api.js'
import { effectTypes } from './effect.js'
import type { LocalRuntime } from './local-runtime.js'
import { EFFECT_BODIES, runtimeOpenApiDocument } from './openapi.js'
import { danglingRefs, operationProblems, operationsOf, routesOf } from '../../test/openapi-doc.js'

const token = newToken()
// the routes are registered when the app is built; none that reaches the runtime is called here
const app = controlApi({} as LocalRuntime, { onShutdown() {}, rateLimit: false, security: { token, http: { listen: ['127.0.0.1:0'] } } })

type Answers = Record<string, { description?: string; headers?: Record<string, unknown> }>
type Operation = { security?: unknown[]; responses?: Answers; requestBody?: { content: Record<string, unknown> } }
type Doc = { security?: unknown; components: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> }

/** `METHOD /path` of every operation whose answers lack what `has` asks for. */
function lacking(has: (o: Operation, at: string) => boolean): string[] {
  const doc = runtimeOpenApiDocument() as Doc
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([m, o]) => (o.responses && !has(o, `${m.toUpperCase()} ${path}`) ? [`${m.toUpperCase()} ${path}`] : [])),
  )
}

describe('the runtime control API document', () => {
  it('names every route of the control API, and only those', () => {
    expect(operationsOf(runtimeOpenApiDocument())).toEqual(routesOf(app))
  })

  it("is what GET /runtime/v1/openapi.json serves, to a caller with the runtime's token", async () => {
    expect((await app.request('/runtime/v1/openapi.json')).status).toBe(401)
    const res = await app.request('/runtime/v1/openapi.json', { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(runtimeOpenApiDocument())
  })

  it('holds together: every reference resolves, every path parameter is declared, every answer has content', () => {
    const doc = runtimeOpenApiDocument()
    expect(danglingRefs(doc)).toEqual([])
    expect(operationProblems(doc)).toEqual([])
  })

  it('documents the rate limit (429 with Retry-After) on every operation', () => {
    expect(lacking((o) => Boolean(o.responses?.['429']?.headers?.['Retry-After']))).toEqual([])
  })

  it('asks for a bearer token everywhere but /healthz, and documents the 401 where it asks', async () => {
    const doc = runtimeOpenApiDocument() as Doc
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) })
    expect(doc.security).toEqual([{ bearerAuth: [] }])
    expect(lacking((o, at) => (at === 'GET /healthz' ? o.security?.length === 0 && !o.responses?.['401'] : o.security === undefined && Boolean(o.responses?.['401'])))).toEqual([])
    expect((await app.request('/healthz')).status).toBe(200)
    expect((await app.request('/runtime/v1/pods')).status).toBe(401)
  })

  it('documents 403 (Host, Origin) and a token in the URL (400) on every operation', () => {
    expect(lacking((o) => /API_HOST_REFUSED/.test(o.responses?.['403']?.description ?? '') && /AUTH_TOKEN_IN_URL/.test(o.responses?.['400']?.description ?? ''))).toEqual([])
  })

  it('reads an effect as JSON only (415 for any other declared type)', async () => {
    const post = (runtimeOpenApiDocument() as Doc).paths['/runtime/v1/effects']!.post!
    expect(Object.keys(post.requestBody!.content)).toEqual(['application/json'])
    expect(post.responses!['415']).toBeDefined()
    const res = await app.request('/runtime/v1/effects', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: '{}' })
    expect(res.status).toBe(415)
  })

  it('lists the effect types there are, each with its body', () => {
    const effect = (runtimeOpenApiDocument() as { components: { schemas: { Effect: { properties: { type: { enum: string[] } } } } } }).components.schemas.Effect
    expect(effect.properties.type.enum).toEqual(effectTypes())
    expect(Object.keys(EFFECT_BODIES).sort()).toEqual(effectTypes())
  })
})
