/**
 * @module runtime/effects/io-fault: file operations of a pod made slow, failing, lying about attributes or
 * returning wrong bytes (Chaos Mesh's IOChaos), through the fault library preloaded into it (native/faults/io.c):
 * the library's interposed libc calls act on the files of a volume (a directory) whose path and method match a rule.
 *
 *   body { rules: [ {action, volumePath, path?, methods?, percent, delayNs? | errno? | attr? | mistake?} ] }
 *     └─▶ io.rules in the pod's control directory: one line per rule of every io-fault held on the pod
 *     └─▶ io.count.<hash of the effect id>: 8 bytes the library adds 1 to for each call a rule acted on
 *
 * A relative volumePath is read under the pod's $CHAOSCOPE_DATA_DIR (its service's data directory, the nearest
 * thing a local pod has to a volume): `.` is all of it. A relative `path` glob is read under the volume. The
 * pod's rules are recomputed whole from every io-fault held on it, so several act at once, in the order of their
 * ids; removing one leaves the others. Observed: the calls the effect acted on so far.
 */
import { createHash } from 'node:crypto'
import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectHost, EffectModule, EffectSpec } from '../effect.js'
import { writeRules } from '../preload/controls.js'
import type { RuntimePod } from '../types.js'

/** The FUSE methods (Chaos Mesh's names) the library maps to libc calls (see native/faults/io.c). */
export const IO_FAULT_METHODS = [
  'getattr', 'setattr', 'readlink', 'mknod', 'mkdir', 'unlink', 'rmdir', 'symlink', 'rename', 'link', 'open', 'read',
  'write', 'flush', 'release', 'fsync', 'opendir', 'readdir', 'releasedir', 'fsyncdir', 'statfs', 'setxattr',
  'getxattr', 'listxattr', 'removexattr', 'access', 'create', 'getlk', 'setlk',
] as const
export type IoFaultMethod = (typeof IO_FAULT_METHODS)[number]

export const IO_FILE_KINDS = ['namedPipe', 'charDevice', 'blockDevice', 'directory', 'regularFile', 'symlink', 'socket'] as const
export type IoFileKind = (typeof IO_FILE_KINDS)[number]

export interface IoTimespec {
  sec: number
  nsec: number
}

/** The attributes an attrOverride sets on what stat calls return (Chaos Mesh's attr). */
export interface IoAttr {
  ino?: number
  size?: number
  blocks?: number
  atime?: IoTimespec
  mtime?: IoTimespec
  ctime?: IoTimespec
  kind?: IoFileKind
  /** Permission bits (the low 12 bits of the mode). */
  perm?: number
  nlink?: number
  uid?: number
  gid?: number
  rdev?: number
}

export interface IoFaultRule {
  action: 'latency' | 'fault' | 'attrOverride' | 'mistake'
  /** The directory it acts in (with everything below): absolute, or relative to the pod's $CHAOSCOPE_DATA_DIR. */
  volumePath: string
  /** A glob over absolute paths (`*`, `?`, `[...]`, `**`); relative: under the volume. Absent: every file of the volume. */
  path?: string
  /** Absent or empty: every method. */
  methods?: IoFaultMethod[]
  /** Of the matching calls, how many in 100 it acts on. */
  percent: number
  /** latency: nanoseconds, a decimal string (an int64 may not fit a JSON number). */
  delayNs?: string
  /** fault: the errno the call fails with. */
  errno?: number
  attr?: IoAttr
  mistake?: { filling: 'zero' | 'random'; maxOccurrences: number; maxLength: number }
}

export interface IoFaultBody {
  rules: IoFaultRule[]
}

const ACTIONS = ['latency', 'fault', 'attrOverride', 'mistake'] as const
const MAX_RULES = 64
const MAX_PATH = 4000
const UINT32 = 4_294_967_295
const INT32 = 2_147_483_647
const INT64_MAX = (1n << 63n) - 1n

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max

function pathText(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PATH || v.includes('\0')) throw invalidEffect(field, `expected a path of 1 to ${MAX_PATH} characters without NUL, got ${JSON.stringify(v)}`)
  return v
}

