/**
 * @module runtime/process/cgroup: one cgroup per pod (v2, or v1 memory + cpu hierarchies) below the runtime's own
 * cgroup, for CPU and memory limits, OOM-kill detection and killing every process of a pod at once.
 *
 *   <runtime's cgroup>/chaoscope/<pod name>-<uid prefix>/   cpu.max + memory.max (v2)
 *                                                           cpu.cfs_quota_us / memory.limit_in_bytes (v1)
 *
 * Pod cgroups nest under the runtime's own cgroup (never elsewhere in the tree), so whatever limits the runtime
 * itself lives under still apply to its pods.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync, accessSync, constants } from 'node:fs'
import { join } from 'node:path'

export type CgroupSupport =
  | { usable: true; version: 2; root: string; own: string }
  | { usable: true; version: 1; memory: { root: string; own: string }; cpu: { root: string; own: string } }
  | { usable: false; reason: string }

interface Mount {
  point: string
  fstype: string
  superOptions: string[]
}

function readMounts(procRoot: string): Mount[] {
  const text = readFileSync(join(procRoot, 'self/mountinfo'), 'utf8')
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ')
    if (dash < 0) continue
    const left = line.slice(0, dash).split(' ')
    const right = line.slice(dash + 3).split(' ')
    const point = (left[4] ?? '').replace(/\\040/g, ' ')
    mounts.push({ point, fstype: right[0] ?? '', superOptions: (right[2] ?? '').split(',') })
  }
  return mounts
}

/** controller list ('' for the v2 line) → path of this process's cgroup, from /proc/self/cgroup. */
function ownCgroups(procRoot: string): Map<string, string> {
  const own = new Map<string, string>()
  for (const line of readFileSync(join(procRoot, 'self/cgroup'), 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line)
    if (m) for (const c of m[1]!.split(',')) own.set(c, m[2]!)
  }
  return own
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}

/**
 * What this machine allows: cgroup v2 when its unified hierarchy has the memory and cpu controllers, else v1 when
 * both the memory and cpu hierarchies are mounted, else not usable with the reason. Reads only; creates nothing.
 */
export function detectCgroups(opts: { procRoot?: string; uid?: number } = {}): CgroupSupport {
  const procRoot = opts.procRoot ?? '/proc'
  const uid = opts.uid ?? process.getuid?.() ?? -1
  if (uid !== 0) return { usable: false, reason: 'not running as root' }
  let mounts: Mount[]
  let own: Map<string, string>
  try {
    mounts = readMounts(procRoot)
    own = ownCgroups(procRoot)
  } catch (e) {
    return { usable: false, reason: `cannot read ${procRoot}/self/mountinfo or cgroup: ${(e as Error).message}` }
  }
  if (!mounts.some((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')) return { usable: false, reason: 'no cgroup filesystem is mounted' }

  const v2 = mounts.find((m) => m.fstype === 'cgroup2')
  const v2Path = own.get('')
  if (v2 && v2Path !== undefined) {
    const dir = join(v2.point, v2Path)
    const controllers = safeRead(join(dir, 'cgroup.controllers'))?.trim().split(/\s+/) ?? []
    if (controllers.includes('memory') && controllers.includes('cpu')) {
      if (!writable(dir)) return { usable: false, reason: `cgroup v2 at ${dir} is not writable` }
      return { usable: true, version: 2, root: v2.point, own: v2Path }
    }
  }
  const memMount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('memory'))
  const cpuMount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('cpu'))
  if (memMount && cpuMount) {
    const memOwn = own.get('memory') ?? '/'
    const cpuOwn = own.get('cpu') ?? '/'
    for (const d of [join(memMount.point, memOwn), join(cpuMount.point, cpuOwn)]) {
      if (!writable(d)) return { usable: false, reason: `cgroup v1 directory ${d} is missing or not writable` }
    }
    return { usable: true, version: 1, memory: { root: memMount.point, own: memOwn }, cpu: { root: cpuMount.point, own: cpuOwn } }
  }
  if (v2) return { usable: false, reason: 'cgroup v2 is mounted without the memory and cpu controllers, and cgroup v1 has no memory and cpu hierarchies' }
  return { usable: false, reason: 'the cgroup v1 memory or cpu hierarchy is not mounted' }
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
}

/** A Kubernetes quantity ("500m", "1.5", "64Mi", "1G") as a number; undefined when it is not one. */
export function parseQuantity(q: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q.trim())
  if (!m) return undefined
  return Number(m[1]) * SUFFIX[m[2] ?? '']!
}

