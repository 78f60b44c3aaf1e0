/**
 * @module manifest/kinds/embed: the chaos kinds a Schedule or a Workflow template carries inline, by embed key,
 * and the schedule fields both share. An embedded `networkChaos` is checked by NetworkChaos's own schema,
 * rules and defaults, so a fault means the same inside a Workflow as on its own.
 */
import type { TOptional, TSchema } from '@sinclair/typebox'
import { didYouMean } from '../issues.js'
import type { CheckContext, KindDefinition, ObjectMeta } from '../kind.js'
import { int, obj, oneOf, opt, str } from '../schema-kit.js'
import { parseCron } from '../cron.js'
import { awsChaos, awsChaosSpec } from './aws-chaos.js'
import { azureChaos, azureChaosSpec } from './azure-chaos.js'
import { blockChaos, blockChaosSpec } from './block-chaos.js'
import { dnsChaos, dnsChaosSpec } from './dns-chaos.js'
import { gcpChaos, gcpChaosSpec } from './gcp-chaos.js'
import { httpChaos, httpChaosSpec } from './http-chaos.js'
import { ioChaos, ioChaosSpec } from './io-chaos.js'
import { jvmChaos, jvmChaosSpec } from './jvm-chaos.js'
import { kernelChaos, kernelChaosSpec } from './kernel-chaos.js'
import { networkChaos, networkChaosSpec } from './network-chaos.js'
import { physicalMachineChaos, physicalMachineChaosSpec } from './physical-machine-chaos.js'
import { podChaos, podChaosSpec } from './pod-chaos.js'
import { stressChaos, stressChaosSpec } from './stress-chaos.js'
import { timeChaos, timeChaosSpec } from './time-chaos.js'

export interface EmbeddedKind<S extends TSchema = TSchema> {
  /** The kind, as a Schedule's `type` or a template's `templateType` names it. */
  kind: string
  spec: S
  definition: KindDefinition
}

const entry = <S extends TSchema>(kind: string, spec: S, definition: KindDefinition): EmbeddedKind<S> => ({ kind, spec, definition })

/** Embed key → kind. The keys are Chaos Mesh's JSON names (note `physicalmachineChaos`, lowercase m). */
export const EMBEDDED_CHAOS = {
  awsChaos: entry('AWSChaos', awsChaosSpec, awsChaos),
  azureChaos: entry('AzureChaos', azureChaosSpec, azureChaos),
  blockChaos: entry('BlockChaos', blockChaosSpec, blockChaos),
  dnsChaos: entry('DNSChaos', dnsChaosSpec, dnsChaos),
  gcpChaos: entry('GCPChaos', gcpChaosSpec, gcpChaos),
  httpChaos: entry('HTTPChaos', httpChaosSpec, httpChaos),
  ioChaos: entry('IOChaos', ioChaosSpec, ioChaos),
  jvmChaos: entry('JVMChaos', jvmChaosSpec, jvmChaos),
  kernelChaos: entry('KernelChaos', kernelChaosSpec, kernelChaos),
  networkChaos: entry('NetworkChaos', networkChaosSpec, networkChaos),
  physicalmachineChaos: entry('PhysicalMachineChaos', physicalMachineChaosSpec, physicalMachineChaos),
  podChaos: entry('PodChaos', podChaosSpec, podChaos),
  stressChaos: entry('StressChaos', stressChaosSpec, stressChaos),
  timeChaos: entry('TimeChaos', timeChaosSpec, timeChaos),
}
export type EmbedKey = keyof typeof EMBEDDED_CHAOS
export const EMBED_KEYS = Object.keys(EMBEDDED_CHAOS) as EmbedKey[]

/** Kind → embed key (`NetworkChaos` → `networkChaos`). */
export const EMBED_KEY_OF_KIND: Record<string, EmbedKey> = Object.fromEntries(EMBED_KEYS.map((k) => [EMBEDDED_CHAOS[k].kind, k]))
export const EMBEDDED_KINDS = EMBED_KEYS.map((k) => EMBEDDED_CHAOS[k].kind)

type OptionalSpecs<T extends Record<string, EmbeddedKind>> = { [K in keyof T]: TOptional<T[K]['spec']> }

