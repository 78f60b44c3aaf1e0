/**
 * @module cli/print: how the CLI shows things: kubectl-like tables, ages, Kubernetes `v1` Pod objects, YAML and
 * JSON, `describe` text. Pure functions of the data the verbs fetched; nothing here fetches or decides.
 */
import { constants } from 'node:os'
import type { ChaosEvent, ChaosObject, RuntimePod } from '../index.js'
import { FLOW_KINDS, flowCells, flowColumns, flowStatusText } from './print-flows.js'

/** What `-o` can ask for where a command lists things. */
export type Output = 'table' | 'wide' | 'yaml' | 'json'

export { NONE, age, table } from './format.js'
import { NONE, age, table } from './format.js'

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** YAML text; the yaml library is loaded on first use (tables and JSON never need it). */
export async function yaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml')
  return stringify(value)
}

/** `{apiVersion: v1, kind: List, items}`, as `kubectl get -o json|yaml` prints several objects. */
export function list(items: unknown[]): { apiVersion: 'v1'; kind: 'List'; metadata: { resourceVersion: string }; items: unknown[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items }
}

// ---- pods ------------------------------------------------------------------------------------------------

/** Annotations chaoscope adds to a pod's `v1` object: where it runs on this machine. */
export const POD_ANNOTATIONS = {
  pid: 'chaoscope.dev/pid',
  port: 'chaoscope.dev/port',
  address: 'chaoscope.dev/address',
  protocol: 'chaoscope.dev/protocol',
  external: 'chaoscope.dev/external',
  dependencies: 'chaoscope.dev/dependencies',
  limits: 'chaoscope.dev/limits',
  /** `loaded`, or `not loaded: <why>`: whether TimeChaos, IOChaos and DNSChaos can act in the pod's program. */
  faultLibrary: 'chaoscope.dev/fault-library',
  /** The pod's cgroup directories (comma-separated), where its CPU and memory (and StressChaos's stressors) are counted. */
  cgroups: 'chaoscope.dev/cgroups',
  /** The pod's network namespace (`ip netns list`), when it has one of its own. */
  netns: 'chaoscope.dev/netns',
  /** Why the pod shares the host's network although its service asked for a namespace of its own. */
  networkReason: 'chaoscope.dev/network-reason',
} as const

type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string } }

function terminated(exit: NonNullable<RuntimePod['lastExit']>): ContainerState {
  const signal = exit.signal ? (constants.signals as Record<string, number>)[exit.signal] : undefined
  return {
    terminated: {
      exitCode: exit.exitCode,
      ...(signal !== undefined ? { signal } : {}),
      reason: exit.reason,
      ...(exit.message ? { message: exit.message } : {}),
      ...(exit.startedAt ? { startedAt: exit.startedAt } : {}),
      finishedAt: exit.finishedAt,
    },
  }
}

/** The container's state and last state, as the kubelet reports them. */
function containerStates(p: RuntimePod): { state: ContainerState | Record<string, never>; lastState: ContainerState | Record<string, never> } {
  const done = p.phase === 'Succeeded' || p.phase === 'Failed'
  if (done && p.lastExit) return { state: terminated(p.lastExit), lastState: {} }
  const last = p.lastExit ? terminated(p.lastExit) : {}
  if (p.pid !== undefined && p.reason !== 'ContainerCreating' && p.reason !== 'CrashLoopBackOff' && p.reason !== 'PodFailure') {
    return { state: { running: { startedAt: p.startedAt ?? p.startTime } }, lastState: last }
  }
  return { state: { waiting: { reason: p.reason ?? 'ContainerCreating', ...(p.message ? { message: p.message } : {}) } }, lastState: last }
}

/**
 * A pod as a Kubernetes `v1` Pod object, so that jq and kubectl habits work (`.items[].status.phase`,
 * `.status.containerStatuses[0].restartCount`). Its process id, ports and sidecar address are annotations
 * (`chaoscope.dev/pid`, ...), the one place Kubernetes' schema leaves to us.
 */
