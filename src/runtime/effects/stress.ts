/**
 * @module runtime/effects/stress: StressChaos's stressors, stress-ng processes run inside the target pod for as long
 * as the effect is held. Each process runs in the pod's cgroups (its CPU and memory count against the pod's limits
 * and show in the pod's accounting), in a process group of its own, with the parent-death signal, and known to the
 * runtime's watchdog: it dies with the runtime however the runtime dies.
 *
 *   apply ─▶ stress-ng --dry-run per stressor (bad arguments refused, nothing started)
 *         ─▶ one stress-ng per stressor (cpu, memory, or the raw stressng string), in the pod ─▶ held
 *              │ oom_score_adj of the memory stressor's processes kept at body.memory.oomScoreAdj (checked every 0.5 s:
 *              │ stress-ng sets its own on the workers it starts)
 *              │ a stressor that ends on its own (the pod's container restarted and its cgroup was emptied, the OOM
 *              │ killer, a crash) is started again once the pod runs, with back-off; one that keeps dying within 5 s
 *              │ is given up after 8 tries; one that exits 0 (its own --timeout) is done
 *   remove ─▶ SIGKILL each stressor's process group, wait until none of it is left (zombies aside)
 *
 * Observed: each stressor's pid, whether it runs, its restarts, and the pod cgroup's CPU time, memory in use and the
 * OOM kills in it since the effect was applied (stress-ng starts a worker the OOM killer ended again by itself).
 */
import { execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, totalmem } from 'node:os'
import { delimiter, join } from 'node:path'
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectHost, EffectModule } from '../effect.js'
import type { RuntimePod } from '../types.js'

/** Which part of a StressChaos a stressor comes from. */
export type StressPart = 'cpu' | 'memory' | 'stressng'

export interface StressBody {
  /** spec.stressors.cpu; `options` are stress-ng words (Chaos Mesh splits each option at whitespace). */
  cpu?: { workers: number; load?: number; options: string[] }
  /**
   * spec.stressors.memory: `size` in bytes, or a percent of the machine's memory (MemTotal, as Chaos Mesh's memStress
   * reads it), shared by the workers; `oomScoreAdj` is given to every process of this stressor.
   */
  memory?: { workers: number; size: { bytes: number } | { percent: number }; oomScoreAdj: number; options: string[] }
  /** spec.stressngStressors split into words: stress-ng's arguments as given (it wins over cpu and memory). */
  stressng?: string[]
}

/** One stress-ng process to run: its arguments (without the program) and, for memory, its oom_score_adj. */
export interface StressorArgs {
  part: StressPart
  args: string[]
  oomScoreAdj?: number
}

/** stress-ng's smallest --vm-bytes per worker. */
export const MIN_BYTES_PER_WORKER = 4096
const MAX_WORKERS = 8192
const MAX_WORDS = 256
const MAX_WORD = 4096

/**
 * The stress-ng arguments of each stressor, built as Chaos Mesh builds them (api/v1alpha1 Stressors.Normalize):
 *
 *   cpu:    --cpu-load-slice 10 --cpu-method sqrt --cpu N [--cpu-load L] <options>
 *   memory: --vm N --vm-bytes <total bytes> --vm-hang 0 <options>   (memStress's --workers N --size S: S shared by
 *           the N workers, each touching its pages once and then holding them; stress-ng's --vm-hang 0 does the same)
 *   stressngStressors: its words
 *
 * Each starts with `--temp-path <tmp>` (files a stressor writes go there and are removed with the effect) and the
 * cpu and memory stressors with `--timeout 0` (they last as long as the effect, not stress-ng's default day); the
 * options come after, so an option the user gives (e.g. `--timeout 600`) wins, as stress-ng takes the last one.
 */
export function stressArgs(body: StressBody, memTotal: number, tmp: string): StressorArgs[] {
  const base = ['--temp-path', tmp]
  const out: StressorArgs[] = []
  if (body.stressng) return [{ part: 'stressng', args: [...base, ...body.stressng] }]
  if (body.cpu) {
    const c = body.cpu
    out.push({ part: 'cpu', args: [...base, '--timeout', '0', '--cpu-load-slice', '10', '--cpu-method', 'sqrt', '--cpu', String(c.workers), ...(c.load !== undefined ? ['--cpu-load', String(c.load)] : []), ...c.options] })
  }
  if (body.memory) {
    const m = body.memory
    out.push({ part: 'memory', args: [...base, '--timeout', '0', '--vm', String(m.workers), '--vm-bytes', String(memoryBytes(m.size, memTotal)), '--vm-hang', '0', ...m.options], oomScoreAdj: m.oomScoreAdj })
  }
  return out
}