/** `{ awsChaos?: AWSChaosSpec, …, timeChaos?: TimeChaosSpec }`, to spread into a schema. */
export const embeddedChaosFields = Object.fromEntries(EMBED_KEYS.map((k) => [k, opt(EMBEDDED_CHAOS[k].spec)])) as OptionalSpecs<typeof EMBEDDED_CHAOS>

/** The embed keys present on `o`. */
export function presentEmbeds(o: object): EmbedKey[] {
  return EMBED_KEYS.filter((k) => (o as Record<string, unknown>)[k] !== undefined)
}

/** Runs the embedded kind's own rules on `o[key]`, reporting under `key`, when its schema found nothing wrong there. */
export function checkEmbedded(key: EmbedKey, o: object, ctx: CheckContext): void {
  const spec = (o as Record<string, unknown>)[key]
  if (spec === undefined || !ctx.clean([key])) return
  EMBEDDED_CHAOS[key].definition.check?.(spec as never, ctx.at([key]))
}

/** Applies the embedded kinds' own defaults (selector namespace from the outer object, and so on). */
export function defaultEmbedded(o: object, metadata: ObjectMeta): void {
  for (const key of presentEmbeds(o)) EMBEDDED_CHAOS[key].definition.defaults?.((o as Record<string, unknown>)[key] as never, metadata)
}

export const CONCURRENCY_POLICIES = ['Forbid', 'Allow'] as const

/** A Schedule inside a Workflow template: a Schedule's fields without `workflow` (Chaos Mesh's ChaosOnlyScheduleSpec). */
export const chaosOnlyScheduleSpec = obj({
  schedule: str(),
  startingDeadlineSeconds: opt(int({ minimum: 0 })),
  concurrencyPolicy: opt(oneOf(CONCURRENCY_POLICIES)),
  historyLimit: opt(int({ minimum: 1 })),
  type: str(),
  ...embeddedChaosFields,
})

export interface ScheduleItemLike {
  schedule: string
  type: string
}

/**
 * The rules every schedule follows, at the top level or inside a Workflow template: the cron expression
 * parses, `type` names a kind the schedule can create, that kind's field is present and no other is, and
 * the embedded spec passes its kind's rules. `workflow` is given when `type: Workflow` is possible; it
 * checks the embedded `workflow` field.
 */
export function checkScheduleItem(
  spec: ScheduleItemLike,
  ctx: CheckContext,
  workflow?: { check(spec: object, ctx: CheckContext): void },
): void {
  const cron = parseCron(spec.schedule)
  if (!cron.ok) {
    ctx.issue(['schedule'], 'SPEC_INVALID_CRON', `${JSON.stringify(spec.schedule)} is not a cron schedule: ${cron.error}`, 'write five fields like "*/5 * * * *", a descriptor like "@hourly", or "@every 30s"')
  }
  const o = spec as unknown as Record<string, unknown>
  const kinds = workflow ? [...EMBEDDED_KINDS, 'Workflow'] : EMBEDDED_KINDS
  const present: string[] = presentEmbeds(spec)
  if (workflow && o.workflow !== undefined) present.push('workflow')
  if (!kinds.includes(spec.type)) {
    const hint = didYouMean(spec.type, kinds) ?? `the type names the kind to create: ${kinds.join(', ')}`
    ctx.issue(['type'], 'SPEC_ENUM', `${JSON.stringify(spec.type)} is not a kind a ${workflow ? 'Schedule' : 'schedule in a Workflow'} can create`, hint)
    return
  }
  const key = spec.type === 'Workflow' ? 'workflow' : EMBED_KEY_OF_KIND[spec.type]!
  if (o[key] === undefined) {
    ctx.issue([key], 'SPEC_REQUIRED', `type ${spec.type} needs the ${spec.type} spec in ${key}`, `add ${key}: { ... }`)
  }
  for (const other of present) {
    if (other !== key) ctx.issue([other], 'SPEC_INVALID_VALUE', `type ${spec.type} takes only ${key}; ${other} would be ignored`, `remove ${other}, or set type to the kind it holds`, { key: true })
  }
  if (key === 'workflow') {
    if (o.workflow !== undefined && ctx.clean(['workflow'])) workflow!.check(o.workflow as object, ctx.at(['workflow']))
  } else {
    checkEmbedded(key, spec, ctx)
  }
}

