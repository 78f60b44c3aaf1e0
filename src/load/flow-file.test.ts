/**
 * Flow files (LoadProfile) and stages files, read from real files: the shop example compiles to the FlowSet the
 * workers run, every rule reports where the mistake is (line, column, field path, hint), and stages files in both
 * forms compile to the arrival-rate stages.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo } from '../../test/demo.js'
import { short } from '../../test/issues.js'
import { validatePaths } from '../manifest/validate.js'
import type { Issue } from '../manifest/issues.js'
import type { RuntimeServer } from '../runtime/server.js'
import { PACKAGE_ROOT } from '../version.js'
import { loadFlowFile, parseStagesFile } from './flow-file.js'
import type { FlowSet, Stage } from './types.js'

const EXAMPLES = join(PACKAGE_ROOT, 'examples/load')
let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'chaoscope-flow-file-')) })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function write(text: string, ext = 'yaml'): string {
  const file = join(dir, `f${n++}.${ext}`)
  writeFileSync(file, text)
  return file
}

const HEAD = 'apiVersion: chaoscope.dev/v1alpha1\nkind: LoadProfile\nmetadata: {name: p}\nspec:\n'

/** A LoadProfile whose spec is `spec` (indented by the caller, two spaces), loaded from a real file. */
function load(spec: string): { flows: FlowSet } | { issues: Issue[] } {
  return loadFlowFile(write(HEAD + spec))
}
function issuesOf(spec: string): string[] {
  const r = load(spec)
  return 'issues' in r ? r.issues.map(short) : []
}
function hintsOf(spec: string): (string | undefined)[] {
  const r = load(spec)
  return 'issues' in r ? r.issues.map((i) => i.hint) : []
}
function flowsOf(spec: string): FlowSet {
  const r = load(spec)
  if ('issues' in r) throw new Error(r.issues.map(short).join('\n'))
  return r.flows
}
function stagesOf(text: string, ext = 'yaml'): Stage[] | string[] {
  const r = parseStagesFile(write(text, ext))
  return 'issues' in r ? r.issues.map(short) : r.stages
}

const ONE_FLOW = '  flows:\n    - name: f\n      steps:\n'

describe('the shop example', () => {
  it('compiles to the flows, vars and defaults the load workers run', () => {
    const r = loadFlowFile(join(EXAMPLES, 'shop.yaml'))
    if ('issues' in r) throw new Error(r.issues.map(short).join('\n'))
    const headers = { 'user-agent': 'chaoscope-load', 'x-session-id': 'shopper-{{iteration}}' }
    expect(r.flows).toEqual({
      vars: { product: ['typewriter', 'film-camera', 'espresso-pot', 'linen-apron', 'desk-lamp', 'sunglasses', 'wool-scarf', 'bamboo-glass-jar', 'record-player'] },
      defaults: {
        target: 'http://127.0.0.1:30090',
        stages: [{ durationMs: 0, from: 5, to: 5 }],
        durationMs: 60_000,
        timeoutMs: 5_000,
        headers,
      },
      flows: [
        {
          name: 'browse',
          weight: 3,
          steps: [
            { name: 'GET /', method: 'GET', path: '/', headers, think: { minMs: 1000, maxMs: 3000 } },
            { name: 'GET /product/{{product}}', method: 'GET', path: '/product/{{product}}', headers, think: { minMs: 1000, maxMs: 2000 } },
            { name: 'GET /api/products', method: 'GET', path: '/api/products', headers },
          ],
        },
        {
          name: 'buy',
          weight: 1,
          steps: [
            { name: 'GET /product/{{product}}', method: 'GET', path: '/product/{{product}}', headers, think: { minMs: 500, maxMs: 1000 } },
            {
              name: 'POST /cart', method: 'POST', path: '/cart',
              headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
              body: 'productId={{product}}&quantity=1', expect: [303], think: { minMs: 1000, maxMs: 1000 },
            },
            { name: 'GET /cart', method: 'GET', path: '/cart', headers, think: { minMs: 1000, maxMs: 2000 } },
            {
              name: 'checkout', method: 'POST', path: '/api/checkout',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify({
                email: 'shopper@example.com',
                address: { streetAddress: '1 Main Street', city: 'Springfield', state: 'OR', country: 'United States', zipCode: '97477' },
                creditCard: { number: '4432-8015-6152-0454', cvv: '672', expirationMonth: 1, expirationYear: 2099 },
              }),
            },
          ],
        },
      ],
    })
  })

  it('validates as `chaoscope validate -f examples/load/` reads it: the profiles valid, the stages file skipped', () => {
    const r = validatePaths([EXAMPLES])
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual(['LoadProfile/movies-users', 'LoadProfile/shop-shoppers'])
    expect(r.skipped.map((s) => s.file)).toEqual([join(EXAMPLES, 'stages.yaml')])
  })

  it('its stages file ramps from startRate, holds, and ramps down', () => {
    expect(parseStagesFile(join(EXAMPLES, 'stages.yaml'))).toEqual({
      stages: [{ durationMs: 30_000, from: 10, to: 100 }, { durationMs: 60_000, from: 100, to: 100 }, { durationMs: 15_000, from: 100, to: 0 }],
    })
  })
})

