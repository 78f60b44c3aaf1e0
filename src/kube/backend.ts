/**
 * @module kube/backend: the controller API's verbs (apply, list, get, delete, pause, resume, events, watch) done on
 * Chaos Mesh's custom resources in a Kubernetes cluster. The same shapes come back as from the controller client
 * (src/api/client.ts), so the CLI prints them with the same printers.
 *
 *   kind ─ discovery of chaos-mesh.org/v1alpha1 (once) ─▶ plural ─▶ custom objects API
 *                                                     ├─ no kind served at all ─▶ NativeFallback
 *                                                     └─ not served ─▶ KUBE_CHAOS_MESH_MISSING
 *   apply text ─ validateText ─▶ resources ─ each with dryRun=All ─▶ any refused? ─▶ KubeIssuesError (nothing written)
 *                                                                └─▶ each for real: created | configured | unchanged
 */
import { isDeepStrictEqual } from 'node:util'
import type * as k8s from '@kubernetes/client-node'
import { ChaosError, ERROR_CODES } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { sortIssues } from '../manifest/issues.js'
import type { Issue } from '../manifest/issues.js'
import { CHAOS_MESH_KINDS, INTERNAL_KINDS } from '../manifest/registry.js'
import { validateText } from '../manifest/validate.js'
import type { Resource, ValidationResult } from '../manifest/validate.js'
import type { RecordHistoryEntry } from '../store/store.js'
import { connectKube, kubeError, statusOf } from './connect.js'
import type { KubeConnection, KubeTargetOptions } from './connect.js'

const GROUP = 'chaos-mesh.org'
const VERSION = 'v1alpha1'
const API_VERSION = `${GROUP}/${VERSION}`
/** Chaos Mesh recovers every target of a paused experiment or schedule, and injects again once it is removed. */
const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause'
/** Set to `forced`, Chaos Mesh's controller drops its finalizer without recovering the targets. */
const CLEAN_FINALIZER_ANNOTATION = 'chaos-mesh.chaos-mesh.org/cleanFinalizer'
/** The finalizer Chaos Mesh's controller puts on an experiment until every record is recovered. */
const RECORDS_FINALIZER = 'chaos-mesh/records'
/** How long a forced delete leaves Chaos Mesh's controller to drop its finalizer before it is removed here. */
const FORCE_GRACE_MS = 3000
const POLL_MS = 250
/** Items per page of a list, as kubectl's --chunk-size. */
const PAGE = 500
/** How often a watch of objects without Chaos Mesh (the native forms, which cannot be watched) says "look again". */
const NATIVE_POLL_MS = 2000
/** Errors about the cluster or the credentials, not about one document: apply throws them as they are. */
const CLUSTER_PROBLEMS = new Set<ErrorCode>(['KUBE_UNAUTHORIZED', 'KUBE_FORBIDDEN', 'KUBE_UNREACHABLE', 'KUBE_CHAOS_MESH_MISSING'])

/** A condition as Chaos Mesh reports it (`status.conditions[]`): Selected, AllInjected, AllRecovered, Paused. */
export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}

/** One target of an experiment, as Chaos Mesh's `status.experiment.containerRecords[]` holds it. */
export interface ContainerRecord {
  id: string
  selectorKey: string
  phase: string
  injectedCount: number
  recoveredCount: number
  events?: RecordHistoryEntry[]
}

/** A chaos-mesh.org object as the API server returns it (without `metadata.managedFields`); the controller's shape. */
export interface ChaosObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace: string
    uid?: string
    generation?: number
    resourceVersion?: string
    creationTimestamp?: string
    deletionTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    finalizers?: string[]
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[]
  }
  spec: Record<string, unknown>
  status?: {
    conditions?: Condition[]
    experiment?: { desiredPhase?: 'Run' | 'Stop'; containerRecords?: ContainerRecord[] }
    /** What chaoscope's readers show (src/api/types.ts ChaoscopeStatus): the phase derived from Chaos Mesh's status. */
    chaoscope?: { phase: string; action: string; records: { id: string; active: boolean }[] }
  }
}

/** A core/v1 Event about a chaos-mesh.org object, as the controller's events look. `id` grows with each change. */
export interface ChaosEvent {
  id: number
  uid?: string
  kind: string
  namespace: string
  name: string
  type: string
  reason: string
  message: string
  time: string
}

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface ApplyResult {
  action: ApplyAction
  object: ChaosObject
  plan?: unknown
}

export interface ApplyResponse {
  dryRun: boolean
  items: ApplyResult[]
}

