/**
 * @module runtime/effects/dns-fault: a pod's name lookups answered with an error or a random address (Chaos Mesh's
 * DNSChaos), through the fault library preloaded into it (native/faults/dns.c). The pod keeps running: the library
 * rereads its rules at its next lookup.
 *
 *   held dns-fault effects on the pod ──▶ dns.rules (one `rule` line each, in the order they were applied)
 *                                         dns.hits  (a uint64 per rule: the lookups it changed)
 *
 * A pod's rules are recomputed whole from every dns-fault held on it; when several match a name, the latest applied
 * decides (on Kubernetes the latest DNSChaos on a pod replaces the earlier ones). Removing one leaves the others.
 * Observed: the rule in force and the lookups it has changed so far.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ChaosError } from '../../errors.js'
import { invalidEffect } from '../effect.js'
import type { EffectHost, EffectModule, EffectSpec } from '../effect.js'
import { readRules, writeRules } from '../preload/controls.js'

export const DNS_ACTIONS = ['error', 'random'] as const
export type DnsAction = (typeof DNS_ACTIONS)[number]

export interface DnsFaultBody {
  /** error: the lookup fails as after a SERVFAIL (EAI_AGAIN); random: the name resolves to a random 127.x.y.z. */
  action: DnsAction
  /** Chaos Mesh's domain patterns ("?" one character, "*" any tail, last only); empty: every name. */
  patterns: string[]
}

const TYPE = 'dns-fault'
const HITS = 'dns.hits'
const SLOTS = 512
const MAX_PATTERNS = 256
const PATTERN = /^[A-Za-z0-9._?*-]{1,253}$/

/** Why a pattern is not one the library (and Chaos Mesh's DNS server) can match, or undefined. */
function patternProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || !PATTERN.test(p)) return 'expected 1 to 253 letters, digits, ".", "-", "_" and the wildcards "?" and "*"'
  if (p.includes('*') && p.indexOf('*') !== p.length - 1) return 'the wildcard "*" may only be the last character'
  return undefined
}

/*
 * The effect store registers an effect after its apply returns and forgets it after its remove returns, so a second
 * apply or remove on the same pod in between would compute the pod's rules without the first one's change. The
 * changes in flight are kept here until the store has caught up (the next turn of the event loop).
 */
const applying = new Map<string, EffectSpec<DnsFaultBody>>()
const removing = new Set<string>()
/** Pod → its control directory, learnt at apply: a removal while its container is down still finds it. */
const dirs = new Map<string, string>()

function inForce(host: EffectHost, pod: string, change: { plus?: EffectSpec<DnsFaultBody>; minus?: string }): EffectSpec<DnsFaultBody>[] {
  const skip = (id: string) => removing.has(id) || id === change.minus || id === change.plus?.id
  const list = (host.heldOn(TYPE, pod) as EffectSpec<DnsFaultBody>[]).filter((e) => !skip(e.id))
  for (const e of applying.values()) if (e.target.pod === pod && !skip(e.id) && !list.some((x) => x.id === e.id)) list.push(e)
  if (change.plus) list.push(change.plus)
  return list
}

interface RuleLine {
  id: string
  slot?: number
  action: DnsAction
  patterns: string[]
}

/** The rule lines of a pod's dns.rules, as the library reads them. */
export function ruleLines(text: string): RuleLine[] {
  const out: RuleLine[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('rule ')) continue
    const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1]
    const id = field('id')
    const action = field('action')
    if (id === undefined || (action !== 'error' && action !== 'random')) continue
    const slot = field('slot')
    out.push({ id: decodeURIComponent(id), ...(slot !== undefined ? { slot: Number(slot) } : {}), action, patterns: field('patterns')?.split(',').filter(Boolean) ?? [] })
  }
  return out
}

/**
 * The pod's dns.rules for these effects (in order: the last that matches a name decides), keeping each effect's
 * counter slot from the rules in force; `fresh` gets the slots newly given out (their counters start at 0).
 */
export function dnsRules(namespace: string, effects: readonly EffectSpec<DnsFaultBody>[], previous: string, fresh: number[] = []): string {
  if (effects.length === 0) return ''
  const kept = new Map(ruleLines(previous).flatMap((r) => (r.slot !== undefined ? [[r.id, r.slot] as const] : [])))
  const used = new Set<number>()
  for (const e of effects) if (kept.has(e.id)) used.add(kept.get(e.id)!)
  let next = 0
  const lines = effects.map((e) => {
    let slot = kept.get(e.id)
    if (slot === undefined) {
      while (used.has(next)) next++
      if (next < SLOTS) {
        slot = next
        used.add(slot)
        fresh.push(slot)
      }
    }
    const patterns = e.body.patterns.length > 0 ? ` patterns=${e.body.patterns.join(',')}` : ''
    return `rule id=${encodeURIComponent(e.id)}${slot !== undefined ? ` slot=${slot}` : ''} action=${e.body.action}${patterns}\n`
  })
  return `ns=${namespace}\n${lines.join('')}`
}

