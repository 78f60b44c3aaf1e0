/**
 * The API oracle of `chaoscope proxy`: the same raw HTTP calls (fetch, no client library) go to the real Toxiproxy
 * (the release of scripts/setup.sh, built from the Go module proxy) and to `chaoscope proxy`, started side by side in
 * this run, each in front of the same two echo servers. Every answer must agree: status, Content-Type, body (the
 * listen ports each server chose are renumbered by first appearance), error texts. The calls cover every route of
 * Toxiproxy's api.go, the defaults (toxic name `<type>_<stream>`, stream downstream, toxicity 1, each type's default
 * attributes), POST and PATCH for updates, /populate (unchanged, replaced, new, an error at an index), /reset (enables
 * every proxy, removes every toxic), `enabled: false` taking a proxy's listener down (probed with real connects),
 * unknown routes and methods, and the browser guard. Where ours must differ, DIFFERENCES below says so and why.
 * Then `--config` against toxiproxy-server -config, and /metrics against toxiproxy-server -proxy-metrics.
 * Needs `npm run build` and `bash scripts/setup.sh`; outside CI it skips, saying which, when either is missing.
 * TOXIPROXY_ORACLE_DUMP=FILE writes both sides' normalised answers there, one step a line, to read a difference whole.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOXIPROXY_SERVER, missingPeers, portNormaliser, startChaoscope, startEcho, startToxiproxy } from '../peers/toxiproxy/peers.js'
import type { Peer } from '../peers/toxiproxy/peers.js'

interface Ctx {
  /** The two echo upstreams. */
  up: string
  up2: string
  /** The listen address this server last gave for a proxy. */
  listen(name: string): string
}
interface Call {
  name: string
  method?: string
  path: string
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown | ((c: Ctx) => unknown)
  headers?: Record<string, string>
}
/** A connection to a proxy's listen address: whether it is accepted, and whether bytes come back through it. */
interface Probe {
  name: string
  probe: string
}
type Step = Call | Probe

const proxy = (name: string, listen: string, upstream: (c: Ctx) => string, extra: Record<string, unknown> = {}) => (c: Ctx) => ({
  name,
  listen,
  upstream: upstream(c),
  ...extra,
})
const UP = (c: Ctx) => c.up
const UP2 = (c: Ctx) => c.up2