/** A memory size in bytes: as given, or the percent of `memTotal` (memStress: total / 100 * percent, truncated). */
export function memoryBytes(size: { bytes: number } | { percent: number }, memTotal: number): number {
  return 'bytes' in size ? size.bytes : Math.floor((memTotal / 100) * size.percent)
}

// ---- parse ---------------------------------------------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

function words(v: unknown, field: string, opts: { nonEmpty?: boolean } = {}): string[] {
  if (v === undefined && !opts.nonEmpty) return []
  if (!Array.isArray(v) || v.length > MAX_WORDS || (opts.nonEmpty && v.length === 0)) throw invalidEffect(field, `expected a list of ${opts.nonEmpty ? '1' : '0'} to ${MAX_WORDS} stress-ng arguments`)
  v.forEach((w, i) => {
    if (typeof w !== 'string' || w.length === 0 || w.length > MAX_WORD || w.includes('\0')) throw invalidEffect(`${field}[${i}]`, `expected a non-empty string of at most ${MAX_WORD} characters without NUL`)
  })
  return [...(v as string[])]
}

function parseBody(body: unknown): StressBody {
  if (!isObj(body)) throw invalidEffect('body', 'expected {cpu?, memory?, stressng?}')
  for (const k of Object.keys(body)) if (!['cpu', 'memory', 'stressng'].includes(k)) throw invalidEffect(`body.${k}`, 'unknown field (expected cpu, memory or stressng)')
  const out: StressBody = {}
  if (body.stressng !== undefined) out.stressng = words(body.stressng, 'body.stressng', { nonEmpty: true })
  if (body.cpu !== undefined) {
    const c = body.cpu
    if (!isObj(c)) throw invalidEffect('body.cpu', 'expected {workers, load?, options?}')
    if (!isInt(c.workers, 1, MAX_WORKERS)) throw invalidEffect('body.cpu.workers', `expected an integer from 1 to ${MAX_WORKERS}`)
    if (c.load !== undefined && !isInt(c.load, 0, 100)) throw invalidEffect('body.cpu.load', 'expected a percent from 0 to 100')
    out.cpu = { workers: c.workers, ...(c.load !== undefined ? { load: c.load as number } : {}), options: words(c.options, 'body.cpu.options') }
  }
  if (body.memory !== undefined) {
    const m = body.memory
    if (!isObj(m)) throw invalidEffect('body.memory', 'expected {workers, size, oomScoreAdj?, options?}')
    if (!isInt(m.workers, 1, MAX_WORKERS)) throw invalidEffect('body.memory.workers', `expected an integer from 1 to ${MAX_WORKERS}`)
    const s = m.size
    let size: { bytes: number } | { percent: number }
    if (isObj(s) && Object.keys(s).length === 1 && isInt(s.bytes, 1, Number.MAX_SAFE_INTEGER)) size = { bytes: s.bytes }
    else if (isObj(s) && Object.keys(s).length === 1 && typeof s.percent === 'number' && s.percent > 0 && s.percent <= 100) size = { percent: s.percent }
    else throw invalidEffect('body.memory.size', 'expected {"bytes": <positive integer>} or {"percent": <more than 0, at most 100>}')
    if ('bytes' in size && size.bytes < MIN_BYTES_PER_WORKER * m.workers) {
      throw invalidEffect('body.memory.size', `${size.bytes} bytes for ${m.workers} worker(s): stress-ng needs at least ${MIN_BYTES_PER_WORKER} bytes per worker`)
    }
    if (m.oomScoreAdj !== undefined && !isInt(m.oomScoreAdj, -1000, 1000)) throw invalidEffect('body.memory.oomScoreAdj', 'expected an integer from -1000 to 1000')
    out.memory = { workers: m.workers, size, oomScoreAdj: (m.oomScoreAdj as number | undefined) ?? 0, options: words(m.options, 'body.memory.options') }
  }
  if (!out.cpu && !out.memory && !out.stressng) throw invalidEffect('body', 'give at least one of cpu, memory, stressng')
  return out
}

