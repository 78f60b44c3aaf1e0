/** IOChaos on real pods: file calls of a Python pod on its volume, made and timed inside the pod. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import { effect as ioFault, ioRules, ruleLine } from '../runtime/effects/io-fault.js'
import type { IOChaosSpec } from './io-chaos.js'
import { globProblem, ioChaos, ioRule } from './io-chaos.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { httpGet, ownedFaults, podsOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import { kindSpec, listedPod, refusal } from '../../test/doubles/in-pod.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const io = (body: string): IOChaosSpec => kindSpec<IOChaosSpec>('IOChaos', body)


describe('what IOChaos takes and refuses (pure)', () => {
  const pod = listedPod

  it('refuses methods no libc call is (lookup, forget, bmap), naming them; attrOverride does not read methods, as in Chaos Mesh', () => {
    expect(refusal(() => ioChaos.check!(io('action: fault\nerrno: 5\nvolumePath: /data\nmethods: [read, lookup, bmap]')))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.methods lookup, bmap: lookup: the kernel looks names up itself while it resolves a path; no libc call is a lookup (fault the calls on the path: open, getattr, access...); ' +
        'bmap: block mapping (FIBMAP) exists only on block-device FUSE file systems; no libc call maps to it (remove lookup, bmap from methods to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh)',
    )
    expect(refusal(() => ioChaos.check!(io('action: attrOverride\nattr: {perm: 72}\nvolumePath: /data\nmethods: [lookup]')))).toBe('admitted')
    expect(refusal(() => ioChaos.check!(io('action: latency\ndelay: 10ms\nvolumePath: /data\nmethods: [read, write, open, create, getattr, setattr, fsync, flush, release, readdir, setlk]')))).toBe('admitted')
  })

  it('refuses remoteCluster, a glob Chaos Mesh would not take, a mistake on methods without data, a negative delay', () => {
    expect(refusal(() => ioChaos.check!({ ...io('action: fault\nerrno: 5\nvolumePath: /data'), remoteCluster: 'east' }))).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec.remoteCluster "east": the local runtime has no remote clusters/)
    expect(refusal(() => ioChaos.check!(io('action: fault\nerrno: 5\nvolumePath: /data\npath: /data/a**')))).toMatch(/^SPEC_INVALID_VALUE: spec.path "\/data\/a\*\*": "\*\*" at character 8 is not a whole path component/)
    expect(refusal(() => ioChaos.check!(io('action: fault\nerrno: 5\nvolumePath: /data\npath: "/data/[ab"')))).toMatch(/^SPEC_INVALID_VALUE: spec.path "\/data\/\[ab": the "\[" at character 7 opens a character class that no "\]" closes/)
    expect(refusal(() => ioChaos.check!(io('action: mistake\nmistake: {filling: zero, maxOccurrences: 1, maxLength: 1}\nvolumePath: /data\nmethods: [open]')))).toMatch(/^SPEC_INVALID_VALUE: spec.methods open: a mistake changes the bytes of reads and writes/)
    expect(refusal(() => ioChaos.check!(io('action: latency\ndelay: -1s\nvolumePath: /data')))).toMatch(/^SPEC_INVALID_VALUE: spec.delay "-1s": a latency cannot be negative/)
    expect(globProblem('/var/run/etcd/**/*')).toBeUndefined()
    expect(globProblem('**/[!.]*.[ch]')).toBeUndefined()
    expect(globProblem('/a/***/b')).toMatch(/a wildcard is \* or \*\*/)
  })

  it('refuses at apply containerNames other than the pod\'s container, pods without the fault library, external pods; a pod not known yet is left to inject', () => {
    const spec = io('action: fault\nerrno: 5\nvolumePath: /data\ncontainerNames: [py, sidecar]')
    expect(refusal(() => ioChaos.admit!(spec, [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.containerNames names "sidecar": pod py-1 has one container, "py" (a local pod\'s container is named after its service: containerNames: ["py"], or leave containerNames out)',
    )
    const pods = [pod('go-1', 'go', { faultLibrary: { loaded: false, reason: 'its program /app/server (pid 7) has not loaded the fault library' } }), pod('redis-1', 'redis', { external: '127.0.0.1:6379' }), pod('py-1', 'py')]
    expect(refusal(() => ioChaos.admit!(io('action: fault\nerrno: 5\nvolumePath: /data'), pods.map((p) => ({ key: p.name, pod: p }))))).toMatch(
      /^SPEC_LOCAL_UNSUPPORTED: pod go-1: its file operations cannot be faulted: its program \/app\/server \(pid 7\) has not loaded the fault library; pod redis-1 fronts the external service redis/,
    )
    expect(refusal(() => ioChaos.admit!(io('action: fault\nerrno: 5\nvolumePath: /data'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe('admitted')
  })

  it('a spec is one rule; its rules line holds every field the library reads, %-encoded; a relative path is under the volume', () => {
    const rule = ioRule(io('action: latency\ndelay: 1.5s\nvolumePath: files\npath: "logs/**/*.log"\nmethods: [read, write]\npercent: 30'))
    expect(rule).toEqual({ action: 'latency', volumePath: 'files', path: 'logs/**/*.log', methods: ['read', 'write'], percent: 30, delayNs: '1500000000' })
    expect(ruleLine('e 1', rule, { volume: '/d/my files' })).toMatch(/^id=e%201 action=latency volume=%2Fd%2Fmy%20files path=%2Fd%2Fmy%20files%2Flogs%2F\*\*%2F\*\.log methods=read,write percent=30 delay_ns=1500000000 count=io\.count\.[0-9a-f]{24}\n$/)
    const attr = ioRule(io('action: attrOverride\nvolumePath: /v\nattr: {perm: 72, size: 7, mtime: {sec: 5, nsec: 6}, kind: directory}'))
    expect(ruleLine('a', attr, { volume: '/v', real: '/real/v' })).toMatch(/^id=a action=attr volume=%2Fv real=%2Freal%2Fv percent=100 size=7 perm=72 mtime=5,6 kind=directory count=/)
    const e = (id: string, volumePath: string) => ({ id, type: 'io-fault', target: { pod: 'p' }, body: { rules: [{ ...ioRule(io(`action: fault\nerrno: 5\nvolumePath: ${volumePath}`)) }] } })
    expect(ioRules('/data/default/py', [e('b', '/abs'), e('a', 'rel')]).split('\n').map((l) => / volume=(\S+)/.exec(l)?.[1])).toEqual(['%2Fdata%2Fdefault%2Fpy%2Frel', '%2Fabs', undefined])
  })

  it('the effect body is checked as API input', () => {
    const ok = { rules: [{ action: 'fault', volumePath: '/v', percent: 100, errno: 5 }] }
    expect(ioFault.parse(ok)).toEqual(ok)
    expect(refusal(() => ioFault.parse({ rules: [] }))).toMatch(/^EFFECT_INVALID: body\.rules: expected a list of 1 to 64 rules/)
    expect(refusal(() => ioFault.parse({ rules: [{ ...ok.rules[0], methods: ['lookup'] }] }))).toMatch(/^EFFECT_INVALID: body\.rules\[0\]\.methods: expected a list of methods/)
    expect(refusal(() => ioFault.parse({ rules: [{ ...ok.rules[0], errno: 0 }] }))).toMatch(/^EFFECT_INVALID: body\.rules\[0\]\.errno: /)
    expect(refusal(() => ioFault.parse({ rules: [{ action: 'latency', volumePath: '/v', percent: 100, delayNs: '9223372036854775808' }] }))).toMatch(/^EFFECT_INVALID: body\.rules\[0\]\.delayNs: /)
    expect(refusal(() => ioFault.parse({ rules: [{ action: 'attrOverride', volumePath: '/v', percent: 100, attr: { mode: 1 } }] }))).toMatch(/^EFFECT_INVALID: body\.rules\[0\]\.attr\.mode: not an attribute/)
    expect(refusal(() => ioFault.parse({ rules: [{ ...ok.rules[0], volumePath: '' }] }))).toMatch(/^EFFECT_INVALID: body\.rules\[0\]\.volumePath: /)
  })
})

/**
 * Python pod: file calls on paths relative to its $CHAOSCOPE_DATA_DIR (or absolute), each op timed and its errno
 * kept. GET /env, /read?path=[&n=N], /write?path=&data=, /stat?path=, /open?path=, /mkdir?path=.
 */
const PROBE = `
import json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs
DATA = os.environ['CHAOSCOPE_DATA_DIR']
def at(q): return os.path.join(DATA, q['path'][0])
def ms(t): return (time.monotonic() - t) * 1000
def step(out, op, fn):
    t = time.monotonic()
    try:
        r = fn(); out[op + 'Ms'] = ms(t); return r
    except OSError as e:
        out[op + 'Ms'] = ms(t); out.update(ok=False, op=op, errno=e.errno); raise
def read(path):
    out = {'ok': True}
    try:
        fd = step(out, 'open', lambda: os.open(path, os.O_RDONLY))
        try: out['data'] = step(out, 'read', lambda: os.read(fd, 65536)).decode('latin1')
        finally: step(out, 'close', lambda: os.close(fd))
    except OSError: pass
    return out
def write(path, data):
    out = {'ok': True}
    try:
        fd = step(out, 'open', lambda: os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        try: step(out, 'write', lambda: os.write(fd, data.encode('latin1')))
        finally: step(out, 'close', lambda: os.close(fd))
    except OSError: pass
    return out
def stat(path):
    out = {'ok': True}
    try:
        s = step(out, 'stat', lambda: os.stat(path))
        out.update(mode=s.st_mode, size=s.st_size, nlink=s.st_nlink, uid=s.st_uid)
    except OSError: pass
    return out
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urlparse(self.path); q = parse_qs(u.query)
        if u.path == '/env': body = {'dataDir': DATA}
        elif u.path == '/read' and 'n' in q:
            rs = [read(at(q)) for _ in range(int(q['n'][0]))]
            body = {'n': len(rs), 'failed': sum(1 for r in rs if not r['ok'])}
        elif u.path == '/read': body = read(at(q))
        elif u.path == '/write': body = write(at(q), q.get('data', [''])[0])
        elif u.path == '/stat': body = stat(at(q))
        elif u.path == '/open':
            out = {'ok': True}
            try: os.close(step(out, 'open', lambda: os.open(at(q), os.O_RDONLY)))
            except OSError: pass
            body = out
        elif u.path == '/mkdir': os.makedirs(at(q), exist_ok=True); body = {'ok': True}
        else: body = {'pid': os.getpid()}
        b = json.dumps(body).encode()
        self.send_response(200); self.send_header('content-type', 'application/json'); self.send_header('content-length', str(len(b))); self.end_headers(); self.wfile.write(b)
HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`

interface Op {
  ok: boolean
  op?: string
  errno?: number
  data?: string
  openMs?: number
  readMs?: number
  writeMs?: number
  closeMs?: number
  statMs?: number
  mode?: number
  size?: number
}

const EIO = 5
const ENOSPC = 28

describe('IOChaos on real pods', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp({
      files: { 'probe.py': PROBE },
      services: `    - name: py
      command: [python3, probe.py]
      port: 7100
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: nopre
      command: [python3, probe.py]
      port: 7400
      preload: false
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
`,
    })
    const p = first('py')
    for (const d of ['vol', 'vol/sub/deep']) await ask(p, `/mkdir?path=${d}`)
    const x64 = 'x'.repeat(64)
    for (const f of ['vol/a.txt', 'vol/sub/deep/b.txt', 'vol/sub/c.log', 'outside.txt']) expect((await ask(p, `/write?path=${f}&data=${x64}`)).ok).toBe(true)
  }, 90_000)
  afterAll(() => app?.close())

  const first = (service: string): RuntimePod => {
    const p = podsOf(app, service)[0]
    if (!p) throw new Error(`no ready pod of ${service}`)
    return p
  }
  const portOf = (p: RuntimePod): number => Number(p.address!.split(':')[1])
  const tgt = (p: RuntimePod) => ({ key: p.name, pod: p })

  async function ask<T = Op>(p: RuntimePod, path: string, timeoutMs = 10_000): Promise<T> {
    const r = await httpGet(portOf(p), path, {}, timeoutMs)
    if (!('status' in r)) throw new Error(`pod ${p.name} ${path}: ${r.error}`)
    return JSON.parse(r.body) as T
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

  /** Injects on one pod, runs fn, always recovers; then checks nothing is held and the volume reads normally again. */
  async function withFault<T>(spec: IOChaosSpec, fn: (ctx: ReturnType<typeof testContext>, evidence: () => Promise<Record<string, unknown> | undefined>) => Promise<T>, p = first('py')): Promise<T> {
    const ctx = testContext(app.client)
    const inj = await ioChaos.inject(ctx, tgt(p), spec)
    try {
      return await fn(ctx, () => ioChaos.evidence!(ctx, inj))
    } finally {
      await ioChaos.recover(ctx, inj)
      expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
      const after = await ask(p, '/read?path=vol/a.txt')
      expect([after.ok, after.data]).toEqual([true, 'x'.repeat(64)])
    }
  }

  injectorContract(
    () => app,
    () => ({
      injector: ioChaos,
      spec: io('action: fault\nerrno: 5\nvolumePath: vol\nmethods: [read]'),
      target: async () => tgt(first('py')),
      snapshot: async (_a, target) => {
        const r = await ask(target.pod, '/read?path=vol/a.txt')
        return { pod: target.pod.name, ok: r.ok, errno: r.errno }
      },
      acting: async (_a, target) => (await ask(target.pod, '/read?path=vol/a.txt')).errno === EIO,
    }),
  )

  it('latency 200ms on read: a read of the volume takes 200 ms inside the pod; its open and a file outside the volume do not wait', async () => {
    await withFault(io('action: latency\ndelay: 200ms\nvolumePath: vol\nmethods: [read]'), async () => {
      const r = await until(() => ask(first('py'), '/read?path=vol/a.txt'), (v) => (v.readMs ?? 0) >= 200)
      expect([r.ok, r.data]).toEqual([true, 'x'.repeat(64)])
      expect(r.readMs).toBeGreaterThanOrEqual(200)
      expect(r.readMs).toBeLessThan(1500)
      expect(r.openMs).toBeLessThan(100)
      const deep = await ask(first('py'), '/read?path=vol/sub/deep/b.txt')
      expect(deep.readMs).toBeGreaterThanOrEqual(200)
      const out = await ask(first('py'), '/read?path=outside.txt')
      expect([out.ok, out.readMs! < 100]).toEqual([true, true])
    })
    expect((await ask(first('py'), '/read?path=vol/a.txt')).readMs).toBeLessThan(100)
  })

  it('fault errno 5 (percent 100): reads of the volume fail with EIO, and the calls acted on are counted; outside the volume reads succeed', async () => {
    await withFault(io('action: fault\nerrno: 5\nvolumePath: vol'), async (_ctx, evidence) => {
      const r = await until(() => ask(first('py'), '/read?path=vol/a.txt'), (v) => v.errno === EIO)
      expect([r.ok, r.op, r.errno]).toEqual([false, 'open', EIO]) // every method: the open fails first
      expect((await ask(first('py'), '/stat?path=vol/sub/c.log')).errno).toBe(EIO)
      expect((await ask(first('py'), '/read?path=outside.txt')).ok).toBe(true)
      const calls = (await evidence())?.calls as number
      expect(calls).toBeGreaterThanOrEqual(2)
    })
  })

  it('percent 50: about half of the reads fail (400 reads, within 6 standard deviations)', async () => {
    await withFault(io('action: fault\nerrno: 5\nvolumePath: vol\nmethods: [read]\npercent: 50'), async () => {
      const r = await ask<{ n: number; failed: number }>(first('py'), '/read?path=vol/a.txt&n=400')
      expect(r.n).toBe(400)
      expect(r.failed).toBeGreaterThan(140)
      expect(r.failed).toBeLessThan(260)
    })
  })

  it('methods [write]: writes to the volume fail with ENOSPC while reads of it succeed', async () => {
    await withFault(io('action: fault\nerrno: 28\nvolumePath: vol\nmethods: [write]'), async () => {
      const w = await until(() => ask(first('py'), '/write?path=vol/w.txt&data=hello'), (v) => v.errno === ENOSPC)
      expect([w.ok, w.op, w.errno]).toEqual([false, 'write', ENOSPC])
      const r = await ask(first('py'), '/read?path=vol/a.txt')
      expect([r.ok, r.data]).toEqual([true, 'x'.repeat(64)])
    })
    expect((await ask(first('py'), '/write?path=vol/w.txt&data=hello')).ok).toBe(true)
  })

  it('attrOverride perm and size: os.stat in the pod shows them on the volume only', async () => {
    await withFault(io('action: attrOverride\nvolumePath: vol\nattr: {perm: 72, size: 7}'), async () => {
      const s = await until(() => ask(first('py'), '/stat?path=vol/a.txt'), (v) => v.size === 7)
      expect([s.ok, s.size, (s.mode! & 0o7777).toString(8), (s.mode! & 0o170000).toString(8)]).toEqual([true, 7, '110', '100000'])
      const out = await ask(first('py'), '/stat?path=outside.txt')
      expect([out.size, (out.mode! & 0o7777).toString(8)]).toEqual([64, '644'])
    })
    expect((await ask(first('py'), '/stat?path=vol/a.txt')).size).toBe(64)
  })

  it('mistake zero on read: some of the bytes read come back zero (at most maxOccurrences runs of maxLength), the file itself unchanged', async () => {
    await withFault(io('action: mistake\nvolumePath: vol\nmethods: [read]\nmistake: {filling: zero, maxOccurrences: 2, maxLength: 3}'), async () => {
      const r = await until(() => ask(first('py'), '/read?path=vol/a.txt'), (v) => (v.data ?? '').includes('\0'))
      expect(r.data).toHaveLength(64)
      const zeros = [...r.data!].filter((c) => c === '\0').length
      expect(zeros).toBeGreaterThanOrEqual(1)
      expect(zeros).toBeLessThanOrEqual(6)
      expect(r.data!.replace(/\0/g, '')).toBe('x'.repeat(64 - zeros))
    })
  })

  it('mistake random on write: what reaches the file differs from what the pod wrote', async () => {
    const data = 'y'.repeat(64)
    await withFault(io('action: mistake\nvolumePath: vol\nmethods: [write]\nmistake: {filling: random, maxOccurrences: 4, maxLength: 8}'), async () => {
      // reads are not faulted (methods [write]): what they show is what reached the file
      await until(async () => {
        await ask(first('py'), `/write?path=vol/m.txt&data=${data}`)
        return ask(first('py'), '/read?path=vol/m.txt')
      }, (v) => v.data !== data)
    })
    const r = await ask(first('py'), '/read?path=vol/m.txt')
    expect(r.data).toHaveLength(64)
    expect(r.data).not.toBe(data)
  })

  it('path glob relative to the volume: sub/**/*.txt matches files at any depth below sub, not sub/c.log nor a.txt', async () => {
    await withFault(io('action: fault\nerrno: 5\nvolumePath: vol\npath: "sub/**/*.txt"'), async () => {
      expect((await until(() => ask(first('py'), '/read?path=vol/sub/deep/b.txt'), (v) => v.errno === EIO)).errno).toBe(EIO)
      expect((await ask(first('py'), '/read?path=vol/sub/c.log')).ok).toBe(true)
      expect((await ask(first('py'), '/read?path=vol/a.txt')).ok).toBe(true)
    })
  })

  it('an absolute volumePath (the pod\'s data directory as the pod sees it) acts the same; the files outside it are untouched', async () => {
    const { dataDir } = await ask<{ dataDir: string }>(first('py'), '/env')
    await withFault(io(`action: fault\nerrno: 5\nvolumePath: ${JSON.stringify(`${dataDir}/vol/sub`)}\nmethods: [open]`), async (_ctx, evidence) => {
      expect((await until(() => ask(first('py'), '/read?path=vol/sub/c.log'), (v) => v.errno === EIO)).op).toBe('open')
      expect((await ask(first('py'), '/read?path=vol/a.txt')).ok).toBe(true)
      expect((await ask(first('py'), '/read?path=outside.txt')).ok).toBe(true)
      expect((await evidence())?.volumes).toEqual([`${dataDir}/vol/sub`])
    })
  })

  it('two IOChaos on one pod act together; recovering one leaves the other', async () => {
    const p = first('py')
    const c1 = testContext(app.client)
    const c2 = testContext(app.client)
    const i1 = await ioChaos.inject(c1, tgt(p), io('action: fault\nerrno: 5\nvolumePath: vol\nmethods: [read]'))
    try {
      const i2 = await ioChaos.inject(c2, tgt(p), io('action: fault\nerrno: 28\nvolumePath: vol\nmethods: [write]'))
      try {
        expect((await ask(p, '/read?path=vol/a.txt')).errno).toBe(EIO)
        expect((await ask(p, '/write?path=vol/w.txt&data=z')).errno).toBe(ENOSPC)
      } finally {
        await ioChaos.recover(c2, i2)
      }
      expect((await ask(p, '/write?path=vol/w.txt&data=z')).ok).toBe(true)
      expect((await ask(p, '/read?path=vol/a.txt')).errno).toBe(EIO)
    } finally {
      await ioChaos.recover(c1, i1)
    }
    expect((await ask(p, '/read?path=vol/a.txt')).ok).toBe(true)
  })

  it('a held IOChaos acts on the pod\'s next container too (its rules stay in the pod\'s control directory)', async () => {
    const p = first('py')
    await withFault(io('action: fault\nerrno: 5\nvolumePath: vol\nmethods: [read]'), async (ctx) => {
      expect((await ask(p, '/read?path=vol/a.txt')).errno).toBe(EIO)
      await app.client.apply({ id: `${ctx.experiment.uid}:kill`, type: 'container-kill', target: { pod: p.name }, body: { signal: 'SIGKILL', pid: p.pid } })
      const again = await until(async () => app.rt.pods().find((x) => x.name === p.name), (x) => x !== undefined && x.ready && x.pid !== p.pid, 20_000)
      expect(again?.pid).not.toBe(p.pid)
      const r = await until(() => ask(again!, '/read?path=vol/a.txt').catch(() => ({ ok: false }) as Op), (v) => v.errno === EIO, 10_000)
      expect(r.errno).toBe(EIO)
    }, p)
  })

  it('a pod started without the fault library (preload: false) is refused with the reason, and nothing is held', async () => {
    const p = first('nopre')
    const ctx = testContext(app.client)
    const e = await ioChaos.inject(ctx, tgt(p), io('action: fault\nerrno: 5\nvolumePath: vol')).then(
      () => undefined,
      (x: unknown) => x as ChaosError,
    )
    expect([e?.code, e?.message]).toEqual(['SPEC_LOCAL_UNSUPPORTED', `pod ${p.name}: its file operations cannot be faulted: its service nopre says preload: false in the App file`])
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
  })
})
