/**
 * @module runtime/effect: the one boundary between the controller and the local runtime. The runtime applies an
 * *effect*, removes it by id, and lists the effects it holds; nothing else about faults crosses the boundary.
 *
 *   effect = { id, type, target: {pod, edge?}, owner?: {controller?, experiment, record}, expiresAt?, body }
 *
 * `type` names the effect module that does the work: `src/runtime/effects/<type>.ts` (a sidecar fault, a pod held
 * down, a pod deleted...). A module is found by its file name, so adding one is adding one file. One-shot modules
 * (pod-kill, container-kill) act and are done: apply returns what they did and nothing is held. Held effects stay
 * until removed or until `expiresAt`, when the runtime removes them by itself, with or without a controller.
 */
import type { ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ChaosError } from '../errors.js'
import type { EffectOwner, EffectSpec, EffectTarget, RuntimePod } from './types.js'
import type { DataPlane } from './proxy/data-plane.js'
import type { FaultStats } from './proxy/proxy.js'
import type { PodSupervisor } from './process/supervisor.js'

export type { ApplyOutcome, EffectOwner, EffectSpec, EffectTarget, HeldEffect } from './types.js'

/** What effect modules may use of the runtime. */
export interface EffectHost {
  readonly dataPlane: DataPlane
  readonly supervisor: PodSupervisor
  pods(): RuntimePod[]
  /** The pod, or undefined when it is gone (looked up directly, not by building the list). */
  findPod(name: string): RuntimePod | undefined
  /** The pod, or RUNTIME_UNKNOWN_POD. */
  pod(name: string): RuntimePod
  /** The sidecar a target names, or RUNTIME_UNKNOWN_POD / RUNTIME_UNKNOWN_EDGE. */
  proxyFor(target: EffectTarget): string
  /** True when a held effect of `type` other than `exceptId` acts on `pod` (so removing one must not undo both). */
  holds(type: string, pod: string, exceptId: string): boolean
  /** Held effects of `type` on `pod` other than `exceptId` (to recompute the pod's rules of one kind from all of them). */
  heldOn(type: string, pod: string, exceptId?: string): EffectSpec[]
  /**
   * The pod's fault library (the LD_PRELOAD shim of TimeChaos, IOChaos and DNSChaos, src/runtime/preload/): its
   * control directory when its running container loaded the library, else why not (with the directory when the pod
   * was started with the library: a module removing its rules while the container is down still can). RUNTIME_UNKNOWN_POD when gone.
   */
  faultLibraryOf(pod: string): { loaded: true; dir: string; pid: number } | { loaded: false; reason: string; dir?: string }
  /**
   * Starts a process inside the pod: in its cgroups when it has them, its own process group, the parent-death
   * signal, known to the watchdog (killed if the runtime dies). Whoever starts it stops it.
   */
  spawnInPod(pod: string, argv: readonly [string, ...string[]], opts?: { env?: Record<string, string> }): ChildProcess
}

/** Facts read once per listing and shared by the modules that observe (one data plane round trip, not one each). */
export interface Snapshot {
  /** Sidecar name → its faults with what they touched, for every sidecar that has some (not their other counters). */
  sidecarFaults(): Promise<Map<string, FaultStats[]>>
}

/**
 * One kind of effect. `parse` checks a body from the wire (EFFECT_INVALID with the field at fault); `apply` and
 * `remove` are idempotent and need only the spec (removing from a pod that is gone counts as removed).
 */
export interface EffectModule<B = unknown> {
  parse(body: unknown): B
  /** Act and be done: nothing is held, `apply`'s facts are the result. */
  oneShot?: boolean
  apply(host: EffectHost, effect: EffectSpec<B>): Promise<Record<string, unknown> | void>
  remove?(host: EffectHost, effect: EffectSpec<B>): Promise<void>
  /** What a held effect has done so far (counters from the data path, the pod's state...). */
  observe?(host: EffectHost, effect: EffectSpec<B>, snapshot: Snapshot): Promise<Record<string, unknown> | undefined>
}

const TYPE = /^[a-z][a-z0-9-]{0,62}$/
const here = fileURLToPath(new URL('./effects/', import.meta.url))

let types: string[] | undefined