/** The hits file exists (a page of zeros), and the given slots read 0. */
function resetHits(dir: string, slots: readonly number[]): void {
  let fd: number
  try {
    fd = openSync(join(dir, HITS), 'wx')
    writeSync(fd, Buffer.alloc(SLOTS * 8))
    closeSync(fd)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  if (slots.length === 0) return
  fd = openSync(join(dir, HITS), 'r+')
  try {
    for (const s of slots) writeSync(fd, Buffer.alloc(8), 0, 8, s * 8)
  } finally {
    closeSync(fd)
  }
}

function hitsAt(dir: string, slot: number | undefined): number | undefined {
  if (slot === undefined) return undefined
  try {
    return Number(readFileSync(join(dir, HITS)).readBigUInt64LE(slot * 8))
  } catch {
    return undefined
  }
}

function write(host: EffectHost, dir: string, pod: string, effects: EffectSpec<DnsFaultBody>[]): void {
  const fresh: number[] = []
  const text = dnsRules(host.pod(pod).namespace, effects, readRules(dir, 'dns'), fresh)
  if (text !== '') resetHits(dir, fresh)
  writeRules(dir, 'dns', text)
}

const isGone = (e: unknown): boolean => e instanceof ChaosError && e.code === 'RUNTIME_UNKNOWN_POD'

/** The pod's control directory, or why its lookups cannot be faulted. */
function libraryDir(host: EffectHost, pod: string): string {
  const lib = host.faultLibraryOf(pod)
  if (lib.loaded) return lib.dir
  const running = host.findPod(pod)?.phase === 'Running'
  throw new ChaosError(running ? 'SPEC_LOCAL_UNSUPPORTED' : 'RUNTIME_NOT_RUNNABLE', `pod ${pod}: its name lookups cannot be faulted: ${lib.reason}`, {
    hint: running
      ? 'DNSChaos acts through the fault library chaoscope preloads into pods (LD_PRELOAD): run the service as a dynamically linked program, without preload: false'
      : 'retry when the pod runs again',
  })
}

/** The control directory of a pod that still exists (its container may be down), or undefined when it is gone. */
function knownDir(host: EffectHost, pod: string): string | undefined {
  let lib: ReturnType<EffectHost['faultLibraryOf']>
  try {
    lib = host.faultLibraryOf(pod)
  } catch (e) {
    if (!isGone(e)) throw e
    dirs.delete(pod)
    return undefined
  }
  return lib.loaded ? lib.dir : ((lib as { dir?: string }).dir ?? dirs.get(pod))
}

/** What one effect's rule does now on its pod. */
function facts(dir: string, e: EffectSpec<DnsFaultBody>): Record<string, unknown> {
  const rules = ruleLines(readRules(dir, 'dns'))
  const mine = rules.find((r) => r.id === e.id)
  if (!mine) return { inForce: false }
  const hits = hitsAt(dir, mine.slot)
  return {
    inForce: true,
    action: mine.action,
    patterns: mine.patterns.length > 0 ? mine.patterns : 'every name',
    ...(hits !== undefined ? { lookupsAffected: hits } : {}),
    ...(rules.length > 1 ? { rulesOnPod: rules.length } : {}),
  }
}

export const effect: EffectModule<DnsFaultBody> = {
  parse(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidEffect('body', 'expected {"action": "error" | "random", "patterns": ["<domain pattern>", ...]}')
    const b = body as Record<string, unknown>
    if (!DNS_ACTIONS.includes(b.action as DnsAction)) throw invalidEffect('body.action', `expected "error" or "random", got ${JSON.stringify(b.action)}`)
    const patterns = b.patterns ?? []
    if (!Array.isArray(patterns) || patterns.length > MAX_PATTERNS) throw invalidEffect('body.patterns', `expected a list of at most ${MAX_PATTERNS} domain patterns ([] for every name)`)
    patterns.forEach((p, i) => {
      const problem = patternProblem(p)
      if (problem) throw invalidEffect(`body.patterns[${i}]`, `${JSON.stringify(p)}: ${problem}`, 'write a domain name like "example.com", "chaos-mes?.org" or "example.*"')
    })
    return { action: b.action as DnsAction, patterns: [...(patterns as string[])] }
  },

  async apply(host, e) {
    const pod = e.target.pod
    const dir = libraryDir(host, pod)
    const before = readRules(dir, 'dns')
    applying.set(e.id, e)
    try {
      write(host, dir, pod, inForce(host, pod, { plus: e }))
    } catch (err) {
      applying.delete(e.id)
      try {
        writeRules(dir, 'dns', before) // no half-applied fault
      } catch {
        // the directory went with the pod: nothing is left to undo
      }
      throw err
    }
    setImmediate(() => applying.delete(e.id))
    dirs.set(pod, dir)
    return facts(dir, e)
  },

  async remove(host, e) {
    const pod = e.target.pod
    applying.delete(e.id)
    const dir = knownDir(host, pod)
    if (dir === undefined) return
    removing.add(e.id)
    try {
      write(host, dir, pod, inForce(host, pod, { minus: e.id }))
    } catch (err) {
      // the directory went with the pod between the look-up and the write
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !host.findPod(pod)) return
      if (isGone(err)) return
      throw err
    } finally {
      setImmediate(() => removing.delete(e.id))
    }
  },

  async observe(host, e) {
    const dir = knownDir(host, e.target.pod)
    if (dir === undefined) return host.findPod(e.target.pod) ? { inForce: false } : { podGone: true }
    return facts(dir, e)
  },
}
