/**
 * @module kube-controller: the controller the API serves when the server's target is a Kubernetes cluster
 * (`chaoscope server --target kubernetes`, or `target: kubernetes` in its config file): Chaos Mesh's resources in
 * the cluster behind the same ControllerApi the local controller has, so `/api/v1`, the CLI against it, tokens,
 * roles and the audit log work unchanged. Tokens, the audit log and runs stay in the server's own SQLite store.
 *
 *   API (/api/v1) ─▶ kubeController(KubeBackend, Store) ─▶ KubeBackend ─▶ the cluster's API server
 */
import { EventEmitter } from 'node:events'
import type { ApplyResult, ChangeNotice, ChaosEvent, ChaosObject, EventQuery, ListQuery } from './api/types.js'
import { checkNamespacePolicy } from './engine/namespace-policy.js'
import type { NamespacePolicy } from './engine/namespace-policy.js'
import { ChaosError, isChaosError } from './errors.js'
import { kubeError } from './kube/connect.js'
import { KubeIssuesError } from './kube/backend.js'
import type { KubeBackend } from './kube/backend.js'
import type { Page, ResourceKey, Store } from './store/store.js'
import type { ControllerHandle } from './wiring.js'

const keyOf = (o: ChaosObject): ResourceKey => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })
const compareKeys = (a: ResourceKey, b: ResourceKey): number => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** A ControllerHandle over a cluster: what the API calls goes to the cluster; `store` keeps tokens, audit and runs. */
export function kubeController(backend: KubeBackend, store: Store, policy?: NamespacePolicy): ControllerHandle {
  const changes = new EventEmitter()
  let watching: AbortController | undefined

  /** Each change the cluster reports, as the API's watch streams want it (the object read back after the change). */
  async function watchLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for await (const change of backend.watch({}, signal)) {
          const notice = changeNotice(change)
          if (notice) changes.emit('change', notice)
        }
      } catch (e) {
        if (signal.aborted) return
        console.error(`chaoscope: watching the cluster failed (${(e as Error).message}); watching again in 5 s`)
      }
      await new Promise((r) => setTimeout(r, 5000).unref())
    }
  }

  return {
    store,
    async start() {
      // a server that cannot reach its cluster does not start: the error names the server and why
      try {
        await backend.conn.version.getCode()
      } catch (e) {
        throw kubeError(e, 'reach the cluster', backend.conn)
      }
      watching = new AbortController()
      void watchLoop(watching.signal)
    },
    stop() {
      watching?.abort()
      store.close()
    },

    async apply(resource, opts = {}): Promise<ApplyResult> {
      // --allowed-namespaces / --protected-namespaces, as the local controller admits: Chaos Mesh defaults a
      // selector without namespaces to the resource's own, so no pod list is needed to know what it reaches
      if (policy) checkNamespacePolicy(policy, resource, [])
      const text = JSON.stringify({ apiVersion: resource.apiVersion, kind: resource.kind, metadata: resource.metadata, spec: resource.spec })
      try {
        const r = await backend.apply(text, { file: resource.source.file, ...(opts.dryRun ? { dryRun: true } : {}) })
        return r.items[0]! as ApplyResult
      } catch (e) {
        throw e instanceof KubeIssuesError ? refusalOf(e) : e
      }
    },

    async delete(kind, namespace, name, opts = {}) {
      return backend.delete(kind, namespace, name, { wait: opts.wait ?? true, ...(opts.timeoutMs !== undefined ? { timeoutSeconds: Math.ceil(opts.timeoutMs / 1000) } : {}) })
    },

    pause: (kind, namespace, name) => backend.pause(kind, namespace, name),
    resume: (kind, namespace, name) => backend.resume(kind, namespace, name),

    async get(kind, namespace, name) {
      try {
        return (await backend.get(kind, namespace, name)) as ChaosObject
      } catch (e) {
        if (isChaosError(e) && e.code === 'KUBE_NOT_FOUND') return undefined
        throw e
      }
    },

    list: async (query: ListQuery) => (await backend.list(query)) as ChaosObject[],
    events: async (query: EventQuery) => (await backend.events(query)) as ChaosEvent[],

    async listPage(query): Promise<Page<ChaosObject, ResourceKey>> {
      const { after, limit, ...q } = query
      const all = ((await backend.list(q)) as ChaosObject[]).sort((a, b) => compareKeys(keyOf(a), keyOf(b)))
      const rest = after ? all.filter((o) => compareKeys(keyOf(o), after) > 0) : all
      const items = rest.slice(0, limit)
      return rest.length > limit ? { items, next: keyOf(items.at(-1)!), remainingItemCount: rest.length - limit } : { items }
    },

    async eventsPage(query): Promise<Page<ChaosEvent, number>> {
      const { limit, ...q } = query
      const all = (await backend.events(q)) as ChaosEvent[]
      const items = all.slice(0, limit)
      return all.length > limit ? { items, next: items.at(-1)!.id, remainingItemCount: all.length - limit } : { items }
    },

    on(event, listener) {
      changes.on(event, listener)
    },
    off(event, listener) {
      changes.off(event, listener)
    },
  }
}

/**
 * The cluster's refusal of one resource as one ChaosError whose message is each problem's field and message: the
 * API positions it at the resource in the request (src/api/apply.ts), and a KubeIssuesError's own message ("1
 * problem(s) …") would say nothing. The issues' positions are in the JSON text sent here, not in the request.
 */
function refusalOf(e: KubeIssuesError): ChaosError {
  const message = e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
  const hint = e.issues.find((i) => i.hint)?.hint
  return new ChaosError(e.issues[0]!.code, message, hint ? { hint } : {})
}

/** A change of the backend's watch as the API's ChangeNotice, or undefined when it is not one (a bookmark, an error). */
function changeNotice(change: unknown): ChangeNotice | undefined {
  const c = change as { type?: unknown; object?: unknown }
  if ((c.type === 'ADDED' || c.type === 'MODIFIED' || c.type === 'DELETED') && typeof c.object === 'object' && c.object !== null && 'metadata' in c.object) {
    return { type: c.type, object: c.object as ChaosObject }
  }
  return undefined
}