export function v1Pod(p: RuntimePod): Record<string, unknown> {
  const ready = p.ready ? 'True' : 'False'
  const since = p.startedAt ?? p.startTime
  const annotations: Record<string, string> = { ...p.annotations }
  if (p.pid !== undefined) annotations[POD_ANNOTATIONS.pid] = String(p.pid)
  annotations[POD_ANNOTATIONS.port] = String(p.port)
  if (p.address) annotations[POD_ANNOTATIONS.address] = p.address
  if (p.protocol) annotations[POD_ANNOTATIONS.protocol] = p.protocol
  if (p.external) annotations[POD_ANNOTATIONS.external] = p.external
  if (p.dependencies?.length) annotations[POD_ANNOTATIONS.dependencies] = p.dependencies.join(',')
  if (p.limits) annotations[POD_ANNOTATIONS.limits] = limitsText(p.limits)
  if (p.faultLibrary) annotations[POD_ANNOTATIONS.faultLibrary] = p.faultLibrary.loaded ? 'loaded' : `not loaded: ${p.faultLibrary.reason ?? 'unknown reason'}`
  if (p.cgroups?.length) annotations[POD_ANNOTATIONS.cgroups] = p.cgroups.join(',')
  if (p.netns) annotations[POD_ANNOTATIONS.netns] = p.netns
  if (p.networkReason) annotations[POD_ANNOTATIONS.networkReason] = p.networkReason
  const { state, lastState } = containerStates(p)
  const port = p.containerPort ?? p.port
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, uid: p.uid, labels: { ...p.labels }, annotations, creationTimestamp: p.startTime },
    spec: {
      containers: [{
        name: p.service,
        ports: [{ containerPort: port, protocol: 'TCP' }],
        ...(p.limits ? { resources: { limits: { ...(p.limits.cpu ? { cpu: p.limits.cpu } : {}), ...(p.limits.memory ? { memory: p.limits.memory } : {}) } } } : {}),
      }],
      nodeName: 'localhost',
    },
    status: {
      phase: p.phase,
      ...(p.reason === 'Terminating' ? { reason: 'Terminating' } : {}),
      hostIP: p.hostIP ?? '127.0.0.1',
      podIP: podIP(p),
      podIPs: [{ ip: podIP(p) }],
      startTime: p.startTime,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: p.startTime },
        { type: 'Initialized', status: 'True', lastTransitionTime: p.startTime },
        { type: 'ContainersReady', status: ready, lastTransitionTime: since },
        { type: 'Ready', status: ready, lastTransitionTime: since },
      ],
      containerStatuses: [{
        name: p.service,
        ready: p.ready,
        started: 'running' in state,
        restartCount: p.restartCount,
        state,
        lastState,
        image: '',
        imageID: '',
        ...(p.pid !== undefined ? { containerID: `process://${p.pid}` } : {}),
      }],
    },
  }
}

/** The pod's address ($POD_IP): its own in a namespace of its own, else loopback (externals too). */
function podIP(p: RuntimePod): string {
  return p.podIP ?? '127.0.0.1'
}

/**
 * How the pod is networked, for `describe pod`: in a namespace of its own (reached only through its sidecars), or
 * on the host's loopback, where a direct connection to its port bypasses its faults; then, when it asked for a
 * namespace and did not get one, why. One line each; empty for an external service's pseudo-pod (nothing runs).
 */
export function podNetworkLines(p: RuntimePod): string[] {
  if (p.external !== undefined) return []
  if (p.netns) return [`namespace ${p.netns} (IP ${podIP(p)})`, 'reached through its sidecars; a program on this host that connects to that IP by hand bypasses them']
  const host = [`host (loopback port ${p.port}; reachable directly at ${podIP(p)}:${p.port}, which bypasses its faults)`]
  return p.networkReason ? [...host, `asked for a namespace of its own, not made: ${p.networkReason}`] : host
}