export interface ListQuery {
  kind?: string
  namespace?: string
  labelSelector?: string
}

export interface EventQuery {
  kind?: string
  name?: string
  namespace?: string
  /** Only events with a larger id. */
  sinceId?: number
}

/** A change seen by {@link KubeBackend.watch}: the Kubernetes watch event with the object as `get` returns it. */
export type KubeChange = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ChaosObject } | { type: 'POLL' }

/**
 * What is done with plain Kubernetes objects when Chaos Mesh's CRDs are not installed (src/kube/native.ts):
 * PodChaos pod-kill and NetworkChaos partition. It throws KUBE_NATIVE_UNSUPPORTED for the rest.
 */
export interface NativeFallback {
  apply(conn: KubeConnection, resource: Resource, opts: { dryRun: boolean }): Promise<{ action: ApplyAction; object: ChaosObject }>
  list(conn: KubeConnection, query: ListQuery): Promise<ChaosObject[]>
  get(conn: KubeConnection, kind: string, namespace: string, name: string): Promise<ChaosObject | undefined>
  /** False when there was nothing to delete. */
  delete(conn: KubeConnection, kind: string, namespace: string, name: string): Promise<boolean>
}

/** The API server's refusal of an apply, every problem positioned at its document; nothing was applied. */
export class KubeIssuesError extends ChaosError {
  constructor(readonly issues: Issue[]) {
    const first = issues[0]!
    super(first.code, `${issues.length} problem(s) in the input; nothing was applied`, first.hint ? { hint: first.hint } : {})
  }
}

/** A kind of chaos-mesh.org/v1alpha1 the API server serves. */
interface ServedKind {
  plural: string
  namespaced: boolean
}

/** Where one kind's objects are: Chaos Mesh's custom resource (its plural), or the native forms. */
type Route = { kind: string; plural: string } | { kind: string; native: NativeFallback }

/** One object of the custom objects API. */
interface ObjectRef {
  group: string
  version: string
  namespace: string
  plural: string
  name: string
}

/**
 * The controller client's verbs against a Kubernetes cluster. Kinds are found in the API server's discovery of
 * chaos-mesh.org/v1alpha1 (read once, and again when a kind is not in it); where it serves none, kinds go to
 * `opts.native`, and a kind it does not serve fails with KUBE_CHAOS_MESH_MISSING. Errors are ChaosErrors with
 * KUBE_* codes (kubeError).
 *
 * @example
 * const kube = await KubeBackend.connect({ context: 'staging' })
 * const { items } = await kube.apply(readFileSync('kill.yaml', 'utf8'), { file: 'kill.yaml' })
 */
export class KubeBackend {
  private readonly native: NativeFallback | undefined
  private served: Promise<Map<string, ServedKind>> | undefined

  constructor(
    readonly conn: KubeConnection,
    opts: { native?: NativeFallback } = {},
  ) {
    this.native = opts.native
  }

  /** A backend on the cluster of the kubeconfig's context (KUBE_CONFIG_INVALID when it cannot be read). */
  static async connect(opts: KubeTargetOptions & { native?: NativeFallback } = {}): Promise<KubeBackend> {
    return new KubeBackend(await connectKube(opts), opts.native ? { native: opts.native } : {})
  }

  /**
   * Applies every document of `text` (YAML or JSON, already validated by the spec layer), or none: each is first
   * sent with dryRun=All, so that the API server validates them all before one is written. A document it refuses
   * comes back as a positioned issue of a KubeIssuesError. An object that exists is replaced (its spec, and the
   * file's labels and annotations merged over the live ones; its status, finalizers and the labels and annotations
   * the file does not set are kept), or left alone when those are already there. The API server
   * has no transaction over several objects: a write that fails after every dry run passed (a conflict, a lost
   * connection) leaves the documents before it applied.
   */
  async apply(text: string, opts: { dryRun?: boolean; file?: string } = {}): Promise<ApplyResponse> {
    const result = validateText(text, opts.file ?? '<input>')
    const issues = [...result.issues, ...notChaosMesh(result)]
    if (issues.length > 0) throw new KubeIssuesError(sortIssues(issues))
    const planned: ApplyResult[] = []
    const refused: Issue[] = []
    for (const r of result.resources) {
      try {
        planned.push(await this.applyOne(r, true))
      } catch (e) {
        refused.push(...this.refusal(e, r))
      }
    }
    if (refused.length > 0) throw new KubeIssuesError(sortIssues(refused))
    if (opts.dryRun) return { dryRun: true, items: planned }
    const items: ApplyResult[] = []
    for (const r of result.resources) {
      try {
        items.push(await this.applyOne(r, false))
      } catch (e) {
        throw kubeError(e, `apply ${describe(r.kind, r.metadata.namespace, r.metadata.name)}`, this.conn)
      }
    }
    return { dryRun: false, items }
  }

