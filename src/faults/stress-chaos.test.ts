/**
 * StressChaos on real pods: stress-ng inside a Python pod's cgroup, observed from inside the pod (its cgroup's CPU
 * time and memory, the processes in it and their oom_score_adj, read by the pod's own program), then gone at recover,
 * back after a container restart, and dead with a runtime SIGKILLed.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { loadApp } from '../app-file.js'
import { InProcessRuntimeClient } from '../runtime/client.js'
import type { RuntimePod } from '../runtime/local-runtime.js'
import { startRuntimeServer } from '../runtime/server.js'
import { effect as stressEffect, memoryBytes, stressArgs } from '../runtime/effects/stress.js'
import type { StressChaosSpec } from './stress-chaos.js'
import { parseMemorySize, shellWords, stressBody, stressChaos } from './stress-chaos.js'
import { injectorContract } from '../../test/doubles/injector-contract.js'
import { httpGet, ownedFaults, podsOf, specOf, startFaultApp, testContext } from '../../test/doubles/test-app.js'
import type { FaultApp } from '../../test/doubles/test-app.js'

const stress = (body: string): StressChaosSpec =>
  specOf<StressChaosSpec>(`apiVersion: chaos-mesh.org/v1alpha1\nkind: StressChaos\nmetadata: {name: t}\nspec:\n  mode: one\n  selector: {labelSelectors: {app: py}}\n${body.replace(/^/gm, '  ')}\n`)

const refusal = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    return `${(e as ChaosError).code}: ${(e as Error).message}`
  }
  return 'admitted'
}

const MiB = 2 ** 20

describe('what StressChaos takes and refuses (pure)', () => {
  it('reads memory sizes as Chaos Mesh\'s memStress does (go-humanize: MB = 10^6, MiB and Mi = 2^20), percents whole', () => {
    expect(parseMemorySize('256MB')).toEqual({ bytes: 256e6 })
    expect(parseMemorySize('64MiB')).toEqual({ bytes: 64 * MiB })
    expect(parseMemorySize('64Mi')).toEqual({ bytes: 64 * MiB })
    expect(parseMemorySize('1.5GB')).toEqual({ bytes: 1.5e9 })
    expect(parseMemorySize('1 GiB')).toEqual({ bytes: 2 ** 30 })
    expect(parseMemorySize('1024')).toEqual({ bytes: 1024 })
    expect(parseMemorySize('50%')).toEqual({ percent: 50 })
    expect(parseMemorySize('5ib')).toBeUndefined()
    expect(parseMemorySize('many')).toBeUndefined()
    expect(memoryBytes({ percent: 50 }, 1000)).toBe(500)
  })

  it('builds stress-ng\'s arguments as Chaos Mesh does: cpu with --cpu-load-slice 10 --cpu-method sqrt, memory as --vm/--vm-bytes held, options split at spaces and last', () => {
    const body = stressBody(stress('stressors:\n  cpu: {workers: 2, load: 50, options: ["--timeout 600", "--hdd 1"]}\n  memory: {workers: 2, size: 64MiB, oomScoreAdj: 5}'))
    expect(body).toEqual({ cpu: { workers: 2, load: 50, options: ['--timeout', '600', '--hdd', '1'] }, memory: { workers: 2, size: { bytes: 64 * MiB }, oomScoreAdj: 5, options: [] } })
    expect(stressArgs(body, 8e9, '/tmp/x')).toEqual([
      { part: 'cpu', args: ['--temp-path', '/tmp/x', '--timeout', '0', '--cpu-load-slice', '10', '--cpu-method', 'sqrt', '--cpu', '2', '--cpu-load', '50', '--timeout', '600', '--hdd', '1'] },
      { part: 'memory', args: ['--temp-path', '/tmp/x', '--timeout', '0', '--vm', '2', '--vm-bytes', String(64 * MiB), '--vm-hang', '0'], oomScoreAdj: 5 },
    ])
    expect(stressArgs(stressBody(stress('stressors:\n  memory: {workers: 1, size: "25%"}')), 8e9, '/t')[0]!.args).toContain(String(2e9))
  })

  it('stressngStressors wins over stressors and is split as a shell splits words, with no shell', () => {
    expect(stressBody(stress(`stressngStressors: "--cpu 1 --cpu-method 'int64' --metrics-brief"\nstressors:\n  cpu: {workers: 4}`))).toEqual({ stressng: ['--cpu', '1', '--cpu-method', 'int64', '--metrics-brief'] })
    expect(shellWords(String.raw`a "b c" 'd e' f\ g "h\"i"`)).toEqual({ words: ['a', 'b c', 'd e', 'f g', 'h"i'] })
    expect(shellWords('--cpu 1 | sh')).toMatchObject({ error: expect.stringMatching(/^\| at character 9 \(no shell runs it/) })
    expect(shellWords('--cpu "$N"')).toMatchObject({ error: expect.stringMatching(/^\$ at character 8/) })
    expect(shellWords("--cpu '1")).toEqual({ error: "an unterminated ' at character 7" })
  })

  it('refuses what the local runtime cannot do, naming the field', () => {
    expect(refusal(() => stressChaos.check!({ ...stress('stressors: {cpu: {workers: 1}}'), remoteCluster: 'east' }))).toBe('SPEC_LOCAL_UNSUPPORTED: spec.remoteCluster "east": the local runtime has no remote clusters')
    expect(refusal(() => stressChaos.check!(stress('stressors: {memory: {workers: 1}}')))).toMatch(/^SPEC_LOCAL_UNSUPPORTED: spec\.stressors\.memory\.size is missing/)
    expect(refusal(() => stressChaos.check!(stress('stressors: {memory: {workers: 1, size: 5ib}}')))).toMatch(/^SPEC_INVALID_VALUE: spec\.stressors\.memory\.size: expected a size like "256MB"/)
    expect(refusal(() => stressChaos.check!(stress('stressors: {memory: {workers: 4, size: 8KB}}')))).toBe('SPEC_INVALID_VALUE: spec.stressors.memory.size "8KB" is 8000 bytes for 4 worker(s): each worker needs at least 4096 bytes')
    expect(refusal(() => stressChaos.check!(stress('stressngStressors: "--cpu 1 > /dev/null"')))).toMatch(/^SPEC_INVALID_VALUE: spec\.stressngStressors "--cpu 1 > \/dev\/null": > at character 9/)
    expect(refusal(() => stressChaos.check!(stress('stressngStressors: "   "')))).toBe('SPEC_INVALID_VALUE: spec.stressngStressors is blank: it gives stress-ng nothing to run')
    const pod = (name: string, service: string, more: Partial<RuntimePod> = {}): RuntimePod =>
      ({ name, service, namespace: 'default', uid: name, labels: {}, annotations: {}, phase: 'Running', ready: true, restartCount: 0, startTime: '', port: 1, ...more }) as RuntimePod
    expect(refusal(() => stressChaos.admit!(stress('stressors: {cpu: {workers: 1}}\ncontainerNames: [py, istio-proxy]'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: spec.containerNames names "istio-proxy": pod py-1 has one container, "py"',
    )
    expect(refusal(() => stressChaos.admit!(stress('stressors: {cpu: {workers: 1}}'), [{ key: 'ext-1', pod: pod('ext-1', 'ext', { external: '127.0.0.1:9' }) }]))).toBe(
      'SPEC_LOCAL_UNSUPPORTED: pod ext-1 fronts the external service ext (127.0.0.1:9): chaoscope does not run it, so it cannot stress it',
    )
    expect(refusal(() => stressChaos.admit!(stress('stressors: {cpu: {workers: 1}}\ncontainerNames: [py]'), [{ key: 'py-1', pod: pod('py-1', 'py') }]))).toBe('admitted')
  })

  it('the effect body is checked as API input', () => {
    expect(refusal(() => stressEffect.parse({}))).toBe('EFFECT_INVALID: body: give at least one of cpu, memory, stressng')
    expect(refusal(() => stressEffect.parse({ cpu: { workers: 0, options: [] } }))).toBe('EFFECT_INVALID: body.cpu.workers: expected an integer from 1 to 8192')
    expect(refusal(() => stressEffect.parse({ memory: { workers: 1, size: { bytes: 100 } } }))).toBe('EFFECT_INVALID: body.memory.size: 100 bytes for 1 worker(s): stress-ng needs at least 4096 bytes per worker')
    expect(refusal(() => stressEffect.parse({ stressng: ['--cpu', 'a\0b'] }))).toBe('EFFECT_INVALID: body.stressng[1]: expected a non-empty string of at most 4096 characters without NUL')
    expect(stressEffect.parse({ memory: { workers: 1, size: { percent: 1 } } })).toEqual({ memory: { workers: 1, size: { percent: 1 }, oomScoreAdj: 0, options: [] } })
  })
})

/** The pod's program: an HTTP server that answers GET /stat with its own cgroup's CPU time, memory and processes. */
const PROBE = String.raw`import http.server, json, os

def cgroup_dirs():
    paths = {}
    for line in open('/proc/self/cgroup'):
        _, ctrls, path = line.rstrip('\n').split(':', 2)
        for c in (ctrls.split(',') if ctrls else ['']):
            paths[c] = path
    dirs = {}
    for line in open('/proc/self/mountinfo'):
        left, right = line.rstrip('\n').split(' - ', 1)
        f, r = left.split(' '), right.split(' ')
        root, point, fstype, opts = f[3], f[4], r[0], r[2].split(',')
        keys = [''] if fstype == 'cgroup2' else [o for o in opts if o in ('cpu', 'memory')] if fstype == 'cgroup' else []
        for k in keys:
            if k in paths:
                rel = os.path.relpath(paths[k], root)
                dirs[k] = os.path.normpath(os.path.join(point, rel))
    return dirs

def read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return None

def stat(pid):
    s = read('/proc/%d/stat' % pid)
    if s is None:
        return None
    comm = s[s.index('(') + 1:s.rindex(')')]
    return comm, s[s.rindex(')') + 2:].split(' ')

def snapshot():
    dirs = cgroup_dirs()
    main = dirs.get('') if dirs.get('') and 'memory' in (read(os.path.join(dirs[''], 'cgroup.controllers')) or '').split() else None
    mem_dir = main or dirs.get('memory')
    cpu_dirs = [d for d in (main, dirs.get('cpu')) if d]
    pids = [int(p) for p in (read(os.path.join(mem_dir, 'cgroup.procs')) or '').split()] if mem_dir else []
    procs, ticks = [], 0
    for pid in pids:
        st = stat(pid)
        if st and st[1][0] not in 'ZX':
            procs.append([pid, st[0], int(st[1][2]), int((read('/proc/%d/oom_score_adj' % pid) or '0').strip() or 0)])
            ticks += sum(int(st[1][i]) for i in (11, 12, 13, 14))
    cpu, source = None, None
    for d in cpu_dirs:
        s = read(os.path.join(d, 'cpu.stat')) or ''
        for line in s.splitlines():
            if line.startswith('usage_usec '):
                cpu, source = int(line.split()[1]), 'cpu.stat'
    if cpu is None:
        cpu, source = ticks * 10000, 'processes'
    mem = None
    if mem_dir:
        for f in ('memory.current', 'memory.usage_in_bytes'):
            v = read(os.path.join(mem_dir, f))
            if v is not None:
                mem = int(v)
                break
    return {'pid': os.getpid(), 'cgroup': mem_dir, 'cpuUsec': cpu, 'cpuSource': source, 'memoryBytes': mem, 'procs': procs}

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(snapshot() if self.path == '/stat' else {'ok': True}).encode()
        self.send_response(200)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`