const STEPS: Step[] = [
  { name: 'version', path: '/version' },
  { name: 'list: none', path: '/proxies' },
  { name: 'create', method: 'POST', path: '/proxies', body: proxy('a', '127.0.0.1:0', UP) },
  { probe: 'a', name: 'a is up' },
  { name: 'create: exists', method: 'POST', path: '/proxies', body: proxy('a', '127.0.0.1:0', UP) },
  { name: 'create: no name', method: 'POST', path: '/proxies', body: (c: Ctx) => ({ listen: '127.0.0.1:0', upstream: c.up }) },
  { name: 'create: no upstream', method: 'POST', path: '/proxies', body: { name: 'x', listen: '127.0.0.1:0' } },
  { name: 'create: bad JSON', method: 'POST', path: '/proxies', body: '{"name": ' },
  { name: 'create: not an object', method: 'POST', path: '/proxies', body: '[1]' },
  { name: 'create: wrong type', method: 'POST', path: '/proxies', body: { name: 7, upstream: 'x' } },
  { name: 'create: listen in use', method: 'POST', path: '/proxies', body: (c: Ctx) => ({ name: 'busy', listen: c.up, upstream: c.up }) },
  { name: 'list: busy not kept', path: '/proxies' },
  { name: 'create disabled', method: 'POST', path: '/proxies', body: proxy('b', '127.0.0.1:0', UP2, { enabled: false }) },
  { probe: 'b', name: 'b is down' },
  { name: 'list', path: '/proxies' },
  { name: 'get', path: '/proxies/a' },
  { name: 'get: missing', path: '/proxies/nope' },
  { name: 'update (POST): upstream', method: 'POST', path: '/proxies/a', body: (c: Ctx) => ({ upstream: c.up2 }) },
  { probe: 'a', name: 'a to up2' },
  { name: 'update (PATCH): upstream back', method: 'PATCH', path: '/proxies/a', body: (c: Ctx) => ({ upstream: c.up }) },
  { name: 'update (PATCH): disable', method: 'PATCH', path: '/proxies/a', body: { enabled: false } },
  { probe: 'a', name: 'a disabled' },
  { name: 'get disabled', path: '/proxies/a' },
  { name: 'update (POST): enable', method: 'POST', path: '/proxies/a', body: { enabled: true } },
  { probe: 'a', name: 'a enabled' },
  { name: 'update: enable again', method: 'PATCH', path: '/proxies/a', body: { enabled: true } },
  { name: 'update: empty body', method: 'PATCH', path: '/proxies/a', body: {} },
  { name: 'update: name ignored', method: 'PATCH', path: '/proxies/a', body: { name: 'renamed' } },
  { name: 'update: missing', method: 'PATCH', path: '/proxies/nope', body: { enabled: false } },
  { name: 'update: bad JSON', method: 'POST', path: '/proxies/a', body: '{' },
  { name: 'update: listen moves', method: 'PATCH', path: '/proxies/b', body: { listen: '127.0.0.1:0' } },
  { name: 'update: enable b', method: 'PATCH', path: '/proxies/b', body: { enabled: true } },
  { probe: 'b', name: 'b is up' },

  { name: 'toxics: none', path: '/proxies/a/toxics' },
  { name: 'toxics: missing proxy', path: '/proxies/nope/toxics' },
  // each type with nothing but its type: the default name, stream, toxicity and attributes
  ...['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'].map((type) => ({
    name: `add ${type}: defaults`,
    method: 'POST',
    path: '/proxies/b/toxics',
    body: { type },
  })),
  { name: 'toxics of b: every type', path: '/proxies/b/toxics' },
  { name: 'get b: toxics in order', path: '/proxies/b' },
  // each type with everything given
  { name: 'add latency', method: 'POST', path: '/proxies/a/toxics', body: { name: 'lat', type: 'latency', stream: 'upstream', toxicity: 0.5, attributes: { latency: 120, jitter: 10 } } },
  { name: 'add bandwidth', method: 'POST', path: '/proxies/a/toxics', body: { type: 'bandwidth', stream: 'downstream', attributes: { rate: 64 } } },
  { name: 'add slow_close', method: 'POST', path: '/proxies/a/toxics', body: { type: 'slow_close', stream: 'upstream', attributes: { delay: 250 } } },
  { name: 'add timeout', method: 'POST', path: '/proxies/a/toxics', body: { type: 'timeout', toxicity: 0, attributes: { timeout: 1000 } } },
  { name: 'add reset_peer', method: 'POST', path: '/proxies/a/toxics', body: { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 50 } } },
  { name: 'add slicer', method: 'POST', path: '/proxies/a/toxics', body: { type: 'slicer', attributes: { average_size: 10, size_variation: 5, delay: 100 } } },
  { name: 'add limit_data', method: 'POST', path: '/proxies/a/toxics', body: { type: 'limit_data', stream: 'upstream', attributes: { bytes: 2048 } } },
  { name: 'add: unknown attribute kept?', method: 'POST', path: '/proxies/a/toxics', body: { name: 'lat2', type: 'latency', attributes: { latency: 1, color: 'red' } } },
  { name: 'add: toxicity 1.5', method: 'POST', path: '/proxies/a/toxics', body: { name: 'lat3', type: 'latency', toxicity: 1.5 } },
  { name: 'add: toxicity 0 kept', method: 'POST', path: '/proxies/a/toxics', body: { name: 'lat4', type: 'latency', toxicity: 0 } },
  { name: 'add: exists', method: 'POST', path: '/proxies/a/toxics', body: { type: 'bandwidth' } },
  { name: 'add: same name other stream', method: 'POST', path: '/proxies/a/toxics', body: { name: 'lat', type: 'latency', stream: 'downstream' } },
  { name: 'add: no type', method: 'POST', path: '/proxies/a/toxics', body: { name: 'x' } },
  { name: 'add: bad type', method: 'POST', path: '/proxies/a/toxics', body: { type: 'no_such' } },
  { name: 'add: bad stream', method: 'POST', path: '/proxies/a/toxics', body: { type: 'latency', stream: 'sideways' } },
  { name: 'add: stream in capitals', method: 'POST', path: '/proxies/a/toxics', body: { name: 'caps', type: 'latency', stream: 'UPSTREAM' } },
  { name: 'add: bad JSON', method: 'POST', path: '/proxies/a/toxics', body: '{"type":' },
  { name: 'add: attribute of a wrong type', method: 'POST', path: '/proxies/a/toxics', body: { name: 'wrong', type: 'latency', attributes: { latency: 'soon' } } },
  { name: 'add: missing proxy', method: 'POST', path: '/proxies/nope/toxics', body: { type: 'latency' } },
  { name: 'toxics of a', path: '/proxies/a/toxics' },
  { name: 'get toxic', path: '/proxies/a/toxics/lat' },
  { name: 'get toxic: missing', path: '/proxies/a/toxics/nope' },
  { name: 'get toxic: missing proxy', path: '/proxies/nope/toxics/lat' },
  { name: 'update toxic (POST)', method: 'POST', path: '/proxies/a/toxics/lat', body: { attributes: { latency: 300 } } },
  { name: 'update toxic (PATCH): toxicity', method: 'PATCH', path: '/proxies/a/toxics/lat', body: { toxicity: 0.75 } },
  { name: 'update toxic: type and stream ignored', method: 'PATCH', path: '/proxies/a/toxics/lat', body: { type: 'bandwidth', stream: 'downstream', attributes: { jitter: 1 } } },
  { name: 'update toxic: missing', method: 'PATCH', path: '/proxies/a/toxics/nope', body: { toxicity: 1 } },
  { name: 'update toxic: missing proxy', method: 'PATCH', path: '/proxies/nope/toxics/lat', body: { toxicity: 1 } },
  { name: 'update toxic: bad JSON', method: 'PATCH', path: '/proxies/a/toxics/lat', body: 'nope' },
  { name: 'delete toxic', method: 'DELETE', path: '/proxies/a/toxics/lat2' },
  { name: 'delete toxic: again', method: 'DELETE', path: '/proxies/a/toxics/lat2' },
  { name: 'delete toxic: missing proxy', method: 'DELETE', path: '/proxies/nope/toxics/lat' },
  { name: 'toxics after delete', path: '/proxies/a/toxics' },

  { name: 'populate: unchanged, new', method: 'POST', path: '/populate', body: (c: Ctx) => [{ name: 'a', listen: c.listen('a'), upstream: c.up }, { name: 'c', listen: '127.0.0.1:0', upstream: c.up2 }] },
  { name: 'populate: a kept its toxics', path: '/proxies/a/toxics' },
  { name: 'populate: replaced (new upstream)', method: 'POST', path: '/populate', body: (c: Ctx) => [{ name: 'c', listen: c.listen('c'), upstream: c.up }] },
  { name: 'populate: disabled entry', method: 'POST', path: '/populate', body: (c: Ctx) => [{ name: 'd', listen: '127.0.0.1:0', upstream: c.up, enabled: false }] },
  { probe: 'd', name: 'd is down' },
  { name: 'populate: error at index 1', method: 'POST', path: '/populate', body: (c: Ctx) => [{ name: 'e', listen: '127.0.0.1:0', upstream: c.up }, { name: 'f', listen: '127.0.0.1:0' }, { name: 'g', listen: '127.0.0.1:0', upstream: c.up }] },
  { name: 'populate: no name at index 0', method: 'POST', path: '/populate', body: (c: Ctx) => [{ listen: '127.0.0.1:0', upstream: c.up }] },
  { name: 'populate: listen in use', method: 'POST', path: '/populate', body: (c: Ctx) => [{ name: 'h', listen: c.up, upstream: c.up }] },
  { name: 'populate: empty', method: 'POST', path: '/populate', body: [] },
  { name: 'populate: bad JSON', method: 'POST', path: '/populate', body: '[{' },
  { name: 'populate: an object', method: 'POST', path: '/populate', body: (c: Ctx) => ({ proxies: [{ name: 'i', listen: '127.0.0.1:0', upstream: c.up }] }) },
  { name: 'list after populates', path: '/proxies' },

  { name: 'disable a before reset', method: 'PATCH', path: '/proxies/a', body: { enabled: false } },
  { name: 'reset', method: 'POST', path: '/reset' },
  { probe: 'a', name: 'a up after reset' },
  { probe: 'd', name: 'd up after reset' },
  { name: 'list after reset', path: '/proxies' },
  { name: 'reset: with a body', method: 'POST', path: '/reset', body: { anything: true } },

  { name: 'delete proxy', method: 'DELETE', path: '/proxies/c' },
  { name: 'delete proxy: again', method: 'DELETE', path: '/proxies/c' },
  { name: 'unknown route', path: '/nope' },
  { name: 'unknown route under proxies', path: '/proxies/a/toxics/lat/more' },
  { name: 'wrong method: PUT /proxies', method: 'PUT', path: '/proxies', body: {} },
  { name: 'wrong method: GET /reset', path: '/reset' },
  { name: 'wrong method: DELETE /populate', method: 'DELETE', path: '/populate' },
  { name: 'trailing slash', path: '/proxies/' },
  { name: 'browser refused', path: '/proxies', headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' } },
  { name: 'metrics (off by default)', path: '/metrics' },
  { name: 'delete everything', method: 'DELETE', path: '/proxies/a' },
]

