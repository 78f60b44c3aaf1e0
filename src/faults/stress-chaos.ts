/**
 * @module faults/stress-chaos: StressChaos on the local runtime: stress-ng runs inside each selected pod (in its
 * cgroups, so its CPU and memory count against the pod's limits) for the experiment's duration, one `stress` effect
 * per pod. The stress-ng arguments are built as Chaos Mesh builds them; `stressngStressors`, when given, wins over
 * `stressors` (as Chaos Mesh documents it) and is split into words as a shell would, without running a shell.
 */
import { ChaosError } from '../errors.js'
import type { StressBody } from '../runtime/effects/stress.js'
import type { StressChaosSpec } from '../manifest/kinds/stress-chaos.js'
import { ownedEffect } from './injector.js'
import type { FaultInjector } from './injector.js'
import { applyHeld, liveEvidence, podNow, recoverEffects, refuseRemoteCluster, unfitPods } from './in-pod.js'
import type { InPodKind } from './in-pod.js'

export type { StressChaosSpec } from '../manifest/kinds/stress-chaos.js'


/** stress-ng's smallest --vm-bytes per worker (runtime/effects/stress MIN_BYTES_PER_WORKER). */
const MIN_BYTES_PER_WORKER = 4096

/** go-humanize's ParseBytes units (what Chaos Mesh's memStress reads `size` with): SI without `i`, IEC with it. */
const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30,
  t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
  p: 1e15, pb: 1e15, pi: 2 ** 50, pib: 2 ** 50,
  e: 1e18, eb: 1e18, ei: 2 ** 60, eib: 2 ** 60,
}

/**
 * A memory size as Chaos Mesh reads it (its memStress: go-humanize ParseBytes, or a whole percent of the machine's
 * memory): "256MB" = 256 000 000 bytes, "64MiB" / "64Mi" = 67 108 864, "1.5GB", "1024", "50%". Undefined when it
 * is none of these.
 */
export function parseMemorySize(size: string): { bytes: number } | { percent: number } | undefined {
  const pct = /^(\d+)%$/.exec(size)
  if (pct) return { percent: Number(pct[1]) }
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(size.trim())
  if (!m) return undefined
  const unit = UNITS[m[2]!.toLowerCase()]
  if (unit === undefined) return undefined
  return { bytes: Math.floor(Number(m[1]) * unit) }
}

/** Words of a string as a POSIX shell splits them (quotes and backslashes), or why it cannot be split without one. */
export function shellWords(text: string): { words: string[] } | { error: string } {
  const words: string[] = []
  let word: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) return { error: `an unterminated ' at character ${i + 1}` }
      word = (word ?? '') + text.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      let w = ''
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!
        if (d === '$' || d === '`') return { error: `${d} at character ${j + 1} (no shell runs it: no variables or command substitution)` }
        if (d === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) w += text[++j] === '\n' ? '' : text[j]
        else w += d
      }
      if (j >= text.length) return { error: `an unterminated " at character ${i + 1}` }
      word = (word ?? '') + w
      i = j
    } else if (c === '\\') {
      if (i + 1 < text.length) {
        const next = text[++i]!
        if (next !== '\n') word = (word ?? '') + next
      } else word = (word ?? '') + c
    } else if ('$`|&;<>()'.includes(c) || ('*?['.includes(c)) || (word === undefined && (c === '#' || c === '~'))) {
      return { error: `${c} at character ${i + 1} (no shell runs it: no variables, substitutions, pipes, redirections, globs or comments; quote it to pass it to stress-ng)` }
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== undefined) words.push(word)
  return { words }
}

/** An option list as Chaos Mesh passes it: each option split at whitespace (Go's strings.Fields). */
const fields = (options: readonly string[] | undefined): string[] => (options ?? []).flatMap((o) => o.split(/\s+/).filter(Boolean))

/**
 * The body of the `stress` effect for a spec, or a ChaosError naming the field. `stressngStressors` wins over
 * `stressors`; a memory stressor needs a size (Chaos Mesh documents "all available memory" without one, while its
 * memStress then allocates nothing: the local runtime asks for the size rather than guess).
 */
