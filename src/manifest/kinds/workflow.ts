/**
 * @module manifest/kinds/workflow: Workflow (templates run from `entry`: Serial, Parallel, Suspend, Task, Schedule,
 * StatusCheck, or one chaos kind each).
 *
 *   entry ─▶ Serial ─▶ [child, child, …] one after another      Task ─▶ container ─▶ conditionalBranches ─▶ target
 *            Parallel ─▶ [child, child, …] at once              <Kind> ─▶ the embedded chaos, for `deadline`
 */
import { didYouMean } from '../issues.js'
import { defineKind } from '../kind.js'
import type { ErrorCode } from '../../errors.js'
import type { CheckContext, ObjectMeta } from '../kind.js'
import { arr, bool, duration, int, intOrString, map, obj, openObj, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import {
  EMBED_KEY_OF_KIND, EMBED_KEYS, EMBEDDED_CHAOS, EMBEDDED_KINDS, chaosOnlyScheduleSpec, checkEmbedded, checkScheduleItem,
  defaultEmbedded, embeddedChaosFields,
} from './embed.js'
import { PERCENT_ANNOTATION, parseShare } from '../share.js'
import { checkStatusCheck, statusCheckSpec } from './status-check.js'

/** Kubernetes resource quantity ("500m", "1Gi"), as the CRD writes it. */
const QUANTITY = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'
const quantity = () => intOrString({ pattern: QUANTITY })
const optionalRef = obj({ name: opt(str({ default: '' })), optional: opt(bool()) })

/**
 * Kubernetes core/v1 Container, with the fields a workflow Task writes restated; probes, lifecycle hooks,
 * the security context and `env[].valueFrom` are kept as open objects (Kubernetes validates them).
 */
export const container = obj({
  name: str(),
  image: opt(str()),
  imagePullPolicy: opt(str()),
  command: opt(arr(str())),
  args: opt(arr(str())),
  workingDir: opt(str()),
  env: opt(arr(obj({ name: str(), value: opt(str()), valueFrom: opt(openObj()) }))),
  envFrom: opt(arr(obj({ configMapRef: opt(optionalRef), prefix: opt(str()), secretRef: opt(optionalRef) }))),
  resources: opt(obj({
    claims: opt(arr(obj({ name: str(), request: opt(str()) }))),
    limits: opt(map(quantity())),
    requests: opt(map(quantity())),
  })),
  ports: opt(arr(obj({
    containerPort: int(),
    hostIP: opt(str()),
    hostPort: opt(int()),
    name: opt(str()),
    protocol: opt(str({ default: 'TCP' })),
  }))),
  volumeMounts: opt(arr(obj({
    name: str(),
    mountPath: str(),
    mountPropagation: opt(str()),
    readOnly: opt(bool()),
    recursiveReadOnly: opt(str()),
    subPath: opt(str()),
    subPathExpr: opt(str()),
  }))),
  volumeDevices: opt(arr(obj({ name: str(), devicePath: str() }))),
  restartPolicy: opt(str()),
  restartPolicyRules: opt(arr(obj({
    action: str(),
    exitCodes: opt(obj({ operator: str(), values: opt(arr(int())) })),
  }))),
  resizePolicy: opt(arr(obj({ resourceName: str(), restartPolicy: str() }))),
  stdin: opt(bool()),
  stdinOnce: opt(bool()),
  tty: opt(bool()),
  terminationMessagePath: opt(str()),
  terminationMessagePolicy: opt(str()),
  lifecycle: opt(openObj()),
  livenessProbe: opt(openObj()),
  readinessProbe: opt(openObj()),
  startupProbe: opt(openObj()),
  securityContext: opt(openObj()),
})

/** The volume sources of core/v1 Volume: the names are checked, each source's content is left to Kubernetes. */
const VOLUME_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI', 'emptyDir',
  'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath', 'image', 'iscsi',
  'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume', 'projected', 'quobyte', 'rbd', 'scaleIO',
  'secret', 'storageos', 'vsphereVolume',
] as const
export const volume = obj({ name: str(), ...Object.fromEntries(VOLUME_SOURCES.map((s) => [s, opt(openObj())])) })