describe('shop.yaml on the demo shop', () => {
  let shop: RuntimeServer | undefined
  beforeAll(async () => { shop = await startDemo('shop') }, 60_000)
  afterAll(async () => { await shop?.close() })

  it('every step of every flow succeeds when sent as the workers will send it (placeholders filled, no redirects followed)', async () => {
    const r = loadFlowFile(join(EXAMPLES, 'shop.yaml'))
    if ('issues' in r) throw new Error(r.issues.map(short).join('\n'))
    const frontend = shop!.hostPorts().find(([name]) => name === 'frontend')![1]
    const fill = (text: string, values: Record<string, string>) => text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k]!)
    let iteration = 0
    const seen: string[] = []
    for (const flow of r.flows.flows) {
      for (const product of r.flows.vars.product!.slice(0, 2)) {
        const values = { product, iteration: String(++iteration), vu: '1' }
        for (const step of flow.steps) {
          const res = await fetch(`http://${frontend}${fill(step.path, values)}`, {
            method: step.method,
            headers: Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, fill(v, values)])),
            ...(step.body !== undefined ? { body: fill(step.body, values) } : {}),
            redirect: 'manual',
          })
          const text = await res.text()
          const ok = step.expect ? step.expect.includes(res.status) : res.status >= 200 && res.status < 400
          expect(ok, `${flow.name} / ${step.name} (${product}): ${res.status} ${text.slice(0, 300)}`).toBe(true)
          if (step.name === 'checkout') expect(JSON.parse(text)).toMatchObject({ items: [{ productId: product, quantity: 1 }] })
          seen.push(`${flow.name} ${step.name} ${res.status}`)
        }
      }
    }
    expect([...new Set(seen)]).toEqual([
      'browse GET / 200', 'browse GET /product/{{product}} 200', 'browse GET /api/products 200',
      'buy GET /product/{{product}} 200', 'buy POST /cart 303', 'buy GET /cart 200', 'buy checkout 200',
    ])
  }, 60_000)
})

