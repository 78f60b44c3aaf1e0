/**
 * @module verdict/activities/k8s: the chaosk8s activities public experiments call, on the local runtime. Each
 * takes chaosk8s' argument names and defaults and returns what chaosk8s returns; what it does to Kubernetes is
 * done with Chaos Mesh resources applied to the target:
 *
 * - crd.actions.create_custom_object / delete_custom_object (and apply_from_json / apply_from_yaml): the object
 *   through the controller. A Chaos Mesh 1.x `spec.scheduler` is run as 1.x ran it: once at creation, then at
 *   each cron tick (a Schedule of the same name);
 * - pod.actions.terminate_pods / delete_pods: a PodChaos pod-kill of exactly the pods chaosk8s would pick,
 *   deleted again once they are gone;
 * - pod.probes.read_pod_logs: the pods' log lines, `{pod: text}`, with timestamps as the kubelet gives them;
 * - networking.actions.deny_all_ingress / remove_deny_all_ingress: a NetworkChaos partition of every byte the
 *   selected pods would receive, named as chaosk8s names its NetworkPolicy.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, PythonActivity, Target, TargetPod } from '../types.js'
import { Args, randomSuffix, refusalsFailed, requireTarget } from './chaoscope.js'
import { sleep } from './signals.js'
import { requireTime } from './prometheus.js'

/** A Kubernetes-style object as an experiment writes it. */
export interface K8sObject {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }
  spec?: Record<string, unknown>
  [k: string]: unknown
}

/** The annotation on both objects made for a 1.x scheduler: the kind of the chaos the Schedule runs. */
export const SCHEDULER_ANNOTATION = 'chaoscope.dev/chaos-mesh-1x-scheduler'
/** A Schedule made for a 1.x scheduler keeps this many finished runs. */
export const SCHEDULER_HISTORY_LIMIT = 2

/** chaosk8s' get_plural (Kubernetes' rest mapper): `NetworkChaos` → `networkchaoses`, as well as Chaos Mesh's own. */
function pluralsOf(kind: string): string[] {
  const k = kind.toLowerCase()
  const guessed = k.endsWith('s') ? `${k}es` : k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`
  return [k, guessed]
}

// ───────────────────────────── crd.actions ─────────────────────────────

/**
 * A Chaos Mesh 1.x object with `spec.scheduler: {cron}` (2.x removed it) as 1.x ran it: 1.x's reconciler injected
 * at once when the object was created (its next start was unset, so due), then at each cron tick after, each run
 * lasting `duration`. Here: the object without `scheduler`, applied now (the first run), and a Schedule of the
 * same name for the runs after (`schedule: <cron>`, type the kind, the spec with its duration, Forbid, a short
 * history). Undefined when the object has no scheduler.
 */
export async function schedulerForm(obj: K8sObject): Promise<{ first: K8sObject; schedule: K8sObject; cron: string } | undefined> {
  const scheduler = obj.spec?.scheduler as { cron?: unknown } | undefined
  if (scheduler === undefined) return undefined
  const kind = obj.kind ?? ''
  const name = obj.metadata?.name ?? ''
  if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.cron !== 'string' || scheduler.cron.trim() === '') {
    throw new ActivityFailed(`${kind} ${name}: spec.scheduler must be {cron: "<schedule>"} (Chaos Mesh 1.x), got ${JSON.stringify(scheduler)}`)
  }
  const { EMBED_KEY_OF_KIND } = await import('../../manifest/kinds/embed.js')
  const key = EMBED_KEY_OF_KIND[kind]
  if (!key) throw new ActivityFailed(`${kind} ${name}: spec.scheduler is Chaos Mesh 1.x's, and a Schedule cannot run a ${kind}`)
  const { scheduler: _, ...spec } = obj.spec!
  if (spec.duration === undefined) {
    throw new ActivityFailed(`${kind} ${name}: a Chaos Mesh 1.x scheduler needs a duration (1.x refused a scheduler without one); add spec.duration`)
  }
  const meta = obj.metadata ?? {}
  const annotations = { ...(meta.annotations ?? {}), [SCHEDULER_ANNOTATION]: kind }
  const first: K8sObject = { ...obj, metadata: { ...meta, annotations }, spec }
  const schedule: K8sObject = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'Schedule',
    metadata: { name, ...(meta.namespace ? { namespace: meta.namespace } : {}), ...(meta.labels ? { labels: meta.labels } : {}), annotations },
    spec: { schedule: scheduler.cron, type: kind, historyLimit: SCHEDULER_HISTORY_LIMIT, concurrencyPolicy: 'Forbid', [key]: spec },
  }
  return { first, schedule, cron: scheduler.cron }
}