interface Answer {
  status: number
  type: string | null
  body: unknown
}

/**
 * Where ours answers otherwise, on purpose: the step, why, and what is compared instead (applied to both answers).
 * Anything not here must be identical.
 */
const DIFFERENCES: Record<string, { why: string; compare: (a: Answer) => unknown }> = {
  version: {
    why: 'ours says its own version beside the API version it follows: {"version": "2.12.0", "chaoscope": "<ours>"}',
    compare: (a) => ({ ...a, body: { version: (a.body as { version: string }).version } }),
  },
}
DIFFERENCES['metrics (off by default)'] = {
  why: 'ours always serves /metrics (Toxiproxy only with -proxy-metrics): compared with that below',
  compare: () => 'not compared',
}
/** Steps whose error texts carry a JSON parser's own words after Toxiproxy's prefix: Go's and JavaScript's differ. */
const PARSER_WORDS = new Set(['create: bad JSON', 'create: not an object', 'create: wrong type', 'update: bad JSON', 'add: bad JSON', 'add: attribute of a wrong type', 'update toxic: bad JSON', 'populate: bad JSON', 'populate: an object'])
for (const name of PARSER_WORDS) {
  DIFFERENCES[name] = {
    why: "the text after 'bad request body: ' is the JSON parser's (Go's encoding/json words it, ours JavaScript's)",
    compare: (a) => {
      const b = a.body as { error?: string }
      return typeof b?.error === 'string' ? { ...a, body: { ...b, error: b.error.replace(/^(bad request body|[^:]*): .*$/s, '$1: <parser>') } } : a
    },
  }
}

