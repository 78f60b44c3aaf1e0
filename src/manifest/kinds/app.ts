/**
 * @module manifest/kinds/app: chaoscope's App (chaoscope.dev/v1alpha1): the services the local runtime runs as pods,
 * or fronts when they already run elsewhere on loopback.
 */
import { defineKind } from '../kind.js'
import { arr, bool, int, intOrString, map, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'

/** Signals a pod may be stopped with (`lifecycle.stopSignal`). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGKILL'] as const

const USER_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
const QUANTITY = '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$'

export const probeSpec = obj({
  httpGet: opt(obj({ path: opt(str({ default: '/' })), port: opt(int({ minimum: 1, maximum: 65535 })) })),
  tcpSocket: opt(obj({ port: opt(int({ minimum: 1, maximum: 65535 })) })),
  initialDelaySeconds: opt(int({ minimum: 0, default: 0 })),
  periodSeconds: opt(int({ minimum: 1, default: 1 })),
  timeoutSeconds: opt(int({ minimum: 1, default: 1 })),
  successThreshold: opt(int({ minimum: 1, default: 1 })),
  failureThreshold: opt(int({ minimum: 1, default: 3 })),
})

export const serviceSpec = obj({
  /** DNS-1123 label; pods are named `<name>-<5 chars>`. */
  name: str({ pattern: DNS_LABEL }),
  /** Namespace of this service's pods; defaults to the App's namespace. */
  namespace: opt(str({ pattern: DNS_LABEL })),
  /** argv of the process; `$(PORT)` and `$(VAR)` are expanded from its env, as Kubernetes does. */
  command: opt(arr(str(), { minItems: 1 })),
  args: opt(arr(str())),
  workingDir: opt(str()),
  env: opt(map(str())),
  /** An address already listening on loopback (`127.0.0.1:5432`): fronted by sidecars, not run. */
  external: opt(str()),
  /** The port callers use (the container port). Each pod is told its own listen port in $PORT. */
  port: opt(int({ minimum: 1, maximum: 65535 })),
  /** A fixed loopback port where outside callers reach the service's pods through their sidecars (like a NodePort). */
  hostPort: opt(int({ minimum: 1, maximum: 65535 })),
  protocol: opt(oneOf(['tcp', 'http'] as const, { default: 'tcp' })),
  replicas: opt(int({ minimum: 0, maximum: 100, default: 1 })),
  labels: opt(map(str())),
  annotations: opt(map(str())),
  restartPolicy: opt(oneOf(['Always', 'OnFailure', 'Never'] as const, { default: 'Always' })),
  terminationGracePeriodSeconds: opt(int({ minimum: 0, default: 5 })),
  readinessProbe: opt(probeSpec),
  resources: opt(obj({ limits: opt(obj({ cpu: opt(str({ pattern: QUANTITY })), memory: opt(str({ pattern: QUANTITY })) })) })),
  /** Services (or externals) this one calls: each gets an egress sidecar, handed over as <NAME>_ADDR and <NAME>_URL (and <NAME>_SERVICE_URL, by name, when the pod runs with the fault library). */
  dependencies: opt(arr(str())),
  /**
   * Start the pods with chaoscope's fault library preloaded (LD_PRELOAD), which TimeChaos, IOChaos and DNSChaos act
   * through (default true). `false` for a program that must not have it; those kinds are then refused on its pods.
   */
  preload: opt(bool({ default: true })),
  /**
   * `namespace`: each pod gets a network namespace of its own, as a container does: it listens on the service's port
   * (`$PORT` is `port`) at its own address (`$POD_IP`), nothing of it on the host's loopback. Needs root, `ip` and
   * `nsenter`; where they are missing the pod shares the host's network and `describe` says why. `host` (the
   * default): pods share the host's loopback, each on a port of its own.
   */
  network: opt(oneOf(['host', 'namespace'] as const, { default: 'host' })),
  /**
   * Variables from .env files (KEY=value lines, `#` comments, quoted values), relative to the App file. `env` wins
   * over them; a later file over an earlier one. `prefix` is put before each name; `optional: true` lets the file be
   * missing.
   */
  envFrom: opt(arr(obj({ file: str({ minLength: 1 }), prefix: opt(str({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })), optional: opt(bool({ default: false })) }))),
  /** Who the pods run as (`postgres`, or an id like 999); the runtime must run as root to change it. */
  securityContext: opt(obj({
    runAsUser: opt(intOrString({ pattern: USER_NAME })),
    runAsGroup: opt(intOrString({ pattern: USER_NAME })),
  })),
  lifecycle: opt(obj({
    /** A command run in the pod before it is signalled to stop; it has the grace period, and the pod is stopped after it ends. */
    preStop: opt(obj({ exec: obj({ command: arr(str(), { minItems: 1 }) }) })),
    /** The signal that stops the pod gracefully (default SIGTERM; SIGINT is PostgreSQL's fast shutdown). SIGKILL follows at the end of the grace period. */
    stopSignal: opt(oneOf(STOP_SIGNALS)),
  })),
})
export type ServiceSpec = Static<typeof serviceSpec>

