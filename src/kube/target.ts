/**
 * @module kube/target: the Target of `chaoscope run --target kubernetes`: Chaos Mesh resources through the
 * KubeBackend, pods and their logs from the cluster's core API, so the chaosk8s activity mappings
 * (terminate_pods, create/delete_custom_object, pods_in_phase, …) act on the cluster.
 */
import { ChaosError, isChaosError } from '../errors.js'
import type { Target, TargetLogLine, TargetPod } from '../verdict/types.js'
import { kubeError, kubeGetText } from './connect.js'
import type { KubeConnection } from './connect.js'

/** How long a delete waits for Chaos Mesh to recover the faults it ends, in seconds (as the local target waits). */
const DELETE_WAIT_SECONDS = 60

/** What the Target needs of the KubeBackend (kube/backend.ts). */
export interface TargetBackend {
  readonly conn: KubeConnection
  apply(text: string, opts?: { file?: string }): Promise<{ items: { action: string; object: { kind: string; metadata: { name: string; namespace: string } } }[] }>
  list(query?: { kind?: string; namespace?: string; labelSelector?: string }): Promise<{ kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> } }[]>
  delete(kind: string, namespace: string, name: string, opts?: { wait?: boolean; timeoutSeconds?: number }): Promise<{ deleted: boolean; gone: boolean }>
  pause(kind: string, namespace: string, name: string): Promise<unknown>
  resume(kind: string, namespace: string, name: string): Promise<unknown>
}

/**
 * What logs() reads besides Target's `tail`: the pod's namespace (else the one a `namespace/name` pod names, else the
 * context's) and its container (needed for a pod of several). The local target has neither.
 */
export interface KubeLogOptions {
  tail?: number
  namespace?: string
  container?: string
}

/** A Kubernetes v1 Pod, as much of it as activities read. */
interface V1PodLike {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; ownerReferences?: { kind?: string; name?: string }[]; deletionTimestamp?: Date | string }
  spec?: { containers?: { name?: string; ports?: { containerPort?: number }[] }[] }
  status?: { phase?: string; podIP?: string; startTime?: Date | string; conditions?: { type?: string; status?: string }[]; containerStatuses?: { restartCount?: number }[] }
}

/** A Target over a Kubernetes cluster. */
export function kubeTarget(backend: TargetBackend): Target {
  const conn = backend.conn
  return {
    async apply(text, file) {
      const r = await backend.apply(text, file === undefined ? {} : { file })
      return r.items.map((i) => ({ kind: i.object.kind, namespace: i.object.metadata.namespace, name: i.object.metadata.name, action: i.action }))
    },

    async delete(kind, namespace, name) {
      try {
        await backend.delete(kind, namespace, name, { wait: true, timeoutSeconds: DELETE_WAIT_SECONDS })
        return true
      } catch (e) {
        if (isChaosError(e) && e.code === 'KUBE_NOT_FOUND') return false
        throw e
      }
    },

    async pause(kind, namespace, name) {
      await backend.pause(kind, namespace, name)
    },

    async resume(kind, namespace, name) {
      await backend.resume(kind, namespace, name)
    },

    list: (query = {}) => backend.list(query),

    async pods(query = {}) {
      const what = `list pods${query.namespace ? ` in ${query.namespace}` : ''}`
      try {
        const sel = query.labelSelector ? { labelSelector: query.labelSelector } : {}
        const list = query.namespace ? await conn.core.listNamespacedPod({ namespace: query.namespace, ...sel }) : await conn.core.listPodForAllNamespaces(sel)
        return (list.items as V1PodLike[]).filter((p) => !p.metadata?.deletionTimestamp).map(podOf)
      } catch (e) {
        throw kubeError(e, what, conn)
      }
    },

    async logs(pod, opts: KubeLogOptions = {}) {
      const [namespace, name] = pod.includes('/') ? (pod.split('/', 2) as [string, string]) : [opts.namespace ?? conn.namespace, pod]
      let text: string
      try {
        const query = new URLSearchParams({ timestamps: 'true', ...(opts.tail !== undefined ? { tailLines: String(opts.tail) } : {}), ...(opts.container ? { container: opts.container } : {}) })
        text = await kubeGetText(conn, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${query}`)
      } catch (e) {
        throw kubeError(e, `read the logs of ${opts.container ? `container ${opts.container} of ` : ''}pod ${namespace}/${name}`, conn)
      }
      return text.split('\n').filter((l) => l !== '').map(logLine)
    },

    async sidecars() {
      throw new ChaosError('KUBE_NO_SIDECARS', `the cluster ${conn.server} has no chaoscope sidecars: per-service latency and errors come from the local runtime's sidecars`, { hint: 'on Kubernetes measure with a chaosprometheus probe or an HTTP probe against the service' })
    },
  }
}

/**
 * A cluster pod as activities read it: `service` is its `app` label (else its owner's name), `address` its IP and
 * first container port; `uid` (a pod recreated under the same name is another pod) and `containers` (its container
 * names, for read_pod_logs' container_name) ride along, as TargetPod has neither.
 */
export function podOf(p: V1PodLike): TargetPod & { startTime?: string; containers: string[] } {
  const labels = { ...(p.metadata?.labels ?? {}) }
  const owner = p.metadata?.ownerReferences?.[0]?.name
  const port = p.spec?.containers?.flatMap((c) => c.ports ?? [])[0]?.containerPort
  const started = p.status?.startTime
  return {
    name: p.metadata?.name ?? '',
    namespace: p.metadata?.namespace ?? '',
    service: labels['app.kubernetes.io/name'] ?? labels.app ?? owner ?? p.metadata?.name ?? '',
    labels,
    phase: p.status?.phase ?? 'Pending',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(p.status?.podIP && port !== undefined ? { address: `${p.status.podIP}:${port}` } : {}),
    ...(started !== undefined ? { startTime: typeof started === 'string' ? started : started.toISOString() } : {}),
    ...(p.metadata?.uid ? { uid: p.metadata.uid } : {}),
    containers: (p.spec?.containers ?? []).flatMap((c) => (c.name ? [c.name] : [])),
  }
}

/** `TIME TEXT`, as the kubelet writes a log line with timestamps. */
function logLine(line: string): TargetLogLine {
  const sp = line.indexOf(' ')
  return sp < 0 ? { time: line, stream: 'stdout', text: '' } : { time: line.slice(0, sp), stream: 'stdout', text: line.slice(sp + 1) }
}
