/**
 * @module runtime/effects/time-offset: a pod's clocks shifted (Chaos Mesh's TimeChaos), through the fault library
 * preloaded into it (native/faults/clock.c): the clocks named read `offsetNs` nanoseconds off while the effect is
 * held; the others read true. The pod keeps running: the library rereads its rules at the next clock call.
 *
 * A pod's clock rules are recomputed whole from every time-offset effect held on it, so several shift it at
 * once and the offsets of one clock add up (two of -1h: -2h); removing one leaves the others. Observed: the
 * offset in force on each clock of the effect (the sum over all effects on the pod).
 */
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectHost, EffectModule, EffectSpec } from '../effect.js'
import { readRules, writeRules } from '../preload/controls.js'

/** The Linux clock ids, by the names TimeChaos's clockIds use. */
export const CLOCK_NUMBERS = {
  CLOCK_REALTIME: 0,
  CLOCK_MONOTONIC: 1,
  CLOCK_PROCESS_CPUTIME_ID: 2,
  CLOCK_THREAD_CPUTIME_ID: 3,
  CLOCK_MONOTONIC_RAW: 4,
  CLOCK_REALTIME_COARSE: 5,
  CLOCK_MONOTONIC_COARSE: 6,
  CLOCK_BOOTTIME: 7,
  CLOCK_REALTIME_ALARM: 8,
  CLOCK_BOOTTIME_ALARM: 9,
} as const
export type ClockName = keyof typeof CLOCK_NUMBERS

export interface TimeOffsetBody {
  /** Nanoseconds, negative for the past: a decimal string, since an int64 may not fit a JSON number exactly. */
  offsetNs: string
  /** The clocks shifted (at least one; each once). */
  clockIds: ClockName[]
}

const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n
const clamp = (v: bigint): bigint => (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v)
const NAMES = Object.keys(CLOCK_NUMBERS) as ClockName[]

function parseOffset(v: unknown): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  if (typeof v === 'string' && /^-?(0|[1-9][0-9]{0,18})$/.test(v)) {
    const n = BigInt(v)
    if (n >= INT64_MIN && n <= INT64_MAX && v !== '-0') return v
  }
  throw invalidEffect('body.offsetNs', `expected nanoseconds as a decimal string of an int64 (e.g. "-3600000000000"), got ${JSON.stringify(v)}`, 'a JSON number is taken only when it is an exact integer (within 2^53)')
}

/** The pod's clock rules from these effects: one line per effect and clock (the library adds lines of one clock). */
export function clockRules(effects: readonly EffectSpec<TimeOffsetBody>[]): string {
  return [...effects]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .flatMap((e) => (BigInt(e.body.offsetNs) === 0n ? [] : e.body.clockIds.map((c) => `clock id=${CLOCK_NUMBERS[c]} offset_ns=${e.body.offsetNs} effect=${encodeURIComponent(e.id)}\n`)))
    .join('')
}

/** The offset of each clock in rules text, as the library reads it (lines of one clock add up, held to int64). */
export function offsetsIn(text: string): Map<number, bigint> {
  const sums = new Map<number, bigint>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('clock ')) continue
    const id = / id=(\d+)(?= |$)/.exec(line)?.[1]
    const off = / offset_ns=(-?\d+)(?= |$)/.exec(line)?.[1]
    if (id === undefined || off === undefined) continue
    sums.set(Number(id), clamp((sums.get(Number(id)) ?? 0n) + BigInt(off)))
  }
  return sums
}

/** The pod's control directory, or why its clocks cannot be shifted (SPEC_LOCAL_UNSUPPORTED with the reason). */
function libraryDir(host: EffectHost, pod: string): string {
  const lib = host.faultLibraryOf(pod)
  if (lib.loaded) return lib.dir
  const running = host.findPod(pod)?.phase === 'Running'
  throw new ChaosError(running ? 'SPEC_LOCAL_UNSUPPORTED' : 'RUNTIME_NOT_RUNNABLE', `pod ${pod}: its clocks cannot be shifted: ${lib.reason}`, {
    hint: running
      ? 'TimeChaos acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false'
      : 'retry when the pod runs again',
  })
}

const isGone = (e: unknown): boolean => e instanceof ChaosError && e.code === 'RUNTIME_UNKNOWN_POD'

/** The control directory of a pod to rewrite its rules on removal, or undefined when there is nothing to rewrite. */
function dirForRemoval(host: EffectHost, pod: string): string | undefined {
  try {
    // a pod whose container is not running now still has its directory, which its next container reads
    return host.faultLibraryOf(pod).dir
  } catch (e) {
    if (isGone(e)) return undefined
    throw e
  }
}

const held = (host: EffectHost, pod: string, exceptId: string) => host.heldOn('time-offset', pod, exceptId) as EffectSpec<TimeOffsetBody>[]

export const effect: EffectModule<TimeOffsetBody> = {
  parse(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidEffect('body', 'expected {"offsetNs": "<int64>", "clockIds": ["CLOCK_REALTIME", ...]}')
    const b = body as Record<string, unknown>
    const offsetNs = parseOffset(b.offsetNs)
    const ids = b.clockIds
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > NAMES.length) throw invalidEffect('body.clockIds', `expected 1 to ${NAMES.length} clock names`, `one of ${NAMES.join(', ')}`)
    for (const c of ids) if (!NAMES.includes(c as ClockName)) throw invalidEffect('body.clockIds', `${JSON.stringify(c)} is not a clock`, `one of ${NAMES.join(', ')}`)
    return { offsetNs, clockIds: [...new Set(ids as ClockName[])] }
  },

  async apply(host, e) {
    const dir = libraryDir(host, e.target.pod)
    writeRules(dir, 'clock', clockRules([...held(host, e.target.pod, e.id), e]))
    return facts(readRules(dir, 'clock'), e)
  },

  async remove(host, e) {
    const dir = dirForRemoval(host, e.target.pod)
    if (dir === undefined) return
    try {
      writeRules(dir, 'clock', clockRules(held(host, e.target.pod, e.id)))
    } catch (err) {
      // the directory went with the pod between the look-up and the write
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !host.findPod(e.target.pod)) return
      throw err
    }
  },

  async observe(host, e) {
    let lib: ReturnType<EffectHost['faultLibraryOf']>
    try {
      lib = host.faultLibraryOf(e.target.pod)
    } catch (err) {
      if (isGone(err)) return { podGone: true }
      throw err
    }
    if (!lib.loaded) return { loaded: false, reason: lib.reason }
    return facts(readRules(lib.dir, 'clock'), e)
  },
}

/** What a pod's clocks read now, for the clocks of one effect: the offset in force on each, in nanoseconds. */
function facts(text: string, e: EffectSpec<TimeOffsetBody>): Record<string, unknown> {
  const sums = offsetsIn(text)
  return { offsetNs: Object.fromEntries(e.body.clockIds.map((c) => [c, String(sums.get(CLOCK_NUMBERS[c]) ?? 0n)])) }
}
