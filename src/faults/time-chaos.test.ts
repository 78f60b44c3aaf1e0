/** TimeChaos on real pods: the clocks a Python, a shell and a Node pod read, asked from inside the pods. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import { clockRules, effect as timeOffset, offsetsIn } from '../runtime/effects/time-offset.js'
import type { TimeChaosSpec } from './time-chaos.js'
import { offsetNs, timeChaos, unfitPods } from './time-chaos.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { httpGet, ownedFaults, podsOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import { kindSpec, listedPod, refusal } from '../../test/doubles/in-pod.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const time = (body: string): TimeChaosSpec => kindSpec<TimeChaosSpec>('TimeChaos', body)


describe('what TimeChaos takes and refuses (pure)', () => {
  const pod = listedPod

  it('timeOffset is read as Go reads it, to the nanosecond, past 2^53 too; clockIds default to CLOCK_REALTIME', () => {
    expect(offsetNs(time('timeOffset: -1h'))).toBe('-3600000000000')
    expect(offsetNs(time('timeOffset: 1000000h1ns'))).toBe('3600000000000000001')
    expect(time('timeOffset: 1s').clockIds).toEqual(['CLOCK_REALTIME'])
  })

  it('refuses remoteCluster, and containerNames other than the pod\'s one container', () => {
    expect(refusal(() => timeChaos.check!({ ...time('timeOffset: 1s'), remoteCluster: 'east' }))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.remoteCluster "east": the local runtime has no remote clusters (remove remoteCluster, or run it against a cluster with Chaos Mesh)',
    )
    const spec = time('timeOffset: 1s\ncontainerNames: [py, sidecar]')
    expect(refusal(() => timeChaos.admit!(spec, [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.containerNames names "sidecar": pod py-1 has one container, "py" (a local pod\'s container is named after its service: containerNames: ["py"], or leave containerNames out)',
    )
    expect(refusal(() => timeChaos.admit!(time('timeOffset: 1s\ncontainerNames: [py]'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe('admitted')
  })

  it('refuses at apply pods whose container has not loaded the fault library, and external pods; a pod not known yet is left to inject', () => {
    const spec = time('timeOffset: 1s')
    const pods = [
      pod('go-1', 'go', { faultLibrary: { loaded: false, reason: 'its program /app/server (pid 7) has not loaded the fault library: a statically linked program, or one that clears LD_PRELOAD, cannot take it' } }),
      pod('redis-1', 'redis', { external: '127.0.0.1:6379' }),
      pod('py-1', 'py'),
      pod('py-2', 'py', { faultLibrary: { loaded: true } }),
    ]
    expect(unfitPods(spec, pods.slice(2))).toBeUndefined()
    expect(refusal(() => timeChaos.admit!(spec, pods.map((p) => ({ key: p.name, pod: p }))))).toMatch(
      /^SPEC_LOCAL_UNSUPPORTED: pod go-1: its clocks cannot be shifted: its program \/app\/server \(pid 7\) has not loaded the fault library: a statically linked program.*; pod redis-1 fronts the external service redis \(127\.0\.0\.1:6379\): chaoscope does not run it/,
    )
  })

  it('the effect body keeps an int64 offset exact (a decimal string) and refuses what is not one', () => {
    expect(timeOffset.parse({ offsetNs: '-9223372036854775808', clockIds: ['CLOCK_MONOTONIC', 'CLOCK_MONOTONIC'] })).toEqual({ offsetNs: '-9223372036854775808', clockIds: ['CLOCK_MONOTONIC'] })
    expect(timeOffset.parse({ offsetNs: -5, clockIds: ['CLOCK_REALTIME'] })).toEqual({ offsetNs: '-5', clockIds: ['CLOCK_REALTIME'] })
    for (const bad of [{ offsetNs: '9223372036854775808', clockIds: ['CLOCK_REALTIME'] }, { offsetNs: 1e300, clockIds: ['CLOCK_REALTIME'] }, { offsetNs: '1h', clockIds: ['CLOCK_REALTIME'] }]) {
      expect(refusal(() => timeOffset.parse(bad))).toMatch(/^EFFECT_INVALID: body\.offsetNs: /)
    }
    expect(refusal(() => timeOffset.parse({ offsetNs: '1', clockIds: ['CLOCK_TAI'] }))).toMatch(/^EFFECT_INVALID: body\.clockIds: "CLOCK_TAI" is not a clock/)
    expect(refusal(() => timeOffset.parse({ offsetNs: '1', clockIds: [] }))).toMatch(/^EFFECT_INVALID: body\.clockIds: /)
  })

  it('a pod\'s rules hold every effect on it: offsets of one clock add up, a zero offset writes nothing', () => {
    const e = (id: string, offsetNs: string, clockIds: ('CLOCK_REALTIME' | 'CLOCK_MONOTONIC')[]) => ({ id, type: 'time-offset', target: { pod: 'p' }, body: { offsetNs, clockIds } })
    const text = clockRules([e('b', '-1800000000000', ['CLOCK_REALTIME']), e('a', '-3600000000000', ['CLOCK_REALTIME', 'CLOCK_MONOTONIC']), e('c', '0', ['CLOCK_MONOTONIC'])])
    expect(text).toBe('clock id=0 offset_ns=-3600000000000 effect=a\nclock id=1 offset_ns=-3600000000000 effect=a\nclock id=0 offset_ns=-1800000000000 effect=b\n')
    expect(offsetsIn(text)).toEqual(new Map([[0, -5400000000000n], [1, -3600000000000n]]))
    expect(offsetsIn('clock id=0 offset_ns=9223372036854775807\nclock id=0 offset_ns=1\n').get(0)).toBe(9223372036854775807n) // held to int64, as the library does
    expect(clockRules([e('c', '0', ['CLOCK_MONOTONIC'])])).toBe('')
  })
})

/** Python pod: GET /time → its time.time() and time.monotonic(); GET /sleep?s=X sleeps X seconds (time.sleep). */
const PROBE = `
import json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urlparse(self.path)
        if u.path == '/sleep':
            t = time.monotonic(); time.sleep(float(parse_qs(u.query)['s'][0])); body = {'slept': time.monotonic() - t}
        else:
            body = {'time': time.time(), 'monotonic': time.monotonic(), 'pid': os.getpid()}
        b = json.dumps(body).encode()
        self.send_response(200); self.send_header('content-type', 'application/json'); self.send_header('content-length', str(len(b))); self.end_headers(); self.wfile.write(b)
HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`

