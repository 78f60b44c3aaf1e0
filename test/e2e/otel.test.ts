/**
 * Traces end to end, read by a real OpenTelemetry Collector (test/peers/otelcol, built by `npm run setup`): `chaoscope
 * up` runs the chain with OTEL_EXPORTER_OTLP_ENDPOINT pointing at the collector, a Workflow with an HTTPChaos node
 * and a plain NetworkChaos run, a request in a trace of the test's own crosses the faulted edge, and the
 * collector's file (OTLP JSON, one document a line, read only up to its last newline since the collector may be
 * mid-line) must hold the controller's lifecycle spans with their parents and events, and, in that request's
 * trace, the sidecar hop span naming the fault that acted. Needs `npm run build` (the CLI runs from dist/).
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import type { CliProcess } from '../doubles/cli-process.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const PEER = join(ROOT, 'test/peers/otelcol')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A loopback port free a moment ago (the collector takes a port number, not a listening socket). */
async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address() as AddressInfo
  await new Promise((r) => srv.close(r))
  return port
}

/** Where scripts/setup.sh puts the collector: under the same hash of its sources. */
function collectorPath(): string {
  const h = createHash('sha256')
  for (const f of ['go.mod', 'go.sum', ...readdirSync(PEER).filter((f) => f.endsWith('.go')).sort()]) h.update(readFileSync(join(PEER, f)))
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
  return join(cache, 'chaoscope', `otelcol-${h.digest('hex').slice(0, 12)}`, 'otelcol')
}

const COLLECTOR = collectorPath()
const missing = existsSync(COLLECTOR) ? undefined : `the OpenTelemetry Collector is not built (${COLLECTOR}); run npm run setup`
if (missing) console.warn(`otel.test.ts skipped: ${missing}`)

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number, said: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${said() ? `:\n${said()}` : ''}`)
    await sleep(100)
  }
}

interface AnyValue { stringValue?: string; intValue?: string; arrayValue?: { values?: AnyValue[] } }
interface KeyValue { key: string; value: AnyValue }
interface Span {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  service: string
  attributes: Record<string, unknown>
  events: { name: string; attributes: Record<string, unknown> }[]
  links: { traceId: string; spanId: string }[]
  status: { code?: number; message?: string }
}

const valueOf = (v: AnyValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.arrayValue ? (v.arrayValue.values ?? []).map(valueOf) : undefined)
const attrs = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]))

/** Every span in the collector's file, as it decoded and wrote them. */
function spansIn(file: string): Span[] {
  if (!existsSync(file)) return []
  const out: Span[] = []
  const text = readFileSync(file, 'utf8')
  // the collector may be half-way through writing a line: only what ends in a newline is a whole document
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line.trim()) continue
    const doc = JSON.parse(line) as { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }
    for (const rs of doc.resourceSpans ?? []) {
      const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '')
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            traceId: String(s.traceId),
            spanId: String(s.spanId),
            parentSpanId: s.parentSpanId ? String(s.parentSpanId) : '',
            name: String(s.name),
            service,
            attributes: attrs(s.attributes as KeyValue[]),
            events: ((s.events ?? []) as { name: string; attributes?: KeyValue[] }[]).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
            links: (s.links ?? []) as Span['links'],
            status: (s.status ?? {}) as Span['status'],
          })
        }
      }
    }
  }
  return out
}

function get(url: string, traceparent: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000, headers: { traceparent } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)))
    req.on('error', reject)
  })
}

describe.skipIf(missing !== undefined)('traces in a real OpenTelemetry Collector', () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-otel-'))
  const spansFile = join(home, 'spans.jsonl')
  let collector: ChildProcess
  let up: CliProcess | undefined
  let front = ''
  let env: NodeJS.ProcessEnv
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
  const apply = (name: string, text: string) => {
    const p = join(home, name)
    writeFileSync(p, text)
    const r = cli('apply', '-f', p)
    expect(r.status, r.stderr).toBe(0)
  }
  const spans = () => spansIn(spansFile)

  beforeAll(async () => {
    const port = await freePort()
    let said = ''
    collector = spawn(COLLECTOR, ['-port', String(port), '-out', spansFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    collector.stdout!.on('data', (d: Buffer) => (said += d.toString()))
    collector.stderr!.on('data', (d: Buffer) => (said += d.toString()))
    await until('the collector says it listens', () => (/listening on/.test(said) ? true : undefined), 20_000, () => said)
    env = { ...process.env, CHAOSCOPE_HOME: home, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100' }
    up = launch(['up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--timeout', '30'], env)
    front = (await waitOutput(up, /^service front: (http:\S+)$/m, 40_000))[1]!
  }, 90_000)

  afterAll(async () => {
    for (const p of [up?.child, collector]) await signalAndWait(p, 'SIGTERM')
    rmSync(home, { recursive: true, force: true })
  })

  it('the experiment span, its inject and recover children, the workflow → node → chaos chain, and the hop span naming the fault', async () => {
    apply('delay.yaml', `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: plain-delay, namespace: default}
spec:
  action: delay
  mode: all
  selector: {labelSelectors: {app: middle}}
  delay: {latency: 20ms}
  duration: 2s
`)
    apply('workflow.yaml', `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: slow-back, namespace: default}