  /**
   * Objects of one kind, or of every user-facing kind Chaos Mesh serves (not the ones its controller makes:
   * PodNetworkChaos, PodIOChaos, PodHttpChaos, WorkflowNode, listed by kind only; nor the cluster-scoped
   * RemoteCluster). Without namespace: in all namespaces.
   */
  async list(query: ListQuery = {}): Promise<ChaosObject[]> {
    if (query.kind) {
      const route = await this.route(query.kind)
      return 'native' in route ? route.native.list(this.conn, query) : this.listKind(route, query)
    }
    const served = await this.kinds()
    if (served.size === 0) {
      if (!this.native) throw this.missing('listing experiments', served)
      return this.native.list(this.conn, query)
    }
    return (await Promise.all(userRoutes(served).map((r) => this.listKind(r, query)))).flat()
  }

  /** One object; KUBE_NOT_FOUND when there is none. `refresh` changes nothing: Chaos Mesh's status is always its latest. */
  async get(kind: string, namespace: string, name: string, _opts: { refresh?: boolean } = {}): Promise<ChaosObject> {
    const route = await this.route(kind)
    if ('native' in route) {
      const found = await route.native.get(this.conn, kind, namespace, name)
      if (!found) throw new ChaosError('KUBE_NOT_FOUND', `get ${describe(kind, namespace, name)}: not found`, { hint: ERROR_CODES.KUBE_NOT_FOUND[1] })
      return found
    }
    try {
      return shown(await this.conn.custom.getNamespacedCustomObject(this.ref(route, namespace, name)))
    } catch (e) {
      throw kubeError(e, `get ${describe(kind, namespace, name)}`, this.conn)
    }
  }

  /**
   * Deletes the object (propagation Background, as kubectl). Chaos Mesh's finalizer `chaos-mesh/records` keeps it
   * until its controller has recovered every target: with `wait` (the default) this resolves once it is gone, and
   * throws KUBE_DELETE_STUCK, naming the finalizers left, after `timeoutSeconds` (60).
   *
   * `force` sets the annotation chaos-mesh.chaos-mesh.org/cleanFinalizer=forced once the API server has accepted
   * the delete (a refused delete leaves the object as it was), so that Chaos Mesh's controller drops its finalizer
   * without recovering; when the finalizer is still there a few seconds later (no controller runs), it is removed
   * here. Either way the targets may keep the fault: force is for a Chaos Mesh that cannot recover them any more.
   */
  async delete(kind: string, namespace: string, name: string, opts: { wait?: boolean; timeoutSeconds?: number; force?: boolean } = {}): Promise<{ deleted: boolean; gone: boolean; object: ChaosObject | null }> {
    const route = await this.route(kind)
    const what = `delete ${describe(kind, namespace, name)}`
    if ('native' in route) {
      if (!(await route.native.delete(this.conn, kind, namespace, name))) throw new ChaosError('KUBE_NOT_FOUND', `${what}: not found`, { hint: ERROR_CODES.KUBE_NOT_FOUND[1] })
      return { deleted: true, gone: true, object: null }
    }
    const ref = this.ref(route, namespace, name)
    try {
      await this.conn.custom.deleteNamespacedCustomObject({ ...ref, propagationPolicy: 'Background' })
      if (opts.force) await this.annotateForced(ref)
      let left = opts.force ? await this.waitGone(ref, FORCE_GRACE_MS) : await this.find(ref)
      if (left && opts.force) left = await this.dropChaosMeshFinalizer(ref, left)
      if (left && opts.wait !== false) {
        const timeoutSeconds = opts.timeoutSeconds ?? 60
        left = await this.waitGone(ref, timeoutSeconds * 1000)
        if (left) throw stuck(left, timeoutSeconds)
      }
      return { deleted: true, gone: !left, object: left ?? null }
    } catch (e) {
      throw kubeError(e, what, this.conn)
    }
  }