async function probe(addr: string | undefined): Promise<string> {
  if (!addr) return 'no listen address'
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))]
  return new Promise((resolve) => {
    const s = net.connect({ host, port })
    let got = ''
    const done = (what: string) => {
      clearTimeout(timer)
      s.destroy()
      resolve(what)
    }
    const timer = setTimeout(() => done(got ? `partial ${JSON.stringify(got)}` : 'connected, nothing back in 2 s'), 2000)
    s.on('connect', () => s.write('probeEND'))
    s.on('data', (d: Buffer) => {
      got += d.toString()
      if (got === 'probeEND') done('echoed')
    })
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : `error ${e.code}`))
    s.on('end', () => done(got === 'probeEND' ? 'echoed' : `closed after ${JSON.stringify(got)}`))
  })
}

/** Plays every step against one server; the answers, keyed by step name, with its own ports left as they are. */
async function play(peer: Peer, up: string, up2: string): Promise<Map<string, unknown>> {
  const listens = new Map<string, string>()
  const ctx: Ctx = { up, up2, listen: (n) => listens.get(n) ?? 'unknown' }
  const learn = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(learn)
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (typeof o.name === 'string' && typeof o.listen === 'string') listens.set(o.name, o.listen)
      Object.values(o).forEach(learn)
    }
  }
  const out = new Map<string, unknown>()
  for (const step of STEPS) {
    if ('probe' in step) {
      out.set(step.name, await probe(listens.get(step.probe)))
      continue
    }
    const raw = typeof step.body === 'function' ? (step.body as (c: Ctx) => unknown)(ctx) : step.body
    const res = await fetch(peer.url + step.path, {
      method: step.method ?? 'GET',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'chaoscope-oracle', ...step.headers },
      ...(raw === undefined ? {} : { body: typeof raw === 'string' ? raw : JSON.stringify(raw) }),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // a text body (404 page not found, 405's empty body) is compared as text
    }
    learn(body)
    const answer: Answer = { status: res.status, type: res.headers.get('content-type'), body }
    out.set(step.name, answer)
  }
  return out
}