function parseAttr(v: unknown, field: string): IoAttr {
  if (!isObject(v)) throw invalidEffect(field, 'expected an object of attributes (ino, size, blocks, atime, mtime, ctime, kind, perm, nlink, uid, gid, rdev)')
  const out: IoAttr = {}
  for (const [k, x] of Object.entries(v)) {
    const f = `${field}.${k}`
    switch (k) {
      case 'ino': case 'size': case 'blocks':
        if (!isInt(x, 0, Number.MAX_SAFE_INTEGER)) throw invalidEffect(f, `expected a whole number of at least 0, got ${JSON.stringify(x)}`)
        out[k] = x
        break
      case 'nlink': case 'uid': case 'gid': case 'rdev':
        if (!isInt(x, 0, UINT32)) throw invalidEffect(f, `expected a whole number from 0 to ${UINT32}, got ${JSON.stringify(x)}`)
        out[k] = x
        break
      case 'perm':
        if (!isInt(x, 0, 65535)) throw invalidEffect(f, `expected a whole number from 0 to 65535, got ${JSON.stringify(x)}`)
        out.perm = x
        break
      case 'atime': case 'mtime': case 'ctime':
        if (!isObject(x) || !isInt(x.sec, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) || !isInt(x.nsec, 0, 999_999_999)) throw invalidEffect(f, 'expected {"sec": <int>, "nsec": <0 to 999999999>}')
        out[k] = { sec: x.sec, nsec: x.nsec }
        break
      case 'kind':
        if (!IO_FILE_KINDS.includes(x as IoFileKind)) throw invalidEffect(f, `expected one of ${IO_FILE_KINDS.join(', ')}, got ${JSON.stringify(x)}`)
        out.kind = x as IoFileKind
        break
      default:
        throw invalidEffect(f, 'not an attribute', 'ino, size, blocks, atime, mtime, ctime, kind, perm, nlink, uid, gid, rdev')
    }
  }
  if (Object.keys(out).length === 0) throw invalidEffect(field, 'expected at least one attribute')
  return out
}

function parseRule(v: unknown, field: string): IoFaultRule {
  if (!isObject(v)) throw invalidEffect(field, 'expected {"action", "volumePath", "percent", ...}')
  const action = v.action as IoFaultRule['action']
  if (!ACTIONS.includes(action)) throw invalidEffect(`${field}.action`, `expected one of ${ACTIONS.join(', ')}, got ${JSON.stringify(v.action)}`)
  const rule: IoFaultRule = { action, volumePath: pathText(v.volumePath, `${field}.volumePath`), percent: 100 }
  if (v.path !== undefined) rule.path = pathText(v.path, `${field}.path`)
  if (v.methods !== undefined) {
    if (!Array.isArray(v.methods) || v.methods.some((m) => !IO_FAULT_METHODS.includes(m as IoFaultMethod))) {
      throw invalidEffect(`${field}.methods`, `expected a list of methods, got ${JSON.stringify(v.methods)}`, `methods the fault library maps: ${IO_FAULT_METHODS.join(', ')}`)
    }
    if (v.methods.length > 0) rule.methods = [...new Set(v.methods as IoFaultMethod[])]
  }
  if (!isInt(v.percent, 0, 100)) throw invalidEffect(`${field}.percent`, `expected a whole number from 0 to 100, got ${JSON.stringify(v.percent)}`)
  rule.percent = v.percent
  switch (action) {
    case 'latency': {
      const d = v.delayNs
      const ok = (typeof d === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(d) && BigInt(d) <= INT64_MAX) || isInt(d, 0, Number.MAX_SAFE_INTEGER)
      if (!ok) throw invalidEffect(`${field}.delayNs`, `expected nanoseconds, a decimal string of 0 to 2^63-1, got ${JSON.stringify(d)}`)
      rule.delayNs = String(d)
      break
    }
    case 'fault':
      if (!isInt(v.errno, 1, INT32)) throw invalidEffect(`${field}.errno`, `expected an errno from 1 to ${INT32}, got ${JSON.stringify(v.errno)}`)
      rule.errno = v.errno
      break
    case 'attrOverride':
      rule.attr = parseAttr(v.attr, `${field}.attr`)
      break
    case 'mistake': {
      const m = v.mistake
      if (!isObject(m) || (m.filling !== 'zero' && m.filling !== 'random') || !isInt(m.maxOccurrences, 1, Number.MAX_SAFE_INTEGER) || !isInt(m.maxLength, 1, Number.MAX_SAFE_INTEGER)) {
        throw invalidEffect(`${field}.mistake`, 'expected {"filling": "zero" | "random", "maxOccurrences": <at least 1>, "maxLength": <at least 1>}')
      }
      rule.mistake = { filling: m.filling, maxOccurrences: m.maxOccurrences, maxLength: m.maxLength }
      break
    }
  }
  return rule
}

