/**
 * The controller API's OpenAPI document against the app it describes, built as the servers build it (tokens,
 * the audit log, the Host rules): it names every route the app serves and no other, holds together (references,
 * path parameters, answers), and says which answers the layers before a route give (rate limit, token, Host and
 * Origin). What each operation answers is checked against the running API by test/e2e/openapi.test.ts (schemathesis).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { apiApp } from './app.js'
import { hashToken, newToken } from './auth.js'
import { openApiDocument } from './openapi.js'
import type { ControllerApi } from './types.js'
import { Store } from '../store/store.js'
import { danglingRefs, operationProblems, operationsOf, routesOf } from '../../test/openapi-doc.js'

const store = Store.open(':memory:')
afterAll(() => store.close())
const token = newToken()
store.insertToken({ name: 'doc-admin', hash: hashToken(token), role: 'admin', namespaces: [], createdAt: new Date().toISOString() })

// the routes are registered when the app is built; none that reaches the controller is called here
const app = apiApp({
  controller: { on() {} } as unknown as ControllerApi,
  rateLimit: false,
  security: { auth: 'token', store, http: { listen: ['127.0.0.1:0'] } },
  reports: store,
  archive: store,
})

type Answers = Record<string, { description?: string; headers?: Record<string, unknown> }>
type Operation = { security?: unknown[]; responses?: Answers }
type Doc = { security?: unknown; components: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> }

/** `METHOD /path` of every operation whose answers lack what `has` asks for. */
function lacking(has: (o: Operation, at: string) => boolean): string[] {
  const doc = openApiDocument() as Doc
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([m, o]) => (o.responses && !has(o, `${m.toUpperCase()} ${path}`) ? [`${m.toUpperCase()} ${path}`] : [])),
  )
}

describe('the controller API document', () => {
  it('names every route of the app, and only those', () => {
    expect(routesOf(app)).toEqual(expect.arrayContaining(['POST /api/v1/tokens', 'POST /api/v1/runs', 'GET /api/v1/runs', 'GET /api/v1/report', 'GET /api/v1/archive', 'GET /api/v1/archive/{uid}', 'GET /api/v1/pods/{name}/logs', 'GET /', 'GET /assets/{file}']))
    expect(operationsOf(openApiDocument())).toEqual(routesOf(app))
  })

  it('is what GET /api/v1/openapi.json serves, to a caller with a token', async () => {
    expect((await app.request('/api/v1/openapi.json')).status).toBe(401)
    const res = await app.request('/api/v1/openapi.json', { headers: { authorization: `Bearer ${token}` } })
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(openApiDocument())
  })

  it('holds together: every reference resolves, every path parameter is declared, every answer has content', () => {
    const doc = openApiDocument()
    expect(danglingRefs(doc)).toEqual([])
    expect(operationProblems(doc)).toEqual([])
  })

  it('documents the rate limit (429 with Retry-After) on every operation', () => {
    expect(lacking((o) => Boolean(o.responses?.['429']?.headers?.['Retry-After']))).toEqual([])
  })

  it('asks for a bearer token everywhere but /healthz and the dashboard\'s page and assets, and documents the 401 where it asks', async () => {
    const doc = openApiDocument() as Doc
    const open = ['GET /healthz', 'GET /', 'GET /assets/{file}']
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) })
    expect(doc.security).toEqual([{ bearerAuth: [] }])
    expect(lacking((o, at) => (open.includes(at) ? o.security?.length === 0 && !o.responses?.['401'] : o.security === undefined && Boolean(o.responses?.['401'])))).toEqual([])
    // as the app does: the open ones answer without a token (the dashboard's 503 or 404 when it is not built here)
    expect((await app.request('/healthz')).status).toBe(200)
    expect([200, 503]).toContain((await app.request('/')).status)
    expect((await app.request('/assets/none-of-these.js')).status).toBe(404)
    expect((await app.request('/api/v1/whoami')).status).toBe(401)
  })

  it('documents 403 (Host, Origin; a role or namespace where the route checks one) and a token in the URL (400) on every operation', async () => {
    expect(lacking((o) => /API_HOST_REFUSED/.test(o.responses?.['403']?.description ?? '') && /AUTH_TOKEN_IN_URL/.test(o.responses?.['400']?.description ?? ''))).toEqual([])
    const doc = openApiDocument() as Doc
    expect(doc.paths['/api/v1/namespaces/{namespace}/{kind}/{name}']!.delete!.responses!['403']!.description).toMatch(/AUTH_FORBIDDEN.*AUTH_NAMESPACE_FORBIDDEN/)
    // admin tokens are never limited to namespaces: the admin routes refuse by role only
    for (const at of [doc.paths['/api/v1/tokens']!.post!, doc.paths['/api/v1/audit']!.get!]) {
      expect(at.responses!['403']!.description).toMatch(/AUTH_FORBIDDEN/)
      expect(at.responses!['403']!.description).not.toMatch(/AUTH_NAMESPACE_FORBIDDEN/)
    }
    expect(doc.paths['/api/v1/resources']!.post!.responses!['403']!.description).toMatch(/AUTH_FORBIDDEN.*AUTH_NAMESPACE_FORBIDDEN.*POLICY_NAMESPACE_NOT_ALLOWED.*POLICY_NAMESPACE_PROTECTED/)
    // runs and reports span every namespace: a namespaced token reads and writes none of them, as lists across all namespaces
    expect(doc.paths['/api/v1/runs']!.post!.responses!['403']!.description).toMatch(/AUTH_FORBIDDEN.*AUTH_NAMESPACE_FORBIDDEN/)
    for (const at of [doc.paths['/api/v1/runs']!.get!, doc.paths['/api/v1/report']!.get!]) expect(at.responses!['403']!.description).toMatch(/^a token limited to namespaces \(AUTH_NAMESPACE_FORBIDDEN\)/)
    // as the app does, /healthz too
    expect((await app.request('/healthz?access_token=x')).status).toBe(400)
    expect((await app.request('/healthz', { headers: { host: 'evil.example' } })).status).toBe(403)
  })
})