const peers = missingPeers([TOXIPROXY_SERVER])
if (peers.skip) console.warn(`toxiproxy-oracle: skipped (not under CI): ${peers.why}`)

describe.skipIf(peers.skip)(`chaoscope proxy answers Toxiproxy's API as Toxiproxy does${peers.skip ? ` (skipped: ${peers.why})` : ''}`, () => {
  let real: Peer | undefined
  let ours: Peer | undefined
  const echoes: Awaited<ReturnType<typeof startEcho>>[] = []
  let theirs: Map<string, unknown>
  let mine: Map<string, unknown>

  beforeAll(async () => {
    if (peers.why) throw new Error(peers.why)
    echoes.push(await startEcho(), await startEcho())
    ;[real, ours] = await Promise.all([startToxiproxy(), startChaoscope()])
    const [up, up2] = [echoes[0]!.addr, echoes[1]!.addr]
    theirs = await play(real, up, up2)
    mine = await play(ours, up, up2)
  }, 60_000)
  afterAll(async () => {
    await Promise.all([real?.stop(), ours?.stop(), ...echoes.map((e) => e.close())])
  })

  it('every step answers alike (status, Content-Type, body with ports renumbered, error text)', () => {
    const fixed = { [echoes[0]!.addr]: 'UP', [echoes[1]!.addr]: 'UP2' }
    const [normTheirs, normMine] = [portNormaliser(fixed), portNormaliser(fixed)]
    const dump: string[] = []
    for (const step of STEPS) {
      const diff = DIFFERENCES[step.name]
      const see = (a: unknown) => (diff && a && typeof a === 'object' ? diff.compare(a as Answer) : a)
      // renumbered in step order, so the same proxy gets the same PORTn on both sides
      const t = normTheirs(theirs.get(step.name))
      const m = normMine(mine.get(step.name))
      expect.soft(see(m), `${step.name}${diff ? ` (compared without: ${diff.why})` : ''}`).toEqual(see(t))
      dump.push(JSON.stringify({ step: step.name, toxiproxy: t, chaoscope: m }))
    }
    if (process.env.TOXIPROXY_ORACLE_DUMP) writeFileSync(process.env.TOXIPROXY_ORACLE_DUMP, dump.join('\n') + '\n')
  })

  it("the oracle says what the list is about: Toxiproxy's defaults and codes as seen on the real one", () => {
    const a = (name: string) => theirs.get(name) as Answer
    expect(a('create').status).toBe(201)
    expect(a('add latency: defaults').body).toMatchObject({ name: 'latency_downstream', stream: 'downstream', toxicity: 1 })
    expect(a('add latency: defaults').status).toBe(200)
    expect(a('create: exists').body).toEqual({ error: 'proxy already exists', status: 409 })
    expect(a('get: missing').status).toBe(404)
    expect(a('add: bad type').status).toBe(400)
    expect(theirs.get('a disabled')).toBe('refused')
    expect(theirs.get('a up after reset')).toBe('echoed')
    expect(a('populate: error at index 1').status).toBe(400)
    expect(a('reset').status).toBe(204)
    expect(a('toxics after delete').body).not.toContainEqual(expect.objectContaining({ name: 'lat2' }))
  })

  it('the list is sound: step names are unique, every difference names a step', () => {
    expect(new Set(STEPS.map((s) => s.name)).size).toBe(STEPS.length)
    for (const name of Object.keys(DIFFERENCES)) {
      expect(STEPS.some((s) => s.name === name), `DIFFERENCES names a step that is not in the list: ${name}`).toBe(true)
    }
  })
})