/** `@every 15s` → 15000 (other crons: undefined). */
function everyMs(cron: string): number | undefined {
  const m = /^@every\s+(\S+)$/.exec(cron.trim())
  if (!m) return undefined
  const u = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(m[1]!)
  return u ? Number(u[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[u[2] as 'ms'] : undefined
}

/** The stored object (what the API keeps: metadata, spec, status), or undefined. */
async function stored(target: Target, kind: string, namespace: string, name: string): Promise<unknown> {
  const all = await target.list({ kind, namespace })
  return all.find((o) => o.metadata.name === name)
}

function checkObject(fn: string, obj: K8sObject, group: string, version: string, plural: string, ns: string): { kind: string; name: string } {
  const kind = obj.kind
  const name = obj.metadata?.name
  if (!obj.apiVersion || !kind) throw new ActivityFailed(`${fn}: the resource has no ${obj.apiVersion ? 'kind' : 'apiVersion'}`)
  if (!name) throw new ActivityFailed(`${fn}: the resource has no metadata.name`)
  if (obj.apiVersion !== `${group}/${version}`) throw new ActivityFailed(`${fn}: the resource is ${obj.apiVersion}, but group and version say ${group}/${version}`)
  if (!pluralsOf(kind).includes(plural.toLowerCase())) throw new ActivityFailed(`${fn}: plural ${plural} is not the resource of kind ${kind} (write ${pluralsOf(kind)[0]})`)
  const given = obj.metadata?.namespace
  if (given !== undefined && given !== ns) throw new ActivityFailed(`${fn}: the namespace of the resource (${given}) does not match ns (${ns})`)
  return { kind, name }
}

/** Creates one object (two for a 1.x scheduler); returns the object as the controller keeps it. */
async function createObject(fn: string, obj: K8sObject, ns: string, ctx: ActivityContext): Promise<unknown> {
  const target = requireTarget(ctx, fn)
  const body: K8sObject = { ...obj, metadata: { ...(obj.metadata ?? {}), namespace: ns } }
  const kind = body.kind!
  const name = body.metadata!.name!
  const sched = await schedulerForm(body)
  if (sched) {
    ctx.log(
      `${kind} ${ns}/${name}: spec.scheduler (cron ${JSON.stringify(sched.cron)}) is Chaos Mesh 1.x's, removed in 2.x; run as 1.x ran it: ` +
        `once now, and at each tick by a Schedule ${ns}/${name} (concurrencyPolicy Forbid); delete_custom_object removes both`,
    )
    const every = everyMs(sched.cron)
    const duration = typeof sched.first.spec?.duration === 'string' ? sched.first.spec.duration : undefined
    const { parseDuration } = await import('../../manifest/duration.js')
    const d = duration === undefined ? undefined : parseDuration(duration)
    if (every !== undefined && d !== undefined && d > every) ctx.log(`${kind} ${ns}/${name}: its duration ${duration} is longer than its interval ${sched.cron}: each run waits for the one before (1.x refused such a scheduler)`)
    await refusalsFailed(() => target.apply(JSON.stringify(sched.first), `${fn}:${kind}/${name}`))
    await refusalsFailed(() => target.apply(JSON.stringify(sched.schedule), `${fn}:Schedule/${name}`))
  } else {
    await refusalsFailed(() => target.apply(JSON.stringify(body), `${fn}:${kind}/${name}`))
  }
  return (await stored(target, kind, ns, name)) ?? body
}

function bodyOf(fn: string, a: Args, cwd: string): K8sObject {
  const file = a.str('resource_as_yaml_file')
  const resource = a.raw('resource')
  if ((resource === undefined || resource === null) && !file) throw new ActivityFailed(`${fn}: either resource or resource_as_yaml_file must be set`)
  if (resource !== undefined && resource !== null) {
    const r = typeof resource === 'string' ? (parseYaml(resource) as unknown) : resource
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new ActivityFailed(`${fn}: resource must be an object (or its YAML/JSON text)`)
    return structuredClone(r) as K8sObject
  }
  let text: string
  try {
    text = readFileSync(resolve(cwd, file!), 'utf8')
  } catch {
    throw new ActivityFailed(`${fn}: Path '${file}' is not a valid resource file`)
  }
  const r = parseYaml(text) as unknown
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new ActivityFailed(`${fn}: ${file} does not hold one object`)
  return r as K8sObject
}

/** create_custom_object(group, version, plural, ns="default", resource=None, resource_as_yaml_file=None). */
const create_custom_object: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.crd.actions.create_custom_object'
  const a = new Args(args, fn)
  const group = a.need('group')
  const version = a.need('version')
  const plural = a.need('plural')
  const ns = a.str('ns', 'default')
  const obj = bodyOf(fn, a, ctx.cwd)
  checkObject(fn, obj, group, version, plural, ns)
  return createObject(fn, obj, ns, ctx)
}

/** apply_from_json(resource) / apply_from_yaml(resource): the resource's own apiVersion, kind and namespace. */
const applyFrom = (fn: string, parse: (text: string) => unknown): PythonActivity => async (args, ctx) => {
  const text = new Args(args, fn).need('resource')
  let obj: K8sObject
  try {
    obj = parse(text) as K8sObject
  } catch (e) {
    throw new ActivityFailed(`${fn}: the resource cannot be read: ${(e as Error).message}`)
  }
  if (!obj || typeof obj !== 'object') throw new ActivityFailed(`${fn}: the resource is not an object`)
  if (!obj.apiVersion) throw new ActivityFailed('missing apiVersion in resource')
  if (!obj.kind) throw new ActivityFailed('missing kind in resource')
  const ns = obj.metadata?.namespace ?? 'default'
  const i = obj.apiVersion.lastIndexOf('/')
  checkObject(fn, obj, obj.apiVersion.slice(0, i), obj.apiVersion.slice(i + 1), pluralsOf(obj.kind)[0]!, ns)
  return createObject(fn, obj, ns, ctx)
}

/** delete_custom_object(group, version, plural, name, ns="default"): and the Schedule made for a 1.x scheduler. */
const delete_custom_object: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.crd.actions.delete_custom_object'
  const a = new Args(args, fn)
  a.need('group')
  a.need('version')
  const plural = a.need('plural')
  const name = a.need('name')
  const ns = a.str('ns', 'default')
  const target = requireTarget(ctx, fn)
  const before = await refusalsFailed(() => stored(target, plural, ns, name))
  const schedules = plural.toLowerCase().startsWith('schedule') ? [] : await refusalsFailed(() => target.list({ kind: 'Schedule', namespace: ns }))
  const made = schedules.find((s) => s.metadata.name === name && (s as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.[SCHEDULER_ANNOTATION] !== undefined)
  // the Schedule first: no run starts while the object goes
  const scheduleGone = made ? await refusalsFailed(() => target.delete('Schedule', ns, name)) : false
  if (scheduleGone) ctx.log(`Schedule ${ns}/${name} (made for its 1.x scheduler) deleted, its runs recovered`)
  const gone = await refusalsFailed(() => target.delete(plural, ns, name))
  if (!gone && !scheduleGone) throw new ActivityFailed(`Failed to delete custom resource object: 'Not Found' ${plural} ${ns}/${name}`, 'CONTROLLER_NOT_FOUND')
  return before ?? { kind: 'Status', status: 'Success', details: { name, kind: plural } }
}

// ───────────────────────────── pod.actions ─────────────────────────────

/** Python's `re` syntax that JavaScript writes otherwise: named groups. */
function pythonRegex(fn: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'))
  } catch (e) {
    throw new ActivityFailed(`${fn}: name_pattern ${JSON.stringify(pattern)} is not a regular expression: ${(e as Error).message}`)
  }
}