// ---- stress-ng -----------------------------------------------------------------------------------------------

/** The stress-ng program: the first on PATH, else /usr/bin/stress-ng; SPEC_LOCAL_UNSUPPORTED when there is none. */
export function stressNgPath(pathEnv = process.env.PATH): string {
  for (const d of [...(pathEnv ?? '').split(delimiter).filter((x) => x.startsWith('/')), '/usr/bin']) {
    const p = join(d, 'stress-ng')
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', 'StressChaos runs stress-ng, and this machine has none (not on PATH, not /usr/bin/stress-ng)', {
    hint: 'install it (Debian/Ubuntu: apt-get install stress-ng; scripts/setup.sh does), then apply again',
  })
}

/** stress-ng --dry-run with these arguments: parses them and runs nothing. Throws EFFECT_INVALID with what stress-ng said. */
function dryRun(bin: string, s: StressorArgs): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(bin, [...s.args, '--dry-run'], { timeout: 10_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve()
      const said = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^stress-ng: info:/.test(l)).slice(0, 3).join('; ')
      reject(invalidEffect(`body.${s.part}`, `stress-ng refuses the arguments ${JSON.stringify(s.args.slice(2).join(' '))}: ${said || err.message}`, hintFor(s.part)))
    })
  })
}

const hintFor = (part: StressPart): string =>
  part === 'stressng' ? 'fix spec.stressngStressors (see `man stress-ng`)' : `fix spec.stressors.${part}.options (each option is split at spaces, as Chaos Mesh does; see \`man stress-ng\`)`

// ---- processes of a group, from /proc ------------------------------------------------------------------------

/** Fields of /proc/<pid>/stat after the command name: [0] state, [2] pgrp, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statOf(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return s.slice(s.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

function pidsOfCgroup(dir: string): number[] | undefined {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return undefined
  }
}

function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
  } catch {
    return []
  }
}

/** The live (not zombie) processes of process group `pgid`, looked for among `candidates` (a cgroup's) or all of /proc. */
function groupMembers(pgid: number, candidates?: number[]): number[] {
  const out: number[] = []
  for (const pid of candidates ?? allPids()) {
    const f = statOf(pid)
    if (f && Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') out.push(pid)
  }
  return out
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch {
    return false
  }
  return groupMembers(pgid).length > 0
}

// ---- cgroup accounting ---------------------------------------------------------------------------------------

const USER_HZ = 100

/**
 * The pod cgroup's CPU time so far, in µs: cpu.stat usage_usec (v2), cpuacct.usage (v1 with cpu and cpuacct
 * together), else the sum over the cgroup's processes of their own and their reaped children's times (v1 where the
 * cpu hierarchy has no accounting of its own).
 */
export function cgroupCpuUsec(dirs: readonly string[]): { usec: number; source: string } | undefined {
  for (const d of dirs) {
    try {
      const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'))
      if (m) return { usec: Number(m[1]), source: 'cpu.stat' }
    } catch {
      // not v2
    }
  }
  for (const d of dirs) {
    try {
      return { usec: Math.round(Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8').trim()) / 1000), source: 'cpuacct.usage' }
    } catch {
      // no cpuacct here
    }
  }
  const pids = dirs[0] !== undefined ? pidsOfCgroup(dirs[0]) : undefined
  if (!pids) return undefined
  let ticks = 0
  for (const pid of pids) {
    const f = statOf(pid)
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  }
  return { usec: Math.round((ticks * 1e6) / USER_HZ), source: 'processes' }
}

/** The pod cgroup's memory in use, in bytes: memory.current (v2) or memory.usage_in_bytes (v1). */
export function cgroupMemoryBytes(dirs: readonly string[]): number | undefined {
  for (const d of dirs) {
    for (const f of ['memory.current', 'memory.usage_in_bytes']) {
      try {
        return Number(readFileSync(join(d, f), 'utf8').trim())
      } catch {
        // not this one
      }
    }
  }
  return undefined
}

/** OOM kills inside the pod's cgroup so far: memory.events (v2) or memory.oom_control (v1) oom_kill. */
export function cgroupOomKills(dirs: readonly string[]): number | undefined {
  for (const d of dirs) {
    for (const f of ['memory.events', 'memory.oom_control']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(d, f), 'utf8'))
        if (m) return Number(m[1])
      } catch {
        // not this one
      }
    }
  }
  return undefined
}