export interface Limits {
  cpu?: string
  memory?: string
}

const CFS_PERIOD_US = 100_000

/**
 * A pod's cgroup(s). Created with its limits set; `procsFiles` are what the launching shell joins. Every method
 * except the constructor's creation step is best-effort and never throws.
 */
export class PodCgroup {
  /** One directory (v2) or two (v1 memory, v1 cpu). */
  readonly dirs: string[]
  readonly version: 1 | 2
  private oomBaseline = 0

  /** Creates the directories and writes the limits; throws (with the path) when the kernel refuses. */
  constructor(support: Extract<CgroupSupport, { usable: true }>, leaf: string, limits: Limits) {
    this.version = support.version
    const cores = limits.cpu !== undefined ? parseQuantity(limits.cpu) : undefined
    const bytes = limits.memory !== undefined ? parseQuantity(limits.memory) : undefined
    if (limits.cpu !== undefined && cores === undefined) throw new Error(`cpu limit ${JSON.stringify(limits.cpu)} is not a quantity`)
    if (limits.memory !== undefined && bytes === undefined) throw new Error(`memory limit ${JSON.stringify(limits.memory)} is not a quantity`)
    const quota = cores !== undefined ? Math.max(1000, Math.round(cores * CFS_PERIOD_US)) : undefined
    const mem = bytes !== undefined ? Math.max(4096, Math.ceil(bytes)) : undefined
    const made: string[] = []
    // one level at a time: the parent of each directory exists (the runtime's own cgroup, then chaoscope/)
    const mkdir = (d: string): void => {
      try {
        mkdirSync(d)
        made.push(d)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
    }
    this.dirs = []
    try {
      this.setUp(support, leaf, quota, mem, mkdir)
    } catch (e) {
      for (const d of made.reverse()) {
        try {
          rmdirSync(d)
        } catch {
          // shared parent in use, or gone
        }
      }
      throw e
    }
  }

  private setUp(support: Extract<CgroupSupport, { usable: true }>, leaf: string, quota: number | undefined, mem: number | undefined, mkdir: (d: string) => void): void {
    if (support.version === 2) {
      const own = join(support.root, support.own)
      const parent = join(own, 'chaoscope')
      enableControllers(own)
      mkdir(parent)
      enableControllers(parent)
      const dir = join(parent, leaf)
      mkdir(dir)
      this.dirs.push(dir)
      if (quota !== undefined) writeFileSync(join(dir, 'cpu.max'), `${quota} ${CFS_PERIOD_US}`)
      if (mem !== undefined) {
        writeFileSync(join(dir, 'memory.max'), String(mem))
        tryWrite(join(dir, 'memory.swap.max'), '0')
        tryWrite(join(dir, 'memory.oom.group'), '1')
      }
    } else {
      const memDir = join(support.memory.root, support.memory.own, 'chaoscope', leaf)
      const cpuDir = join(support.cpu.root, support.cpu.own, 'chaoscope', leaf)
      mkdir(join(memDir, '..'))
      mkdir(memDir)
      mkdir(join(cpuDir, '..'))
      mkdir(cpuDir)
      this.dirs.push(memDir, cpuDir)
      if (mem !== undefined) {
        writeFileSync(join(memDir, 'memory.limit_in_bytes'), String(mem))
        tryWrite(join(memDir, 'memory.memsw.limit_in_bytes'), String(mem))
      }
      if (quota !== undefined) {
        writeFileSync(join(cpuDir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US))
        writeFileSync(join(cpuDir, 'cpu.cfs_quota_us'), String(quota))
      }
    }
  }

  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'))
  }

