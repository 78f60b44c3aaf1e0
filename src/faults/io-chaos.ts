/**
 * @module faults/io-chaos: IOChaos on the local runtime: the selected pods' file operations on a volume (a
 * directory) get latency, fail with an errno, show overridden attributes or read and write wrong bytes, through the
 * fault library chaoscope preloads into every pod it runs (native/faults/io.c), as Chaos Mesh's FUSE layer does.
 */
import { ChaosError } from '../errors.js'
import type { IoAttr, IoFaultBody, IoFaultMethod, IoFaultRule } from '../runtime/effects/io-fault.js'
import { parseDurationNs } from '../manifest/duration.js'
import { IO_METHODS } from '../manifest/kinds/io-chaos.js'
import type { IOChaosSpec } from '../manifest/kinds/io-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyHeld, liveEvidence, podNow, recoverEffects, refuseRemoteCluster, unfitPods } from './in-pod.js'
import type { InPodKind } from './in-pod.js'

export type { IOChaosSpec } from '../manifest/kinds/io-chaos.js'

type IoMethod = (typeof IO_METHODS)[number]

/** Chaos Mesh's FUSE methods that no libc call is: the kernel does them on its own. */
const UNMAPPED = {
  lookup: 'the kernel looks names up itself while it resolves a path; no libc call is a lookup (fault the calls on the path: open, getattr, access...)',
  forget: 'the kernel forgets inodes it no longer caches; no call of the program does it',
  bmap: 'block mapping (FIBMAP) exists only on block-device FUSE file systems; no libc call maps to it',
} as const satisfies Partial<Record<IoMethod, string>>
type Unmapped = keyof typeof UNMAPPED

// The methods the fault library maps are exactly Chaos Mesh's, less the unmapped ones (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const mappedExactly: Same<Exclude<IoMethod, Unmapped>, IoFaultMethod> = true
void mappedExactly


/**
 * Why a glob is not one Chaos Mesh takes (Rust's glob crate, as its IO layer reads it), or undefined: `**` must be
 * a whole path component, more than two `*` in a row are no wildcard, and a `[` needs its `]`.
 */
export function globProblem(glob: string): string | undefined {
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '*') {
      let j = i
      while (glob[j] === '*') j++
      if (j - i > 2) return `"${glob.slice(i, j)}" at character ${i + 1}: a wildcard is * or **`
      if (j - i === 2 && !((i === 0 || glob[i - 1] === '/') && (j === glob.length || glob[j] === '/'))) return `"**" at character ${i + 1} is not a whole path component`
      i = j - 1
    } else if (glob[i] === '[') {
      let j = i + 1
      if (glob[j] === '!') j++
      if (glob[j] === ']') j++ // a ] first in the class is one of its characters
      while (j < glob.length && glob[j] !== ']') j++
      if (j >= glob.length) return `the "[" at character ${i + 1} opens a character class that no "]" closes`
      i = j
    }
  }
  return undefined
}

/** spec.delay in nanoseconds, a decimal string. */
export function delayNs(spec: Pick<IOChaosSpec, 'delay'>): string {
  const r = parseDurationNs(spec.delay ?? '')
  if (!('ns' in r)) throw new ChaosError('SPEC_INVALID_DURATION', `spec.delay: expected a duration like "100ms", got ${JSON.stringify(spec.delay)}`, { hint: 'delay is how long each matching file operation waits, with a unit (ns, us, ms, s, m, h)' })
  if (r.ns < 0n) throw new ChaosError('SPEC_INVALID_VALUE', `spec.delay "${spec.delay}": a latency cannot be negative`, { hint: 'write a delay of 0 or more, e.g. delay: 100ms' })
  return String(r.ns)
}

const invalid = (message: string, hint: string): ChaosError => new ChaosError('SPEC_INVALID_VALUE', message, { hint })

function checkAttr(attr: NonNullable<IOChaosSpec['attr']>): void {
  for (const k of ['ino', 'size', 'blocks'] as const) {
    const v = attr[k]
    if (v !== undefined && v > Number.MAX_SAFE_INTEGER) {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.attr.${k} ${v}: the local runtime carries attributes up to 2^53-1 (${Number.MAX_SAFE_INTEGER})`, { hint: `write ${k}: ${Number.MAX_SAFE_INTEGER} or less` })
    }
  }
  for (const k of ['atime', 'mtime', 'ctime'] as const) {
    const t = attr[k]
    if (t !== undefined && (t.nsec < 0 || t.nsec > 999_999_999)) throw invalid(`spec.attr.${k}.nsec ${t.nsec}: nanoseconds are 0 to 999999999`, `carry whole seconds into ${k}.sec`)
    if (t !== undefined && Math.abs(t.sec) > Number.MAX_SAFE_INTEGER) throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.attr.${k}.sec ${t.sec}: the local runtime carries times up to 2^53-1 seconds`, { hint: 'write a nearer time' })
  }
}