  /** Sets Chaos Mesh's pause annotation; its controller then recovers every target. */
  pause(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, true)
  }

  /** Removes the pause annotation; Chaos Mesh's controller injects again (while the duration lasts). */
  resume(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.setPause(kind, namespace, name, false)
  }

  /**
   * core/v1 Events about chaos-mesh.org objects (of one kind and name when asked), oldest first. `id` is the
   * event's resourceVersion, etcd's revision: it grows with every new or updated event, so `sinceId` gives what
   * came after. Events about the native forms' pods are not among them.
   */
  async events(query: EventQuery = {}): Promise<ChaosEvent[]> {
    const fieldSelector = [
      `involvedObject.apiVersion=${API_VERSION}`,
      ...(query.kind ? [`involvedObject.kind=${query.kind}`] : []),
      ...(query.name ? [`involvedObject.name=${query.name}`] : []),
    ].join(',')
    const core = this.conn.core
    try {
      const events = await allPages(async (token) => {
        const q = { fieldSelector, limit: PAGE, ...(token ? { _continue: token } : {}) }
        const page = query.namespace ? await core.listNamespacedEvent({ ...q, namespace: query.namespace }) : await core.listEventForAllNamespaces(q)
        return { items: page.items, next: page.metadata?._continue }
      })
      return events.map(eventOf).filter((e) => e.id > (query.sinceId ?? 0)).sort((a, b) => a.id - b.id)
    } catch (e) {
      throw kubeError(e, `list events${query.namespace ? ` in ${query.namespace}` : ''}`, this.conn)
    }
  }

  objectEvents(kind: string, namespace: string, name: string): Promise<ChaosEvent[]> {
    return this.events({ kind, namespace, name })
  }

  /**
   * Changes until `signal` aborts: a Kubernetes watch of the kind (of every user-facing kind without one) from
   * now on. A watch the API server closes after a while is started again from the last version seen; one it ends
   * with an error throws. Without Chaos Mesh, nothing can be watched: a `POLL` change comes every 2 s instead.
   */
  async *watch(query: ListQuery = {}, signal?: AbortSignal): AsyncGenerator<KubeChange> {
    const routes = await this.watchRoutes(query.kind)
    if (routes.length === 0) {
      while (!signal?.aborted) {
        await sleep(NATIVE_POLL_MS, signal)
        if (!signal?.aborted) yield { type: 'POLL' }
      }
      return
    }
    const feed = new WatchFeed()
    const onAbort = () => feed.wake()
    signal?.addEventListener('abort', onAbort)
    try {
      for (const r of routes) await this.startWatch(feed, r, query, await this.listVersion(r, query))
      while (!signal?.aborted) {
        if (feed.failure) throw feed.failure
        const next = feed.queue.shift()
        if (next) yield next
        else await feed.next()
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      feed.stop()
    }
  }

  // ── apply ───────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates the object, replaces it when its spec or one of the labels and annotations the file sets differ, or
   * leaves it. The file's labels and annotations are merged over the live ones: those others set (the pause
   * annotation, cleanFinalizer, a tool's own) stay.
   */
  private async applyOne(r: Resource, dryRun: boolean): Promise<ApplyResult> {
    const route = await this.route(r.kind)
    if ('native' in route) return route.native.apply(this.conn, r, { dryRun })
    const ref = this.ref(route, r.metadata.namespace, r.metadata.name)
    const options = dryRun ? { dryRun: 'All' } : {}
    const current = await this.find(ref)
    if (!current) {
      const body = { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec }
      return { action: 'created', object: shown(await this.conn.custom.createNamespacedCustomObject({ ...ref, ...options, body })) }
    }
    if (sameContent(current, r)) return { action: 'unchanged', object: shown(current) }
    const metadata = { ...current.metadata, labels: { ...current.metadata.labels, ...r.metadata.labels }, annotations: { ...current.metadata.annotations, ...r.metadata.annotations } }
    const body = { ...current, metadata, spec: r.spec }
    return { action: 'configured', object: shown(await this.conn.custom.replaceNamespacedCustomObject({ ...ref, ...options, body })) }
  }

  /**
   * An error of one document's dry run as issues at its position: the API server's 422 causes one each (path =
   * the field it names), another refusal as one. Problems of the cluster or the credentials are thrown.
   */
  private refusal(e: unknown, r: Resource): Issue[] {
    const at = { file: r.source.file, line: r.source.line, col: 1 }
    const status = statusOf(e)
    const causes = status?.code === 422 ? (status.details?.causes ?? []) : []
    if (causes.length > 0) {
      return causes.map((c) => ({ code: 'KUBE_REFUSED', ...at, path: c.field ?? '', message: c.message ?? c.reason ?? status!.message ?? 'invalid', hint: ERROR_CODES.KUBE_REFUSED[1] }))
    }
    const err = kubeError(e, `apply ${describe(r.kind, r.metadata.namespace, r.metadata.name)}`, this.conn)
    if (CLUSTER_PROBLEMS.has(err.code)) throw err
    return [{ code: err.code, ...at, path: '', message: err.message, ...(err.hint ? { hint: err.hint } : {}) }]
  }

  // ── kinds ───────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Every kind the API server serves in chaos-mesh.org/v1alpha1 (empty: Chaos Mesh is not installed), asked once;
   * `fresh` asks again (a CRD may have been installed since).
   */
  private kinds(fresh = false): Promise<Map<string, ServedKind>> {
    if (fresh) this.served = undefined
    this.served ??= this.discover().catch((e: unknown) => {
      this.served = undefined // a failed discovery is asked again next time
      throw e
    })
    return this.served
  }

  private async discover(): Promise<Map<string, ServedKind>> {
    try {
      const list = await this.conn.custom.getAPIResources({ group: GROUP, version: VERSION })
      return new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]))
    } catch (e) {
      if (statusOf(e)?.code === 404) return new Map()
      throw kubeError(e, `discover the API group ${API_VERSION}`, this.conn)
    }
  }

  /**
   * Where a kind's objects are. A kind missing from the discovery is looked up once more; then it goes to the
   * native forms when no chaos-mesh.org kind is served at all (Chaos Mesh is not installed), and is refused with
   * KUBE_CHAOS_MESH_MISSING, naming the kinds served, when Chaos Mesh is there without it (an older or partial
   * install). Cluster-scoped kinds (RemoteCluster) are not handled: every verb here is namespaced.
   */
  private async route(kind: string): Promise<Route> {
    let served = await this.kinds()
    if (!served.has(kind)) served = await this.kinds(true)
    const found = served.get(kind)
    if (found && !found.namespaced) throw new ChaosError('KUBE_REFUSED', `${kind} is cluster-scoped; chaoscope's Kubernetes target handles namespaced kinds only`, { hint: `manage ${found.plural}.${GROUP} with kubectl` })
    if (found) return { kind, plural: found.plural }
    // the native forms stand in for a Chaos Mesh that is not installed, not for one that lacks a kind
    if (this.native && served.size === 0) return { kind, native: this.native }
    throw this.missing(kind, served)
  }

  /** The kinds a watch follows: [] when none is served and the native forms stand in. */
  private async watchRoutes(kind: string | undefined): Promise<{ kind: string; plural: string }[]> {
    if (kind) {
      const route = await this.route(kind)
      return 'native' in route ? [] : [route]
    }
    const served = await this.kinds()
    if (served.size === 0 && !this.native) throw this.missing('watching experiments', served)
    return userRoutes(served)
  }

  private missing(what: string, served: Map<string, ServedKind>): ChaosError {
    const where = `cluster ${this.conn.server} (context ${this.conn.context})`
    const message = served.size === 0
      ? `Chaos Mesh's CRDs are not installed in ${where}: ${what} needs them`
      : `the Chaos Mesh of ${where} does not serve ${what} (no CRD of it in ${API_VERSION}; it serves ${[...served.keys()].sort().join(', ')})`
    return new ChaosError('KUBE_CHAOS_MESH_MISSING', message, { hint: ERROR_CODES.KUBE_CHAOS_MESH_MISSING[1] })
  }

  // ── objects ─────────────────────────────────────────────────────────────────────────────────────────────

  private ref(route: { plural: string }, namespace: string, name: string): ObjectRef {
    return { group: GROUP, version: VERSION, namespace, plural: route.plural, name }
  }

  private async listKind(route: { kind: string; plural: string }, query: ListQuery): Promise<ChaosObject[]> {
    const custom = this.conn.custom
    try {
      return await allPages(async (token) => {
        const q = { group: GROUP, version: VERSION, plural: route.plural, limit: PAGE, ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}), ...(token ? { _continue: token } : {}) }
        const page = (query.namespace ? await custom.listNamespacedCustomObject({ ...q, namespace: query.namespace }) : await custom.listClusterCustomObject(q)) as CustomList
        return { items: page.items.map(shown), next: page.metadata?.continue }
      })
    } catch (e) {
      throw kubeError(e, `list ${route.kind}${query.namespace ? ` in ${query.namespace}` : ''}`, this.conn)
    }
  }

  /** The object, or undefined when there is none (404). */
  private async find(ref: ObjectRef): Promise<ChaosObject | undefined> {
    try {
      return clean(await this.conn.custom.getNamespacedCustomObject(ref))
    } catch (e) {
      if (statusOf(e)?.code === 404) return undefined
      throw e
    }
  }

  /** The object left after `ms`, or undefined once it is gone. */
  private async waitGone(ref: ObjectRef, ms: number): Promise<ChaosObject | undefined> {
    const deadline = Date.now() + ms
    for (;;) {
      const left = await this.find(ref)
      if (!left || Date.now() >= deadline) return left
      await sleep(POLL_MS)
    }
  }

  /** Sets cleanFinalizer=forced on an object being deleted; one already gone needs nothing. */
  private async annotateForced(ref: ObjectRef): Promise<void> {
    try {
      await this.mergePatch(ref, { metadata: { annotations: { [CLEAN_FINALIZER_ANNOTATION]: 'forced' } } })
    } catch (e) {
      if (statusOf(e)?.code !== 404) throw e
    }
  }

  /** Removes Chaos Mesh's finalizer from an object being deleted (others' stay); what is left of it, if anything. */
  private async dropChaosMeshFinalizer(ref: ObjectRef, obj: ChaosObject): Promise<ChaosObject | undefined> {
    const finalizers = obj.metadata.finalizers ?? []
    if (!finalizers.includes(RECORDS_FINALIZER)) return obj
    const rest = finalizers.filter((f) => f !== RECORDS_FINALIZER)
    try {
      await this.mergePatch(ref, { metadata: { finalizers: rest.length > 0 ? rest : null } })
    } catch (e) {
      if (statusOf(e)?.code !== 404) throw e
    }
    return this.find(ref)
  }

  private async setPause(kind: string, namespace: string, name: string, paused: boolean): Promise<ChaosObject> {
    const verb = paused ? 'pause' : 'resume'
    if (!pausable(kind)) {
      throw new ChaosError('KUBE_REFUSED', `a ${kind} cannot be ${verb}d: Chaos Mesh pauses experiments and schedules only`, {
        hint: kind === 'Workflow' ? ERROR_CODES.CONTROLLER_NOT_PAUSABLE[1] : `pause the experiments or the Schedule instead, or delete the ${kind}`,
      })
    }
    const route = await this.route(kind)
    if ('native' in route) {
      throw new ChaosError('KUBE_NATIVE_UNSUPPORTED', `${verb} ${describe(kind, namespace, name)}: without Chaos Mesh nothing reads the pause annotation`, { hint: ERROR_CODES.KUBE_NATIVE_UNSUPPORTED[1] })
    }
    try {
      return shown(await this.mergePatch(this.ref(route, namespace, name), { metadata: { annotations: { [PAUSE_ANNOTATION]: paused ? 'true' : null } } }))
    } catch (e) {
      throw kubeError(e, `${verb} ${describe(kind, namespace, name)}`, this.conn)
    }
  }

  /** A JSON merge patch (RFC 7386: null removes a key). */
  private mergePatch(ref: ObjectRef, body: object): Promise<unknown> {
    const { lib, custom } = this.conn
    return custom.patchNamespacedCustomObject({ ...ref, body }, lib.setHeaderOptions('Content-Type', lib.PatchStrategy.MergePatch))
  }

  // ── watch ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The resourceVersion a watch starts from, so that it reports changes after now only. */
  private async listVersion(route: { kind: string; plural: string }, query: ListQuery): Promise<string | undefined> {
    const custom = this.conn.custom
    const q = { group: GROUP, version: VERSION, plural: route.plural, limit: 1, ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}) }
    try {
      const list = (query.namespace ? await custom.listNamespacedCustomObject({ ...q, namespace: query.namespace }) : await custom.listClusterCustomObject(q)) as CustomList
      return list.metadata?.resourceVersion
    } catch (e) {
      throw kubeError(e, `watch ${route.kind}${query.namespace ? ` in ${query.namespace}` : ''}`, this.conn)
    }
  }

  private async startWatch(feed: WatchFeed, route: { kind: string; plural: string }, query: ListQuery, from: string | undefined): Promise<void> {
    let version = from
    const path = `/apis/${GROUP}/${VERSION}${query.namespace ? `/namespaces/${encodeURIComponent(query.namespace)}` : ''}/${route.plural}`
    const params = { allowWatchBookmarks: true, labelSelector: query.labelSelector, resourceVersion: version }
    const what = `watch ${route.kind}${query.namespace ? ` in ${query.namespace}` : ''}`
    const onEvent = (phase: string, obj: { metadata?: { resourceVersion?: string }; message?: string }) => {
      if (phase === 'ERROR') return feed.fail(new ChaosError('KUBE_REFUSED', `${what}: the API server ended the watch (${obj.message ?? 'no reason given'})`, { hint: 'run the command again: it lists afresh, then watches' }))
      version = obj.metadata?.resourceVersion ?? version
      if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') feed.push({ type: phase, object: shown(obj) })
    }
    const onDone = (err: unknown) => {
      if (feed.stopped) return
      // the API server closes every watch after a while (its --min-request-timeout): go on from the last version seen
      if (!err) void this.startWatch(feed, route, query, version).catch((e: unknown) => feed.fail(kubeError(e, what, this.conn)))
      else feed.fail(kubeError(watchStatus(err), what, this.conn))
    }
    feed.add(await new this.conn.lib.Watch(this.conn.kc).watch(path, params, onEvent, onDone))
  }
}