  /** Pids currently in the pod's cgroup (the memory one on v1). */
  pids(): number[] {
    const text = safeRead(join(this.dirs[0]!, 'cgroup.procs')) ?? ''
    return text.split('\n').filter(Boolean).map(Number)
  }

  /** OOM kills inside this cgroup so far. */
  oomKills(): number {
    const file = this.version === 2 ? 'memory.events' : 'memory.oom_control'
    const m = /^oom_kill (\d+)$/m.exec(safeRead(join(this.dirs[0]!, file)) ?? '')
    return m ? Number(m[1]) : 0
  }

  /** Call when a container starts; {@link oomKilledSinceStart} then counts from here. */
  markStart(): void {
    this.oomBaseline = this.oomKills()
  }

  oomKilledSinceStart(): boolean {
    return this.oomKills() > this.oomBaseline
  }

  /** SIGKILLs every process in the cgroup (descendants that left the pod's process group included). */
  killAll(): void {
    if (this.version === 2 && tryWrite(join(this.dirs[0]!, 'cgroup.kill'), '1')) return
    for (let round = 0; round < 3; round++) {
      const pids = this.dirs.flatMap((d) => (safeRead(join(d, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number))
      if (pids.length === 0) return
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
  }

  /** Kills what is left and removes the directories (retrying while the kernel still counts exiting tasks). */
  async remove(): Promise<void> {
    this.killAll()
    for (let attempt = 0; attempt < 50; attempt++) {
      let left = 0
      for (const d of this.dirs) {
        if (!existsSync(d)) continue
        try {
          rmdirSync(d)
        } catch {
          left++
        }
      }
      if (left === 0) return
      this.killAll()
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value)
    return true
  } catch {
    return false
  }
}

/** v2: lets children of `dir` use the memory and cpu controllers. Fails (EBUSY) for a non-root cgroup that holds processes. */
function enableControllers(dir: string): void {
  const current = safeRead(join(dir, 'cgroup.subtree_control')) ?? ''
  const missing = ['memory', 'cpu'].filter((c) => !current.split(/\s+/).includes(c))
  if (missing.length === 0) return
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '))
  } catch (e) {
    throw new Error(`cannot enable the ${missing.join(' and ')} controllers below ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run chaoscope in a cgroup of its own, e.g. under systemd-run --scope`, { cause: e })
  }
}

/**
 * Creates and removes one empty pod cgroup with a CPU and a memory limit, exactly as the supervisor sets one up for a
 * pod: undefined when that works, else the reason the supervisor would give for not enforcing limits. For `doctor`,
 * which must not call limits enforced when the kernel refuses what detection allowed (e.g. controllers it cannot
 * enable below a cgroup that holds processes).
 */
export function tryPodCgroup(support: Extract<CgroupSupport, { usable: true }>): string | undefined {
  let cg: PodCgroup
  try {
    cg = new PodCgroup(support, `doctor-${process.pid}-${Date.now().toString(36)}`, { cpu: '100m', memory: '64Mi' })
  } catch (e) {
    return (e as Error).message
  }
  for (const d of cg.dirs) {
    try {
      rmdirSync(d)
    } catch {
      // gone already
    }
  }
  removeParents(support)
  return undefined
}

/** Removes the `chaoscope` parent directories when no pod cgroup is left in them (another runtime may still use them). */
export function removeParents(support: CgroupSupport): void {
  if (!support.usable) return
  const parents = support.version === 2 ? [join(support.root, support.own, 'chaoscope')] : [join(support.memory.root, support.memory.own, 'chaoscope'), join(support.cpu.root, support.cpu.own, 'chaoscope')]
  for (const p of parents) {
    try {
      rmdirSync(p)
    } catch {
      // busy or gone
    }
  }
}
