/**
 * @module runtime/local-runtime: one App on this machine: its services as supervised pods, every byte between
 * them through sidecar proxies owned by the data plane worker.
 */
import type { ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ChaosError } from '../errors.js'
import type { AppConfig as AppSpec, ProxyConfig, ServiceConfig as ServiceSpec } from './app.js'
import { PodSupervisor, withoutTokens } from './process/supervisor.js'
import type { SupervisorOptions } from './process/supervisor.js'
import { matchesSelector } from '../selector.js'
import type { LabelSelector } from '../selector.js'
import type { LogBuffer } from './process/log-buffer.js'
import type { Pod, PodEvent } from './process/types.js'
import { DataPlane } from './proxy/data-plane.js'
import type { ProxyStats, StatsOptions } from './proxy/proxy.js'
import { parseAddress } from './proxy/proxy.js'
import type { FaultSpec } from './proxy/toxic.js'
import { parseEffect } from './effect.js'
import type { EffectHost } from './effect.js'
import type { ApplyOutcome, EffectSpec, EffectTarget, HeldEffect, RuntimePod } from './types.js'
import { EffectStore } from './effect-store.js'
import type { RuntimeLog } from './effect-store.js'
import { executableOf, faultLibrary, loadedIn, preloadEnv } from './preload/library.js'
import { preparePodDir, removePodDir } from './preload/controls.js'
import { stateDir } from '../store/state-files.js'
import { netnsSupport, PodNetworks } from './netns.js'
import type { NetnsSupport, PodNetwork } from './netns.js'
import type { PodNetworkPlan } from './process/types.js'

export type { RuntimePod } from './types.js'

export interface LocalRuntimeOptions {
  /** The App file's path: pods run in its directory unless a service says otherwise. */
  appFile: string
  /** Namespace of services that name none (the App's metadata.namespace). */
  namespace?: string
  /** `ephemeral` binds each hostPort listener on a free port instead (tests, or two apps side by side). */
  hostPorts?: 'fixed' | 'ephemeral'
  /** Passed to the pod supervisor (back-off, probe timing, cgroups...). */
  supervisor?: Omit<SupervisorOptions, 'workingDir' | 'namespace'>
  /** Where the runtime says what it did by itself (an effect expired, a removal failed and is retried). Default: stderr for warnings and errors. */
  log?: RuntimeLog
  /** Parent of the pods' fault-library control directories (default `$CHAOSCOPE_HOME/pods`): `<dir>/<pod uid>`. */
  faultDir?: string
  /** The fault library to preload into pods (default: the one `npm run build` makes; tests point elsewhere). */
  faultLibrary?: string
  /** Where the runtime records the pod network namespaces it made (default `$CHAOSCOPE_HOME/netns`): the next runtime removes what a killed one left. */
  netnsDir?: string
  /** Whether pods can have network namespaces here (default: {@link netnsSupport}; tests say otherwise). */
  netns?: NetnsSupport
}

/** How a pod stands to the fault library: started with it (its control directory), or not and why. */
type PodLibrary = { dir: string; path: string } | { reason: string }

/** Where a fault goes: a pod's ingress (traffic arriving at it), or one edge (the pod's calls to a dependency). */
export type FaultTarget = EffectTarget

const defaultLog: RuntimeLog = (level, message) => {
  if (level !== 'info') process.stderr.write(`chaoscope runtime: ${level}: ${message}\n`)
}