function sample<T>(items: readonly T[], n: number): T[] {
  const pool = [...items]
  const out: T[] = []
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!)
  return out
}

/** chaosk8s' _select_pods: label selector, name pattern (a regex searched anywhere in the name), order, all / qty / mode, rand. */
export async function selectPods(fn: string, a: Args, target: Target): Promise<TargetPod[]> {
  const qty = a.int('qty', 1)
  const mode = a.str('mode', 'fixed')
  const order = a.str('order', 'alphabetic')
  if (qty < 0) throw new ActivityFailed(`Cannot select pods. Quantity '${qty}' is negative.`)
  if (mode !== 'fixed' && mode !== 'percentage') throw new ActivityFailed(`Cannot select pods. Mode '${mode}' is invalid.`)
  if (order !== 'alphabetic' && order !== 'oldest') throw new ActivityFailed(`Cannot select pods. Order '${order}' is invalid.`)
  const ns = a.str('ns', 'default')
  const selector = a.str('label_selector')
  let pods = await refusalsFailed(() => target.pods({ namespace: ns, ...(selector ? { labelSelector: selector } : {}) }))
  pods.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  const pattern = a.str('name_pattern')
  if (pattern) {
    const re = pythonRegex(fn, pattern)
    pods = pods.filter((p) => re.test(p.name))
  }
  if (order === 'oldest') {
    const started = (p: TargetPod) => Date.parse((p as TargetPod & { startTime?: string }).startTime ?? '') || 0
    pods.sort((x, y) => started(x) - started(y))
  }
  if (!a.bool('all', false)) {
    let n = mode === 'percentage' ? Math.ceil((qty * pods.length) / 100) : qty
    n = Math.min(n, pods.length)
    pods = a.bool('rand', false) ? sample(pods, n) : pods.slice(0, n)
  }
  return pods
}