// ---- held stressors ------------------------------------------------------------------------------------------

/** A stressor that lives less than this after its start counts as failing. */
const QUICK_MS = 5000
const MAX_QUICK_FAILURES = 8
const RETRY_BASE_MS = 250
const RETRY_CAP_MS = 10_000
const OOM_EVERY_MS = 500
/** How long apply watches a started stressor for an exit at once (a cgroup it cannot join, a stressor that fails). */
const SETTLE_MS = 300
const GONE_WITHIN_MS = 5000
const OUTPUT_TAIL = 2000

interface Proc {
  part: StressPart
  argv: [string, ...string[]]
  oomScoreAdj?: number
  child?: ChildProcess
  pid?: number
  startedAt?: number
  starts: number
  output: string
  lastExit?: { code: number | null; signal: string | null; at: string; output?: string }
  /** It exited 0: done as its arguments asked (its own --timeout); not started again. */
  finished?: boolean
  quickFailures: number
  retry?: NodeJS.Timeout
  gaveUp?: string
  oomProblem?: string
}

interface Held {
  pod: string
  procs: Proc[]
  tmp: string
  restarts: number
  stopped: boolean
  oomTimer?: NodeJS.Timeout
  /** OOM kills in the pod's cgroup when the effect was applied (observe counts from there). */
  oomKillsAtApply?: number
  /** The last CPU reading, for the rate between two observations. */
  lastCpu?: { at: number; usec: number }
}

/** The stressors each runtime (host) holds, by effect id. */
const tables = new WeakMap<EffectHost, Map<string, Held>>()
function tableOf(host: EffectHost): Map<string, Held> {
  let t = tables.get(host)
  if (!t) tables.set(host, (t = new Map()))
  return t
}

function keepOutput(p: Proc, d: Buffer): void {
  p.output = (p.output + d.toString()).slice(-OUTPUT_TAIL)
}

const running = (pod: RuntimePod | undefined): boolean => pod !== undefined && pod.phase === 'Running' && pod.pid !== undefined

/** Starts one stressor in the pod. Throws when it cannot be started (the process does not exist then). */
function start(host: EffectHost, h: Held, p: Proc): void {
  const child = host.spawnInPod(h.pod, p.argv)
  if (child.pid === undefined) {
    child.once('error', () => undefined)
    throw new ChaosError('INTERNAL', `cannot start ${p.argv[0]} in pod ${h.pod}`)
  }
  p.child = child
  p.pid = child.pid
  p.startedAt = Date.now()
  p.starts++
  p.output = ''
  child.stdout?.on('data', (d: Buffer) => keepOutput(p, d))
  child.stderr?.on('data', (d: Buffer) => keepOutput(p, d))
  child.once('error', (e) => keepOutput(p, Buffer.from(e.message)))
  child.once('exit', (code, signal) => exited(host, h, p, child, code, signal))
  child.unref()
  if (p.oomScoreAdj !== undefined) {
    try {
      writeFileSync(`/proc/${child.pid}/oom_score_adj`, String(p.oomScoreAdj))
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `body.memory.oomScoreAdj ${p.oomScoreAdj}: the runtime cannot set it on the stressor (${why})${p.oomScoreAdj < 0 ? '; lowering an oom_score_adj below 0 needs CAP_SYS_RESOURCE, which the runtime lacks here' : ''}`, {
        hint: 'set spec.stressors.memory.oomScoreAdj to 0 or more, or run the runtime with CAP_SYS_RESOURCE',
      })
    }
  }
}

function exited(host: EffectHost, h: Held, p: Proc, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
  if (p.child !== child) return
  p.child = undefined
  p.pid = undefined
  p.lastExit = { code, signal, at: new Date().toISOString(), ...(p.output.trim() ? { output: p.output.trim().slice(-500) } : {}) }
  if (h.stopped) return
  if (code === 0) {
    p.finished = true
    return
  }
  const lived = Date.now() - (p.startedAt ?? 0)
  p.quickFailures = lived < QUICK_MS ? p.quickFailures + 1 : 0
  schedule(host, h, p)
}

