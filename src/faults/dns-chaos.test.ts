/** DNSChaos on real pods: what a Python, a Node and a shell pod resolve, asked from inside the pods. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import { dnsRules, effect as dnsFault, ruleLines } from '../runtime/effects/dns-fault.js'
import type { DnsFaultBody } from '../runtime/effects/dns-fault.js'
import type { EffectSpec } from '../runtime/effect.js'
import { dnsChaos } from './dns-chaos.js'
import type { DNSChaosSpec } from './dns-chaos.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { httpGet, ownedFaults, podsOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import { kindSpec, listedPod, refusal } from '../../test/doubles/in-pod.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const dns = (body: string): DNSChaosSpec => kindSpec<DNSChaosSpec>('DNSChaos', body)


describe('what DNSChaos takes and refuses (pure)', () => {
  const pod = listedPod

  it('refuses remoteCluster, and a pattern listed twice (Chaos Mesh\'s DNS server refuses it; "a" is also held as "a.")', () => {
    expect(refusal(() => dnsChaos.check!({ ...dns('action: error'), remoteCluster: 'east' }))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.remoteCluster "east": the local runtime has no remote clusters (remove remoteCluster, or run it against a cluster with Chaos Mesh)',
    )
    expect(refusal(() => dnsChaos.check!(dns('action: error\npatterns: [a.com, b.*, a.com.]')))).toBe(
      'SPEC_INVALID_VALUE: spec.patterns[2] "a.com." repeats spec.patterns[0] "a.com": Chaos Mesh\'s DNS server refuses a pattern twice (list each pattern once (a pattern matches with or without the final "."))',
    )
    expect(refusal(() => dnsChaos.check!(dns('action: random\npatterns: [a.com, a.*, "a?com"]')))).toBe('admitted')
  })

  it('refuses at apply containerNames other than the pod\'s one container, pods without the fault library, and external pods', () => {
    expect(refusal(() => dnsChaos.admit!(dns('action: error\ncontainerNames: [py, istio-proxy]'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.containerNames names "istio-proxy": pod py-1 has one container, "py" (a local pod\'s container is named after its service: containerNames: ["py"], or leave containerNames out)',
    )
    expect(refusal(() => dnsChaos.admit!(dns('action: error\ncontainerNames: [py]'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe('admitted')
    const pods = [
      pod('go-1', 'go', { faultLibrary: { loaded: false, reason: 'its program /app/server (pid 7) has not loaded the fault library: a statically linked program, or one that clears LD_PRELOAD, cannot take it' } }),
      pod('redis-1', 'redis', { external: '127.0.0.1:6379' }),
      pod('py-1', 'py'),
      pod('py-2', 'py', { faultLibrary: { loaded: true } }),
    ]
    expect(refusal(() => dnsChaos.admit!(dns('action: error'), pods.slice(2).map((p) => ({ key: p.name, pod: p }))))).toBe('admitted')
    expect(refusal(() => dnsChaos.admit!(dns('action: error'), pods.map((p) => ({ key: p.name, pod: p }))))).toMatch(
      /^SPEC_LOCAL_UNSUPPORTED: pod go-1: its name lookups cannot be faulted: its program \/app\/server \(pid 7\) has not loaded the fault library.*; pod redis-1 fronts the external service redis \(127\.0\.0\.1:6379\): chaoscope does not run it/,
    )
  })

  it('the effect body: action error or random, patterns as Chaos Mesh writes them ([] for every name)', () => {
    expect(dnsFault.parse({ action: 'random' })).toEqual({ action: 'random', patterns: [] })
    expect(dnsFault.parse({ action: 'error', patterns: ['echo*', 'w?b.default.svc.cluster.local'] })).toEqual({ action: 'error', patterns: ['echo*', 'w?b.default.svc.cluster.local'] })
    expect(refusal(() => dnsFault.parse({ action: 'delay' }))).toMatch(/^EFFECT_INVALID: body\.action: expected "error" or "random"/)
    expect(refusal(() => dnsFault.parse({ action: 'error', patterns: ['a*b'] }))).toMatch(/^EFFECT_INVALID: body\.patterns\[0\]: "a\*b": the wildcard "\*" may only be the last character/)
    expect(refusal(() => dnsFault.parse({ action: 'error', patterns: ['a b\nrule action=error'] }))).toMatch(/^EFFECT_INVALID: body\.patterns\[0\]: /)
  })

  it('a pod\'s rules: one line per effect in the order applied, each keeping its counter slot; none: no text', () => {
    const e = (id: string, body: DnsFaultBody): EffectSpec<DnsFaultBody> => ({ id, type: 'dns-fault', target: { pod: 'p' }, body })
    const fresh: number[] = []
    const one = dnsRules('shop', [e('x:1', { action: 'error', patterns: ['echo*'] }), e('y 2', { action: 'random', patterns: [] })], '', fresh)
    expect(one).toBe('ns=shop\nrule id=x%3A1 slot=0 action=error patterns=echo*\nrule id=y%202 slot=1 action=random\n')
    expect(fresh).toEqual([0, 1])
    const fresh2: number[] = []
    const two = dnsRules('shop', [e('y 2', { action: 'random', patterns: [] }), e('z', { action: 'error', patterns: ['a', 'b?'] })], one, fresh2)
    expect(two).toBe('ns=shop\nrule id=y%202 slot=1 action=random\nrule id=z slot=0 action=error patterns=a,b?\n')
    expect(fresh2).toEqual([0])
    expect(ruleLines(two)).toEqual([
      { id: 'y 2', slot: 1, action: 'random', patterns: [] },
      { id: 'z', slot: 0, action: 'error', patterns: ['a', 'b?'] },
    ])
    expect(dnsRules('shop', [], two)).toBe('')
  })
})

/** Python pod: GET /resolve?name=N → socket.getaddrinfo(N) as {addresses, canon} or {error: errno, message}. */
const PROBE = `
import json, os, socket
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        name = parse_qs(urlparse(self.path).query)['name'][0]
        try:
            r = socket.getaddrinfo(name, 80, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
            body = {'addresses': sorted({a[4][0] for a in r}), 'canon': r[0][3]}
        except socket.gaierror as e:
            body = {'error': e.errno, 'message': e.strerror}
        b = json.dumps(body).encode()
        self.send_response(200); self.send_header('content-type', 'application/json'); self.send_header('content-length', str(len(b))); self.end_headers(); self.wfile.write(b)
HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`