/** Kubernetes' default terminationGracePeriodSeconds: what chaosk8s' grace_period -1 leaves to the pod. */
const DEFAULT_GRACE_SECONDS = 30

/** The same pod: same name, and same uid when the target gives one. */
const podKey = (p: TargetPod): string => `${p.name}\u0000${p.uid ?? ''}`

/** Kills `pods` with a PodChaos pod-kill selecting exactly them; resolves once they are gone, the PodChaos deleted. */
async function killPods(fn: string, pods: readonly TargetPod[], ns: string, graceSeconds: number, ctx: ActivityContext): Promise<void> {
  const target = requireTarget(ctx, fn)
  const name = `chaostoolkit-terminate-pods-${randomSuffix()}`
  const chaos = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    metadata: { name, namespace: ns, labels: { 'chaoscope.dev/activity': fn.slice(fn.lastIndexOf('.') + 1) } },
    spec: { action: 'pod-kill', mode: 'all', gracePeriod: graceSeconds, selector: { pods: { [ns]: pods.map((p) => p.name) } } },
  }
  await refusalsFailed(() => target.apply(JSON.stringify(chaos), `${fn}:PodChaos/${name}`))
  try {
    const killed = new Set(pods.map(podKey))
    const deadline = Date.now() + (graceSeconds + 30) * 1000
    for (;;) {
      const left = (await target.pods({ namespace: ns })).filter((p) => killed.has(podKey(p)))
      if (left.length === 0) break
      if (Date.now() > deadline) throw new ActivityFailed(`${fn}: ${left.map((p) => p.name).join(', ')} still there ${graceSeconds + 30}s after the pod-kill (see \`chaoscope describe podchaos ${name} -n ${ns}\`)`)
      await sleep(100, ctx.signal)
    }
  } finally {
    await target.delete('PodChaos', ns, name).catch(() => undefined)
  }
}

/** terminate_pods(label_selector, name_pattern, all, rand, mode, qty, grace_period, ns, order): the names killed. */
const terminate_pods: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.pod.actions.terminate_pods'
  const a = new Args(args, fn)
  const target = requireTarget(ctx, fn)
  const ns = a.str('ns', 'default')
  const grace = a.int('grace_period', -1)
  const pods = await selectPods(fn, a, target)
  if (pods.length === 0) return []
  await killPods(fn, pods, ns, grace >= 0 ? grace : DEFAULT_GRACE_SECONDS, ctx)
  ctx.log(`${fn}: ${pods.map((p) => p.name).join(', ')} terminated`)
  return pods.map((p) => p.name)
}

/** delete_pods(name, ns, label_selector): terminate_pods(name_pattern=name, label_selector, ns), as chaosk8s calls it (one pod). */
const delete_pods: PythonActivity = async (args, ctx) => {
  const a = new Args(args, 'chaosk8s.pod.actions.delete_pods')
  return terminate_pods({ ns: a.str('ns', 'default'), ...(a.has('name') ? { name_pattern: a.str('name') } : {}), ...(a.has('label_selector') ? { label_selector: a.str('label_selector') } : {}) }, ctx)
}

// ───────────────────────────── pod.probes ─────────────────────────────

/** The container_name given, checked against the pod's containers; undefined when none was given. */
function logContainer(fn: string, container: string | undefined, p: TargetPod): string | undefined {
  if (!container) return undefined
  if (!p.containers) {
    if (container !== p.service) throw new ActivityFailed(`${fn}: container ${container} is not valid for pod ${p.name}: a local pod has one container, named after its service (${p.service})`)
    return container
  }
  if (!p.containers.includes(container)) throw new ActivityFailed(`${fn}: container ${container} is not valid for pod ${p.name}: its containers are ${p.containers.join(', ')}`)
  return container
}