/** The pod's data directory: what a relative volumePath is under. */
function dataDirOf(host: EffectHost, pod: RuntimePod): string {
  return join(host.supervisor.dataDir, pod.namespace, pod.service)
}

/** Where a rule acts: the volume as an absolute path, and its real path when that differs (a symlink on the way). */
export function volumeOf(dataDir: string, volumePath: string): { volume: string; real?: string } {
  const volume = isAbsolute(volumePath) ? resolve(volumePath) : resolve(dataDir, volumePath)
  let real: string | undefined
  try {
    real = realpathSync(volume)
  } catch {
    real = undefined // not there (yet): the pod may create it
  }
  return real !== undefined && real !== volume ? { volume, real } : { volume }
}

const enc = (v: string): string => encodeURIComponent(v)
const ts = (t: IoTimespec): string => `${t.sec},${t.nsec}`
const C_ACTION: Record<IoFaultRule['action'], string> = { latency: 'latency', fault: 'fault', attrOverride: 'attr', mistake: 'mistake' }

/** The counter file of an effect in the pod's control directory. */
export function counterName(id: string): string {
  return `io.count.${createHash('sha256').update(id).digest('hex').slice(0, 24)}`
}

/** One rules line, as native/faults/io.c reads it. */
export function ruleLine(id: string, r: IoFaultRule, where: { volume: string; real?: string }): string {
  const glob = r.path === undefined ? undefined : isAbsolute(r.path) ? r.path : `${where.volume === '/' ? '' : where.volume}/${r.path}`
  const t: string[] = [`id=${enc(id)}`, `action=${C_ACTION[r.action]}`, `volume=${enc(where.volume)}`]
  if (where.real !== undefined) t.push(`real=${enc(where.real)}`)
  if (glob !== undefined) t.push(`path=${enc(glob)}`)
  if (r.methods && r.methods.length > 0) t.push(`methods=${r.methods.join(',')}`)
  t.push(`percent=${r.percent}`)
  if (r.action === 'latency') t.push(`delay_ns=${r.delayNs ?? '0'}`)
  if (r.action === 'fault') t.push(`errno=${r.errno}`)
  const a = r.attr
  if (r.action === 'attrOverride' && a) {
    for (const k of ['ino', 'size', 'blocks', 'perm', 'nlink', 'uid', 'gid', 'rdev'] as const) if (a[k] !== undefined) t.push(`${k}=${a[k]}`)
    for (const k of ['atime', 'mtime', 'ctime'] as const) if (a[k] !== undefined) t.push(`${k}=${ts(a[k])}`)
    if (a.kind !== undefined) t.push(`kind=${a.kind}`)
  }
  if (r.action === 'mistake' && r.mistake) t.push(`filling=${r.mistake.filling}`, `max_occ=${r.mistake.maxOccurrences}`, `max_len=${r.mistake.maxLength}`)
  t.push(`count=${counterName(id)}`)
  return `${t.join(' ')}\n`
}

/** The pod's io rules from these effects, in the order of their ids. */
export function ioRules(dataDir: string, effects: readonly EffectSpec<IoFaultBody>[]): string {
  return [...effects]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .flatMap((e) => e.body.rules.map((r) => ruleLine(e.id, r, volumeOf(dataDir, r.volumePath))))
    .join('')
}

const isGone = (e: unknown): boolean => e instanceof ChaosError && e.code === 'RUNTIME_UNKNOWN_POD'
const held = (host: EffectHost, pod: string, exceptId: string) => host.heldOn('io-fault', pod, exceptId) as EffectSpec<IoFaultBody>[]