export const task = obj({
  container: opt(container),
  volumes: opt(arr(volume)),
  labels: opt(map(str())),
})

export const conditionalBranch = obj({
  target: str(),
  expression: opt(str()),
})

export const template = obj({
  name: str(),
  templateType: str(),
  deadline: opt(duration()),
  task: opt(task),
  children: opt(arr(str())),
  conditionalBranches: opt(arr(conditionalBranch)),
  ...embeddedChaosFields,
  schedule: opt(chaosOnlyScheduleSpec),
  statusCheck: opt(statusCheckSpec),
  abortWithStatusCheck: opt(bool()),
})
export type Template = Static<typeof template>

export const workflowSpec = obj({
  entry: str(),
  templates: arr(template),
})
export type WorkflowSpec = Static<typeof workflowSpec>

export const FLOW_TEMPLATE_TYPES = ['Serial', 'Parallel', 'Suspend', 'Task', 'Schedule', 'StatusCheck'] as const
export const TEMPLATE_TYPES: readonly string[] = [...FLOW_TEMPLATE_TYPES, ...EMBEDDED_KINDS]

/** The type-specific fields of a template; each type uses at most these of them. */
const SLOTS = ['task', 'children', 'conditionalBranches', 'schedule', 'statusCheck', ...EMBED_KEYS] as const
const SLOTS_OF: Record<string, readonly string[]> = {
  Serial: ['children'],
  Parallel: ['children'],
  Suspend: [],
  Task: ['task', 'conditionalBranches'],
  Schedule: ['schedule'],
  StatusCheck: ['statusCheck'],
  ...Object.fromEntries(EMBED_KEYS.map((k) => [EMBEDDED_CHAOS[k].kind, [k]])),
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function present(t: Template, slot: string): boolean {
  const v = (t as Record<string, unknown>)[slot]
  return Array.isArray(v) ? v.length > 0 : v !== undefined
}

/**
 * The chaoscope annotations a Workflow gives the chaos of one template, which Chaos Mesh's embedded specs have no
 * metadata for: `chaoscope.dev/<template>.percent: "10"` on the Workflow puts `chaoscope.dev/percent: "10"` on
 * the chaos each node of that template makes.
 */
export const TEMPLATE_ANNOTATION_KEYS = ['percent'] as const
const TEMPLATE_ANNOTATION = /^chaoscope\.dev\/(.+)\.([a-z]+)$/

/** The annotations of the chaos made from `template`, read from its Workflow's annotations. */
export function templateAnnotations(annotations: Record<string, string> | undefined, template: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const m = TEMPLATE_ANNOTATION.exec(key)
    if (m && m[1] === template && (TEMPLATE_ANNOTATION_KEYS as readonly string[]).includes(m[2]!)) out[`chaoscope.dev/${m[2]}`] = value
  }
  return out
}

/** The chaos kinds that read a share (`chaoscope.dev/percent`): the others act on every target. */
const SHARE_KINDS = new Set(['HTTPChaos', 'NetworkChaos'])

/**
 * Each `chaoscope.dev/<template>.<key>` annotation names a template of a kind that reads it and a key chaoscope
 * knows, with a valid value; a bare `chaoscope.dev/percent` (which no chaos of the workflow would get) is refused.
 */