/** `kubectl describe pod`-like text: where the pod runs on this machine, how it is networked, its container. */
export function describePodText(p: RuntimePod): string {
  const lines: string[] = []
  const width = 17
  const row = (k: string, v: string) => lines.push(`${`${k}:`.padEnd(width)}${v}`)
  row('Name', p.name)
  row('Namespace', p.namespace)
  row('Service', p.service)
  row('UID', p.uid)
  row('Labels', kv(p.labels, width))
  row('Annotations', kv(p.annotations, width))
  row('Start Time', `${p.startTime} (${age(p.startTime)} ago)`)
  row('Status', podStatus(p))
  if (p.message) row('Message', p.message)
  row('IP', podIP(p))
  const net = podNetworkLines(p)
  if (net.length > 0) row('Network', net.join(`\n${' '.repeat(width)}`))
  if (p.external !== undefined) row('External', p.external)
  row('Address', p.address ?? NONE)
  row('Port', String(p.port))
  if (p.containerPort !== undefined) row('Container Port', String(p.containerPort))
  if (p.protocol) row('Protocol', p.protocol)
  row('Dependencies', p.dependencies?.length ? p.dependencies.join(', ') : NONE)
  row('PID', p.pid !== undefined ? String(p.pid) : NONE)
  row('Ready', p.ready ? 'True' : 'False')
  row('Restarts', String(p.restartCount))
  if (p.lastExit) {
    const x = p.lastExit
    row('Last Exit', `${x.reason} (exit code ${x.exitCode}${x.signal ? `, ${x.signal}` : ''}) at ${x.finishedAt}${x.message ? `: ${x.message}` : ''}`)
  }
  if (p.limits) row('Limits', limitsText(p.limits))
  if (p.faultLibrary) row('Fault Library', p.faultLibrary.loaded ? 'loaded' : `not loaded: ${p.faultLibrary.reason ?? 'unknown reason'}`)
  return `${lines.join('\n')}\n`
}

function limitsText(l: NonNullable<RuntimePod['limits']>): string {
  const what = [l.cpu !== undefined ? `cpu=${l.cpu}` : '', l.memory !== undefined ? `memory=${l.memory}` : ''].filter(Boolean).join(',')
  return `${what}${l.enforced ? '' : ` (not enforced${l.reason ? `: ${l.reason}` : ''})`}`
}

/** kubectl's STATUS column: the waiting reason, the phase while running, the exit reason once it ended. */
export function podStatus(p: RuntimePod): string {
  if (p.reason) return p.reason
  if (p.phase === 'Running' || !p.lastExit) return p.phase
  return p.lastExit.reason
}

/**
 * `get pods` as kubectl prints it. `wide` adds IP (the pod's address, its $POD_IP: its own in a namespace of its own,
 * else 127.0.0.1), ADDRESS (the pod's ingress sidecar: where callers reach it), PORT (the port its process listens
 * on, its $PORT; for an external service, the address its sidecar fronts) and PID.
 */