/** Env variable name for a dependency: `product-catalog` → `PRODUCT_CATALOG`. */
export function envName(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

const ingressName = (pod: string) => `${pod}`
const egressName = (pod: string, dep: string) => `${pod}>${dep}`
const hostPortName = (service: string) => `hostport:${service}`

/**
 * Runs an App. The topology it keeps, as a mesh does:
 *
 *   caller pod ──▶ egress sidecar (pod>dep) ──▶ ingress sidecar (dep pod) ──▶ dep pod's $PORT
 *   outside    ──▶ hostPort listener (127.0.0.1:hostPort) ═▶ a ready pod's $PORT, as that pod's ingress sidecar
 *
 * The hostPort listener is one hop: it hands each connection to the ingress sidecar of the pod it picks, inside the
 * data plane (proxy `handoff`), so the pod's ingress faults act on it and that sidecar counts it (the hostport
 * sidecar counts it as well). Egress and hostPort listeners balance over the target service's READY pods only; their upstream lists are
 * recomputed on every pod event. Faults and other effects (src/runtime/effects/) are applied through
 * {@link applyEffect}; the runtime holds them and removes each at its expiry by itself.
 *
 * @example
 * const rt = await LocalRuntime.start(app.spec, { appFile: 'demo/chain/app.yaml' })
 * await rt.waitReady(30_000)
 * const pod = rt.pods('app=middle')[0]!.name
 * await rt.applyEffect({ id: 'slow', type: 'sidecar-fault', target: { pod, edge: 'back' }, body: { fault: { type: 'latency', direction: 'upstream', latencyMs: 200 } } })
 * await rt.stop()
 */
export class LocalRuntime implements EffectHost {
  private readonly services = new Map<string, ServiceSpec>()
  private readonly ingress = new Map<string, string>() // pod name → "127.0.0.1:port"
  private readonly externals = new Map<string, RuntimePod>() // service name → pseudo-pod
  private readonly egress = new Map<string, { pod: string; dep: string }>() // proxy name → edge
  private readonly hostPortAddr = new Map<string, string>() // service → "127.0.0.1:port"
  /** Proxy mode: proxy name → its declaration as it stands (listen resolved once bound), and whether it listens. */
  private readonly proxyDecls = new Map<string, { config: ProxyConfig; enabled: boolean }>()
  private pending: Promise<unknown> = Promise.resolve()
  private stopped = false
  private readonly held: EffectStore
  /** Pod name → how it was started with the fault library (set up with its environment). */
  private readonly libraries = new Map<string, PodLibrary>()
  /** Pod name → whether its running container has the library mapped, read once per (pid, executable). */
  private readonly loaded = new Map<string, { pid: number; exe: string; loaded: boolean }>()
  /** The namespaces of this runtime's pods, once one was asked for (or leftovers of a killed runtime were found) where they can be made. */
  private networks?: PodNetworks
  /** Why pods that ask for a namespace share the host's network instead, when they cannot have one here. */
  private networkUnusable?: string
  /** Pod name → its network namespace (removed once the pod is DELETED). */
  private readonly podNets = new Map<string, PodNetwork>()

  private constructor(
    readonly dataPlane: DataPlane,
    readonly supervisor: PodSupervisor,
    private readonly opts: LocalRuntimeOptions,
  ) {
    this.held = new EffectStore(this, opts.log ?? defaultLog)
  }

  static async start(app: AppSpec, opts: LocalRuntimeOptions): Promise<LocalRuntime> {
    const dataPlane = await DataPlane.start()
    const supervisor = new PodSupervisor({
      ...opts.supervisor,
      workingDir: dirname(opts.appFile),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
    })
    const rt = new LocalRuntime(dataPlane, supervisor, opts)
    try {
      await rt.boot(app)
    } catch (e) {
      await rt.stop()
      throw e
    }
    return rt
  }

  private async boot(app: AppSpec): Promise<void> {
    const services = app.services ?? []
    for (const s of services) this.services.set(s.name, s)
    await this.prepareNetworks(services.some((s) => s.command !== undefined && s.network === 'namespace'))
    this.supervisor.on('pod', (e) => this.serialize(() => this.onPodEvent(e)))
    // Externals first: they are ready at once, so the pods that call them find an upstream from the start.
    for (const s of services.filter((x) => x.external !== undefined)) await this.startExternal(s)
    for (const p of app.proxies ?? []) await this.addProxy(p)
    for (const s of services.filter((x) => x.hostPort !== undefined)) {
      const listen = { port: this.opts.hostPorts === 'ephemeral' ? 0 : s.hostPort! }
      const r = await this.dataPlane.createProxy({ name: hostPortName(s.name), mode: s.protocol ?? 'tcp', upstreams: [], listen, labels: { destination: s.name, source: 'hostport' }, handoff: true })
      this.hostPortAddr.set(s.name, `127.0.0.1:${r.port}`)
    }
    for (const s of services.filter((x) => x.command !== undefined)) {
      await this.supervisor.start(s, {
        podEnv: (pod) => this.serialize(() => this.egressEnv(pod, s)),
        ...(s.network === 'namespace' ? { network: (pod: Pod) => this.serialize(() => this.podNetwork(pod)) } : {}),
      })
    }
    await this.pending
    for (const s of this.services.values()) await this.refreshUpstreams(s.name)
  }

  /**
   * Sets up the pod namespaces when a service asks for them, or when a runtime that is gone left some in the record
   * directory (those are removed first, before any pod starts).
   */
  private async prepareNetworks(wanted: boolean): Promise<void> {
    const recordDir = this.opts.netnsDir ?? join(stateDir(), 'netns')
    let leftovers = false
    try {
      leftovers = readdirSync(recordDir).length > 0
    } catch {
      // no record directory: no runtime made a namespace here yet
    }
    if (!wanted && !leftovers) return
    const support = this.opts.netns ?? (await netnsSupport())
    if (!support.usable) {
      this.networkUnusable = support.reason
      return
    }
    this.networks = new PodNetworks({ recordDir, support })
    const removed = await this.networks.removeLeftovers()
    if (removed.length > 0) this.log('info', `removed the network namespaces a runtime that is gone left behind: ${removed.join(', ')}`)
  }

  /** A pod's network (StartOptions.network): a namespace of its own where one can be made, else the host's and why. */
  private async podNetwork(pod: Pod): Promise<PodNetworkPlan> {
    if (this.stopped) throw new Error('the runtime is stopping')
    if (!this.networks) return { podIP: '127.0.0.1', hostIP: '127.0.0.1', reason: this.networkUnusable ?? 'network namespaces are not set up' }
    const net = await this.networks.create(pod.uid)
    this.podNets.set(pod.name, net)
    return { podIP: net.podAddress, hostIP: net.hostAddress, netns: { name: net.name, path: net.path } }
  }

  private log(level: Parameters<RuntimeLog>[0], message: string): void {
    ;(this.opts.log ?? defaultLog)(level, message)
  }

  /** Runs state changes one at a time, in order: pod events and egress set-up touch the same maps. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.pending.then(fn, fn)
    this.pending = next.catch(() => undefined)
    return next
  }

  private async startExternal(s: ServiceSpec): Promise<void> {
    const name = `${s.name}-external`
    const r = await this.dataPlane.createProxy({ name: ingressName(name), mode: s.protocol ?? 'tcp', upstreams: [s.external!], labels: { destination: s.name, source: 'ingress' } })
    this.ingress.set(name, `127.0.0.1:${r.port}`)
    const port = Number(s.external!.slice(s.external!.lastIndexOf(':') + 1))
    this.externals.set(s.name, {
      namespace: s.namespace ?? this.opts.namespace ?? 'default', name, uid: name, service: s.name, labels: { ...(s.labels ?? {}) },
      annotations: { ...(s.annotations ?? {}), 'chaoscope.dev/external': s.external! }, phase: 'Running', ready: true, restartCount: 0,
      startTime: new Date().toISOString(), port, external: s.external!, address: `127.0.0.1:${r.port}`, ...this.serviceFacts(s.name),
    })
  }

  /**
   * Proxy mode: starts a named listener in front of an address that already runs, as a pod of its own (see
   * {@link ProxyConfig}); with `enabled: false` it is made without listening. Throws PROXY_EXISTS when a pod or proxy
   * has the name, PROXY_LISTEN_FAILED when the address is taken (nothing is left of it), PROXY_INVALID_UPSTREAM.
   */
  async addProxy(config: ProxyConfig): Promise<RuntimePod> {
    return this.serialize(async () => {
      if (this.proxyDecls.has(config.name) || this.findPod(config.name) || this.services.has(config.name)) {
        throw new ChaosError('PROXY_EXISTS', `a proxy or pod named ${config.name} exists`, { hint: 'give the proxy another name, or delete the one there' })
      }
      const c: ProxyConfig = { ...config, labels: { ...(config.labels ?? {}) } }
      const { host, port } = parseListen(c.listen)
      const enabled = c.enabled !== false
      const r = await this.dataPlane.createProxy({ name: ingressName(c.name), mode: c.protocol ?? 'tcp', upstreams: [c.upstream], listen: { host, port }, labels: { destination: c.name, source: 'proxy' }, listening: enabled })
      // the sidecar exists while the proxy is declared (a disabled one keeps its faults, as Toxiproxy keeps its toxics)
      this.ingress.set(c.name, formatListen(host, r.port))
      if (enabled) c.listen = formatListen(host, r.port)
      const decl = { config: c, enabled }
      this.proxyDecls.set(c.name, decl)
      this.setProxyPod(decl)
      return this.pod(c.name)
    })
  }

  private setProxyPod(decl: { config: ProxyConfig; enabled: boolean }): void {
    const c = decl.config
    const port = Number(c.upstream.slice(c.upstream.lastIndexOf(':') + 1))
    const before = this.externals.get(c.name)
    this.externals.set(c.name, {
      namespace: c.namespace ?? this.opts.namespace ?? 'default', name: c.name, uid: `proxy-${c.name}`, service: c.name,
      labels: { ...(c.labels ?? {}) }, annotations: { ...(c.annotations ?? {}), 'chaoscope.dev/proxy': c.listen, 'chaoscope.dev/external': c.upstream },
      phase: decl.enabled ? 'Running' : 'Pending', ready: decl.enabled, restartCount: 0, startTime: before?.startTime ?? new Date().toISOString(),
      ...(decl.enabled ? { address: this.ingress.get(c.name)! } : { message: 'the proxy is disabled: it does not listen' }),
      port, external: c.upstream, protocol: c.protocol ?? 'tcp', dependencies: [],
    })
  }

  /**
   * Changes a proxy as Toxiproxy's update does: a new listen address or upstream stops it and starts it again (its
   * connections are closed; its faults stay), `enabled` stops or starts it. The new address and upstream are checked
   * first: a bad one changes nothing. When it cannot listen at the new address it stays stopped there (Toxiproxy
   * too) and this throws PROXY_LISTEN_FAILED. Throws RUNTIME_UNKNOWN_POD.
   */
  async updateProxy(name: string, change: { listen?: string; upstream?: string; enabled?: boolean }): Promise<RuntimePod> {
    return this.serialize(async () => {
      const decl = this.proxyDecl(name)
      const c = decl.config
      if (change.listen !== undefined) parseListen(change.listen)
      if (change.upstream !== undefined) parseAddress(change.upstream)
      const moved = (change.listen !== undefined && !sameListen(change.listen, c.listen)) || (change.upstream !== undefined && change.upstream !== c.upstream)
      const enable = change.enabled ?? decl.enabled
      const sidecar = ingressName(name)
      if ((moved || !enable) && decl.enabled) {
        await this.dataPlane.setListening(sidecar, false)
        decl.enabled = false
      }
      if (moved && change.listen !== undefined) c.listen = change.listen
      if (change.upstream !== undefined && change.upstream !== c.upstream) {
        c.upstream = change.upstream
        await this.dataPlane.setUpstreams(sidecar, [c.upstream])
      }
      try {
        if (enable && !decl.enabled) {
          // where it is declared to listen: the address it bound last, or the new one
          const r = await this.dataPlane.setListening(sidecar, true, parseListen(c.listen))
          decl.enabled = true
          c.listen = formatListen(r.host, r.port)
          this.ingress.set(name, c.listen)
        }
      } finally {
        this.setProxyPod(decl)
        await this.refreshDependents(name)
      }
      return this.pod(name)
    })
  }

  /** Stops and forgets a proxy: the effects held on it end, its connections are closed. False when there was none. */
  async removeProxy(name: string): Promise<boolean> {
    return this.serialize(async () => {
      if (!this.proxyDecls.has(name)) return false
      await this.held.forgetPod(name)
      // Toxiproxy closes a deleted proxy's connections (FIN), it does not reset them
      await this.dataPlane.removeProxy(ingressName(name), 'close')
      this.ingress.delete(name)
      this.proxyDecls.delete(name)
      this.externals.delete(name)
      await this.refreshDependents(name)
      return true
    })
  }

  /** The proxies (proxy mode), as declared now: listen is the bound address once one was bound. */
  proxies(): ProxyConfig[] {
    return [...this.proxyDecls.values()].map((d) => ({ ...d.config, labels: { ...(d.config.labels ?? {}) }, enabled: d.enabled }))
  }

  /** The faults on a proxy's sidecar, Toxiproxy's toxics and Chaos Mesh's alike (kept while it is disabled). */
  async proxyFaults(name: string): Promise<FaultSpec[]> {
    this.proxyDecl(name)
    return this.dataPlane.listFaults(ingressName(name))
  }

  /**
   * Adds a fault to a proxy's sidecar directly (Toxiproxy's toxics: the runtime does not hold them as effects and
   * they do not expire). Checked against the proxy's protocol: PROXY_INVALID_FAULT, PROXY_FAULT_EXISTS.
   */
  async addProxyFault(name: string, fault: FaultSpec): Promise<void> {
    return this.serialize(async () => {
      this.proxyDecl(name)
      await this.dataPlane.addFault(ingressName(name), fault)
    })
  }

  /** Removes a fault added with {@link addProxyFault}; false when the proxy has none of that id. */
  async removeProxyFault(name: string, id: string): Promise<boolean> {
    return this.serialize(async () => {
      this.proxyDecl(name)
      return this.dataPlane.removeFault(ingressName(name), id)
    })
  }

  private proxyDecl(name: string): { config: ProxyConfig; enabled: boolean } {
    const decl = this.proxyDecls.get(name)
    if (!decl) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no proxy named "${name}"`, { hint: 'list the pods with `chaoscope get pods`' })
    return decl
  }

  /** Egress sidecars of services that call a proxy follow it when it moves, stops or goes. */
  private async refreshDependents(name: string): Promise<void> {
    for (const [proxy, edge] of this.egress) if (edge.dep === name) await this.dataPlane.setUpstreams(proxy, this.readyAddresses(name))
  }

  /** Creates the pod's egress sidecars (one per dependency) and returns the env that points the pod at them (and names it for tracing). */
  private async egressEnv(pod: Pod, s: ServiceSpec): Promise<Record<string, string>> {
    // each pod traces as its own service (the service's env may still say otherwise)
    const env: Record<string, string> = { OTEL_SERVICE_NAME: s.name, ...this.libraryEnv(pod, s) }
    for (const dep of s.dependencies ?? []) {
      // a dependency is a service of the App or one of its proxies
      const target: { protocol?: 'tcp' | 'http'; namespace?: string } = this.services.get(dep) ?? this.proxyDecls.get(dep)!.config
      const name = egressName(pod.name, dep)
      // a pod in a namespace of its own reaches the host only at the host end of its veth: its sidecars listen there
      const host = this.reachesHostAt(pod)
      const r = await this.dataPlane.createProxy({ name, mode: target.protocol ?? 'tcp', upstreams: this.readyAddresses(dep), labels: { source: s.name, destination: dep }, listen: { host, port: 0 } })
      this.egress.set(name, { pod: pod.name, dep })
      const addr = `${host}:${r.port}`
      const scheme = target.protocol === 'http' ? 'http' : 'tcp'
      env[`${envName(dep)}_ADDR`] = addr
      env[`${envName(dep)}_URL`] = `${scheme}://${addr}`
      // by name, as a Kubernetes pod calls a Service: the fault library resolves it (see libraryEnv), so only then
      const depNs = target.namespace ?? this.opts.namespace ?? 'default'
      const byName = depNs === pod.namespace ? dep : `${dep}.${depNs}`
      if ('dir' in (this.libraries.get(pod.name) ?? {})) env[`${envName(dep)}_SERVICE_URL`] = `${scheme}://${byName}:${r.port}`
    }
    return env
  }

  /** Where a pod reaches its egress sidecars: the host end of its veth when it has a namespace, else loopback. */
  private reachesHostAt(pod: Pod): string {
    return pod.hostIP ?? '127.0.0.1'
  }

  /**
   * Sets up the pod's fault-library control directory (no rules; its dependencies by name) and returns the env
   * that preloads the library, unless the service says `preload: false` or the library is not built.
   */
  private libraryEnv(pod: Pod, s: ServiceSpec): Record<string, string> {
    if (s.preload === false) {
      this.libraries.set(pod.name, { reason: `its service ${s.name} says preload: false in the App file` })
      return {}
    }
    const lib = this.opts.faultLibrary !== undefined ? faultLibrary(this.opts.faultLibrary) : faultLibrary()
    if ('missing' in lib) {
      this.libraries.set(pod.name, { reason: lib.missing })
      return {}
    }
    const dir = join(this.opts.faultDir ?? join(stateDir(), 'pods'), pod.uid)
    const ns = pod.namespace
    const hosts = (s.dependencies ?? []).map((dep) => {
      const depNs = (this.services.get(dep) ?? this.proxyDecls.get(dep)?.config)?.namespace ?? this.opts.namespace ?? 'default'
      const names = [`${dep}.${depNs}.svc.cluster.local`, `${dep}.${depNs}.svc`, `${dep}.${depNs}`, ...(depNs === ns ? [dep] : [])]
      // the names answer where the pod's egress sidecars listen (see egressEnv)
      return { address: this.reachesHostAt(pod), names }
    })
    preparePodDir(dir, hosts)
    this.libraries.set(pod.name, { dir, path: lib.path })
    return preloadEnv(lib.path, dir, { ...withoutTokens(process.env), ...(s.env ?? {}) })
  }

  /** Whether the pod's running container has loaded the fault library (see {@link RuntimePod.faultLibrary}). */
  private libraryFacts(p: Pod): RuntimePod['faultLibrary'] {
    const lib = this.libraries.get(p.name)
    if (!lib || p.pid === undefined || p.phase !== 'Running') return undefined
    if ('reason' in lib) return { loaded: false, reason: lib.reason }
    const exe = executableOf(p.pid)
    if (exe === undefined) return undefined
    let known = this.loaded.get(p.name)
    if (!known || known.pid !== p.pid || known.exe !== exe) {
      const now = loadedIn(p.pid, lib.path)
      if (now === undefined) return undefined
      known = { pid: p.pid, exe, loaded: now }
      this.loaded.set(p.name, known)
    }
    if (known.loaded) return { loaded: true }
    return { loaded: false, reason: `its program ${exe} (pid ${p.pid}) has not loaded the fault library: a statically linked program, or one that clears LD_PRELOAD, cannot take it` }
  }

  /**
   * The pod's fault library: its control directory when its running container loaded it, else why not, with the
   * directory still when the pod was started with the library (rules written there while its container is down
   * are in force when it starts again).
   */
  faultLibraryOf(name: string): { loaded: true; dir: string; pid: number } | { loaded: false; reason: string; dir?: string } {
    const pod = this.pod(name)
    if (pod.external !== undefined) return { loaded: false, reason: `pod ${pod.name} fronts the external service ${pod.service}: chaoscope does not run it` }
    const lib = this.libraries.get(name)
    if (lib && 'reason' in lib) return { loaded: false, reason: lib.reason }
    const dir = lib ? { dir: lib.dir } : {}
    const facts = pod.faultLibrary
    if (!facts || pod.pid === undefined) return { loaded: false, reason: `pod ${pod.name}'s container is not running yet (${pod.phase}${pod.reason ? `, ${pod.reason}` : ''}), or its program is still starting`, ...dir }
    if (!facts.loaded) return { loaded: false, reason: facts.reason ?? 'the fault library is not loaded', ...dir }
    return { loaded: true, dir: lib!.dir, pid: pod.pid }
  }

  /** Held effects of `type` on `pod` other than `exceptId`. */
  heldOn(type: string, pod: string, exceptId?: string): EffectSpec[] {
    return this.held.on(type, pod, exceptId)
  }

  /** Starts a helper process inside the pod (see {@link PodSupervisor.spawnIn}). */
  spawnInPod(pod: string, argv: readonly [string, ...string[]], opts: { env?: Record<string, string> } = {}): ChildProcess {
    return this.supervisor.spawnIn(pod, argv, opts)
  }

  private async onPodEvent(e: PodEvent): Promise<void> {
    if (this.stopped) return
    const { pod } = e
    if (e.type === 'DELETED') {
      await this.held.forgetPod(pod.name)
      const lib = this.libraries.get(pod.name)
      if (lib && 'dir' in lib) removePodDir(lib.dir)
      this.libraries.delete(pod.name)
      this.loaded.delete(pod.name)
      this.ingress.delete(pod.name)
      await this.dataPlane.removeProxy(ingressName(pod.name))
      for (const [name, edge] of this.egress) {
        if (edge.pod !== pod.name) continue
        this.egress.delete(name)
        await this.dataPlane.removeProxy(name)
      }
      // its process is gone (DELETED comes after), and so are the sidecars that listened on its link
      const net = this.podNets.get(pod.name)
      if (net) {
        this.podNets.delete(pod.name)
        await this.networks!.remove(net)
      }
    } else if (!this.ingress.has(pod.name)) {
      const s = this.services.get(pod.service)
      // the pod's own address: loopback on the host's network, its veth's in a namespace of its own
      const r = await this.dataPlane.createProxy({ name: ingressName(pod.name), mode: s?.protocol ?? 'tcp', upstreams: [`${pod.podIP ?? '127.0.0.1'}:${pod.port}`], labels: { destination: pod.service, source: 'ingress' } })
      this.ingress.set(pod.name, `127.0.0.1:${r.port}`)
    }
    await this.refreshUpstreams(pod.service)
  }

  /** Ingress addresses of the service's ready pods (or its external's sidecar). */
  private readyAddresses(service: string): string[] {
    const ext = this.externals.get(service)
    if (ext) return ext.address !== undefined ? [ext.address] : []
    return this.supervisor
      .list()
      .filter((p) => p.service === service && p.ready && this.ingress.has(p.name))
      .map((p) => this.ingress.get(p.name)!)
  }

  /** Points every egress sidecar and the hostPort listener of `service` at its ready pods. */
  private async refreshUpstreams(service: string): Promise<void> {
    const ups = this.readyAddresses(service)
    for (const [name, edge] of this.egress) if (edge.dep === service) await this.dataPlane.setUpstreams(name, ups)
    if (this.hostPortAddr.has(service)) await this.dataPlane.setUpstreams(hostPortName(service), ups)
  }

  /** Pods of every service (externals as one pseudo-pod each), optionally filtered by labels and namespace. */
  pods(selector?: LabelSelector, namespace?: string): RuntimePod[] {
    const run = this.supervisor.list().map((p) => this.runtimePod(p))
    return [...run, ...this.externals.values()]
      .filter((p) => matchesSelector(p.labels, selector) && (namespace === undefined || p.namespace === namespace))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  /** What a pod's service declares that fault injectors need: protocol, container port, dependencies. */
  private serviceFacts(service: string): Pick<RuntimePod, 'protocol' | 'containerPort' | 'dependencies'> {
    const s = this.services.get(service)
    if (!s) return {}
    return { protocol: s.protocol ?? 'tcp', ...(s.port !== undefined ? { containerPort: s.port } : {}), dependencies: [...(s.dependencies ?? [])] }
  }

  /** One pod by name, without building the whole list (effects look their target up on every call). */
  findPod(name: string): RuntimePod | undefined {
    const run = this.supervisor.get(name)
    if (run) return this.runtimePod(run)
    for (const ext of this.externals.values()) if (ext.name === name) return ext
    return undefined
  }

  pod(name: string): RuntimePod {
    const p = this.findPod(name)
    if (!p) throw new ChaosError('RUNTIME_UNKNOWN_POD', `no pod named "${name}"`, { hint: 'list the pods with `chaoscope get pods`' })
    return p
  }

  private runtimePod(p: Pod): RuntimePod {
    const library = this.libraryFacts(p)
    return { ...p, ...(this.ingress.has(p.name) ? { address: this.ingress.get(p.name)! } : {}), ...this.serviceFacts(p.service), ...(library ? { faultLibrary: library } : {}) }
  }

  logs(name: string): LogBuffer {
    this.pod(name)
    return this.supervisor.logs(name)
  }

  /** Where outside callers reach a service that declares hostPort. */
  hostPortAddress(service: string): string | undefined {
    return this.hostPortAddr.get(service)
  }

  /** Resolves once every pod that should run is ready (rejects with the pods that are not, after `timeoutMs`). */
  async waitReady(timeoutMs: number): Promise<RuntimePod[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await this.pending
      const pods = this.pods().filter((p) => !this.proxyDecls.has(p.name))
      const expected = [...this.services.values()].reduce((n, s) => n + (s.external !== undefined ? 1 : (s.replicas ?? 1)), 0)
      const notReady = pods.filter((p) => !p.ready)
      if (pods.length >= expected && notReady.length === 0) {
        for (const s of this.services.keys()) await this.refreshUpstreams(s)
        return pods
      }
      if (Date.now() > deadline) {
        const why = notReady.map((p) => `${p.name} ${p.phase}${p.reason ? ` (${p.reason}${p.message && !p.lastExit ? `: ${p.message}` : ''})` : ''}${lastExitOf(p)}`).join('; ')
        throw new ChaosError('RUNTIME_NOT_READY', `pods not ready after ${Math.round(timeoutMs / 100) / 10} s: ${why || 'pods still being created'}`, { hint: 'read their logs with `chaoscope logs POD`' })
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** The sidecar proxy a fault target names. */
  proxyFor(target: FaultTarget): string {
    const name = target.edge === undefined ? ingressName(target.pod) : egressName(target.pod, target.edge)
    // a sidecar that still exists answers even while its pod is being deleted (its effects' last counts are read then)
    if (target.edge === undefined ? this.ingress.has(target.pod) : this.egress.has(name)) return name
    const pod = this.pod(target.pod)
    if (target.edge === undefined) return name
    const deps = this.services.get(pod.service)?.dependencies ?? []
    throw new ChaosError('RUNTIME_UNKNOWN_EDGE', `pod "${pod.name}" has no edge to "${target.edge}"`, { hint: deps.length ? `its edges: ${deps.join(', ')}` : `service ${pod.service} declares no dependencies` })
  }

  /**
   * Applies an effect (checked first: this is the API's input). Held effects are removed at their `expiresAt` by
   * the runtime itself, so a fault never outlives its experiment even when the controller that added it is gone.
   */
  async applyEffect(input: unknown): Promise<ApplyOutcome> {
    const { spec, module } = await parseEffect(input)
    return this.held.apply(spec, module)
  }

  /** True when another held effect of this type acts on the pod (see {@link EffectHost.holds}). */
  holds(type: string, pod: string, exceptId: string): boolean {
    return this.held.holds(type, pod, exceptId)
  }

  /** Removes a held effect; false when none is held under that id. */
  removeEffect(id: string): Promise<boolean> {
    return this.held.remove(id)
  }

  /** Every effect the runtime holds (optionally only one experiment's), with what each observed so far. */
  effects(filter: { owner?: string; ended?: boolean } = {}): Promise<HeldEffect[]> {
    return this.held.list(filter)
  }

  /**
   * Every sidecar with its faults and counters (what the faults touched is the proof they acted), and while the
   * runtime traces, its exemplars (those of requests that ended after `opts.since`, when given).
   */
  stats(opts: StatsOptions = {}): Promise<ProxyStats[]> {
    return this.dataPlane.stats(opts)
  }

  /** Stops every pod (gracefully) and then the data plane. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return
    await this.pending.catch(() => undefined)
    this.stopped = true
    this.held.close()
    await this.supervisor.stopAll().catch(() => undefined)
    // the pods are gone (their DELETED events are not handled once stopping): so are their control directories
    for (const lib of this.libraries.values()) if ('dir' in lib) removePodDir(lib.dir)
    this.libraries.clear()
    await this.dataPlane.close()
    // a namespace whose pod was still being created when the stop began is made by now
    await this.pending.catch(() => undefined)
    for (const net of this.podNets.values()) await this.networks?.remove(net)
    this.podNets.clear()
  }
}

/** `, last exit: Error (exit code 1) at …: message` (what the pod's back-off message says in short). */
function lastExitOf(p: RuntimePod): string {
  const x = p.lastExit
  if (!x) return ''
  return `, last exit: ${x.reason} (exit code ${x.exitCode}${x.signal ? `, ${x.signal}` : ''}) at ${x.finishedAt}${x.message ? `: ${x.message}` : ''}`
}

/** Toxiproxy's listen forms: `host:port`, `[v6]:port`, `:port` (every address); `localhost` binds 127.0.0.1. */
export function parseListen(listen: string): { host: string; port: number } {
  if (listen === '') return { host: '::', port: 0 }
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen)
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new ChaosError('PROXY_LISTEN_FAILED', `listen address ${JSON.stringify(listen)} is not host:port`, { hint: 'for example "127.0.0.1:26379", or "127.0.0.1:0" for a free port' })
  }
  const host = m[1] ?? m[2] ?? ''
  return { host: host === '' ? '::' : host === 'localhost' ? '127.0.0.1' : host, port }
}

/** `host:port` as Go's net.Addr prints a bound listener (`[::]:8080` for every address). */
export function formatListen(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Whether a listen address, as a client writes it, is the address a proxy bound (`formatListen`'s form). */
export function sameListen(a: string, b: string): boolean {
  try {
    const x = parseListen(a)
    return formatListen(x.host, x.port) === b
  } catch {
    return false
  }
}