export const proxySpec = obj({
  /** DNS-1123 label: the proxy's pod name, and its `app` label. */
  name: str({ pattern: DNS_LABEL }),
  namespace: opt(str({ pattern: DNS_LABEL })),
  /** Where clients connect: `127.0.0.1:26379` (port 0: a free one; `0.0.0.0:P` or `[::]:P`: every address). */
  listen: str(),
  /** What already runs on this machine: `127.0.0.1:6379`. */
  upstream: str(),
  /** `http` lets HTTPChaos act on it. */
  protocol: opt(oneOf(['tcp', 'http'] as const, { default: 'tcp' })),
  labels: opt(map(str())),
  annotations: opt(map(str())),
  /** false: declared, not listening (Toxiproxy's enabled). */
  enabled: opt(bool({ default: true })),
})
export type ProxySpec = Static<typeof proxySpec>

export const appSpec = obj({
  /** The services chaoscope runs as pods (or fronts, when external). An App needs services, proxies, or both. */
  services: opt(arr(serviceSpec)),
  /** Proxy mode: listeners in front of addresses that already run, selected like pods by Chaos Mesh's faults. */
  proxies: opt(arr(proxySpec)),
})
export type AppSpec = Static<typeof appSpec>

const LOOPBACK_ADDRESS = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\]):(\d{1,5})$/
const LISTEN_ADDRESS = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\]|0\.0\.0\.0|\[::\]|):(\d{1,5})$/