/** The queue between the watches' callbacks and the generator that yields their changes. */
class WatchFeed {
  readonly queue: KubeChange[] = []
  failure: ChaosError | undefined
  stopped = false
  private readonly controllers: AbortController[] = []
  private waiting: (() => void) | undefined

  push(change: KubeChange): void {
    this.queue.push(change)
    this.wake()
  }

  fail(e: ChaosError): void {
    this.failure ??= e
    this.wake()
  }

  wake(): void {
    this.waiting?.()
    this.waiting = undefined
  }

  /** Resolves at the next change, failure or wake. */
  next(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve))
  }

  /** A watch to end with the feed (at once when it has ended already). */
  add(controller: AbortController): void {
    if (this.stopped) controller.abort()
    else this.controllers.push(controller)
  }

  stop(): void {
    this.stopped = true
    for (const c of this.controllers) c.abort()
  }
}

interface CustomList {
  items: ChaosObject[]
  metadata?: { continue?: string; resourceVersion?: string }
}

/** Every item of a paged list: `page(token)` reads one page and says the token of the next. */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>): Promise<T[]> {
  const items: T[] = []
  let token: string | undefined
  do {
    const p = await page(token)
    items.push(...p.items)
    token = p.next || undefined
  } while (token)
  return items
}

/** The object without `metadata.managedFields` (server-side apply's bookkeeping, of no use to a reader). */
function clean(obj: unknown): ChaosObject {
  const o = obj as ChaosObject & { metadata: { managedFields?: unknown } }
  const { managedFields: _, ...metadata } = o.metadata
  return { ...o, metadata }
}