function checkTemplateAnnotations(spec: WorkflowSpec, ctx: CheckContext): void {
  const kindOf = new Map(spec.templates.filter((t) => EMBED_KEY_OF_KIND[t.templateType] !== undefined).map((t) => [t.name, t.templateType]))
  for (const [key, value] of Object.entries(ctx.metadata.annotations ?? {})) {
    const at = (code: ErrorCode, message: string, hint: string) => ctx.metadataIssue(['annotations', key], code, message, hint, { key: true })
    if (key === PERCENT_ANNOTATION) {
      at('SPEC_INVALID_VALUE', 'a workflow\'s chaos does not get its chaoscope.dev/percent', 'write it per template: chaoscope.dev/<template>.percent: "10"')
      continue
    }
    const m = TEMPLATE_ANNOTATION.exec(key)
    if (!m) continue
    const [, template, name] = m as unknown as [string, string, string]
    const kind = kindOf.get(template)
    if (!(TEMPLATE_ANNOTATION_KEYS as readonly string[]).includes(name)) {
      at('SPEC_INVALID_VALUE', `annotation ${key}: chaoscope has no per-template annotation "${name}"`, `the per-template annotations are: ${TEMPLATE_ANNOTATION_KEYS.map((k) => `chaoscope.dev/<template>.${k}`).join(', ')}`)
    } else if (kind === undefined) {
      at('SPEC_UNKNOWN_TEMPLATE', `annotation ${key} names template "${template}", which is not a chaos template of this workflow`, didYouMean(template, new Set(kindOf.keys())) ?? `its chaos templates: ${[...kindOf.keys()].join(', ') || 'none'}`)
    } else if (!SHARE_KINDS.has(kind)) {
      at('SPEC_INVALID_VALUE', `annotation ${key}: template "${template}" is a ${kind}, which acts on every target it selects`, `a share applies to ${[...SHARE_KINDS].join(' and ')}; remove the annotation`)
    } else if (parseShare(value) === undefined) {
      ctx.metadataIssue(['annotations', key], 'SPEC_INVALID_VALUE', `annotation ${key}: expected a number from 0 to 100, got ${JSON.stringify(value)}`, `write e.g. ${key}: "10" to act on 10% of requests or connections`)
    }
  }
}

/**
 * The Workflow webhook's rules, and the references it leaves to run time: `entry`, `children` and branch
 * targets name templates that exist; names are unique DNS-1123 subdomains; each template has the field its
 * type needs and no field of another type; embedded specs pass their own kind's rules.
 */