export const app = defineKind({
  apiVersion: 'chaoscope.dev/v1alpha1',
  kind: 'App',
  spec: appSpec,
  check(spec, ctx) {
    const names = new Map<string, number>()
    const hostPorts = new Map<number, number>()
    const services = spec.services ?? []
    if (services.length === 0 && (spec.proxies ?? []).length === 0) {
      ctx.issue(['services'], 'SPEC_REQUIRED', 'an App needs at least one service or proxy', 'services: [{name: web, command: ["node", "server.js"], port: 8080}]  or  proxies: [{name: redis, listen: "127.0.0.1:26379", upstream: "127.0.0.1:6379"}]')
    }
    services.forEach((s, i) => {
      const p = ['services', i]
      const first = names.get(s.name)
      if (first !== undefined) ctx.issue([...p, 'name'], 'SPEC_DUPLICATE_NAME', `service "${s.name}" is also defined at services[${first}]`, 'give each service its own name')
      else names.set(s.name, i)
      if (s.command && s.external !== undefined) {
        ctx.issue([...p, 'external'], 'SPEC_INVALID_VALUE', 'a service has either command (chaoscope runs it) or external (it already runs), not both')
      } else if (!s.command && s.external === undefined) {
        ctx.issue(p, 'SPEC_REQUIRED', `service "${s.name}" needs command (to run it) or external (an address already listening)`, 'command: ["node", "server.js"]  or  external: "127.0.0.1:6379"')
      }
      if (s.external !== undefined) {
        const m = LOOPBACK_ADDRESS.exec(s.external)
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
          ctx.issue([...p, 'external'], 'SPEC_INVALID_VALUE', `expected a loopback address like "127.0.0.1:6379", got ${JSON.stringify(s.external)}`, 'chaoscope sends traffic only to this machine (127.0.0.0/8 or [::1])')
        }
        if (s.replicas !== undefined && s.replicas !== 1) ctx.issue([...p, 'replicas'], 'SPEC_INVALID_VALUE', 'an external service is one address: replicas must be 1 or left out')
      }
      if (s.command && s.port === undefined && (s.readinessProbe?.httpGet || s.readinessProbe?.tcpSocket || s.hostPort !== undefined)) {
        ctx.issue([...p], 'SPEC_REQUIRED', `service "${s.name}" needs port for its readiness probe or hostPort`, 'port: 8080')
      }
      if (s.hostPort !== undefined) {
        const other = hostPorts.get(s.hostPort)
        if (other !== undefined) ctx.issue([...p, 'hostPort'], 'SPEC_DUPLICATE_NAME', `hostPort ${s.hostPort} is also used by services[${other}]`)
        else hostPorts.set(s.hostPort, i)
      }
      for (const field of ['runAsUser', 'runAsGroup'] as const) {
        const v = s.securityContext?.[field]
        if (typeof v === 'number' && (v < 0 || v > 4_294_967_294)) ctx.issue([...p, 'securityContext', field], 'SPEC_INVALID_VALUE', `expected a user or group id from 0 to 4294967294, got ${v}`)
      }
      if (s.external !== undefined && (s.securityContext || s.lifecycle || s.envFrom || (s.network !== undefined && s.network !== 'host'))) {
        ctx.issue([...p, 'external'], 'SPEC_INVALID_VALUE', 'an external service is not run by chaoscope: securityContext, lifecycle, envFrom and network apply to pods it runs')
      }
      if (s.network === 'namespace' && s.command && s.port === undefined) {
        ctx.issue([...p, 'network'], 'SPEC_REQUIRED', `service "${s.name}" needs port: a pod in a namespace of its own is reached on its service's port`, 'port: 8080')
      }
      if (s.readinessProbe && s.readinessProbe.httpGet && s.readinessProbe.tcpSocket) {
        ctx.issue([...p, 'readinessProbe'], 'SPEC_INVALID_VALUE', 'a readiness probe has one handler: httpGet or tcpSocket')
      }
    })
    const listens = new Map<number, string>()
    for (const [port, i] of hostPorts) listens.set(port, `services[${i}].hostPort`)
    spec.proxies?.forEach((x, i) => {
      const p = ['proxies', i]
      const first = names.get(x.name)
      if (first !== undefined) ctx.issue([...p, 'name'], 'SPEC_DUPLICATE_NAME', `"${x.name}" is also the name of services[${first}]`, 'a proxy is a pod of its own: give it its own name')
      else if (spec.proxies!.findIndex((y) => y.name === x.name) < i) ctx.issue([...p, 'name'], 'SPEC_DUPLICATE_NAME', `proxy "${x.name}" is also defined at proxies[${spec.proxies!.findIndex((y) => y.name === x.name)}]`, 'give each proxy its own name')
      const lm = LISTEN_ADDRESS.exec(x.listen)
      if (!lm || Number(lm[1]) > 65535) {
        ctx.issue([...p, 'listen'], 'SPEC_INVALID_VALUE', `expected host:port like "127.0.0.1:26379", got ${JSON.stringify(x.listen)}`, 'a loopback address, or 0.0.0.0 / [::] / an empty host for every address; port 0 picks a free one')
      } else if (Number(lm[1]) !== 0) {
        const other = listens.get(Number(lm[1]))
        if (other !== undefined) ctx.issue([...p, 'listen'], 'SPEC_DUPLICATE_NAME', `port ${lm[1]} is also used by ${other}`)
        else listens.set(Number(lm[1]), `proxies[${i}].listen`)
      }
      const um = LOOPBACK_ADDRESS.exec(x.upstream)
      if (!um || Number(um[2]) < 1 || Number(um[2]) > 65535) {
        ctx.issue([...p, 'upstream'], 'SPEC_INVALID_VALUE', `expected a loopback address like "127.0.0.1:6379", got ${JSON.stringify(x.upstream)}`, 'chaoscope sends traffic only to this machine (127.0.0.0/8 or [::1])')
      }
    })
    const callable = new Set([...names.keys(), ...(spec.proxies ?? []).map((x) => x.name)])
    services.forEach((s, i) => {
      s.dependencies?.forEach((d, j) => {
        if (!callable.has(d)) ctx.issue(['services', i, 'dependencies', j], 'SPEC_UNKNOWN_SERVICE', `no service or proxy named "${d}" in this app`, `known: ${[...callable].join(', ')}`)
        else if (d === s.name) ctx.issue(['services', i, 'dependencies', j], 'SPEC_INVALID_VALUE', 'a service cannot depend on itself')
      })
    })
  },
  defaults(spec, metadata) {
    spec.services ??= []
    for (const x of spec.proxies ?? []) {
      x.namespace ??= metadata.namespace ?? 'default'
      x.labels = { app: x.name, ...(x.labels ?? {}) }
    }
    for (const s of spec.services) {
      s.namespace ??= metadata.namespace ?? 'default'
      s.labels = { app: s.name, 'app.kubernetes.io/component': s.name, ...(s.labels ?? {}) }
      if (s.readinessProbe === undefined && s.command && s.port !== undefined) {
        // the default probe is a TCP connect: it proves the process listens without assuming a health path
        s.readinessProbe = { tcpSocket: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }
      }
    }
  },
})
