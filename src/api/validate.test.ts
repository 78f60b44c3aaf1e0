/**
 * POST /api/v1/validate, what the dashboard's editor asks while someone types: the same validation and admission as
 * an apply's dry run, its problems answered as data (200), never an error answer, and no audit row for any of it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { bearer } from '../../test/doubles/auth.js'
import { stopControllers, tokenApi } from '../../test/doubles/token-api.js'

afterEach(stopControllers)

const OPERATOR = 'chs_operator-of-the-validate-test'
const VIEWER = 'chs_viewer-of-the-validate-test'

function setup() {
  const { controller, store, app } = tokenApi([{ name: 'ops', token: OPERATOR, role: 'operator' }, { name: 'eyes', token: VIEWER, role: 'viewer' }])
  const validate = async (yaml: string, token = OPERATOR) => {
    const res = await app.request('/api/v1/validate?file=editor.yaml', { method: 'POST', body: yaml, headers: { ...bearer(token), 'content-type': 'application/yaml' } })
    return { status: res.status, body: (await res.json()) as { valid: boolean; issues: { code: string; file: string; line: number; col: number; path: string }[]; items: { action: string; plan?: unknown }[]; code?: string } }
  }
  const dryRun = (yaml: string) => app.request('/api/v1/resources?dryRun=true', { method: 'POST', body: yaml, headers: { ...bearer(OPERATOR), 'content-type': 'application/yaml' } })
  return { controller, store, validate, dryRun }
}

const DELAY = `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: slow-back
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: back}
  delay:
    latency: 100ms
`

describe('POST /api/v1/validate', () => {
  it('answers a valid document 200 with its plan, and applies nothing', async () => {
    const { controller, validate } = setup()
    const r = await validate(DELAY)
    expect(r.status).toBe(200)
    expect(r.body.valid).toBe(true)
    expect(r.body.issues).toEqual([])
    expect(r.body.items.map((i) => i.action)).toEqual(['created'])
    expect(JSON.stringify(r.body.items[0]!.plan)).toContain('back-aaaaa')
    expect(await controller.list({})).toEqual([])
  })

  it('answers an invalid one 200 with every problem at its line and column', async () => {
    const { validate } = setup()
    const r = await validate(DELAY.replace('mode: all', 'mode: sometimes').replace('latency: 100ms', 'latency: soon'))
    expect(r.status).toBe(200)
    expect(r.body.valid).toBe(false)
    expect(r.body.issues.map((i) => [i.file, i.line, i.col, i.path, i.code])).toEqual([
      ['editor.yaml', 7, 9, 'spec.mode', 'SPEC_ENUM'],
      ['editor.yaml', 11, 14, 'spec.delay.latency', 'SPEC_INVALID_DURATION'],
    ])
  })

  it('answers a body with no resource 400, as a malformed request', async () => {
    const { validate } = setup()
    const r = await validate('')
    expect([r.status, r.body.code]).toEqual([400, 'SPEC_NO_INPUT'])
  })

  it('answers what the controller refuses (a selector matching no pod) as issues too', async () => {
    const { validate } = setup()
    const r = await validate(DELAY.replace('{app: back}', '{app: nowhere}'))
    expect(r.status).toBe(200)
    expect(r.body.valid).toBe(false)
    expect(r.body.issues.length).toBeGreaterThan(0)
  })

  it('writes no audit row, where an apply\'s dry run writes one; a viewer is refused as for apply', async () => {
    const { store, validate, dryRun } = setup()
    for (let i = 0; i < 5; i++) await validate(DELAY)
    expect(store.audit().filter((a) => a.path === '/api/v1/validate')).toEqual([])
    expect((await dryRun(DELAY)).status).toBe(200)
    expect(store.audit().filter((a) => a.path === '/api/v1/resources').map((a) => a.action)).toEqual(['apply (dry run)'])
    const refused = await validate(DELAY, VIEWER)
    expect([refused.status, refused.body.code]).toEqual([403, 'AUTH_FORBIDDEN'])
  })
})