export function podTable(pods: RuntimePod[], opts: { wide?: boolean; namespaces?: boolean; now?: number } = {}): string {
  const now = opts.now ?? Date.now()
  const head = [...(opts.namespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(opts.wide ? ['IP', 'ADDRESS', 'PORT', 'PID'] : [])]
  const rows = pods.map((p) => [
    ...(opts.namespaces ? [p.namespace] : []),
    p.name,
    p.ready ? '1/1' : '0/1',
    podStatus(p),
    p.restartCount > 0 && p.lastExit ? `${p.restartCount} (${age(p.lastExit.finishedAt, now)} ago)` : String(p.restartCount),
    age(p.startTime, now),
    ...(opts.wide ? [podIP(p), p.address ?? NONE, p.external ?? String(p.port), p.pid !== undefined ? String(p.pid) : NONE] : []),
  ])
  return table([head, ...rows])
}

// ---- experiments -----------------------------------------------------------------------------------------

/** The phase the server gives the object (`status.chaoscope.phase`), as a word: Injecting, Running, Paused, Finished... */
export function phaseOf(o: ChaosObject): string {
  const phase = o.status?.chaoscope?.phase
  return phase ? phase.charAt(0).toUpperCase() + phase.slice(1) : 'Unknown'
}

/**
 * What the experiment does, for the ACTION column of every kind: what the server says (`status.chaoscope.action`,
 * its commas shown as `+`), else `spec.action` where the kind has one; what an HTTPChaos does (`abort`, `delay`, `replace`, `patch`, joined: `delay+replace`); a StressChaos's stressors
 * (`cpu+memory`); `time-offset` for a TimeChaos.
 */
export function actionOf(o: ChaosObject): string {
  const told = o.status?.chaoscope?.action
  if (told) return told.split(',').map((a) => a.trim()).join('+')
  const spec = o.spec
  if (typeof spec.action === 'string') return spec.action
  if (o.kind === 'HTTPChaos') {
    const parts = [spec.abort === true ? 'abort' : '', spec.delay ? 'delay' : '', spec.replace ? 'replace' : '', spec.patch ? 'patch' : ''].filter(Boolean)
    return parts.length > 0 ? parts.join('+') : NONE
  }
  if (o.kind === 'StressChaos' && spec.stressors && typeof spec.stressors === 'object') return Object.keys(spec.stressors).join('+') || NONE
  if (o.kind === 'TimeChaos') return 'time-offset'
  return NONE
}

function injected(o: ChaosObject): string {
  const records = o.status?.experiment?.containerRecords ?? []
  return `${records.filter((r) => r.phase === 'Injected').length}/${records.length}`
}

function selectorText(o: ChaosObject): string {
  const sel = (o.spec.selector ?? {}) as Record<string, unknown>
  const parts: string[] = []
  for (const [k, v] of Object.entries(sel)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) parts.push(Object.entries(v).map(([a, b]) => `${a}=${typeof b === 'string' ? b : JSON.stringify(b)}`).join(','))
    else parts.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
  }
  return parts.join(' ') || '<all>'
}

/** kubectl-like tables; with several kinds (`get all`), one table per kind, names prefixed by their type. */
export function objectTables(objects: ChaosObject[], opts: { wide: boolean; allNamespaces: boolean; typed: boolean; typeName: (kind: string) => string; header?: boolean; now?: number }): string {
  const byKind = new Map<string, ChaosObject[]>()
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o])
  const out: string[] = []
  for (const [kind, items] of byKind) {
    if (FLOW_KINDS.has(kind)) {
      const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...flowColumns(kind), ...(opts.wide ? ['UID'] : [])]
      const rows = items.map((o) => [
        ...(opts.allNamespaces ? [o.metadata.namespace] : []),
        opts.typed ? `${opts.typeName(kind)}/${o.metadata.name}` : o.metadata.name,
        ...flowCells(o, opts.now ?? Date.now()),
        ...(opts.wide ? [o.metadata.uid ?? NONE] : []),
      ])
      out.push(table([head, ...rows], { header: opts.header ?? true }))
      continue
    }
    const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ACTION', 'DURATION', 'PHASE', 'INJECTED', 'AGE', ...(opts.wide ? ['SELECTOR', 'UID'] : [])]
    const rows = items.map((o) => [
      ...(opts.allNamespaces ? [o.metadata.namespace] : []),
      opts.typed ? `${opts.typeName(kind)}/${o.metadata.name}` : o.metadata.name,
      actionOf(o),
      typeof o.spec.duration === 'string' ? o.spec.duration : NONE,
      phaseOf(o),
      injected(o),
      o.metadata.creationTimestamp ? age(o.metadata.creationTimestamp, opts.now) : '<unknown>',
      ...(opts.wide ? [selectorText(o), o.metadata.uid ?? NONE] : []),
    ])
    out.push(table([head, ...rows], { header: opts.header ?? true }))
  }
  return out.join('\n')
}

export function eventTable(events: ChaosEvent[], opts: { allNamespaces: boolean; header?: boolean }): string {
  const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']
  const rows = events.map((e) => [...(opts.allNamespaces ? [e.namespace] : []), age(e.time), e.type, e.reason, `${e.kind.toLowerCase()}/${e.name}`, e.message])
  return table([head, ...rows], { header: opts.header ?? true })
}