describe('compiling', () => {
  it('names a step "METHOD path" as written, merges headers (lowercased, the step over the profile), and keeps the placeholders for the workers', () => {
    const f = flowsOf(`  headers: {User-Agent: a, X-Team: "t-{{ vu }}"}
  vars: {id: [1, two, true]}
${ONE_FLOW}        - put: /items/{{ id }}
          headers: {user-agent: b, Content-Type: application/vnd.x+json}
          json: {id: "{{id}}", n: 2}
        - delete: "http://localhost:8080/items/{{id}}"
`)
    expect(f.vars).toEqual({ id: ['1', 'two', 'true'] })
    expect(f.defaults).toEqual({ headers: { 'user-agent': 'a', 'x-team': 't-{{vu}}' } })
    expect(f.flows[0]!.steps).toEqual([
      {
        name: 'PUT /items/{{ id }}', method: 'PUT', path: '/items/{{id}}',
        headers: { 'user-agent': 'b', 'x-team': 't-{{vu}}', 'content-type': 'application/vnd.x+json' },
        body: '{"id":"{{id}}","n":2}',
      },
      { name: 'DELETE http://localhost:8080/items/{{id}}', method: 'DELETE', path: 'http://localhost:8080/items/{{id}}', headers: { 'user-agent': 'a', 'x-team': 't-{{vu}}' } },
    ])
    expect(f.flows[0]!.weight).toBe(1)
  })

  it('URL-encodes a form as URLSearchParams does, except its placeholders; a raw body goes as written', () => {
    const f = flowsOf(`  vars: {q: [x]}
${ONE_FLOW}        - post: /search
          form: {"a b": "c&d=é", q: "{{q}}/{{ iteration }}", n: 3}
        - patch: /raw
          body: "line {{q}}\\n"
`)
    const [form, raw] = f.flows[0]!.steps
    expect(form!.body).toBe(`${new URLSearchParams({ 'a b': 'c&d=é' }).toString()}&q={{q}}%2F{{iteration}}&n=3`)
    expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(raw).toMatchObject({ body: 'line {{q}}\n', headers: {} })
  })

  it('turns rate, stages and users into the open and closed models', () => {
    // rate: one constant stage of durationMs 0, "until the run ends" (by its duration, --duration, --requests or ctrl-C)
    expect(flowsOf(`  rate: 20\n${ONE_FLOW}        - get: /\n`).defaults).toEqual({ stages: [{ durationMs: 0, from: 20, to: 20 }] })
    expect(flowsOf(`  rate: 0.5\n  duration: 1m30s\n${ONE_FLOW}        - get: /\n`).defaults).toEqual({ stages: [{ durationMs: 0, from: 0.5, to: 0.5 }], durationMs: 90_000 })
    expect(flowsOf(`  startRate: 5\n  stages: [{duration: 10s, target: 50}, {duration: 20s, rate: 80}, {duration: 500ms, target: 10}]\n${ONE_FLOW}        - get: /\n`).defaults).toEqual({
      stages: [{ durationMs: 10_000, from: 5, to: 50 }, { durationMs: 20_000, from: 80, to: 80 }, { durationMs: 500, from: 80, to: 10 }],
    })
    expect(flowsOf(`  stages: [{duration: 10s, target: 50}]\n${ONE_FLOW}        - get: /\n`).defaults.stages).toEqual([{ durationMs: 10_000, from: 0, to: 50 }])
    expect(flowsOf(`  users: 10\n  duration: 30s\n  timeout: 250ms\n${ONE_FLOW}        - get: /\n          think: {min: 0s, max: 1.5s}\n`)).toMatchObject({
      defaults: { users: 10, durationMs: 30_000, timeoutMs: 250 },
      flows: [{ steps: [{ think: { minMs: 0, maxMs: 1500 } }] }],
    })
  })
})