describe.skipIf(peers.skip)(`chaoscope proxy --config populates at start as toxiproxy-server -config does${peers.skip ? ` (skipped: ${peers.why})` : ''}`, () => {
  it('the same proxies, enabled or not, listening or not, with no toxics', async () => {
    if (peers.why) throw new Error(peers.why)
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-toxiproxy-config-'))
    const echo = await startEcho()
    const started: Peer[] = []
    try {
      const file = join(dir, 'toxiproxy.json')
      writeFileSync(file, JSON.stringify([
        { name: 'one', listen: '127.0.0.1:0', upstream: echo.addr },
        { name: 'two', listen: '127.0.0.1:0', upstream: echo.addr, enabled: false },
      ]))
      started.push(...(await Promise.all([startToxiproxy(['-config', file]), startChaoscope(['--config', file])])))
      const seen: unknown[] = []
      for (const peer of started) {
        const res = await fetch(`${peer.url}/proxies`, { signal: AbortSignal.timeout(10_000) })
        const body = (await res.json()) as Record<string, { listen: string }>
        const probes = { one: await probe(body.one?.listen), two: await probe(body.two?.listen) }
        seen.push(portNormaliser({ [echo.addr]: 'UP' })({ status: res.status, body, probes }))
      }
      const [theirs, mine] = seen
      expect(theirs).toMatchObject({ status: 200, probes: { one: 'echoed', two: 'refused' } })
      expect(mine).toEqual(theirs)
    } finally {
      await Promise.all([...started.map((p) => p.stop()), echo.close()])
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe.skipIf(peers.skip)(`chaoscope proxy's /metrics is toxiproxy-server -proxy-metrics's${peers.skip ? ` (skipped: ${peers.why})` : ''}`, () => {
  it('the same counters, labels and values after the same bytes (HELP texts and the Content-Type parameters aside)', async () => {
    if (peers.why) throw new Error(peers.why)
    const echo = await startEcho()
    const started: Peer[] = []
    try {
      started.push(...(await Promise.all([startToxiproxy(['-proxy-metrics']), startChaoscope()])))
      const seen: unknown[] = []
      for (const peer of started) {
        const made = await fetch(`${peer.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'm', listen: '127.0.0.1:0', upstream: echo.addr }) })
        const { listen } = (await made.json()) as { listen: string }
        const through = [await probe(listen), await probe(listen)]
        // Toxiproxy counts a link's bytes as they pass; wait until both directions show them (2 s at most)
        let samples: string[] = []
        for (let i = 0; i < 40; i++) {
          const res = await fetch(`${peer.url}/metrics`, { signal: AbortSignal.timeout(10_000) })
          const text = await res.text()
          samples = text.split('\n').filter((l) => /^toxiproxy_/.test(l) || /^# TYPE toxiproxy_/.test(l))
          if (samples.filter((l) => / 16$/.test(l)).length === 4) break
          await new Promise((r) => setTimeout(r, 50))
        }
        seen.push(portNormaliser({ [echo.addr]: 'UP' })({ through, samples }))
      }
      const [theirs, mine] = seen
      expect((theirs as { samples: string[] }).samples.length).toBeGreaterThan(0)
      expect(mine).toEqual(theirs)
    } finally {
      await Promise.all([...started.map((p) => p.stop()), echo.close()])
    }
  }, 60_000)
})