/**
 * The object as chaoscope's readers show it: clean, with `status.chaoscope.phase` derived from what Chaos Mesh wrote
 * (its controller keeps no phase, only conditions), so `get`, `describe` and the dashboard say Injecting, Running,
 * Paused, Finished or Deleting for a cluster's experiments as for local ones. Never sent back to the cluster.
 */
function shown(obj: unknown): ChaosObject {
  const o = clean(obj)
  if (o.status?.chaoscope) return o
  const phase = o.kind === 'Workflow' ? workflowPhase(o) : o.kind === 'Schedule' ? schedulePhase(o) : OWNER_KINDS.has(o.kind) ? undefined : chaosMeshPhase(o)
  if (phase === undefined) return o
  const action = typeof o.spec.action === 'string' ? o.spec.action : ''
  return { ...o, status: { ...o.status, chaoscope: { phase, action, records: [] } } }
}

/** A Workflow's phase from Chaos Mesh's conditions, in the words the local controller gives one. */
function workflowPhase(o: ChaosObject): 'Accomplished' | 'Running' | 'Pending' {
  return conditionTrue(o, 'Accomplished') ? 'Accomplished' : conditionTrue(o, 'Scheduled') ? 'Running' : 'Pending'
}

/** Whether the object's status has the condition `type` with status True. */
function conditionTrue(o: ChaosObject, type: string): boolean {
  return o.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false
}

