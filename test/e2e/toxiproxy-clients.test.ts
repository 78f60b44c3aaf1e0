/**
 * Toxiproxy's own clients against `chaoscope proxy`, with the real Toxiproxy as the oracle: the Go client
 * (github.com/Shopify/toxiproxy/v2/client, in our scenario program test/peers/toxiproxy/go) and the Python client
 * (toxiproxy-python, test/peers/toxiproxy/python/scenario.py) each play one scenario against the real Toxiproxy and
 * against chaoscope proxy, started side by side in this run, both in front of the same echo server. The scenario
 * makes proxies (listen 127.0.0.1:0), lists, gets, updates, disables and enables them, adds, updates and removes
 * every toxic type, populates, resets, asks the version, provokes the 404/409/400 errors, and measures what the
 * toxics do to real traffic. The calls' results must agree once the ports are renumbered; the effects must agree
 * in kind (bytes through, how the connection ended) and in time within tolerances, and both must be what the
 * toxic asks for: latency adds its latency, a disabled proxy refuses, limit_data closes after its bytes, timeout
 * closes after its time (or holds with 0), reset_peer resets, bandwidth slows to its rate, slow_close delays the
 * close, slicer cuts the data into many reads. Then Toxiproxy's own CLI (toxiproxy-cli) runs the same commands
 * against both: the same exit codes and output.
 * Needs `npm run build` and `bash scripts/setup.sh`; outside CI it skips, saying which, when either is missing.
 * TOXIPROXY_CLIENTS_DUMP=DIR writes each scenario's output from both servers there, to read a difference whole.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PYTHON, PY_SCENARIO, TOXIPROXY_CLI, TOXIPROXY_SERVER, goScenario, missingPeers, portNormaliser, run, runScenario, startChaoscope, startEcho, startToxiproxy } from '../peers/toxiproxy/peers.js'
import type { Peer } from '../peers/toxiproxy/peers.js'

type Output = Awaited<ReturnType<typeof runScenario>>
interface Exchange {
  bytes?: number
  reads?: number
  end: string
  ms?: number
}
interface StepOut {
  step: string
  value?: unknown
}

/** Where ours answers otherwise on purpose: the step and what is compared instead (applied to both sides). */
const VERSION_ONLY = (s: StepOut): StepOut => {
  const v = typeof s.value === 'string' ? (JSON.parse(s.value) as { version: string }) : (s.value as { version: string })
  return { ...s, value: { version: v.version } }
}
const PARSER_WORDS = (s: StepOut): StepOut => JSON.parse(JSON.stringify(s).replace(/(bad request body: )[^"]*/g, '$1<parser>')) as StepOut
const DIFFERENCES: Record<string, { why: string; compare: (s: StepOut) => StepOut }> = {
  version: { why: 'ours says its own version beside the API version it follows', compare: VERSION_ONLY },
  'create: bad json': { why: "the text after 'bad request body: ' is the JSON parser's (Go's or JavaScript's)", compare: PARSER_WORDS },
}

/**
 * What each measured effect must be: `kind` is compared between the two servers as it is; `ms` is the window the
 * time must fall in on both (what the toxic asks for, with room for a loaded 2-core machine), and `near` how far
 * apart the two servers' times may be.
 */
const kind = (e: Exchange) => ({ bytes: e.bytes, end: e.end })
const EFFECTS: Record<string, { kind: (e: Exchange) => unknown; ms?: [number, number]; near?: number; also?: (e: Exchange) => void }> = {
  disabled: { kind: (e) => e },
  enabled_again: { kind },
  limit_data: { kind, ms: [0, 500] },
  timeout: { kind, ms: [280, 800], near: 200 },
  timeout_zero_holds: { kind },
  reset_peer: { kind, ms: [0, 500] },
  reset_peer_after: { kind, ms: [280, 800], near: 200 },
  // 20 003 bytes at 40 KB/s: 500 ms
  bandwidth: { kind, ms: [400, 1200], near: 300 },
  no_toxic: { kind, ms: [0, 300] },
  slow_close: { kind, ms: [280, 800], near: 200 },
  // 2 003 bytes in slices of about 100 bytes, 5 ms apart
  slicer: { kind, ms: [50, 1500], also: (e) => expect(e.reads).toBeGreaterThanOrEqual(5) },
}

const peers = missingPeers([TOXIPROXY_SERVER])
if (peers.skip) console.warn(`toxiproxy-clients: skipped (not under CI): ${peers.why}`)

describe.skipIf(peers.skip)(`Toxiproxy's clients work the same against chaoscope proxy${peers.skip ? ` (skipped: ${peers.why})` : ''}`, () => {
  let real: Peer | undefined
  let ours: Peer | undefined
  let echo: Awaited<ReturnType<typeof startEcho>> | undefined

  beforeAll(async () => {
    if (peers.why) throw new Error(peers.why)
    echo = await startEcho()
    ;[real, ours] = await Promise.all([startToxiproxy(), startChaoscope()])
  }, 60_000)
  afterAll(async () => {
    await Promise.all([real?.stop(), ours?.stop(), echo?.close()])
  })

  const clients = [
    { name: 'Go client', bin: goScenario(), args: (api: string, up: string) => [goScenario(), ['-api', api, '-upstream', up]] as const },
    { name: 'Python client (toxiproxy-python)', bin: PYTHON, args: (api: string, up: string) => [PYTHON, [PY_SCENARIO, '--api', api, '--upstream', up]] as const },
  ]

  it('toxiproxy-cli prints the same and exits the same against both', async (ctx) => {
    const installed = missingPeers([TOXIPROXY_CLI])
    if (installed.why) {
      if (installed.skip) return ctx.skip(installed.why)
      throw new Error(installed.why)
    }
    const up = echo!.addr
    const commands = [
      ['list'],
      ['create', '-l', '127.0.0.1:0', '-u', up, 'cli_one'],
      ['create', '-l', '127.0.0.1:0', '-u', up, 'cli_one'],
      ['create', '-l', '127.0.0.1:0', '-u', up, 'cli_two'],
      ['list'],
      ['inspect', 'cli_one'],
      ['inspect', 'cli_nope'],
      ['toxic', 'add', '-t', 'latency', '-a', 'latency=100', '-a', 'jitter=5', 'cli_one'],
      ['toxic', 'add', '-t', 'bandwidth', '-u', '-a', 'rate=50', 'cli_one'],
      ['toxic', 'add', '-t', 'limit_data', '-n', 'cut', '--tox', '0.5', '-a', 'bytes=100', 'cli_one'],
      ['toxic', 'add', '-t', 'latency', 'cli_one'],
      ['toxic', 'add', '-t', 'no_such', 'cli_one'],
      ['toxic', 'update', '-n', 'latency_downstream', '-a', 'latency=200', 'cli_one'],
      ['toxic', 'update', '-n', 'nope', '-a', 'latency=1', 'cli_one'],
      ['inspect', 'cli_one'],
      ['toggle', 'cli_one'],
      ['list'],
      ['toggle', 'cli_one'],
      ['toxic', 'remove', '-n', 'cut', 'cli_one'],
      ['toxic', 'remove', '-n', 'cut', 'cli_one'],
      ['inspect', 'cli_one'],
      ['delete', 'cli_two'],
      ['delete', 'cli_two'],
      ['list'],
      ['delete', 'cli_one'],
    ]
    const seen: unknown[][] = []
    for (const peer of [real!, ours!]) {
      const norm = portNormaliser({ [up]: 'UP', [peer.url.replace('http://', '')]: 'API' })
      const outs: unknown[] = []
      for (const c of commands) {
        const r = await run(TOXIPROXY_CLI, ['-h', peer.url, ...c])
        outs.push(norm({ command: c.join(' '), ...r }))
      }
      seen.push(outs)
    }
    const [theirs, mine] = seen as { code: number; out: string; err: string }[][]
    for (let i = 0; i < commands.length; i++) expect.soft(mine![i], commands[i]!.join(' ')).toEqual(theirs![i])
    // the oracle is about something: what the real one printed
    expect(theirs![1]).toMatchObject({ code: 0, out: 'Created new proxy cli_one\n' })
    expect(theirs![6]!.code).not.toBe(0)
    expect(theirs![14]!.out).toMatch(/latency_downstream\ttype=latency\tstream=downstream/)
  }, 120_000)

  for (const client of clients) {
    describe(client.name, () => {
      let theirs: Output
      let mine: Output

      beforeAll(async () => {
        const installed = missingPeers([client.bin])
        if (installed.why) {
          if (installed.skip) return
          throw new Error(installed.why)
        }
        // one after the other: the measured effects are not shared with another load
        const [cmd, args] = client.args(real!.url, echo!.addr)
        theirs = await runScenario(cmd, [...args])
        const [cmd2, args2] = client.args(ours!.url, echo!.addr)
        mine = await runScenario(cmd2, [...args2])
        const dump = process.env.TOXIPROXY_CLIENTS_DUMP
        if (dump) {
          const file = client.name.split(' ')[0]!.toLowerCase()
          writeFileSync(join(dump, `${file}-toxiproxy.json`), JSON.stringify(theirs, null, 2))
          writeFileSync(join(dump, `${file}-chaoscope.json`), JSON.stringify(mine, null, 2))
        }
      }, 120_000)

      it('every call returns what it returns against the real Toxiproxy', (ctx) => {
        if (!theirs) return ctx.skip(missingPeers([client.bin]).why)
        const fixed = { [echo!.addr]: 'UP' }
        const [normTheirs, normMine] = [portNormaliser(fixed), portNormaliser(fixed)]
        const t = theirs.steps as StepOut[]
        const m = mine.steps as StepOut[]
        expect(m.map((s) => s.step)).toEqual(t.map((s) => s.step))
        for (let i = 0; i < t.length; i++) {
          const diff = DIFFERENCES[t[i]!.step]
          const see = (s: StepOut) => (diff ? diff.compare(s) : s)
          expect.soft(normMine(see(m[i]!)), `${t[i]!.step}${diff ? ` (compared without: ${diff.why})` : ''}`).toEqual(normTheirs(see(t[i]!)))
        }
      })

      it('a latency toxic adds its latency, each way (both servers, measured by the client)', (ctx) => {
        if (!theirs) return ctx.skip(missingPeers([client.bin]).why)
        for (const out of [theirs, mine]) {
          const e = out.effects as Record<string, number>
          expect(e.baseline_rtt_ms, 'round trip with no toxic').toBeLessThan(100)
          expect(e.latency_rtt_ms! - e.baseline_rtt_ms!, 'latency 100 downstream').toBeGreaterThanOrEqual(95)
          expect(e.latency_rtt_ms! - e.baseline_rtt_ms!, 'latency 100 downstream').toBeLessThan(250)
          expect(e.latency_upstream_rtt_ms! - e.baseline_rtt_ms!, 'latency 50 upstream').toBeGreaterThanOrEqual(45)
          expect(e.latency_upstream_rtt_ms! - e.baseline_rtt_ms!, 'latency 50 upstream').toBeLessThan(200)
        }
        const added = (o: Output) => (o.effects.latency_rtt_ms as number) - (o.effects.baseline_rtt_ms as number)
        // single round trips on a loaded 2-core machine: the upper bounds leave room for a scheduling hiccup
        expect(Math.abs(added(mine) - added(theirs)), 'added latency, ours against Toxiproxy').toBeLessThan(100)
      })

      it('toxicity 0 applies to no connection; a toxic added or removed while a connection is open applies to it', (ctx) => {
        if (!theirs) return ctx.skip(missingPeers([client.bin]).why)
        for (const [who, out] of [['toxiproxy', theirs], ['chaoscope', mine]] as const) {
          const e = out.effects as { latency_toxicity_zero_rtt_ms: number; latency_on_open_connection_ms: number[] }
          expect.soft(e.latency_toxicity_zero_rtt_ms, `${who}: latency 100 at toxicity 0`).toBeLessThan(80)
          const [before, during, after] = e.latency_on_open_connection_ms
          expect.soft(before, `${who}: open connection, before the toxic`).toBeLessThan(80)
          expect.soft(during, `${who}: open connection, with latency 100 added`).toBeGreaterThanOrEqual(95)
          expect.soft(during, `${who}: open connection, with latency 100 added`).toBeLessThan(300)
          expect.soft(after, `${who}: open connection, the toxic removed`).toBeLessThan(80)
        }
      })

      it('disabling a proxy drops the connections it holds, as Toxiproxy does', (ctx) => {
        if (!theirs) return ctx.skip(missingPeers([client.bin]).why)
        expect(['eof', 'reset']).toContain(theirs.effects.disable_drops_open)
        expect(mine.effects.disable_drops_open).toBe(theirs.effects.disable_drops_open)
      })

      it('the other toxics do to traffic what they do through Toxiproxy', (ctx) => {
        if (!theirs) return ctx.skip(missingPeers([client.bin]).why)
        for (const [name, want] of Object.entries(EFFECTS)) {
          const t = theirs.effects[name] as Exchange
          const m = mine.effects[name] as Exchange
          expect.soft(want.kind(m), `${name}: bytes through and how it ended`).toEqual(want.kind(t))
          if (want.ms) {
            for (const [who, e] of [['toxiproxy', t], ['chaoscope', m]] as const) {
              expect.soft(e.ms, `${name} (${who}): ms`).toBeGreaterThanOrEqual(want.ms[0])
              expect.soft(e.ms, `${name} (${who}): ms`).toBeLessThanOrEqual(want.ms[1])
            }
          }
          if (want.near !== undefined && t.ms !== undefined && m.ms !== undefined) {
            expect.soft(Math.abs(m.ms - t.ms), `${name}: ms, ours ${m.ms} against Toxiproxy's ${t.ms}`).toBeLessThanOrEqual(want.near)
          }
          want.also?.(t)
          if (m.end) want.also?.(m)
        }
        // what the scenario asked for, as the real Toxiproxy does it: the oracle is about something
        const e = theirs.effects as Record<string, Exchange>
        expect(e.disabled).toEqual({ end: 'refused' })
        expect(kind(e.limit_data!)).toEqual({ bytes: 1500, end: 'eof' })
        expect(kind(e.timeout_zero_holds!)).toEqual({ bytes: 0, end: 'held' })
        expect(e.reset_peer!.end).toBe('reset')
        expect(kind(e.bandwidth!)).toEqual({ bytes: 20003, end: 'eof' })
      })
    })
  }
})