/** Starts a stressor again after its back-off, once its pod runs; gives up after too many quick failures. */
function schedule(host: EffectHost, h: Held, p: Proc, delayMs?: number): void {
  if (h.stopped) return
  if (p.quickFailures >= MAX_QUICK_FAILURES) {
    p.gaveUp = `stress-ng ended ${p.quickFailures} times in a row within ${QUICK_MS / 1000} s of its start; last: ${describeExit(p.lastExit)}`
    return
  }
  const wait = delayMs ?? (p.quickFailures === 0 ? RETRY_BASE_MS : Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (p.quickFailures - 1)))
  clearTimeout(p.retry)
  p.retry = setTimeout(() => {
    p.retry = undefined
    if (h.stopped || p.child) return
    const pod = host.findPod(h.pod)
    if (!pod) return // the pod is gone: the runtime ends the effect
    if (!running(pod)) return schedule(host, h, p, RETRY_BASE_MS) // waiting for its container: not a failure
    try {
      start(host, h, p)
      h.restarts++
    } catch (e) {
      p.lastExit = { code: null, signal: null, at: new Date().toISOString(), output: (e as Error).message }
      p.quickFailures++
      schedule(host, h, p)
    }
  }, wait)
  p.retry.unref()
}

function describeExit(x: Proc['lastExit']): string {
  if (!x) return 'unknown'
  return `${x.signal ? `killed by ${x.signal}` : `exit code ${x.code}`}${x.output ? ` (${x.output.split('\n').slice(-2).join('; ')})` : ''}`
}

/** Keeps oom_score_adj of every process of the memory stressor at the one asked for (stress-ng sets its workers' own). */
function enforceOom(host: EffectHost, h: Held): void {
  const dirs = host.findPod(h.pod)?.cgroups
  for (const p of h.procs) {
    if (p.oomScoreAdj === undefined || p.pid === undefined) continue
    const candidates = dirs?.[0] !== undefined ? pidsOfCgroup(dirs[0]) : undefined
    for (const pid of groupMembers(p.pid, candidates)) {
      const file = `/proc/${pid}/oom_score_adj`
      try {
        if (readFileSync(file, 'utf8').trim() !== String(p.oomScoreAdj)) writeFileSync(file, String(p.oomScoreAdj))
        delete p.oomProblem
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH') p.oomProblem = `pid ${pid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
      }
    }
  }
}

/** SIGKILLs every stressor's process group and waits until none of them is left. Throws when one outlives the wait. */
async function stop(h: Held): Promise<void> {
  h.stopped = true
  clearInterval(h.oomTimer)
  for (const p of h.procs) clearTimeout(p.retry)
  const groups = h.procs.flatMap((p) => (p.pid !== undefined ? [p.pid] : []))
  const deadline = Date.now() + GONE_WITHIN_MS
  for (;;) {
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL')
      } catch {
        // gone
      }
    }
    const left = groups.filter(groupAlive)
    if (left.length === 0) break
    if (Date.now() > deadline) {
      throw new ChaosError('INTERNAL', `stress-ng process group(s) ${left.join(', ')} in pod ${h.pod} still run ${GONE_WITHIN_MS / 1000} s after SIGKILL`, { hint: 'the removal is retried; `ps -g <pgid>` shows them' })
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  rmSync(h.tmp, { recursive: true, force: true })
}

function cgroupFacts(host: EffectHost, pod: RuntimePod | undefined): Record<string, unknown> {
  if (!pod) return { cgroup: false, cgroupReason: 'the pod is gone' }
  if (pod.cgroups && pod.cgroups.length > 0) return { cgroup: true, cgroups: [...pod.cgroups] }
  const support = host.supervisor.cgroupSupport
  return { cgroup: false, cgroupReason: pod.limits?.reason ?? (support.usable ? 'the pod has no cgroup of its own' : support.reason) }
}