/** A Schedule's phase: Paused by Chaos Mesh's pause annotation, else Running (it has no conditions). */
function schedulePhase(o: ChaosObject): 'Paused' | 'Running' {
  return o.metadata.annotations?.[PAUSE_ANNOTATION] === 'true' ? 'Paused' : 'Running'
}

/** Chaos Mesh's phase of an experiment from its deletion, pause annotation, desired phase and conditions. */
export function chaosMeshPhase(o: ChaosObject): 'injecting' | 'running' | 'paused' | 'finished' | 'deleting' {
  const is = (type: string) => conditionTrue(o, type)
  if (o.metadata.deletionTimestamp) return 'deleting'
  if (o.metadata.annotations?.[PAUSE_ANNOTATION] === 'true' || is('Paused')) return 'paused'
  if (o.status?.experiment?.desiredPhase === 'Stop' && is('AllRecovered')) return 'finished'
  if (is('AllInjected')) return 'running'
  return 'injecting'
}

/** Kinds whose status is their own (a Workflow's nodes, a Schedule's runs), not an experiment's. */
const OWNER_KINDS = new Set(['Schedule', 'Workflow', 'WorkflowNode', 'StatusCheck', 'PhysicalMachine', 'RemoteCluster'])

/** Whether the object already has the resource's spec, and each label and annotation the resource sets (what apply would change). */
function sameContent(current: ChaosObject, r: Resource): boolean {
  return isDeepStrictEqual(current.spec, r.spec)
    && includes(current.metadata.labels ?? {}, r.metadata.labels ?? {})
    && includes(current.metadata.annotations ?? {}, r.metadata.annotations ?? {})
}