export function checkWorkflowSpec(spec: WorkflowSpec, ctx: CheckContext): void {
  const names = spec.templates.map((t) => t.name)
  const known = new Set(names)
  const unknown = (path: (string | number)[], name: string, what: string) =>
    ctx.issue(path, 'SPEC_UNKNOWN_TEMPLATE', `${what} names template "${name}", which is not defined`, didYouMean(name, known) ?? `defined templates: ${names.join(', ')}`)

  if (!ctx.clean(['entry']) || typeof spec.entry !== 'string') {
    // reported by the schema already
  } else if (spec.entry === '') ctx.issue(['entry'], 'SPEC_REQUIRED', 'spec.entry is empty', 'name the template the workflow starts with')
  else if (spec.templates.length > 0 && !known.has(spec.entry)) unknown(['entry'], spec.entry, 'entry')
  if (spec.templates.length === 0) {
    ctx.issue(['templates'], 'SPEC_REQUIRED', 'a workflow needs at least one template', 'add templates: [{ name: <entry>, templateType: ... }]')
    return
  }
  const firstIndex = new Map<string, number>()
  spec.templates.forEach((t, i) => {
    const at = (...p: (string | number)[]) => ['templates', i, ...p]
    if (t.name === '') ctx.issue(at('name'), 'SPEC_REQUIRED', 'the template name is empty')
    else if (t.name.length > 253 || !DNS_SUBDOMAIN.test(t.name)) {
      ctx.issue(at('name'), 'SPEC_INVALID_NAME', `${JSON.stringify(t.name)} is not a valid template name`, 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit')
    }
    const first = firstIndex.get(t.name)
    if (first === undefined) firstIndex.set(t.name, i)
    else if (t.name !== '') ctx.issue(at('name'), 'SPEC_DUPLICATE_NAME', `template name "${t.name}" is already used by templates[${first}]`, 'give each template its own name')
    checkTemplate(t, ctx.at(['templates', i]), (p, name, what) => (known.has(name) ? undefined : unknown(at(...p), name, what)))
  })
  checkTemplateAnnotations(spec, ctx)
}

function checkTemplate(t: Template, ctx: CheckContext, mustExist: (path: (string | number)[], name: string, what: string) => void): void {
  const type = t.templateType
  const slots = SLOTS_OF[type]
  if (slots === undefined) {
    ctx.issue(['templateType'], 'SPEC_ENUM', `unknown template type ${JSON.stringify(type)}`, didYouMean(type, TEMPLATE_TYPES) ?? `use one of ${TEMPLATE_TYPES.join(', ')}`)
    return
  }
  for (const slot of SLOTS) {
    if (!slots.includes(slot) && present(t, slot)) {
      ctx.issue([slot], 'SPEC_INVALID_VALUE', `a ${type} template takes no ${slot}`, `remove ${slot}, or change templateType`, { key: true })
    }
  }
  switch (type) {
    case 'Suspend':
      if (t.deadline === undefined || t.deadline === '') ctx.issue(['deadline'], 'SPEC_REQUIRED', 'a Suspend template needs a deadline: how long to wait', 'add deadline: 30s')
      break
    case 'Serial':
    case 'Parallel':
      if (!present(t, 'children')) ctx.issue(['children'], 'SPEC_REQUIRED', `a ${type} template needs children: the names of the templates it runs`, 'add children: [<template name>, ...]')
      t.children?.forEach((c, j) => mustExist(['children', j], c, `children[${j}]`))
      break
    case 'Task':
      if (t.task === undefined) ctx.issue(['task'], 'SPEC_REQUIRED', 'a Task template needs task.container: the container to run', 'add task: { container: { name: main, image: busybox, command: [...] } }')
      else if (t.task.container === undefined) ctx.issue(['task', 'container'], 'SPEC_REQUIRED', 'a Task template needs task.container: the container to run', 'add container: { name: main, image: busybox, command: [...] }')
      t.conditionalBranches?.forEach((b, j) => {
        mustExist(['conditionalBranches', j, 'target'], b.target, `conditionalBranches[${j}].target`)
        if (b.expression === undefined || b.expression.trim() === '') {
          ctx.issue(['conditionalBranches', j, 'expression'], 'SPEC_REQUIRED', 'a conditional branch needs an expression; without one it is never taken', 'write a condition on exitCode, stdout or stderr, e.g. expression: exitCode == 0')
        }
      })
      break
    case 'Schedule':
      if (t.schedule === undefined) ctx.issue(['schedule'], 'SPEC_REQUIRED', 'a Schedule template needs schedule: the cron and the chaos it creates', 'add schedule: { schedule: "@every 30s", type: PodChaos, podChaos: { ... } }')
      else if (ctx.clean(['schedule'])) checkScheduleItem(t.schedule, ctx.at(['schedule']))
      break
    case 'StatusCheck':
      if (t.statusCheck === undefined) ctx.issue(['statusCheck'], 'SPEC_REQUIRED', 'a StatusCheck template needs statusCheck: the probe to run', 'add statusCheck: { type: HTTP, http: { url: ..., criteria: { statusCode: "200" } } }')
      else if (ctx.clean(['statusCheck'])) checkStatusCheck(t.statusCheck, ctx.at(['statusCheck']))
      break
    default: {
      const key = EMBED_KEY_OF_KIND[type]!
      const chaos = (t as Record<string, unknown>)[key] as { duration?: string } | undefined
      if (chaos === undefined) {
        ctx.issue([key], 'SPEC_REQUIRED', `a ${type} template needs ${key}: the ${type} spec`, `add ${key}: { ... }`)
        break
      }
      if (chaos.duration !== undefined) {
        ctx.issue([key, 'duration'], 'SPEC_INVALID_VALUE', 'a chaos inside a Workflow takes no duration; the template\'s deadline says how long it runs', `remove duration and set deadline: ${chaos.duration || '30s'} on the template`, { key: true })
      }
      checkEmbedded(key, t, ctx)
    }
  }
}

/** Defaults Chaos Mesh applies inside a workflow: each embedded spec gets its own kind's defaults. */
export function defaultWorkflowSpec(spec: WorkflowSpec, metadata: ObjectMeta): void {
  for (const t of spec.templates) {
    defaultEmbedded(t, metadata)
    if (t.schedule) defaultEmbedded(t.schedule, metadata)
    if (t.statusCheck) t.statusCheck.mode ??= 'Synchronous'
  }
}

export const workflow = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'Workflow',
  spec: workflowSpec,
  check: checkWorkflowSpec,
  checkNeeds: ['templates'],
  defaults: defaultWorkflowSpec,
})