export function stressBody(spec: StressChaosSpec): StressBody {
  if (spec.stressngStressors !== undefined && spec.stressngStressors !== '') {
    const split = shellWords(spec.stressngStressors)
    if ('error' in split) {
      throw new ChaosError('SPEC_INVALID_VALUE', `spec.stressngStressors ${JSON.stringify(spec.stressngStressors)}: ${split.error}`, { hint: 'write stress-ng arguments, e.g. "--cpu 2 --cpu-load 50"; quote with \' or " what must stay one word' })
    }
    if (split.words.length === 0) throw new ChaosError('SPEC_INVALID_VALUE', 'spec.stressngStressors is blank: it gives stress-ng nothing to run', { hint: 'write stress-ng arguments, e.g. "--cpu 2 --cpu-load 50", or leave it out and use stressors' })
    return { stressng: split.words }
  }
  const body: StressBody = {}
  const cpu = spec.stressors?.cpu
  if (cpu && cpu.workers > 0) body.cpu = { workers: cpu.workers, ...(cpu.load !== undefined ? { load: cpu.load } : {}), options: fields(cpu.options) }
  const mem = spec.stressors?.memory
  if (mem && mem.workers > 0) {
    if (mem.size === undefined || mem.size === '') {
      throw new ChaosError('SPEC_LOCAL_UNSUPPORTED', 'spec.stressors.memory.size is missing: Chaos Mesh documents "all available memory" for it, while its memStress then allocates nothing; the local runtime does not guess', {
        hint: 'give the size the workers share, e.g. size: 256MB, size: 1GiB or size: "50%" (of the machine\'s memory)',
      })
    }
    const size = parseMemorySize(mem.size)
    if (!size) throw new ChaosError('SPEC_INVALID_VALUE', `spec.stressors.memory.size: expected a size like "256MB", "1GiB" or a percent like "50%", got ${JSON.stringify(mem.size)}`, { hint: 'units: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)' })
    if ('percent' in size && (size.percent <= 0 || size.percent > 100)) {
      throw new ChaosError('SPEC_INVALID_VALUE', `spec.stressors.memory.size ${JSON.stringify(mem.size)}: expected a percent above 0 and at most 100`, { hint: 'e.g. size: "50%"' })
    }
    if ('bytes' in size && size.bytes < MIN_BYTES_PER_WORKER * mem.workers) {
      throw new ChaosError('SPEC_INVALID_VALUE', `spec.stressors.memory.size ${JSON.stringify(mem.size)} is ${size.bytes} bytes for ${mem.workers} worker(s): each worker needs at least ${MIN_BYTES_PER_WORKER} bytes`, { hint: 'the workers share the size: give at least 4KiB per worker' })
    }
    body.memory = { workers: mem.workers, size, oomScoreAdj: mem.oomScoreAdj ?? 0, options: fields(mem.options) }
  }
  if (!body.cpu && !body.memory) throw new ChaosError('SPEC_REQUIRED', 'spec.stressors: no stressor with workers (cpu or memory) and no stressngStressors', { hint: 'add e.g. stressors: { cpu: { workers: 1, load: 50 } }' })
  return body
}

const STRESS: InPodKind = { kind: 'StressChaos', verb: 'stress it' }


/**
 * StressChaos on the local runtime: one `stress` effect per selected pod, held until the experiment ends (or
 * recover). Its evidence: the stressors' pids and arguments, whether they run in the pod's cgroup (and why not),
 * their restarts, and, read live, the pod cgroup's CPU time and memory. remoteCluster is refused; containerNames
 * must name the pod's one container; external pods are refused.
 *
 * @example
 * const inj = await stressChaos.inject(ctx, { key: pod.name, pod }, { ...spec, stressors: { cpu: { workers: 1, load: 50 } } })
 * inj.evidence // { cgroup: true, pids: [4242], restarts: 0, stressors: [{ part: 'cpu', args: [...], running: true }] }
 * await stressChaos.recover(ctx, inj)
 */
export const stressChaos: FaultInjector<StressChaosSpec> = {
  kind: 'StressChaos',

  check(spec) {
    refuseRemoteCluster(spec)
    stressBody(spec)
  },

  admit(spec, targets) {
    const unfit = unfitPods(STRESS, spec, targets.map((t) => t.pod))
    if (unfit) throw unfit
  },

  async inject(ctx, target, spec) {
    stressChaos.check!(spec)
    const pod = await podNow(STRESS, ctx, target, spec)
    const effect = ownedEffect(ctx, target.key, { part: 'stress', type: 'stress', target: { pod: pod.name }, body: stressBody(spec) })
    const observed = await applyHeld(ctx, effect)
    const ignored = spec.stressngStressors && spec.stressors ? { ignored: 'spec.stressors (spec.stressngStressors wins, as in Chaos Mesh)' } : {}
    return {
      kind: 'StressChaos',
      action: 'stress',
      targetKey: target.key,
      pod: pod.name,
      data: { effects: [effect] },
      evidence: { ...observed, ...ignored },
    }
  },

  recover: recoverEffects,
  evidence: liveEvidence,
}