/** read_pod_logs(name, last, ns, from_previous, label_selector="name in ({name})", container_name): {pod: log}. */
const read_pod_logs: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.pod.probes.read_pod_logs'
  const a = new Args(args, fn)
  const target = requireTarget(ctx, fn)
  const ns = a.str('ns', 'default')
  // chaosk8s formats the selector with name, None when not given (so the default selects nothing without a name)
  const selector = a.str('label_selector', 'name in ({name})').replaceAll('{name}', a.str('name') ?? 'None')
  const container = a.str('container_name')
  let sinceMs: number | undefined
  const last = a.str('last')
  if (last) {
    const now = Date.now()
    const seconds = Math.trunc((now - requireTime(fn, 'last', last, now)) / 1000)
    if (seconds) sinceMs = now - seconds * 1000
  }
  if (a.bool('from_previous', false)) ctx.log(`${fn}: from_previous: a local pod keeps one log across its container's restarts; all of it is read`)
  const pods = await refusalsFailed(() => target.pods({ namespace: ns, ...(selector ? { labelSelector: selector } : {}) }))
  const logs: Record<string, string> = {}
  for (const p of pods) {
    const c = logContainer(fn, container, p)
    const lines = await refusalsFailed(() => target.logs(p.name, { namespace: p.namespace, ...(c ? { container: c } : {}) }))
    logs[p.name] = lines
      .filter((l) => sinceMs === undefined || Date.parse(l.time) >= sinceMs)
      .map((l) => `${l.time} ${l.text}\n`)
      .join('')
  }
  return logs
}

// ───────────────────────────── networking.actions ─────────────────────────────

/** The name chaosk8s gives its NetworkPolicy, kept for the NetworkChaos that stands for it. */
export const DENY_ALL_INGRESS = 'chaostoolkit-deny-all-ingress'

/**
 * The NetworkChaos for deny_all_ingress: a partition of the bytes the selected pods receive (direction `from`,
 * no target): every request into them through their ingress sidecars, whoever calls (pods, hostPort), and the
 * replies to their own calls.
 */
export function denyAllIngressChaos(ns: string, labelSelectors: Record<string, string> | undefined): object {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'NetworkChaos',
    metadata: { name: DENY_ALL_INGRESS, namespace: ns, labels: { 'chaoscope.dev/activity': 'deny_all_ingress' } },
    spec: {
      action: 'partition',
      mode: 'all',
      direction: 'from',
      selector: { namespaces: [ns], ...(labelSelectors && Object.keys(labelSelectors).length > 0 ? { labelSelectors } : {}) },
    },
  }
}

/** deny_all_ingress(label_selectors=None, ns="default"): every pod of ns (or those matching) receives nothing. */
const deny_all_ingress: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.networking.actions.deny_all_ingress'
  const a = new Args(args, fn)
  const ns = a.str('ns', 'default')
  const target = requireTarget(ctx, fn)
  const chaos = denyAllIngressChaos(ns, a.strings('label_selectors'))
  await refusalsFailed(() => target.apply(JSON.stringify(chaos), `${fn}:NetworkChaos/${DENY_ALL_INGRESS}`))
  ctx.log(`${fn}: NetworkChaos ${ns}/${DENY_ALL_INGRESS} (partition of what the pods receive) applied`)
  return null
}

/** remove_deny_all_ingress(ns="default"): removes what deny_all_ingress made in ns, its faults recovered. */
const remove_deny_all_ingress: PythonActivity = async (args, ctx) => {
  const fn = 'chaosk8s.networking.actions.remove_deny_all_ingress'
  const ns = new Args(args, fn).str('ns', 'default')
  const target = requireTarget(ctx, fn)
  const gone = await refusalsFailed(() => target.delete('NetworkChaos', ns, DENY_ALL_INGRESS))
  if (!gone) throw new ActivityFailed(`${fn}: no ${DENY_ALL_INGRESS} in namespace ${ns} (deny_all_ingress did not run there)`, 'CONTROLLER_NOT_FOUND')
  return null
}

export const K8S_ACTIVITIES: Record<string, PythonActivity> = {
  'chaosk8s.crd.actions.create_custom_object': create_custom_object,
  'chaosk8s.crd.actions.delete_custom_object': delete_custom_object,
  'chaosk8s.crd.actions.apply_from_json': applyFrom('chaosk8s.crd.actions.apply_from_json', (t) => JSON.parse(t)),
  'chaosk8s.crd.actions.apply_from_yaml': applyFrom('chaosk8s.crd.actions.apply_from_yaml', (t) => parseYaml(t)),
  'chaosk8s.pod.actions.terminate_pods': terminate_pods,
  'chaosk8s.pod.actions.delete_pods': delete_pods,
  'chaosk8s.pod.probes.read_pod_logs': read_pod_logs,
  'chaosk8s.networking.actions.deny_all_ingress': deny_all_ingress,
  'chaosk8s.networking.actions.remove_deny_all_ingress': remove_deny_all_ingress,
}