/** Whether every key of `wanted` is in `live` with the same value. */
function includes(live: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => live[k] === v)
}

/** The user-facing namespaced kinds the API server serves, in CHAOS_MESH_KINDS's order. */
function userRoutes(served: Map<string, ServedKind>): { kind: string; plural: string }[] {
  return CHAOS_MESH_KINDS.flatMap((kind) => {
    const s = served.get(kind)
    return s?.namespaced ? [{ kind, plural: s.plural }] : []
  })
}

/** Chaos Mesh reads the pause annotation on its experiments (…Chaos, not the ones its controller makes) and Schedules. */
function pausable(kind: string): boolean {
  return kind === 'Schedule' || (kind.endsWith('Chaos') && !(kind in INTERNAL_KINDS))
}

/** Documents the validator read that are not chaos-mesh.org resources: a Kubernetes target keeps only those. */
function notChaosMesh(result: ValidationResult): Issue[] {
  const issue = (src: { file: string; line: number }, message: string): Issue => ({ code: 'SPEC_UNRECOGNIZED_DOCUMENT', file: src.file, line: src.line, col: 1, path: '', message, hint: 'apply it with kubectl, or remove it from the input' })
  return [
    ...result.resources.filter((r) => r.apiVersion !== API_VERSION).map((r) => issue(r.source, `${r.kind} ${r.metadata.name} (${r.apiVersion}) is not a ${API_VERSION} resource`)),
    ...result.experiments.map((e) => issue(e.source, `"${e.title}" is a Chaos Toolkit experiment, which is run, not applied`)),
    ...result.skipped.map((s) => issue(s, `${s.kind ?? 'document'}${s.name ? ` ${s.name}` : ''}: ${s.reason}`)),
  ]
}

function stuck(obj: ChaosObject, timeoutSeconds: number): ChaosError {
  const { kind, metadata: m } = obj
  const finalizers = m.finalizers ?? []
  const held = finalizers.length > 0 ? `the finalizer(s) ${finalizers.join(', ')} still hold it` : 'it has no finalizer left; the API server has not removed it yet'
  return new ChaosError('KUBE_DELETE_STUCK', `${describe(kind, m.namespace, m.name)} is still there ${timeoutSeconds} s after the delete: ${held}`, {
    hint: `${finalizers.includes(RECORDS_FINALIZER) ? 'Chaos Mesh keeps it until every target is recovered; ' : ''}see why with \`chaoscope describe --target kubernetes\`; when Chaos Mesh cannot recover (its controller or the pods are gone), delete it with --force (the annotation ${CLEAN_FINALIZER_ANNOTATION}=forced, then the finalizer removed; the targets may keep the fault)`,
  })
}

function eventOf(e: k8s.CoreV1Event): ChaosEvent {
  const o = e.involvedObject
  const time = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp
  return {
    id: Number(e.metadata.resourceVersion),
    ...(o.uid ? { uid: o.uid } : {}),
    kind: o.kind ?? '',
    namespace: o.namespace ?? e.metadata.namespace ?? '',
    name: o.name ?? '',
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    time: time ? new Date(time).toISOString() : '',
  }
}

/** The client library's Watch reports an HTTP refusal as an Error with `statusCode`: in the shape kubeError reads. */
function watchStatus(err: unknown): unknown {
  const code = (err as { statusCode?: unknown }).statusCode
  return typeof code === 'number' ? { code, body: { message: (err as Error).message } } : err
}

function describe(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace}/${name}`
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}