spec:
  entry: the-entry
  templates:
    - name: the-entry
      templateType: Serial
      deadline: 60s
      children: [slow-requests]
    - name: slow-requests
      templateType: HTTPChaos
      deadline: 8s
      httpChaos:
        mode: all
        selector: {labelSelectors: {app: back}}
        target: Request
        port: 8002
        path: '*'
        delay: 300ms
`)
    // a request through the faulted edge while the workflow's node holds its fault, in a trace of our own
    const injected = await until('the HTTPChaos injection span', () => spans().find((s) => s.name.startsWith('inject ') && s.attributes['chaoscope.kind'] === 'HTTPChaos'), 20_000, () => up?.out() ?? '')
    const requestTrace = randomBytes(16).toString('hex')
    const sent = Date.now()
    expect(await get(front, `00-${requestTrace}-${randomBytes(8).toString('hex')}-01`)).toBe(200)
    // the fault acted: the 300 ms delay on back's requests is in the answer's time
    expect(Date.now() - sent).toBeGreaterThanOrEqual(300)

    const all = await until(
      'the workflow, its chaos and the plain experiment ended',
      () => {
        const s = spans()
        return s.some((x) => x.name === 'Workflow default/slow-back') && s.some((x) => x.name === 'NetworkChaos default/plain-delay') && s.some((x) => x.name.startsWith('recover ') && x.attributes['chaoscope.kind'] === 'HTTPChaos') ? s : undefined
      },
      40_000,
      () => spans().map((s) => s.name).join('\n'),
    )
    const ctl = all.filter((s) => s.service === 'chaoscope-controller')
    const byId = new Map(ctl.map((s) => [s.spanId, s]))
    const childrenOf = (p: Span) => ctl.filter((s) => s.parentSpanId === p.spanId && s.traceId === p.traceId)

    // the plain experiment: a root span, its events in order, an inject and a recover child
    const plain = ctl.find((s) => s.name === 'NetworkChaos default/plain-delay')!
    expect(plain.parentSpanId).toBe('')
    expect(plain.attributes).toMatchObject({ 'chaoscope.kind': 'NetworkChaos', 'chaoscope.action': 'delay', 'chaoscope.phase': 'finished' })
    expect(plain.status.code ?? 0).not.toBe(2)
    const reasons = plain.events.map((e) => e.name).filter((n) => ['Selected', 'Applied', 'TimeUp', 'Recovered', 'Finished'].includes(n))
    expect(reasons).toEqual(['Selected', 'Applied', 'TimeUp', 'Recovered', 'Finished'])
    expect(plain.events.find((e) => e.name === 'Selected')?.attributes['chaoscope.event.message']).toMatch(/^selected 1 pod: default\/middle-/)
    const plainKids = childrenOf(plain)
    expect(plainKids.map((s) => s.name.split(' ')[0]).sort()).toEqual(['inject', 'recover'])
    for (const k of plainKids) {
      expect(k.name).toMatch(/^(inject|recover) default\/middle-/)
      expect(k.attributes).toMatchObject({ 'chaoscope.kind': 'NetworkChaos', 'chaoscope.action': 'delay', 'chaoscope.result': 'success' })
      expect((k.attributes['chaoscope.effects'] as string[] | undefined)?.length).toBeGreaterThan(0)
    }

    // the workflow: inject → HTTPChaos object → HTTPChaos node → entry node → Workflow, all in the Workflow's trace
    const wf = ctl.find((s) => s.name === 'Workflow default/slow-back')!
    expect(wf.parentSpanId).toBe('')
    const chain: Span[] = []
    for (let s: Span | undefined = injected; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s)
    expect(chain.map((s) => `${s.name.split(' ')[0]}${s.attributes['chaoscope.node.type'] ? `:${s.attributes['chaoscope.node.type']}` : ''}`)).toEqual(['inject', 'HTTPChaos', 'WorkflowNode:HTTPChaos', 'WorkflowNode:Serial', 'Workflow'])
    expect(chain.at(-1)!.spanId).toBe(wf.spanId)
    expect(new Set(chain.map((s) => s.traceId))).toEqual(new Set([wf.traceId]))
    expect(chain[2]!.attributes['chaoscope.node.template']).toBe('slow-requests')
    expect(chain[3]!.attributes['chaoscope.node.template']).toBe('the-entry')
    const chaos = chain[1]!
    expect(childrenOf(chaos).map((s) => s.name.split(' ')[0]).sort()).toEqual(['inject', 'recover'])
    expect(chaos.events.map((e) => e.name)).toEqual(expect.arrayContaining(['Applied', 'Recovered']))

    // the slow request's trace holds the hop span of the faulted edge, naming one of the injection's effects
    const effects = injected.attributes['chaoscope.effects'] as string[]
    expect(effects.length).toBeGreaterThan(0)
    const hop = await until(
      'a sidecar hop span of the slow request naming the HTTPChaos fault',
      () => spans().find((s) => s.traceId === requestTrace && (s.attributes['chaoscope.faults'] as string[] | undefined)?.some((f) => effects.includes(f))),
      20_000,
      () => `want one of ${JSON.stringify(effects)} in trace ${requestTrace}; have ${JSON.stringify(spans().filter((s) => s.traceId === requestTrace).map((s) => [s.service, s.name, s.attributes['chaoscope.faults']]))}`,
    )
    expect(hop.service).toBe('chaoscope-sidecar')
    expect(hop.attributes['chaoscope.destination.service']).toBe('back')
  }, 120_000)
})