const SERVICE = `    - name: py
      command: [python3, probe.py]
      port: 7100
      preload: false
      resources: {limits: {cpu: "1", memory: 512Mi}}
      readinessProbe: {httpGet: {path: /}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
`

interface PodStat {
  pid: number
  cgroup: string | null
  cpuUsec: number
  cpuSource: string
  memoryBytes: number | null
  /** [pid, comm, pgrp, oom_score_adj] of each process in the pod's cgroup */
  procs: [number, string, number, number][]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `read` until `ok` holds or the deadline passes; returns the last value read. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v) || Date.now() > deadline) return v
    await sleep(100)
  }
}

function alive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !'ZX'.includes(s.slice(s.lastIndexOf(')') + 2)[0]!)
  } catch {
    return false
  }
}

/** Live processes whose process group is `pgid`, from all of /proc. */
function groupOf(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
        return Number(f[2]) === pgid && !'ZX'.includes(f[0]!)
      } catch {
        return false
      }
    })
}

/** Idle CPU time of the whole machine so far, in seconds (idle + iowait of /proc/stat). */
function machineIdle(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  return (Number(f[4]) + Number(f[5])) / 100
}

const stressNg = (s: PodStat) => s.procs.filter((p) => p[1].startsWith('stress-ng'))

describe('StressChaos on real pods', () => {
  let app: FaultApp
  beforeAll(async () => {
    app = await startFaultApp({ files: { 'probe.py': PROBE }, services: SERVICE })
  }, 90_000)
  afterAll(() => app?.close())

  const py = (): RuntimePod => {
    const p = podsOf(app, 'py')[0]
    if (!p) throw new Error('no ready py pod')
    return p
  }
  const tgt = (p: RuntimePod) => ({ key: p.name, pod: p })

  /** What the pod's own program reads of its cgroup. */
  async function statOf(p: RuntimePod): Promise<PodStat> {
    const r = await httpGet(Number(p.address!.split(':')[1]), '/stat')
    if (!('status' in r)) throw new Error(`pod ${p.name}: ${r.error}`)
    return JSON.parse(r.body) as PodStat
  }

  /** The pod cgroup's CPU use in cores over `ms`, as the pod reads it, and how idle the machine's CPUs were meanwhile. */
  async function cpuCores(p: RuntimePod, ms: number): Promise<{ cores: number; idle: number }> {
    const a = await statOf(p)
    const i0 = machineIdle()
    const t0 = performance.now()
    await sleep(ms)
    const b = await statOf(p)
    const secs = (performance.now() - t0) / 1000
    return { cores: (b.cpuUsec - a.cpuUsec) / (secs * 1e6), idle: (machineIdle() - i0) / secs }
  }

  /**
   * Measures the pod's CPU use over windows until one is within `want` ± `tol` cores. Other test files share this
   * machine's CPUs: a window where the machine had no idle CPU left cannot show the stressor's full share, so the
   * lower bound is asserted only when some window had at least `want` cores idle besides; the upper bound always.
   */
  async function expectCores(p: RuntimePod, want: number, tol: number): Promise<void> {
    const seen: { cores: number; idle: number }[] = []
    for (let i = 0; i < 6; i++) {
      const w = await cpuCores(p, 1500)
      seen.push(w)
      expect(w.cores, `window ${i}: ${JSON.stringify(seen)}`).toBeLessThan(want + tol)
      if (w.cores > want - tol) return
    }
    const free = seen.filter((w) => w.idle >= want)
    expect(free, `the pod got ${JSON.stringify(seen)} (cores, machine idle cores) while the machine had CPU to spare`).toEqual([])
    expect(Math.max(...seen.map((w) => w.cores)), 'the CPU use rose at all').toBeGreaterThan(0.15)
    console.warn(`stress-chaos.test: the machine had no idle CPU in any window (${JSON.stringify(seen)}); asserted ${want} ± ${tol} cores only from above`)
  }

  /** Injects on one pod, runs fn, always recovers; then nothing is held and no stress-ng is left in the pod. */
  async function withStress<T>(spec: StressChaosSpec, p: RuntimePod, fn: (evidence: Record<string, unknown>, ctx: ReturnType<typeof testContext>) => Promise<T>): Promise<T> {
    const ctx = testContext(app.client)
    const inj = await stressChaos.inject(ctx, tgt(p), spec)
    try {
      return await fn(inj.evidence ?? {}, ctx)
    } finally {
      await stressChaos.recover(ctx, inj)
      expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
      const now = podsOf(app, 'py')[0]
      if (now) expect(stressNg(await statOf(now))).toEqual([])
    }
  }

  injectorContract(
    () => app,
    () => ({
      injector: stressChaos,
      spec: stress('stressors: {cpu: {workers: 1, load: 10}}'),
      target: async () => tgt(py()),
      // the stress-ng process groups running in the pod, as the pod sees them
      snapshot: async (_a, target) => {
        const s = await until(() => statOf(target.pod), (x) => stressNg(x).length !== 1, 3000) // the workers are forked
        return [...new Set(stressNg(s).map((p) => p[2]))].sort()
      },
      acting: async (_a, target) => stressNg(await statOf(target.pod)).length > 0,
    }),
  )

  it('the pod runs in a cgroup of its own here (else the cgroup assertions below could not hold)', async () => {
    const s = await statOf(py())
    expect(s.cgroup, 'the pod reads its own cgroup').toMatch(/chaoscope/)
  })

  it('cpu workers 1 load 50: the pod cgroup\'s CPU use rises from about 0 to about half a core, and falls back at recover', async () => {
    const p = py()
    expect((await cpuCores(p, 1000)).cores).toBeLessThan(0.1)
    await withStress(stress('stressors: {cpu: {workers: 1, load: 50}}'), p, async (ev) => {
      expect(ev).toMatchObject({ cgroup: true, running: true, restarts: 0, pids: [expect.any(Number)] })
      expect((ev.stressors as { args: string[] }[])[0]!.args).toEqual(expect.arrayContaining(['--cpu', '1', '--cpu-load', '50']))
      await sleep(500) // stress-ng forks its worker
      await expectCores(p, 0.5, 0.1)
    })
    expect((await cpuCores(p, 1000)).cores).toBeLessThan(0.1)
  })

  it('cpu workers 2 load 100 under a 1-core limit: the pod gets at most its one core', async () => {
    const p = py()
    await withStress(stress('stressors: {cpu: {workers: 2, load: 100}}'), p, async () => {
      await sleep(500)
      await expectCores(p, 1, 0.1)
    })
  })

  it('memory workers 1 size 64MiB: the pod cgroup\'s memory rises by about 64 MiB and falls back at recover', async () => {
    const p = py()
    const base = (await statOf(p)).memoryBytes!
    await withStress(stress('stressors: {memory: {workers: 1, size: 64MiB}}'), p, async () => {
      const s = await until(() => statOf(p), (x) => x.memoryBytes! - base >= 64 * MiB)
      const rise = (s.memoryBytes! - base) / MiB
      expect(rise).toBeGreaterThanOrEqual(64)
      expect(rise).toBeLessThan(64 * 1.25)
    })
    const after = await until(() => statOf(p), (x) => x.memoryBytes! - base < 8 * MiB)
    expect((after.memoryBytes! - base) / MiB).toBeLessThan(8)
  })

  it('a size over the pod\'s memory limit: the kernel OOM-kills the worker inside the limit (counted in the evidence), never past it', async () => {
    const p = py()
    await withStress(stress('stressors: {memory: {workers: 1, size: 600MiB}}'), p, async (_ev, ctx) => {
      const injection = { kind: 'StressChaos', action: 'stress', targetKey: p.name, pod: p.name, data: { effects: (await ownedFaults(app.client, ctx.experiment.uid)).map((e) => ({ id: e.id })) } }
      const ev = await until(async () => (await stressChaos.evidence!(ctx, injection))!, (e) => (e.oomKills as number) >= 1)
      expect(ev.oomKills as number).toBeGreaterThanOrEqual(1)
      expect((await statOf(p)).memoryBytes!).toBeLessThanOrEqual(512 * MiB)
    })
  })

  it('oomScoreAdj is given to every process of the memory stressor (or refused, with nothing left running, where it cannot be)', async () => {
    const p = py()
    await withStress(stress('stressors: {memory: {workers: 2, size: 16MiB, oomScoreAdj: 500}}'), p, async () => {
      const s = await until(() => statOf(p), (x) => stressNg(x).length >= 5 && stressNg(x).every((q) => q[3] === 500), 5000)
      expect(stressNg(s).length).toBeGreaterThanOrEqual(5) // stress-ng, and for each of 2 workers its keeper and the worker
      expect(stressNg(s).map((q) => q[3])).toEqual(stressNg(s).map(() => 500))
      expect(s.procs.find((q) => q[0] === s.pid)![3]).toBe(0) // the pod's own program is left as it was
    })
    const ctx = testContext(app.client)
    const lowered = await stressChaos.inject(ctx, tgt(p), stress('stressors: {memory: {workers: 1, size: 16MiB, oomScoreAdj: -100}}')).catch((e: unknown) => e as ChaosError)
    if (lowered instanceof ChaosError) {
      expect(lowered.code).toBe('SPEC_LOCAL_UNSUPPORTED')
      expect(lowered.message).toMatch(/^body\.memory\.oomScoreAdj -100: the runtime cannot set it on the stressor \(\w+\); lowering an oom_score_adj below 0 needs CAP_SYS_RESOURCE/)
      expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
      expect(stressNg(await statOf(p))).toEqual([])
    } else {
      try {
        const s = await until(() => statOf(p), (x) => stressNg(x).length >= 3 && stressNg(x).every((q) => q[3] === -100), 5000)
        expect(stressNg(s).map((q) => q[3])).toEqual(stressNg(s).map(() => -100))
      } finally {
        await stressChaos.recover(ctx, lowered)
      }
    }
  })

  it('stressngStressors runs stress-ng with its words; describe\'s evidence shows the pid, the arguments and the cgroup\'s use', async () => {
    const p = py()
    await withStress(stress('stressngStressors: "--cpu 1 --cpu-load 30 --cpu-method \'int64\'"'), p, async (_ev, ctx) => {
      await sleep(1200)
      const injection = { kind: 'StressChaos', action: 'stress', targetKey: p.name, pod: p.name, data: { effects: (await ownedFaults(app.client, ctx.experiment.uid)).map((e) => ({ id: e.id })) } }
      await stressChaos.evidence!(ctx, injection)
      await sleep(1100)
      const ev = (await stressChaos.evidence!(ctx, injection))!
      expect(ev).toMatchObject({ active: true, cgroup: true, running: true, restarts: 0, memoryBytes: expect.any(Number), cpuUsageUsec: expect.any(Number), cpuCores: expect.any(Number) })
      expect((ev.stressors as { part: string; args: string[] }[])[0]).toMatchObject({ part: 'stressng', args: [expect.any(String), expect.any(String), '--cpu', '1', '--cpu-load', '30', '--cpu-method', 'int64'] })
      expect(ev.cpuCores as number).toBeGreaterThan(0.05) // 0.3 on an idle machine; others share these CPUs
      expect(ev.cpuCores as number).toBeLessThan(0.45)
    })
  })

  it('nothing is left after recover: no stress-ng in the pod\'s cgroup, no process in its process groups', async () => {
    const p = py()
    const ctx = testContext(app.client)
    const inj = await stressChaos.inject(ctx, tgt(p), stress('stressors:\n  cpu: {workers: 2, load: 20}\n  memory: {workers: 2, size: 8MiB}'))
    const groups = inj.evidence!.pids as number[]
    expect(groups).toHaveLength(2)
    const running = await until(() => statOf(p), (x) => stressNg(x).length >= 7, 5000) // 2 + 2 cpu workers + 2 × 2 vm
    const all = stressNg(running).map((q) => q[0])
    expect(new Set(stressNg(running).map((q) => q[2]))).toEqual(new Set(groups))
    await stressChaos.recover(ctx, inj)
    expect(all.filter(alive)).toEqual([]) // remove waits until they are gone
    expect(groups.flatMap(groupOf)).toEqual([])
    expect(stressNg(await statOf(p))).toEqual([])
    await stressChaos.recover(ctx, inj) // again: nothing to do
  })

  it('a container restart empties the pod\'s cgroup: the stressor is started again once the pod runs, and counted', async () => {
    const p = py()
    const ctx = testContext(app.client)
    const inj = await stressChaos.inject(ctx, tgt(p), stress('stressors: {cpu: {workers: 1, load: 20}}'))
    try {
      const first = (inj.evidence!.pids as number[])[0]!
      expect(app.rt.supervisor.killPod(p.name, 'SIGKILL')).toBe(true)
      const back = await app.rt.supervisor.waitFor(p.name, (x) => x.ready && x.restartCount === p.restartCount + 1, 20_000)
      const ev = await until(async () => (await stressChaos.evidence!(ctx, inj))!, (e) => e.restarts === 1 && e.running === true)
      expect(ev).toMatchObject({ restarts: 1, running: true })
      const again = (ev.pids as number[])[0]!
      expect(again).not.toBe(first)
      expect(alive(first)).toBe(false)
      const s = await until(() => statOf({ ...p, ...back } as RuntimePod), (x) => stressNg(x).length >= 2)
      expect(new Set(stressNg(s).map((q) => q[2]))).toEqual(new Set([again]))
    } finally {
      await stressChaos.recover(ctx, inj)
    }
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
  })

  it('refuses, with nothing held or left running: options stress-ng rejects, containerNames of another container, an external pod', async () => {
    const p = py()
    const ctx = testContext(app.client)
    const bad = (await stressChaos.inject(ctx, tgt(p), stress('stressors: {cpu: {workers: 1, options: ["--no-such-option"]}}')).catch((e: unknown) => e)) as ChaosError
    expect(bad.code).toBe('EFFECT_INVALID')
    expect(bad.message).toMatch(/^body\.cpu: stress-ng refuses the arguments ".*--no-such-option": .*unrecognized option '--no-such-option'/)
    expect(bad.hint).toMatch(/spec\.stressors\.cpu\.options/)
    const wrong = (await stressChaos.inject(ctx, tgt(p), stress('stressors: {cpu: {workers: 1}}\ncontainerNames: [sidecar]')).catch((e: unknown) => e)) as ChaosError
    expect(`${wrong.code}: ${wrong.message}`).toBe(`SPEC_LOCAL_UNSUPPORTED: spec.containerNames names "sidecar": pod ${p.name} has one container, "py"`)
    const ext = app.rt.pods().find((x) => x.service === 'ext')!
    const external = (await stressChaos.inject(ctx, tgt(ext), stress('stressors: {cpu: {workers: 1}}')).catch((e: unknown) => e)) as ChaosError
    expect(external.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    const remote = (await stressChaos.inject(ctx, tgt(p), { ...stress('stressors: {cpu: {workers: 1}}'), remoteCluster: 'east' }).catch((e: unknown) => e)) as ChaosError
    expect(remote.code).toBe('SPEC_LOCAL_UNSUPPORTED')
    expect(await ownedFaults(app.client, ctx.experiment.uid)).toEqual([])
    expect(stressNg(await statOf(p))).toEqual([])
  })
})

describe('StressChaos where pods have no cgroup', () => {
  it('still runs the stressor (its own process group), and its evidence says cgroup: false with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-stress-nocg-'))
    writeFileSync(join(dir, 'probe.py'), PROBE)
    const file = join(dir, 'app.yaml')
    writeFileSync(file, `apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: nocg}\nspec:\n  services:\n${SERVICE}`)
    const app = loadApp(file)
    if ('issues' in app) throw new Error(JSON.stringify(app.issues))
    const server = await startRuntimeServer(app.resource, file, { hostPorts: 'ephemeral', faultDir: join(dir, 'pods'), supervisor: { cgroups: 'off', backoff: { baseMs: 100, capMs: 500 } } })
    try {
      await server.runtime.waitReady(30_000)
      const client = new InProcessRuntimeClient(server.runtime)
      const pod = server.runtime.pods().find((p) => p.service === 'py')!
      const ctx = testContext(client)
      const inj = await stressChaos.inject(ctx, { key: pod.name, pod }, stress('stressors: {cpu: {workers: 1, load: 20}}'))
      expect(inj.evidence).toMatchObject({ cgroup: false, cgroupReason: 'cgroups turned off', running: true })
      const group = (inj.evidence!.pids as number[])[0]!
      expect((await until(async () => groupOf(group), (g) => g.length >= 2, 3000)).length).toBeGreaterThanOrEqual(2)
      await stressChaos.recover(ctx, inj)
      expect(groupOf(group)).toEqual([])
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

/**
 * A runtime that dies by SIGKILL takes its stressors with it: a real Node process runs the runtime (these sources,
 * transpiled to plain ESM) with a pod and a held stress effect, and is SIGKILLed; every stress-ng process it started
 * (the two stress-ng parents and their workers) is gone within 5 s (the parent-death signal and the watchdog).
 */
describe('StressChaos when the runtime dies', () => {
  const ROOT = join(import.meta.dirname, '../..')
  let out: string
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'chaoscope-stress-death-'))
    writeFileSync(join(out, 'package.json'), JSON.stringify({ name: 'chaoscope', version: '0.0.0', type: 'module' }))
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'))
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [join(d, e.name)] : []))
    for (const f of walk(join(ROOT, 'src'))) {
      const js = ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
      const dest = join(out, relative(ROOT, f)).replace(/\.ts$/, '.js')
      mkdirSync(dirname(dest), { recursive: true })
      writeFileSync(dest, js)
    }
    writeFileSync(join(out, 'probe.py'), PROBE)
    writeFileSync(join(out, 'app.yaml'), `apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: death}\nspec:\n  services:\n${SERVICE}`)
    writeFileSync(
      join(out, 'run.mjs'),
      `import { loadApp } from './src/app-file.js'
import { startRuntimeServer } from './src/runtime/server.js'
import { InProcessRuntimeClient } from './src/runtime/client.js'
const file = new URL('./app.yaml', import.meta.url).pathname
const app = loadApp(file)
const server = await startRuntimeServer(app.resource, file, { hostPorts: 'ephemeral', faultDir: new URL('./pods', import.meta.url).pathname })
await server.runtime.waitReady(30000)
const pod = server.runtime.pods().find((p) => p.service === 'py')
const outcome = await new InProcessRuntimeClient(server.runtime).apply({ id: 'death', type: 'stress', target: { pod: pod.name },
  body: { cpu: { workers: 2, load: 10, options: [] }, memory: { workers: 1, size: { bytes: 8388608 }, oomScoreAdj: 0, options: [] } } })
process.stdout.write(JSON.stringify({ pids: outcome.effect.observed.pids, cgroup: outcome.effect.observed.cgroup, watchdog: server.runtime.supervisor.watchdogPid }) + '\\n')
setInterval(() => {}, 1000)
`,
    )
  }, 60_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('SIGKILL of the runtime: every stress-ng process it started is gone within 5 s', async () => {
    const child = spawn(process.execPath, [join(out, 'run.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    let groups: number[] = []
    try {
      const report = await new Promise<{ pids: number[]; cgroup: boolean; watchdog: number }>((resolve, reject) => {
        let buf = ''
        const timer = setTimeout(() => reject(new Error(`the runtime did not report its stressors in time; stderr: ${stderr}`)), 40_000)
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString()
          const nl = buf.indexOf('\n')
          if (nl >= 0) {
            clearTimeout(timer)
            resolve(JSON.parse(buf.slice(0, nl)) as { pids: number[]; cgroup: boolean; watchdog: number })
          }
        })
        child.on('exit', (code) => reject(new Error(`the runtime exited early (${code}); stderr: ${stderr}`)))
      })
      groups = report.pids
      expect(groups).toHaveLength(2)
      expect(report.watchdog).toEqual(expect.any(Number))
      // stress-ng has forked: 1 + 2 cpu workers, 1 + keeper + worker for the vm
      const members = await until(async () => groups.flatMap(groupOf), (m) => m.length >= 6, 5000)
      expect(members.length).toBeGreaterThanOrEqual(6)
      child.kill('SIGKILL')
      const left = await until(async () => members.filter(alive), (l) => l.length === 0, 5000)
      expect(left).toEqual([])
      expect(groups.flatMap(groupOf)).toEqual([])
    } finally {
      child.kill('SIGKILL')
      for (const g of groups) {
        try {
          process.kill(-g, 'SIGKILL')
        } catch {
          // gone, as it should be
        }
      }
    }
  }, 60_000)
})