function facts(host: EffectHost, h: Held): Record<string, unknown> {
  const pod = host.findPod(h.pod)
  const stressors = h.procs.map((p) => ({
    part: p.part,
    args: p.argv.slice(1),
    running: p.child !== undefined,
    ...(p.pid !== undefined ? { pid: p.pid } : {}),
    starts: p.starts,
    ...(p.oomScoreAdj !== undefined ? { oomScoreAdj: p.oomScoreAdj } : {}),
    ...(p.oomProblem ? { oomScoreAdjProblem: p.oomProblem } : {}),
    ...(p.finished ? { finished: true } : {}),
    ...(p.gaveUp ? { gaveUp: p.gaveUp } : {}),
    ...(p.lastExit ? { lastExit: p.lastExit } : {}),
  }))
  const out: Record<string, unknown> = {
    ...cgroupFacts(host, pod),
    running: h.procs.every((p) => p.child !== undefined || p.finished),
    pids: h.procs.flatMap((p) => (p.pid !== undefined ? [p.pid] : [])),
    restarts: h.restarts,
    stressors,
  }
  if (!h.procs.some((p) => p.child) && !running(pod) && pod) out.waitingFor = `pod ${pod.name} to run (${pod.phase}${pod.reason ? `, ${pod.reason}` : ''})`
  const dirs = pod?.cgroups ?? []
  if (dirs.length > 0) {
    const cpu = cgroupCpuUsec(dirs)
    if (cpu) {
      const now = Date.now()
      out.cpuUsageUsec = cpu.usec
      out.cpuUsageSource = cpu.source
      if (h.lastCpu && now - h.lastCpu.at >= 1000 && cpu.usec >= h.lastCpu.usec) out.cpuCores = Math.round(((cpu.usec - h.lastCpu.usec) / ((now - h.lastCpu.at) * 1000)) * 100) / 100
      if (!h.lastCpu || now - h.lastCpu.at >= 1000) h.lastCpu = { at: now, usec: cpu.usec }
    }
    const mem = cgroupMemoryBytes(dirs)
    if (mem !== undefined) out.memoryBytes = mem
    const ooms = cgroupOomKills(dirs)
    if (ooms !== undefined && h.oomKillsAtApply !== undefined) out.oomKills = Math.max(0, ooms - h.oomKillsAtApply)
  }
  return out
}

export const effect: EffectModule<StressBody> = {
  parse: parseBody,

  async apply(host, e) {
    const pod = host.pod(e.target.pod)
    if (pod.external !== undefined) throw new ChaosError('RUNTIME_NOT_RUNNABLE', `pod ${pod.name} fronts the external service ${pod.service}: the runtime does not run it, so it cannot stress it`)
    const bin = stressNgPath()
    const table = tableOf(host)
    const prior = table.get(e.id)
    if (prior) {
      await stop(prior)
      table.delete(e.id)
    }
    const tmp = mkdtempSync(join(tmpdir(), 'chaoscope-stress-'))
    const oomKillsAtApply = pod.cgroups ? cgroupOomKills(pod.cgroups) : undefined
    const h: Held = { pod: pod.name, procs: [], tmp, restarts: 0, stopped: false, ...(oomKillsAtApply !== undefined ? { oomKillsAtApply } : {}) }
    try {
      const plan = stressArgs(e.body, totalmem(), tmp)
      for (const s of plan) await dryRun(bin, s)
      h.procs = plan.map((s) => ({ part: s.part, argv: [bin, ...s.args], ...(s.oomScoreAdj !== undefined ? { oomScoreAdj: s.oomScoreAdj } : {}), starts: 0, output: '', quickFailures: 0 }))
      if (running(host.findPod(pod.name))) {
        for (const p of h.procs) start(host, h, p)
        await settle(h)
      } else {
        for (const p of h.procs) schedule(host, h, p, 0)
      }
    } catch (err) {
      await stop(h).catch(() => undefined)
      rmSync(tmp, { recursive: true, force: true })
      throw err
    }
    if (h.procs.some((p) => p.oomScoreAdj !== undefined)) {
      h.oomTimer = setInterval(() => enforceOom(host, h), OOM_EVERY_MS)
      h.oomTimer.unref()
      enforceOom(host, h)
    }
    table.set(e.id, h)
    return facts(host, h)
  },

  async remove(host, e) {
    const table = tableOf(host)
    const h = table.get(e.id)
    if (!h) return
    await stop(h)
    table.delete(e.id)
  },

  async observe(host, e) {
    const h = tableOf(host).get(e.id)
    if (!h) return { running: false }
    return facts(host, h)
  },
}

/** Waits SETTLE_MS for a stressor that ends at once; throws with what it said (the caller stops the others). */
async function settle(h: Held): Promise<void> {
  const deadline = Date.now() + SETTLE_MS
  while (Date.now() < deadline) {
    const dead = h.procs.find((p) => p.child === undefined && p.lastExit && !p.finished)
    if (dead) {
      throw invalidEffect(`body.${dead.part}`, `stress-ng ended right after its start (${describeExit(dead.lastExit)})`, hintFor(dead.part))
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}