/** The pod's control directory, or why its file calls cannot be faulted. */
function libraryDir(host: EffectHost, pod: string): string {
  const lib = host.faultLibraryOf(pod)
  if (lib.loaded) return lib.dir
  const running = host.findPod(pod)?.phase === 'Running'
  throw new ChaosError(running ? 'SPEC_LOCAL_UNSUPPORTED' : 'RUNTIME_NOT_RUNNABLE', `pod ${pod}: its file operations cannot be faulted: ${lib.reason}`, {
    hint: running
      ? 'IOChaos acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false'
      : 'retry when the pod runs again',
  })
}

/** The control directory to rewrite on removal, or undefined when there is nothing to rewrite (the pod is gone). */
function dirForRemoval(host: EffectHost, pod: string): string | undefined {
  try {
    const lib = host.faultLibraryOf(pod)
    // a pod whose container is not running now still has its directory, which its next container reads
    return lib.loaded ? lib.dir : (lib as { dir?: string }).dir
  } catch (e) {
    if (isGone(e)) return undefined
    throw e
  }
}

function callsIn(dir: string, id: string): number | undefined {
  try {
    const b = readFileSync(join(dir, counterName(id)))
    return b.length >= 8 ? Number(b.readBigUInt64LE(0)) : 0
  } catch {
    return undefined
  }
}

export const effect: EffectModule<IoFaultBody> = {
  parse(body) {
    if (!isObject(body) || !Array.isArray(body.rules) || body.rules.length === 0 || body.rules.length > MAX_RULES) {
      throw invalidEffect('body.rules', `expected a list of 1 to ${MAX_RULES} rules {"action", "volumePath", "percent", ...}`)
    }
    return { rules: body.rules.map((r, i) => parseRule(r, `body.rules[${i}]`)) }
  },

  async apply(host, e) {
    const dir = libraryDir(host, e.target.pod)
    const dataDir = dataDirOf(host, host.pod(e.target.pod))
    const volumes = e.body.rules.map((r) => volumeOf(dataDir, r.volumePath))
    for (const [i, v] of volumes.entries()) {
      let isFile = false
      try {
        isFile = !statSync(v.volume).isDirectory()
      } catch {
        isFile = false // absent: the pod may create it
      }
      if (isFile) {
        throw new ChaosError('SPEC_INVALID_VALUE', `spec.volumePath "${e.body.rules[i]!.volumePath}": ${v.volume} is a file; a volume is a directory`, {
          hint: `name the directory the pod keeps its files in: an absolute path, or one relative to the pod's $CHAOSCOPE_DATA_DIR (${dataDir})`,
        })
      }
    }
    const counter = join(dir, counterName(e.id))
    let created = false
    try {
      writeFileSync(counter, Buffer.alloc(8), { flag: 'wx' })
      created = true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err // held already: its count goes on
    }
    try {
      writeRules(dir, 'io', ioRules(dataDir, [...held(host, e.target.pod, e.id), e]))
    } catch (err) {
      if (created) rmSync(counter, { force: true })
      throw err
    }
    return { volumes: volumes.map((v) => v.volume), calls: callsIn(dir, e.id) ?? 0 }
  },

  async remove(host, e) {
    const dir = dirForRemoval(host, e.target.pod)
    if (dir === undefined) return
    const pod = host.findPod(e.target.pod)
    if (!pod) return
    try {
      writeRules(dir, 'io', ioRules(dataDirOf(host, pod), held(host, e.target.pod, e.id)))
    } catch (err) {
      // the directory went with the pod between the look-up and the write
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !host.findPod(e.target.pod)) return
      throw err
    }
    rmSync(join(dir, counterName(e.id)), { force: true })
  },

  async observe(host, e) {
    let lib: ReturnType<EffectHost['faultLibraryOf']>
    try {
      lib = host.faultLibraryOf(e.target.pod)
    } catch (err) {
      if (isGone(err)) return { podGone: true }
      throw err
    }
    const dir = lib.loaded ? lib.dir : (lib as { dir?: string }).dir
    const calls = dir !== undefined ? callsIn(dir, e.id) : undefined
    if (!lib.loaded) return { loaded: false, reason: lib.reason, ...(calls !== undefined ? { calls } : {}) }
    return { calls: calls ?? 0 }
  },
}