/** Node pod: GET /resolve?name=N → dns.lookup(N, {all: true}) as {addresses} or {code}. */
const NODE = `
const dns = require('node:dns')
require('node:http').createServer((req, res) => {
  const name = new URL(req.url, 'http://x').searchParams.get('name')
  dns.lookup(name, { all: true }, (err, list) => res.end(JSON.stringify(err ? { code: err.code } : { addresses: list.map((a) => a.address).sort() })))
}).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

/** Shell pod: `getent hosts <name>` for each name, every 0.2 s, into $OUT/getent-<name> (its output, then rc=N). */
const SHELL = `while :; do for n in echo web localhost; do { getent hosts "$n"; echo "rc=$?"; } > "$OUT/getent-$n.tmp" && mv "$OUT/getent-$n.tmp" "$OUT/getent-$n"; done; sleep 0.2; done`

type Resolved = { addresses: string[]; canon?: string } | { error?: number; code?: string; message?: string }

describe('DNSChaos on real pods', () => {
  let app: FaultApp
  const work = mkdtempSync(join(tmpdir(), 'chaoscope-dns-'))
  beforeAll(async () => {
    // the library the pods preload holds native/faults/dns.c (a no-op when it is up to date)
    execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/build-native.mjs')], { stdio: 'inherit' })
    app = await startFaultApp({
      files: { 'probe.py': PROBE, 'lookup.cjs': NODE },
      services: `    - name: py
      command: [python3, probe.py]
      port: 7100
      replicas: 2
      dependencies: [echo, web]
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: nodedns
      command: [node, lookup.cjs]
      port: 7300
      dependencies: [echo, web]
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: sh
      command: [sh, -c, ${JSON.stringify(SHELL)}]
      dependencies: [echo, web]
      env: {OUT: "${work}"}
      terminationGracePeriodSeconds: 1
    - name: nopre
      command: [python3, probe.py]
      port: 7400
      preload: false
      dependencies: [echo]
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
`,
    })
  }, 90_000)
  afterAll(async () => {
    await app?.close()
    rmSync(work, { recursive: true, force: true })
  })

  const first = (service: string): RuntimePod => {
    const p = podsOf(app, service)[0]
    if (!p) throw new Error(`no ready pod of ${service}`)
    return p
  }
  const portOf = (p: RuntimePod): number => Number(p.address!.split(':')[1])
  const tgt = (p: RuntimePod) => ({ key: p.name, pod: p })

  /** What `name` resolves to inside the pod (its own getaddrinfo or dns.lookup). */
  async function resolve(p: RuntimePod, name: string): Promise<Resolved> {
    const r = await httpGet(portOf(p), `/resolve?name=${encodeURIComponent(name)}`)
    if (!('status' in r)) throw new Error(`pod ${p.name}: ${r.error}`)
    return JSON.parse(r.body) as Resolved
  }
  const addresses = (r: Resolved): string[] | undefined => ('addresses' in r ? r.addresses : undefined)
  const loopback = (r: Resolved): boolean => addresses(r)?.join() === '127.0.0.1'
  /** EAI_AGAIN, as after a SERVFAIL (Python's errno -3). */
  const servfail = (r: Resolved): boolean => ('error' in r && r.error === -3) || ('code' in r && r.code === 'EAI_AGAIN')
  const randomLoopback = (r: Resolved): boolean => {
    const a = addresses(r)
    return a?.length === 1 && /^127\.\d+\.\d+\.\d+$/.test(a[0]!) && a[0] !== '127.0.0.1'
  }

  /** Polls `read` until `ok` holds or the deadline passes; returns the last value read. */
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const v = await read()
      if (ok(v) || Date.now() > deadline) return v
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** Injects on one pod, runs fn, always recovers; then checks nothing is held. */
  async function withFault<T>(spec: DNSChaosSpec, p: RuntimePod, fn: (evidence: Record<string, unknown> | undefined, ctx: ReturnType<typeof testContext>, inj: Awaited<ReturnType<typeof dnsChaos.inject>>) => Promise<T>): Promise<T> {
    const ctx = testContext(app.client)
    const inj = await dnsChaos.inject(ctx, tgt(p), spec)
    try {
      return await fn(inj.evidence, ctx, inj)
    } finally {
      await dnsChaos.recover(ctx, inj)
      expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
    }
  }

  injectorContract(
    () => app,
    () => ({
      injector: dnsChaos,
      spec: dns('action: error\npatterns: ["echo*"]'),
      target: async () => tgt(first('py')),
      snapshot: async (_a, target) => ({ pod: target.pod.name, echo: servfail(await resolve(target.pod, 'echo')), web: loopback(await resolve(target.pod, 'web')) }),
      acting: async (_a, target) => servfail(await resolve(target.pod, 'echo')),
    }),
  )

  it('without a fault, a pod resolves its dependencies by their Kubernetes service names to 127.0.0.1, and localhost as /etc/hosts says', async () => {
    const p = first('py')
    for (const name of ['echo', 'echo.default', 'echo.default.svc', 'echo.default.svc.cluster.local', 'web', 'WEB.default.svc.cluster.local']) {
      expect({ name, r: await resolve(p, name) }).toEqual({ name, r: { addresses: ['127.0.0.1'], canon: `${name.split('.')[0]!.toLowerCase()}.default.svc.cluster.local` } })
    }
    expect(loopback(await resolve(p, 'localhost'))).toBe(true)
    expect(await resolve(p, 'ext')).toMatchObject({ error: expect.any(Number) }) // not a dependency of py: no name
    expect(await resolve(first('nodedns'), 'echo')).toEqual({ addresses: ['127.0.0.1'] })
  })

  it('error on "echo*": echo\'s names fail with EAI_AGAIN (a SERVFAIL), web and localhost still resolve; recover: back', async () => {
    const p = first('py')
    await withFault(dns('action: error\npatterns: ["echo*"]'), p, async (evidence, ctx, inj) => {
      expect(evidence).toEqual({ inForce: true, action: 'error', patterns: ['echo*'], lookupsAffected: 0 })
      const r = await until(() => resolve(p, 'echo'), servfail)
      expect(r).toEqual({ error: -3, message: 'Temporary failure in name resolution' })
      expect(servfail(await resolve(p, 'echo.default.svc.cluster.local'))).toBe(true)
      expect(loopback(await resolve(p, 'web'))).toBe(true)
      expect(loopback(await resolve(p, 'localhost'))).toBe(true)
      expect(app.rt.pods().find((x) => x.name === p.name)?.pid).toBe(p.pid) // the same process, faulted while it runs
      expect(await dnsChaos.evidence!(ctx, inj)).toMatchObject({ inForce: true, lookupsAffected: expect.any(Number) })
      expect(((await dnsChaos.evidence!(ctx, inj)) as { lookupsAffected: number }).lookupsAffected).toBeGreaterThanOrEqual(2)
    })
    expect(loopback(await until(() => resolve(p, 'echo'), loopback))).toBe(true)
  })

  it('random on "echo*": echo resolves to an address in 127.0.0.0/8 other than 127.0.0.1, drawn anew at each lookup; recover: back', async () => {
    const p = first('py')
    await withFault(dns('action: random\npatterns: ["echo*"]'), p, async () => {
      const seen = new Set<string>()
      for (let i = 0; i < 5; i++) {
        const r = await until(() => resolve(p, 'echo'), randomLoopback)
        expect(randomLoopback(r)).toBe(true)
        seen.add(addresses(r)![0]!)
      }
      expect(seen.size).toBeGreaterThan(1)
      expect(loopback(await resolve(p, 'web'))).toBe(true)
    })
    expect(loopback(await until(() => resolve(p, 'echo'), loopback))).toBe(true)
  })

  it('patterns match the names a pod\'s resolver asks, as Chaos Mesh\'s DNS server does: "?" one character, a trailing "*", search domains first', async () => {
    const p = first('py')
    // "?" stands for one character: web's full name matches, echo's does not
    await withFault(dns('action: error\npatterns: ["w?b.default.svc.cluster.local"]'), p, async () => {
      expect(servfail(await until(() => resolve(p, 'web'), servfail))).toBe(true)
      expect(servfail(await resolve(p, 'web.default'))).toBe(true)
      expect(loopback(await resolve(p, 'echo'))).toBe(true)
    })
    // a trailing "*": any tail
    await withFault(dns('action: error\npatterns: ["echo.def*"]'), p, async () => {
      expect(servfail(await until(() => resolve(p, 'echo.default'), servfail))).toBe(true)
      expect(servfail(await resolve(p, 'echo'))).toBe(true) // its first query is echo.default.svc.cluster.local.
      expect(loopback(await resolve(p, 'web'))).toBe(true)
    })
    // the short name alone never reaches the server as asked: "echo" is sent as echo.default.svc.cluster.local. first
    await withFault(dns('action: error\npatterns: [echo]'), p, async () => {
      expect(loopback(await resolve(p, 'echo'))).toBe(true)
    })
    // matching is byte for byte, as the server compares the name as asked
    await withFault(dns('action: error\npatterns: ["echo*"]'), p, async () => {
      expect(servfail(await until(() => resolve(p, 'echo'), servfail))).toBe(true)
      expect(loopback(await resolve(p, 'Echo'))).toBe(true)
    })
  })

  it('no patterns: every name fails but those of /etc/hosts (localhost), which a pod reads before DNS', async () => {
    const p = first('py')
    await withFault(dns('action: error'), p, async (evidence) => {
      expect(evidence).toMatchObject({ patterns: 'every name' })
      expect(servfail(await until(() => resolve(p, 'web'), servfail))).toBe(true)
      expect(servfail(await resolve(p, 'echo'))).toBe(true)
      expect(servfail(await resolve(p, 'example.invalid'))).toBe(true)
      expect(loopback(await resolve(p, 'localhost'))).toBe(true)
    })
  })

  it('a container that restarts keeps the fault (the pod is the same), and recover reaches it', async () => {
    const p = first('py')
    await withFault(dns('action: error\npatterns: ["echo*"]'), p, async () => {
      expect(servfail(await until(() => resolve(p, 'echo'), servfail))).toBe(true)
      process.kill(p.pid!, 'SIGKILL')
      const back = await app.rt.supervisor.waitFor(p.name, (x) => x.ready && x.restartCount === p.restartCount + 1, 20_000)
      const now = app.rt.pods().find((x) => x.name === p.name)!
      expect(back.pid).not.toBe(p.pid)
      expect(servfail(await until(() => resolve(now, 'echo'), servfail))).toBe(true)
    })
    expect(loopback(await until(() => resolve(p, 'echo'), loopback))).toBe(true)
  })

  it('targets one pod: the other pod of the service resolves as before', async () => {
    const [a, b] = podsOf(app, 'py')
    await withFault(dns('action: error\npatterns: ["echo*"]'), a!, async () => {
      expect(servfail(await until(() => resolve(a!, 'echo'), servfail))).toBe(true)
      expect(loopback(await resolve(b!, 'echo'))).toBe(true)
    })
  })

  it('two DNSChaos on one pod: the latest decides a name both match; recovering it leaves the other', async () => {
    const p = first('py')
    const c1 = testContext(app.client)
    const c2 = testContext(app.client)
    const i1 = await dnsChaos.inject(c1, tgt(p), dns('action: error\npatterns: ["echo*", "web*"]'))
    try {
      const i2 = await dnsChaos.inject(c2, tgt(p), dns('action: random\npatterns: ["echo*"]'))
      try {
        expect(i2.evidence).toMatchObject({ inForce: true, action: 'random', rulesOnPod: 2 })
        expect(randomLoopback(await until(() => resolve(p, 'echo'), randomLoopback))).toBe(true)
        expect(servfail(await resolve(p, 'web'))).toBe(true)
      } finally {
        await dnsChaos.recover(c2, i2)
      }
      expect(servfail(await until(() => resolve(p, 'echo'), servfail))).toBe(true)
    } finally {
      await dnsChaos.recover(c1, i1)
    }
    expect(loopback(await until(() => resolve(p, 'echo'), loopback))).toBe(true)
  })

  it('two DNSChaos applied at once on one pod are both in force, and both go when recovered at once', async () => {
    const p = first('py')
    const c1 = testContext(app.client)
    const c2 = testContext(app.client)
    const [i1, i2] = await Promise.all([dnsChaos.inject(c1, tgt(p), dns('action: error\npatterns: ["echo*"]')), dnsChaos.inject(c2, tgt(p), dns('action: error\npatterns: ["web*"]'))])
    try {
      expect(servfail(await until(() => resolve(p, 'echo'), servfail))).toBe(true)
      expect(servfail(await until(() => resolve(p, 'web'), servfail))).toBe(true)
    } finally {
      await Promise.all([dnsChaos.recover(c1, i1), dnsChaos.recover(c2, i2)])
    }
    expect(loopback(await until(() => resolve(p, 'echo'), loopback))).toBe(true)
    expect(loopback(await until(() => resolve(p, 'web'), loopback))).toBe(true)
  })

  it('a Node pod: dns.lookup fails with EAI_AGAIN, or gets the random address', async () => {
    const p = first('nodedns')
    await withFault(dns('action: error\npatterns: ["echo*"]'), p, async () => {
      expect(await until(() => resolve(p, 'echo'), servfail)).toEqual({ code: 'EAI_AGAIN' })
      expect(await resolve(p, 'web')).toEqual({ addresses: ['127.0.0.1'] })
    })
    await withFault(dns('action: random\npatterns: ["echo*"]'), p, async () => {
      expect(randomLoopback(await until(() => resolve(p, 'echo'), randomLoopback))).toBe(true)
    })
    expect(await until(() => resolve(p, 'echo'), loopback)).toEqual({ addresses: ['127.0.0.1'] })
  })

  /**
   * The shell pod, once the runtime says its container loaded the fault library. The runtime may have read the
   * pod's memory map while its shell was still starting (exec done, the library not mapped yet) and kept that
   * answer for the container's life (reported to the lead): such a pod is replaced, and the new one read afresh.
   */
  async function shellPod(): Promise<RuntimePod> {
    for (let attempt = 0; ; attempt++) {
      const p = await until(async () => app.rt.pods().find((x) => x.service === 'sh' && x.phase === 'Running'), (x) => x?.faultLibrary !== undefined, 10_000)
      if (!p) throw new Error('no running pod of sh')
      if (p.faultLibrary?.loaded || attempt === 2) return p
      const mapped = (() => {
        try {
          return readFileSync(`/proc/${p.pid}/maps`, 'utf8').includes('libchaoscope-faults')
        } catch {
          return false
        }
      })()
      if (!mapped) return p
      await app.rt.supervisor.stopPod(p.name, { replace: true, gracePeriodMs: 0 })
    }
  }

  it('a shell pod: `getent hosts` (gethostbyname2) fails for echo, and resolves web and localhost', async () => {
    const p = await shellPod()
    const getent = async (name: string): Promise<string> => {
      try {
        return readFileSync(join(work, `getent-${name}`), 'utf8')
      } catch {
        return ''
      }
    }
    const ok = (s: string) => /^127\.0\.0\.1\s+\S+\nrc=0\n$/.test(s)
    expect(await until(() => getent('echo'), ok)).toMatch(/^127\.0\.0\.1\s+echo\.default\.svc\.cluster\.local\nrc=0\n$/)
    await withFault(dns('action: error\npatterns: ["echo*"]'), p, async () => {
      expect(await until(() => getent('echo'), (s) => s === 'rc=2\n')).toBe('rc=2\n')
      expect(ok(await until(() => getent('web'), ok))).toBe(true)
      expect(await getent('localhost')).toMatch(/^127\.0\.0\.1\s+localhost\nrc=0\n$/)
    })
    await withFault(dns('action: random\npatterns: ["echo*"]'), p, async () => {
      const random = (s: string) => /^127\.\d+\.\d+\.\d+\s+echo\S*\nrc=0\n$/.test(s) && !s.startsWith('127.0.0.1 ')
      expect(random(await until(() => getent('echo'), random))).toBe(true)
    })
    expect(ok(await until(() => getent('echo'), ok))).toBe(true)
  })

  it('a pod without the fault library (preload: false) is refused at apply and at inject, and nothing is held', async () => {
    const p = await until(async () => first('nopre'), (x) => x.faultLibrary !== undefined)
    expect(p.faultLibrary).toEqual({ loaded: false, reason: expect.stringContaining('preload: false') })
    const spec = dns('action: error')
    expect(refusal(() => dnsChaos.admit!(spec, [tgt(p)]))).toMatch(/^SPEC_LOCAL_UNSUPPORTED: pod nopre-\S+: its name lookups cannot be faulted: .*preload: false/)
    const ctx = testContext(app.client)
    const e = await dnsChaos.inject(ctx, tgt({ ...p, faultLibrary: undefined } as RuntimePod), spec).then(() => undefined, (x: unknown) => x as ChaosError)
    expect(e?.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(e?.message).toMatch(/its name lookups cannot be faulted: .*preload: false/)
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
  })
})