/**
 * The effect types there are: the modules in src/runtime/effects/ (their file names; `x.d.ts`, `x.js.map` and
 * `x.test.ts` do not match). Read once: the modules do not change while the runtime runs.
 */
export function effectTypes(): string[] {
  types ??= [...new Set(readdirSync(here).flatMap((f) => /^([a-z][a-z0-9-]*)\.(js|ts)$/.exec(f)?.[1] ?? []))].sort()
  return types
}

const loaded = new Map<string, Promise<EffectModule>>()

/** The module of an effect type, or EFFECT_UNKNOWN_TYPE (listing the types there are). */
export function effectModule(type: string): Promise<EffectModule> {
  if (typeof type !== 'string' || !TYPE.test(type) || !effectTypes().includes(type)) {
    return Promise.reject(new ChaosError('EFFECT_UNKNOWN_TYPE', `no effect of type ${JSON.stringify(type)}`, { hint: `the runtime's effect types: ${effectTypes().join(', ')}` }))
  }
  let m = loaded.get(type)
  if (!m) {
    const file = `./effects/${type}.js` // a checked name of a file in effects/ (never a path from the input)
    m = (import(/* @vite-ignore */ file) as Promise<{ effect: EffectModule }>).then((x) => x.effect)
    loaded.set(type, m)
  }
  return m
}

/** EFFECT_INVALID for a field of an effect's body. */
export function invalidEffect(field: string, message: string, hint?: string): ChaosError {
  return new ChaosError('EFFECT_INVALID', `${field}: ${message}`, hint ? { hint } : {})
}

/** The latest time a Date holds (ms since the epoch): an expiry past it could not be told or shown. */
const MAX_TIME = 8.64e15

/** Names of pods and edges: what a Kubernetes name may be, and no longer. */
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 253

/**
 * Checks an effect from the wire; returns it with its body parsed by its module. An `expiresAt` that is not
 * after `now` is refused: such an effect could never be held, and the runtime would not check its target.
 */
export async function parseEffect(input: unknown, now: number = Date.now()): Promise<{ spec: EffectSpec; module: EffectModule }> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidEffect('effect', 'expected an object {id, type, target, owner?, expiresAt?, body}')
  const e = input as Record<string, unknown>
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 512) throw invalidEffect('id', 'expected a string of 1 to 512 characters')
  const t = e.target as Record<string, unknown> | undefined
  if (typeof t !== 'object' || t === null || !isName(t.pod) || (t.edge !== undefined && !isName(t.edge))) {
    throw invalidEffect('target', 'expected {"pod": "<name>", "edge"?: "<dependency>"} (names of 1 to 253 characters)')
  }
  const target: EffectTarget = { pod: t.pod, ...(t.edge !== undefined ? { edge: t.edge as string } : {}) }
  let owner: EffectOwner | undefined
  if (e.owner !== undefined) {
    const o = e.owner as Record<string, unknown>
    const bounded = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512
    if (typeof o !== 'object' || o === null || !bounded(o.experiment) || !bounded(o.record) || (o.controller !== undefined && !bounded(o.controller))) {
      throw invalidEffect('owner', 'expected {"experiment": "<uid>", "record": "<key>", "controller"?: "<id>"} (strings of 1 to 512 characters)')
    }
    owner = { experiment: o.experiment, record: o.record, ...(o.controller !== undefined ? { controller: o.controller as string } : {}) }
  }
  if (e.expiresAt !== undefined && !(typeof e.expiresAt === 'number' && Number.isFinite(e.expiresAt) && e.expiresAt >= 0 && e.expiresAt <= MAX_TIME)) {
    throw invalidEffect('expiresAt', 'expected milliseconds since the epoch')
  }
  if (typeof e.expiresAt === 'number' && e.expiresAt <= now) {
    throw invalidEffect('expiresAt', `${new Date(e.expiresAt).toISOString()} is not in the future (the runtime's clock says ${new Date(now).toISOString()})`, 'an effect that has already expired cannot be applied: leave expiresAt out, or give a later time')
  }
  const module = await effectModule(e.type as string)
  const body = module.parse(e.body ?? {})
  return {
    spec: { id: e.id, type: e.type as string, target, ...(owner ? { owner } : {}), ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt as number } : {}), body },
    module,
  }
}