export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text.split('\n').map((l) => (l ? pad + l : l)).join('\n').replace(/\n*$/, '\n')
}

/** `k=v`, one a line, the next lines indented by `width` (where the values of describe's rows start). */
function kv(obj: Record<string, unknown> | undefined, width = 14): string {
  const entries = Object.entries(obj ?? {})
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${String(v)}`).join(`\n${' '.repeat(width)}`)
}

/** `kubectl describe`-like text. */
export async function describeText(o: ChaosObject, events: ChaosEvent[]): Promise<string> {
  const lines: string[] = []
  const row = (k: string, v: string) => lines.push(`${`${k}:`.padEnd(14)}${v}`)
  row('Name', o.metadata.name)
  row('Namespace', o.metadata.namespace)
  row('Kind', o.kind)
  row('API Version', o.apiVersion)
  row('UID', o.metadata.uid ?? NONE)
  row('Labels', kv(o.metadata.labels))
  row('Annotations', kv(o.metadata.annotations))
  row('Created', `${o.metadata.creationTimestamp ?? '<unknown>'}${o.metadata.creationTimestamp ? ` (${age(o.metadata.creationTimestamp)} ago)` : ''}`)
  if (o.metadata.deletionTimestamp) row('Deleting', o.metadata.deletionTimestamp)
  const owner = o.metadata.ownerReferences?.[0]
  if (owner) row('Controlled By', `${owner.kind}/${owner.name}`)
  if (FLOW_KINDS.has(o.kind)) {
    lines.push('Spec:', indent(await yaml(o.spec), 2).trimEnd())
    lines.push(flowStatusText(o).trimEnd())
    lines.push('Events:')
    if (events.length === 0) lines.push(`  ${NONE}`)
    else lines.push(indent(table([['Type', 'Reason', 'Age', 'Message'], ...events.map((e) => [e.type, e.reason, age(e.time), e.message])]), 2).trimEnd())
    return `${lines.join('\n')}\n`
  }
  row('Action', actionOf(o))
  row('Phase', phaseOf(o))
  lines.push('Spec:', indent(await yaml(o.spec), 2).trimEnd())
  lines.push('Status:')
  lines.push(`  Desired Phase:  ${o.status?.experiment?.desiredPhase ?? NONE}`)
  const conds = o.status?.conditions ?? []
  lines.push('  Conditions:')
  if (conds.length === 0) lines.push(`    ${NONE}`)
  else lines.push(indent(table([['Type', 'Status', 'Reason'], ...conds.map((c) => [c.type, c.status, c.reason ?? ''])]), 4).trimEnd())
  const records = o.status?.experiment?.containerRecords ?? []
  const ours = new Map((o.status?.chaoscope?.records ?? []).map((r) => [r.id, r]))
  lines.push('Records:')
  if (records.length === 0) lines.push(`  ${NONE}`)
  for (const r of records) {
    const extra = ours.get(r.id)
    lines.push(`  ${r.id}:`)
    lines.push(`    Phase:           ${r.phase}`)
    lines.push(`    Injected Count:  ${r.injectedCount}`)
    lines.push(`    Recovered Count: ${r.recoveredCount}`)
    if (extra) lines.push(`    Active:          ${extra.active ? 'yes' : 'no'}`)
    if (extra?.gone) lines.push(`    Pod Gone:        ${extra.gone}`)
    if (extra?.lastError) lines.push(`    Last Error:      ${extra.lastError}`)
    const ev = extra?.evidence
    if (ev && Object.keys(ev).length > 0) lines.push('    Evidence:', indent(await yaml(ev), 6).trimEnd())
    else lines.push('    Evidence:        <none yet>')
  }
  lines.push('Events:')
  if (events.length === 0) lines.push(`  ${NONE}`)
  else lines.push(indent(table([['Type', 'Reason', 'Age', 'Message'], ...events.map((e) => [e.type, e.reason, age(e.time), e.message])]), 2).trimEnd())
  return `${lines.join('\n')}\n`
}