/** Node pod: GET / → its Date.now(). */
const NODE = `
require('node:http').createServer((req, res) => res.end(JSON.stringify({ now: Date.now() }))).listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

const STATIC_C = `#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) { for (;;) { printf("%ld\\n", (long)time(NULL)); fflush(stdout); sleep(1); } }
`

/** A statically linked program (it cannot load the fault library), or why there is none. */
function buildStatic(dir: string): { path: string } | { skip: string } {
  const src = join(dir, 'static-clock.c')
  writeFileSync(src, STATIC_C)
  try {
    execFileSync('cc', ['-static', '-O2', '-o', join(dir, 'static-clock'), src], { stdio: 'pipe' })
    return { path: join(dir, 'static-clock') }
  } catch (e) {
    return { skip: `cannot build a static program: ${(e as Error).message.split('\n')[0]}` }
  }
}

describe('TimeChaos on real pods', () => {
  let app: FaultApp
  const work = mkdtempSync(join(tmpdir(), 'chaoscope-time-'))
  const stat = buildStatic(work)
  beforeAll(async () => {
    app = await startFaultApp({
      backoffResetMs: 60_000,
      files: { 'probe.py': PROBE, 'clock.cjs': NODE },
      services: `    - name: py
      command: [python3, probe.py]
      port: 7100
      replicas: 2
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: sh
      command: [sh, -c, 'while :; do date +%s > "$OUT/date-$PORT.tmp" && mv "$OUT/date-$PORT.tmp" "$OUT/date-$PORT"; sleep 0.2; done']
      env: {OUT: "${work}"}
      terminationGracePeriodSeconds: 1
    - name: nodeclock
      command: [node, clock.cjs]
      port: 7300
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
    - name: nopre
      command: [python3, probe.py]
      port: 7400
      preload: false
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
${'path' in stat ? `    - name: static\n      command: [${JSON.stringify(stat.path)}]\n      terminationGracePeriodSeconds: 1\n` : ''}`,
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

  /** The pod's clocks minus the test's (seconds): CLOCK_REALTIME (time.time) and CLOCK_MONOTONIC (time.monotonic). */
  async function skew(p: RuntimePod): Promise<{ realtime: number; monotonic: number }> {
    const t0 = Date.now()
    const m0 = process.hrtime.bigint()
    const r = await httpGet(portOf(p), '/time')
    const t1 = Date.now()
    const m1 = process.hrtime.bigint()
    if (!('status' in r)) throw new Error(`pod ${p.name}: ${r.error}`)
    const j = JSON.parse(r.body) as { time: number; monotonic: number }
    return { realtime: j.time - (t0 + t1) / 2000, monotonic: j.monotonic - Number((m0 + m1) / 2n) / 1e9 }
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

  const near = (v: number, want: number, tol = 2): boolean => Math.abs(v - want) <= tol

  /** Injects on one pod, runs fn, always recovers; then checks nothing is held. */
  async function withFault<T>(spec: TimeChaosSpec, p: RuntimePod, fn: (evidence: Record<string, unknown> | undefined) => Promise<T>): Promise<T> {
    const ctx = testContext(app.client)
    const inj = await timeChaos.inject(ctx, tgt(p), spec)
    try {
      return await fn(inj.evidence)
    } finally {
      await timeChaos.recover(ctx, inj)
      expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
    }
  }

  injectorContract(
    () => app,
    () => ({
      injector: timeChaos,
      spec: time('timeOffset: -1h'),
      target: async () => tgt(first('py')),
      snapshot: async (_a, target) => ({ pod: target.pod.name, minutes: Math.round((await skew(target.pod)).realtime / 60) + 0 }), // + 0: no -0,
      acting: async (_a, target) => near((await skew(target.pod)).realtime, -3600),
    }),
  )

  it('-1h on CLOCK_REALTIME: the pod\'s time.time() is an hour behind while it runs, its monotonic clock untouched; recover: back to true', async () => {
    const p = first('py')
    await withFault(time('timeOffset: -1h'), p, async (evidence) => {
      expect(evidence).toEqual({ offsetNs: { CLOCK_REALTIME: '-3600000000000' } })
      const s = await until(() => skew(p), (v) => near(v.realtime, -3600))
      expect(near(s.realtime, -3600)).toBe(true)
      expect(near(s.monotonic, 0)).toBe(true)
      expect(app.rt.pods().find((x) => x.name === p.name)?.pid).toBe(p.pid) // the same process: shifted while it runs
    })
    const after = await until(() => skew(p), (v) => near(v.realtime, 0))
    expect(near(after.realtime, 0)).toBe(true)
  })

  it('clockIds [CLOCK_MONOTONIC]: only time.monotonic() moves, and time.sleep still sleeps as long as asked', async () => {
    const p = first('py')
    await withFault(time('timeOffset: 2h\nclockIds: [CLOCK_MONOTONIC]'), p, async () => {
      const s = await until(() => skew(p), (v) => near(v.monotonic, 7200))
      expect(near(s.monotonic, 7200)).toBe(true)
      expect(near(s.realtime, 0)).toBe(true)
      // Python sleeps until an absolute CLOCK_MONOTONIC deadline it computed from its shifted clock
      const t0 = performance.now()
      const r = await httpGet(portOf(p), '/sleep?s=0.3', {}, 5000)
      const ms = performance.now() - t0
      expect('status' in r && (JSON.parse(r.body) as { slept: number }).slept).toBeGreaterThanOrEqual(0.3)
      expect(ms).toBeGreaterThanOrEqual(290)
      expect(ms).toBeLessThan(2000)
    })
    expect(near((await until(() => skew(p), (v) => near(v.monotonic, 0))).monotonic, 0)).toBe(true)
  })

  it('targets one pod: the other pod of the service keeps the true time', async () => {
    const [a, b] = podsOf(app, 'py')
    await withFault(time('timeOffset: -1h'), a!, async () => {
      expect(near((await until(() => skew(a!), (v) => near(v.realtime, -3600))).realtime, -3600)).toBe(true)
      expect(near((await skew(b!)).realtime, 0)).toBe(true)
    })
  })

  it('two TimeChaos on one pod add up on the clock they share; recovering one leaves the other', async () => {
    const p = first('py')
    const c1 = testContext(app.client)
    const c2 = testContext(app.client)
    const i1 = await timeChaos.inject(c1, tgt(p), time('timeOffset: -1h'))
    try {
      const i2 = await timeChaos.inject(c2, tgt(p), time('timeOffset: -30m'))
      try {
        expect(i2.evidence).toEqual({ offsetNs: { CLOCK_REALTIME: '-5400000000000' } })
        expect(near((await until(() => skew(p), (v) => near(v.realtime, -5400))).realtime, -5400)).toBe(true)
      } finally {
        await timeChaos.recover(c2, i2)
      }
      expect(near((await until(() => skew(p), (v) => near(v.realtime, -3600))).realtime, -3600)).toBe(true)
    } finally {
      await timeChaos.recover(c1, i1)
    }
    expect(near((await until(() => skew(p), (v) => near(v.realtime, 0))).realtime, 0)).toBe(true)
  })

  it('an offset past 2^53 ns is held exactly: 1000000h1ns moves the clock about 114 years on', async () => {
    const p = first('py')
    await withFault(time('timeOffset: 1000000h1ns'), p, async (evidence) => {
      expect(evidence).toEqual({ offsetNs: { CLOCK_REALTIME: '3600000000000000001' } })
      expect(near((await until(() => skew(p), (v) => near(v.realtime, 3.6e9, 5))).realtime, 3.6e9, 5)).toBe(true)
    })
  })

  /** The pod once its container runs again after `pid` (restarted by its policy) and answers. */
  async function restarted(name: string, pid: number | undefined): Promise<RuntimePod> {
    const p = await until(async () => app.rt.pods().find((x) => x.name === name), (x) => x !== undefined && x.ready && x.pid !== undefined && x.pid !== pid, 20_000)
    if (!p || p.pid === pid || !p.ready) throw new Error(`pod ${name} did not restart`)
    await until(() => skew(p).then(() => true, () => false), (ok) => ok, 10_000)
    return p
  }

  it('a container that restarts while the fault is held starts with the offset in force; recovered, it reads true', async () => {
    const p = first('py')
    await withFault(time('timeOffset: -1h'), p, async () => {
      app.rt.supervisor.killPod(p.name, 'SIGKILL')
      const again = await restarted(p.name, p.pid)
      expect(near((await until(() => skew(again), (v) => near(v.realtime, -3600))).realtime, -3600)).toBe(true)
    })
    expect(near((await until(() => skew(p), (v) => near(v.realtime, 0))).realtime, 0)).toBe(true)
  })

  it('recovered while its container is down (restarting): the container comes back with the true time', async () => {
    let p = first('py')
    // A pod's first restart is immediate (as the kubelet's); this App keeps the back-off for a minute: after three
    // crash-restart cycles the next restart waits at least 400 ms, a gap the recover below fits in with room to spare.
    for (let i = 0; i < 3; i++) {
      app.rt.supervisor.killPod(p.name, 'SIGKILL')
      p = await restarted(p.name, p.pid)
    }
    const ctx = testContext(app.client)
    const inj = await timeChaos.inject(ctx, tgt(p), time('timeOffset: -1h'))
    const gone = new Promise<RuntimePod>((resolve) => {
      const onPod = (e: { pod: RuntimePod }): void => {
        if (e.pod.name !== p.name || e.pod.pid !== undefined || e.pod.reason !== 'CrashLoopBackOff') return
        app.rt.supervisor.off('pod', onPod)
        resolve(e.pod)
      }
      app.rt.supervisor.on('pod', onPod)
    })
    app.rt.supervisor.killPod(p.name, 'SIGKILL')
    const down = await gone
    const restarts = down.restartCount
    await timeChaos.recover(ctx, inj)
    const now = app.rt.pods().find((x) => x.name === p.name)
    expect({ pid: now?.pid, restartCount: now?.restartCount }).toEqual({ pid: undefined, restartCount: restarts }) // still down: recovered in the gap
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
    const again = await restarted(p.name, p.pid)
    expect(near((await skew(again)).realtime, 0)).toBe(true)
  })

  it('a shell pod: `date +%s` reads the shifted time', async () => {
    const p = first('sh')
    const dateOf = async (): Promise<number> => {
      try {
        return Number(readFileSync(join(work, `date-${p.port}`), 'utf8')) - Date.now() / 1000
      } catch {
        return NaN
      }
    }
    expect(near(await until(dateOf, (v) => near(v, 0)), 0)).toBe(true)
    await withFault(time('timeOffset: -1h'), p, async () => {
      expect(near(await until(dateOf, (v) => near(v, -3600)), -3600)).toBe(true)
    })
    expect(near(await until(dateOf, (v) => near(v, 0)), 0)).toBe(true)
  })

  it('a Node pod: Date.now() reads the shifted time', async () => {
    const p = first('nodeclock')
    const nowOf = async (): Promise<number> => {
      const t0 = Date.now()
      const r = await httpGet(portOf(p), '/')
      if (!('status' in r)) return NaN
      return ((JSON.parse(r.body) as { now: number }).now - (t0 + Date.now()) / 2) / 1000
    }
    await withFault(time('timeOffset: 10m'), p, async () => {
      expect(near(await until(nowOf, (v) => near(v, 600)), 600)).toBe(true)
    })
    expect(near(await until(nowOf, (v) => near(v, 0)), 0)).toBe(true)
  })

  it('a pod without the fault library (preload: false) is refused at apply and at inject, and nothing is held', async () => {
    const p = await until(async () => first('nopre'), (x) => x.faultLibrary !== undefined)
    expect(p.faultLibrary).toEqual({ loaded: false, reason: expect.stringContaining('preload: false') })
    const spec = time('timeOffset: -1h')
    expect(refusal(() => timeChaos.admit!(spec, [tgt(p)]))).toMatch(/^SPEC_LOCAL_UNSUPPORTED: pod nopre-\S+: its clocks cannot be shifted: .*preload: false/)
    const ctx = testContext(app.client)
    const e = await timeChaos.inject(ctx, tgt({ ...p, faultLibrary: undefined } as RuntimePod), spec).then(() => undefined, (x: unknown) => x as ChaosError)
    expect(e?.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
    expect(near((await skew(p)).realtime, 0)).toBe(true)
  })

  it.skipIf(!('path' in stat))(`a statically linked program is refused with that reason${'skip' in stat ? ` (skipped: ${stat.skip})` : ''}`, async () => {
    const p = await until(async () => app.rt.pods().find((x) => x.service === 'static' && x.phase === 'Running'), (x) => x?.faultLibrary !== undefined)
    expect(p?.faultLibrary).toEqual({ loaded: false, reason: expect.stringContaining('statically linked') })
    expect(refusal(() => timeChaos.admit!(time('timeOffset: -1h'), [tgt(p!)]))).toMatch(/^SPEC_LOCAL_UNSUPPORTED: pod static-\S+: its clocks cannot be shifted: its program .*static-clock .*has not loaded the fault library/)
    // selected before its library state was known: inject reads it afresh and refuses, holding nothing
    const ctx = testContext(app.client)
    const e = await timeChaos.inject(ctx, tgt({ ...p!, faultLibrary: undefined } as RuntimePod), time('timeOffset: -1h')).then(() => undefined, (x: unknown) => x as ChaosError)
    expect(e?.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
  })
})