/** The effect body of a spec: one rule. Throws what check() throws. */
export function ioRule(spec: IOChaosSpec): IoFaultRule {
  const methods = (spec.methods ?? []) as IoFaultMethod[]
  const rule: IoFaultRule = {
    action: spec.action,
    volumePath: spec.volumePath,
    ...(spec.path !== undefined && spec.path !== '' ? { path: spec.path } : {}),
    ...(methods.length > 0 ? { methods: [...new Set(methods)] } : {}),
    percent: spec.percent ?? 100,
  }
  switch (spec.action) {
    case 'latency':
      rule.delayNs = delayNs(spec)
      break
    case 'fault':
      rule.errno = spec.errno
      break
    case 'attrOverride':
      rule.attr = { ...spec.attr } as IoAttr
      break
    case 'mistake':
      rule.mistake = { filling: spec.mistake!.filling!, maxOccurrences: spec.mistake!.maxOccurrences!, maxLength: spec.mistake!.maxLength! }
      break
  }
  return rule
}

const IO: InPodKind = { kind: 'IOChaos', verb: 'fault its file operations', withoutLibrary: 'its file operations cannot be faulted' }


/**
 * IOChaos on the local runtime: one `io-fault` effect per selected pod, held until the experiment ends. From the
 * pod's next file call on, calls of `methods` (all when absent) on files under `volumePath` that match `path` (all
 * of them when absent), `percent` in 100 of them, get the action. volumePath is a directory: absolute, or relative to
 * the pod's $CHAOSCOPE_DATA_DIR. lookup, forget and bmap (no libc call is one) and remoteCluster are refused;
 * containerNames must name the pod's one container.
 *
 * @example
 * const inj = await ioChaos.inject(ctx, { key: pod.name, pod }, { ...spec, action: 'fault', errno: 5, volumePath: 'files', methods: ['read'] })
 * inj.evidence // { volumes: ['/home/me/.chaoscope/data/default/db/files'], calls: 0 }
 * await ioChaos.recover(ctx, inj)
 */
export const ioChaos: FaultInjector<IOChaosSpec> = {
  kind: 'IOChaos',

  check(spec) {
    refuseRemoteCluster(spec)
    if (spec.volumePath === '' || spec.volumePath.includes('\0')) {
      throw invalid(`spec.volumePath ${JSON.stringify(spec.volumePath)}: expected the directory the fault acts in`, "an absolute path, or one relative to the pod's $CHAOSCOPE_DATA_DIR (volumePath: . is all of it)")
    }
    if (spec.path !== undefined && spec.path !== '') {
      const problem = globProblem(spec.path)
      if (problem) throw invalid(`spec.path ${JSON.stringify(spec.path)}: ${problem}`, 'write a glob of *, ?, [...] and ** as a whole component, e.g. path: /var/run/etcd/**/*.log')
    }
    // attrOverride acts on what getattr returns whatever methods says, as Chaos Mesh does: its methods are not read
    if (spec.action !== 'attrOverride') {
      const unmapped = [...new Set(spec.methods ?? [])].filter((m): m is Unmapped => m in UNMAPPED)
      if (unmapped.length > 0) {
        throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', `spec.methods ${unmapped.join(', ')}: ${unmapped.map((m) => `${m}: ${UNMAPPED[m]}`).join('; ')}`, {
          hint: `remove ${unmapped.join(', ')} from methods to run the experiment on the local runtime, or run it against a cluster with Chaos Mesh`,
        })
      }
    }
    if (spec.action === 'mistake' && spec.methods && spec.methods.length > 0 && !spec.methods.some((m) => m === 'read' || m === 'write')) {
      throw invalid(`spec.methods ${spec.methods.join(', ')}: a mistake changes the bytes of reads and writes, and these methods carry none`, 'add read and/or write to methods, or leave methods out')
    }
    if (spec.action === 'fault' && spec.errno !== undefined && spec.errno > 2_147_483_647) {
      throw invalid(`spec.errno ${spec.errno}: an errno is an int32`, 'write a Linux error number, e.g. errno: 5 (EIO)')
    }
    if (spec.action === 'attrOverride' && spec.attr) checkAttr(spec.attr)
    ioRule(spec)
  },

  admit(spec, targets) {
    const unfit = unfitPods(IO, spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    ioChaos.check!(spec)
    const pod = await podNow(IO, ctx, target, spec)
    const effect = ownedEffect(ctx, target.key, { part: 'io', type: 'io-fault', target: { pod: pod.name }, body: { rules: [ioRule(spec)] } satisfies IoFaultBody })
    const observed = await applyHeld(ctx, effect)
    return {
      kind: 'IOChaos',
      action: spec.action,
      targetKey: target.key,
      pod: pod.name,
      data: { effects: [effect] },
      evidence: observed,
    }
  },

  recover: recoverEffects,
  evidence: liveEvidence,
}