describe('positioned issues', () => {
  it('a step needs exactly one method', () => {
    expect(issuesOf(`${ONE_FLOW}        - name: nothing\n        - get: /\n          post: /cart\n          delete: /cart\n`)).toEqual([
      '8:11 spec.flows[0].steps[0]: a step needs its method and path [SPEC_REQUIRED]',
      '10:11 spec.flows[0].steps[1].post: a step is one request: it has get already [SPEC_INVALID_VALUE]',
      '11:11 spec.flows[0].steps[1].delete: a step is one request: it has get already [SPEC_INVALID_VALUE]',
    ])
  })

  it('one body at most, and none on GET or HEAD', () => {
    expect(issuesOf(`${ONE_FLOW}        - post: /a\n          body: x\n          json: {a: 1}\n        - get: /b\n          form: {a: 1}\n        - head: /c\n          body: x\n`)).toEqual([
      '10:11 spec.flows[0].steps[0].json: body and json are two bodies: give one [SPEC_INVALID_VALUE]',
      '12:11 spec.flows[0].steps[1].form: a GET request has no body [SPEC_INVALID_VALUE]',
      '14:11 spec.flows[0].steps[2].body: a HEAD request has no body [SPEC_INVALID_VALUE]',
    ])
  })

  it('placeholders name a var or a built-in, with a did-you-mean hint', () => {
    const spec = `  headers: {x-user: "{{vuu}}"}
  vars: {product: [a]}
${ONE_FLOW}        - get: /product/{{prodcut}}
        - post: /cart
          headers: {x-n: "{{iteraton}}"}
          form: {"{{nope}}": "{{product}}"}
        - post: /api
          json: {items: [{id: "{{ produc }}"}], ok: "{{product}}"}
        - post: /raw
          body: "{{product"
        - post: /empty
          body: "{{}}"
`
    expect(issuesOf(spec)).toEqual([
      '5:21 spec.headers.x-user: {{vuu}} names no var [SPEC_INVALID_VALUE]',
      '10:16 spec.flows[0].steps[0].get: {{prodcut}} names no var [SPEC_INVALID_VALUE]',
      '12:26 spec.flows[0].steps[1].headers.x-n: {{iteraton}} names no var [SPEC_INVALID_VALUE]',
      '13:18 spec.flows[0].steps[1].form["{{nope}}"]: {{nope}} names no var [SPEC_INVALID_VALUE]',
      '15:31 spec.flows[0].steps[2].json.items[0].id: {{produc}} names no var [SPEC_INVALID_VALUE]',
      '17:17 spec.flows[0].steps[3].body: unclosed placeholder in "{{product" [SPEC_INVALID_VALUE]',
      '19:17 spec.flows[0].steps[4].body: empty placeholder "{{}}" [SPEC_INVALID_VALUE]',
    ])
    expect(hintsOf(spec).slice(0, 5)).toEqual(['did you mean "vu"?', 'did you mean "product"?', 'did you mean "iteration"?', 'known: {{product}}, {{iteration}}, {{vu}}', 'did you mean "product"?'])
    expect(hintsOf(`${ONE_FLOW}        - get: /{{user}}\n`)).toEqual(['define it under spec.vars (user: [a, b]), or use {{iteration}} or {{vu}}'])
  })

  it('var names are names, and not the built-ins', () => {
    expect(issuesOf(`  vars: {iteration: [1], "a b": [x], ok: []}\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:42 spec.vars.ok: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]',
    ])
    expect(issuesOf(`  vars: {iteration: [1], "a b": [x]}\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:10 spec.vars.iteration: {{iteration}} is built in [SPEC_INVALID_NAME]',
      '5:26 spec.vars["a b"]: "a b" is not a var name [SPEC_INVALID_NAME]',
    ])
  })

  it('think times: a duration, a range or {min, max}, min not above max', () => {
    expect(issuesOf(`${ONE_FLOW}        - get: /\n          think: 3s-1s\n        - get: /\n          think: {min: 2s, max: 1s}\n        - get: /\n          think: fast\n        - get: /\n          think: 1s-soon\n        - get: /\n          think: -1s\n`)).toEqual([
      '9:18 spec.flows[0].steps[0].think: the range "3s-1s" ends before it starts [SPEC_INVALID_VALUE]',
      '11:33 spec.flows[0].steps[1].think.max: max (1s) is shorter than min (2s) [SPEC_INVALID_VALUE]',
      '13:18 spec.flows[0].steps[2].think: expected a duration like "30s", got "fast" [SPEC_INVALID_DURATION]',
      '15:18 spec.flows[0].steps[3].think: expected a think time like "2s" or a range like "1s-3s", got "1s-soon" [SPEC_INVALID_DURATION]',
      '17:18 spec.flows[0].steps[4].think: must be at least 0, got "-1s" [SPEC_OUT_OF_RANGE]',
    ])
    // a schema problem comes alone: the rules run on a spec of the right shape
    expect(issuesOf(`${ONE_FLOW}        - get: /\n          think: 2\n        - get: /\n          think: 3s-1s\n`)).toEqual([
      '9:18 spec.flows[0].steps[0].think: expected a string or an object, got number 2 [SPEC_TYPE]',
    ])
    expect(hintsOf(`${ONE_FLOW}        - get: /\n          think: 3s-1s\n        - get: /\n          think: fast\n`)).toEqual(['write the shorter time first: "1s-3s"', 'write a time like "2s", a range like "1s-3s", or {min: 1s, max: 3s}'])
  })

  it('rate, stages and users are alternatives; startRate goes with stages', () => {
    expect(issuesOf(`  rate: 5\n  users: 3\n  stages: [{duration: 1s, target: 1}]\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '6:3 spec.users: rate and users are alternatives: give one [SPEC_INVALID_VALUE]',
      '7:3 spec.stages: rate and stages are alternatives: give one [SPEC_INVALID_VALUE]',
    ])
    expect(issuesOf(`  users: 3\n  startRate: 1\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '6:3 spec.startRate: startRate is where stages start; this profile has no stages [SPEC_INVALID_VALUE]',
    ])
    expect(issuesOf(`  rate: 0\n  users: 0\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:9 spec.rate: must be > 0, got number 0 [SPEC_OUT_OF_RANGE]',
      '6:10 spec.users: must be >= 1, got number 0 [SPEC_OUT_OF_RANGE]',
    ])
  })

  it('stages: a duration and either target or rate', () => {
    expect(issuesOf(`  stages:\n    - {duration: 10s, target: 5, rate: 5}\n    - {duration: 10s}\n    - {duration: 0s, rate: 1}\n    - {duration: "", target: 1}\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '6:34 spec.stages[0].rate: a stage has either target (ramp to it) or rate (hold it), not both [SPEC_INVALID_VALUE]',
      '7:7 spec.stages[1]: a stage needs target (the rate to ramp to) or rate (the rate to hold) [SPEC_REQUIRED]',
      '8:18 spec.stages[2].duration: must be longer than 0, got "0s" [SPEC_OUT_OF_RANGE]',
      '9:18 spec.stages[3].duration: expected a duration like "30s", got "" [SPEC_INVALID_DURATION]',
    ])
    expect(issuesOf(`  stages: [{duration: 1x, target: 1}, {target: -1, duration: 1s}]\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:23 spec.stages[0].duration: expected a duration like "100ms", got "1x" [SPEC_INVALID_DURATION]',
      '5:48 spec.stages[1].target: must be >= 0, got number -1 [SPEC_OUT_OF_RANGE]',
    ])
  })

  it('weights are positive; at least one flow, each with at least one step; flow names unique', () => {
    expect(issuesOf(`  flows:\n    - name: a\n      weight: 0\n      steps: []\n    - name: a\n      steps: [{get: /}]\n`)).toEqual([
      '7:15 spec.flows[0].weight: must be > 0, got number 0 [SPEC_OUT_OF_RANGE]',
      '8:14 spec.flows[0].steps: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]',
    ])
    expect(issuesOf(`  flows:\n    - name: a\n      steps: [{get: /}]\n    - name: a\n      steps: [{get: /}]\n`)).toEqual([
      '8:13 spec.flows[1].name: flow "a" is also defined at flows[0] [SPEC_DUPLICATE_NAME]',
    ])
    expect(issuesOf('  flows: []\n')).toEqual(['5:10 spec.flows: must have at least 1 item(s) [SPEC_OUT_OF_RANGE]'])
    expect(issuesOf('  rate: 1\n')).toEqual(['4:1 spec.flows: missing required field "flows" [SPEC_REQUIRED]'])
  })

  it('the target, and absolute step URLs, are http:// on loopback', () => {
    const spec = (target: string) => `  target: "${target}"\n${ONE_FLOW}        - get: /\n`
    for (const ok of ['http://127.0.0.1:30090', 'http://127.1.2.3', 'http://localhost:8080/base', 'http://[::1]:9000']) expect(issuesOf(spec(ok)), ok).toEqual([])
    expect(issuesOf(spec('http://example.com:80'))).toEqual(['5:11 spec.target: example.com is not a loopback address [SPEC_INVALID_VALUE]'])
    expect(issuesOf(spec('https://127.0.0.1'))).toEqual(['5:11 spec.target: "https://127.0.0.1" is https://; chaoscope load speaks plain http:// only [SPEC_INVALID_VALUE]'])
    expect(issuesOf(spec('127.0.0.1:80'))).toEqual(['5:11 spec.target: "127.0.0.1:80" is not an http:// URL [SPEC_INVALID_VALUE]'])
    expect(issuesOf(spec('http://10.0.0.1'))).toEqual(['5:11 spec.target: 10.0.0.1 is not a loopback address [SPEC_INVALID_VALUE]'])
    expect(hintsOf(spec('http://10.0.0.1'))).toEqual(['chaoscope sends traffic only to this machine: write http://127.0.0.1:PORT (127.0.0.0/8, localhost or [::1])'])
    expect(issuesOf(`${ONE_FLOW}        - get: http://192.168.1.1/x\n        - get: product\n        - get: /a b\n`)).toEqual([
      '8:16 spec.flows[0].steps[0].get: 192.168.1.1 is not a loopback address [SPEC_INVALID_VALUE]',
      '9:16 spec.flows[0].steps[1].get: "product" is neither a path (starting with /) nor an http:// URL [SPEC_INVALID_VALUE]',
      '10:16 spec.flows[0].steps[2].get: "/a b" holds a space or control character [SPEC_INVALID_VALUE]',
    ])
  })

  it('durations in Go syntax, longer than 0', () => {
    expect(issuesOf(`  duration: 1 minute\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:13 spec.duration: expected a duration like "100ms", got "1 minute" [SPEC_INVALID_DURATION]',
    ])
    expect(issuesOf(`  duration: ""\n  timeout: 0s\n${ONE_FLOW}        - get: /\n`)).toEqual([
      '5:13 spec.duration: expected a duration like "30s", got "" [SPEC_INVALID_DURATION]',
      '6:12 spec.timeout: must be longer than 0, got "0s" [SPEC_OUT_OF_RANGE]',
    ])
  })

  it('headers: HTTP names, one line, not the ones chaoscope writes, unique whatever their case', () => {
    expect(issuesOf(`  headers: {"bad name": x, Content-Length: "3", X-A: "1", x-a: "2"}\n${ONE_FLOW}        - get: /\n          headers: {h: "a\\nb"}\n`)).toEqual([
      '5:13 spec.headers["bad name"]: "bad name" is not a header name [SPEC_INVALID_VALUE]',
      '5:28 spec.headers.Content-Length: content-length is written by the load generator itself [SPEC_INVALID_VALUE]',
      '5:59 spec.headers.x-a: header "x-a" is also written as "X-A" (header names ignore case) [SPEC_DUPLICATE_KEY]',
      '10:24 spec.flows[0].steps[0].headers.h: a header value is one line [SPEC_INVALID_VALUE]',
    ])
  })

  it('unknown fields get the closest known one as a hint', () => {
    const spec = `${ONE_FLOW}        - gett: /\n`
    expect(issuesOf(spec)).toEqual([
      '8:11 spec.flows[0].steps[0].gett: unknown field "gett" [SPEC_UNKNOWN_FIELD]',
    ])
    expect(hintsOf(spec)).toEqual(['did you mean "get"?'])
  })

  it('a flow file holds exactly one LoadProfile', () => {
    const app = 'apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: a}\nspec:\n  services: [{name: web, external: "127.0.0.1:8080"}]\n'
    const file = write(app)
    expect(loadFlowFile(file)).toEqual({ issues: [expect.objectContaining({ code: 'SPEC_MISSING_KIND', file, line: 1, col: 1, message: 'no LoadProfile in this file' })] })
    const profile = `${HEAD}${ONE_FLOW}        - get: /\n`
    const two = write(`${profile}---\n${app}---\n${profile.replace('name: p', 'name: q')}`)
    expect(loadFlowFile(two)).toEqual({ issues: [expect.objectContaining({ code: 'SPEC_DUPLICATE_NAME', file: two, line: 16, message: 'more than one LoadProfile in this file' })] })
    // an App beside one LoadProfile is validated and left alone
    expect('flows' in loadFlowFile(write(`${app}---\n${profile}`))).toBe(true)
    expect(loadFlowFile(join(dir, 'missing.yaml'))).toEqual({ issues: [expect.objectContaining({ code: 'SPEC_FILE_NOT_FOUND' })] })
  })
})

describe('stages files', () => {
  it('a list of stages, or {startRate, stages}, in YAML or JSON', () => {
    expect(stagesOf('- {duration: 30s, target: 1000}\n- {duration: 1m, rate: 100}\n- {duration: 10s, target: 200}\n')).toEqual([
      { durationMs: 30_000, from: 0, to: 1000 }, { durationMs: 60_000, from: 100, to: 100 }, { durationMs: 10_000, from: 100, to: 200 },
    ])
    expect(stagesOf('startRate: 50\nstages:\n  - duration: 2m\n    target: 500\n')).toEqual([{ durationMs: 120_000, from: 50, to: 500 }])
    expect(stagesOf('{"stages": [{"duration": "1.5s", "rate": 7}]}', 'json')).toEqual([{ durationMs: 1500, from: 7, to: 7 }])
  })

  it('positioned issues, with the field path and a hint', () => {
    const file = write('startRate: "10"\nstage: []\nstages:\n  - {duration: 30, target: 5}\n  - {duration: 1s, rate: 5, target: 6}\n  - {duration: 1s, taget: 5}\n  - 7\n')
    const r = parseStagesFile(file)
    expect('issues' in r && r.issues.map(short)).toEqual([
      '1:12 startRate: expected a rate in requests per second, got "10" [SPEC_TYPE]',
      '2:1 stage: unknown field "stage" [SPEC_UNKNOWN_FIELD]',
      '4:16 stages[0].duration: expected a duration like "30s", got number 30 [SPEC_TYPE]',
      '5:20 stages[1].rate: a stage has either target (ramp to it) or rate (hold it), not both [SPEC_INVALID_VALUE]',
      '6:5 stages[2]: a stage needs target (the rate to ramp to) or rate (the rate to hold) [SPEC_REQUIRED]',
      '6:20 stages[2].taget: unknown field "taget" [SPEC_UNKNOWN_FIELD]',
      '7:5 stages[3]: expected a stage like {duration: 30s, target: 100}, got number 7 [SPEC_TYPE]',
    ])
    expect('issues' in r && r.issues.map((i) => i.hint)).toEqual([
      'remove the quotes: 10', 'did you mean "stages"?', 'write the unit: "30s"', 'split it into two stages',
      '{duration: 30s, target: 100}  or  {duration: 30s, rate: 100}', 'did you mean "target"?', undefined,
    ])
    expect('issues' in r && r.issues.every((i) => i.file === file)).toBe(true)
  })

  it('the file as a whole: empty, not stages, two documents, broken YAML, missing', () => {
    expect(stagesOf('# nothing\n')).toEqual(['1:1 the stages file holds no stages [SPEC_REQUIRED]'])
    expect(stagesOf('[]\n')).toEqual(['1:1 must have at least 1 item(s) [SPEC_OUT_OF_RANGE]'])
    expect(stagesOf('fast\n')).toEqual(['1:1 expected a list of stages or {startRate, stages}, got string [SPEC_TYPE]'])
    expect(stagesOf('startRate: 1\n')).toEqual(['1:1 stages: missing required field "stages" [SPEC_REQUIRED]'])
    expect(stagesOf('- {duration: 1s, rate: 1}\n---\n- {duration: 1s, rate: 2}\n')).toEqual(['3:1 a stages file is one document [SPEC_INVALID_VALUE]'])
    expect(stagesOf('- {duration: 1s, rate: 1\n')[0]).toMatch(/^\d+:\d+ .*\[SPEC_YAML_SYNTAX\]$/)
    expect(parseStagesFile(join(dir, 'nope.yaml'))).toEqual({ issues: [expect.objectContaining({ code: 'SPEC_FILE_NOT_FOUND', line: 1, col: 1 })] })
  })
})
