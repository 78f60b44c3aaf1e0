/**
 * @module kube/connect: a connection to a Kubernetes API server from a kubeconfig (`--kubeconfig`, `$KUBECONFIG`,
 * `~/.kube/config`; `--context`), through `@kubernetes/client-node`, and the one mapping from its errors to ours.
 *
 *   connectKube({kubeconfig, context}) ─▶ KubeConnection { core, custom, objects, … } ─ kubeError(e) ─▶ ChaosError
 *
 * The client library is loaded only here, and only when a Kubernetes target is asked for (it takes a while to load).
 */
import { existsSync } from 'node:fs'
import { request } from 'node:https'
import type { RequestOptions } from 'node:https'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import type * as k8s from '@kubernetes/client-node'
import { ChaosError } from '../errors.js'

export interface KubeTargetOptions {
  /** A kubeconfig file (else $KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string
  /** A context of the kubeconfig (else its current-context). */
  context?: string
}

export interface KubeConnection {
  /** The loaded library (for Watch and the like). */
  lib: typeof k8s
  kc: k8s.KubeConfig
  /** The context in use, its cluster's server URL and its default namespace (`default` when it names none). */
  context: string
  server: string
  namespace: string
  /** The kubeconfig file(s) read. */
  files: string[]
  core: k8s.CoreV1Api
  custom: k8s.CustomObjectsApi
  crds: k8s.ApiextensionsV1Api
  networking: k8s.NetworkingV1Api
  authz: k8s.AuthorizationV1Api
  version: k8s.VersionApi
}

/** The kubeconfig files to read, as kubectl finds them. */
export function kubeconfigFiles(opts: KubeTargetOptions = {}): string[] {
  if (opts.kubeconfig) return [opts.kubeconfig]
  const env = process.env.KUBECONFIG?.split(delimiter).filter((f) => f !== '')
  if (env && env.length > 0) return env
  return [join(homedir(), '.kube', 'config')]
}

let loaded: Promise<typeof k8s> | undefined
/** The client library, loaded once. */
export function kubeLibrary(): Promise<typeof k8s> {
  loaded ??= import('@kubernetes/client-node')
  return loaded
}

/** Reads the kubeconfig and makes the API clients; throws KUBE_CONFIG_INVALID when it cannot. Nothing is called yet. */
export async function connectKube(opts: KubeTargetOptions = {}): Promise<KubeConnection> {
  const lib = await kubeLibrary()
  const files = kubeconfigFiles(opts)
  const present = files.filter((f) => existsSync(f))
  if (present.length === 0) {
    throw new ChaosError('KUBE_CONFIG_INVALID', `no kubeconfig: ${files.join(', ')} ${files.length === 1 ? 'does' : 'do'} not exist`, { hint: 'give one with --kubeconfig FILE, or set $KUBECONFIG' })
  }
  const kc = new lib.KubeConfig()
  try {
    if (present.length === 1) kc.loadFromFile(present[0]!)
    else {
      // several files, as $KUBECONFIG lists them: the first one to set a name wins (kubectl's merge order)
      const merged = new lib.KubeConfig()
      for (const f of [...present].reverse()) {
        const one = new lib.KubeConfig()
        one.loadFromFile(f)
        merged.mergeConfig(one, 'overwrite' as never)
      }
      kc.loadFromString(merged.exportConfig())
    }
  } catch (e) {
    throw new ChaosError('KUBE_CONFIG_INVALID', `${present.join(', ')}: ${(e as Error).message}`, { hint: 'check the file with `kubectl config view`' })
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      const names = kc.getContexts().map((c) => c.name)
      throw new ChaosError('KUBE_CONFIG_INVALID', `the kubeconfig has no context "${opts.context}"${names.length ? ` (it has ${names.join(', ')})` : ''}`, { hint: `use one of them: --context ${names[0] ?? 'NAME'}` })
    }
    kc.setCurrentContext(opts.context)
  }
  const context = kc.getCurrentContext()
  const ctx = kc.getContextObject(context)
  const cluster = kc.getCurrentCluster()
  if (!ctx || !cluster) {
    throw new ChaosError('KUBE_CONFIG_INVALID', context ? `context "${context}" names no cluster the kubeconfig defines` : 'the kubeconfig has no current-context', { hint: 'pick a context with --context NAME' })
  }
  return {
    lib,
    kc,
    context,
    server: cluster.server,
    namespace: ctx.namespace || 'default',
    files: present,
    core: kc.makeApiClient(lib.CoreV1Api),
    custom: kc.makeApiClient(lib.CustomObjectsApi),
    crds: kc.makeApiClient(lib.ApiextensionsV1Api),
    networking: kc.makeApiClient(lib.NetworkingV1Api),
    authz: kc.makeApiClient(lib.AuthorizationV1Api),
    version: kc.makeApiClient(lib.VersionApi),
  }
}

/** A Kubernetes `Status` object, as the API server answers errors. */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] }
}

/** The Status in an error of the client library (an ApiException whose body is the Status, as text or parsed). */
export function statusOf(e: unknown): KubeStatus | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e) || typeof (e as { code: unknown }).code !== 'number') return undefined
  const body = (e as { body?: unknown }).body
  let parsed: unknown = body
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body)
    } catch {
      parsed = { message: body }
    }
  }
  const s = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as KubeStatus
  return { ...s, code: (e as { code: number }).code }
}

/**
 * An error of the client library as a ChaosError: `what` says what was being done (`create PodChaos default/kill`).
 * 401 → KUBE_UNAUTHORIZED, 403 → KUBE_FORBIDDEN, 404 → KUBE_NOT_FOUND, other statuses → KUBE_REFUSED with the API
 * server's message; no answer at all → KUBE_UNREACHABLE with the server's address. An admission webhook's denial
 * (Chaos Mesh's webhooks refuse invalid or changed specs) comes as a 403 too, but it is about the object, not about
 * RBAC: KUBE_REFUSED with the webhook's message.
 */
export function kubeError(e: unknown, what: string, conn?: Pick<KubeConnection, 'server' | 'context'>): ChaosError {
  if (e instanceof ChaosError) return e
  const status = statusOf(e)
  if (status) {
    const msg = status.message || status.reason || `status ${status.code}`
    if (status.code === 401) return new ChaosError('KUBE_UNAUTHORIZED', `${what}: the API server did not accept the credentials of context "${conn?.context ?? '?'}" (401 ${msg})`, { hint: 'renew the token or certificate of the kubeconfig\'s user' })
    if (status.code === 403 && webhookDenial(msg)) return new ChaosError('KUBE_REFUSED', `${what}: ${msg}`, { hint: 'change the object as the webhook says, or see its logs (Chaos Mesh: chaos-controller-manager)' })
    if (status.code === 403) return new ChaosError('KUBE_FORBIDDEN', `${what}: ${msg}`, { hint: 'ask for a Role that grants it, e.g. `kubectl create rolebinding chaos --clusterrole=edit --user=USER -n NAMESPACE`' })
    if (status.code === 404) return new ChaosError('KUBE_NOT_FOUND', `${what}: ${msg}`)
    return new ChaosError('KUBE_REFUSED', `${what}: ${msg}`)
  }
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = err.code ?? err.cause?.code
  const text = err.cause?.message ?? err.message ?? String(e)
  return new ChaosError('KUBE_UNREACHABLE', `${what}: the API server ${conn?.server ?? ''} did not answer (${code ? `${code}: ` : ''}${text})`, { hint: 'check that the cluster runs and that the kubeconfig\'s server address is reachable (`kubectl cluster-info`)' })
}

/** The API server words an admission webhook's denial `admission webhook "NAME" denied the request: …`. */
function webhookDenial(message: string): boolean {
  return message.startsWith('admission webhook')
}

/**
 * GET of a path that answers text (a pod's log), with the kubeconfig's credentials. The generated client cannot
 * read the API server's error answers to such calls ("Cannot parse content"), so this one keeps the Status: a
 * failure rejects with `{code, body}`, which kubeError reads as it reads the client's errors.
 */
export async function kubeGetText(conn: Pick<KubeConnection, 'kc' | 'server'>, path: string, timeoutMs = 30_000): Promise<string> {
  const url = new URL(path, conn.server.endsWith('/') ? conn.server : `${conn.server}/`)
  const opts: RequestOptions = { method: 'GET', hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: { Accept: 'text/plain, application/json' } }
  await conn.kc.applyToHTTPSOptions(opts)
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(body) : reject({ code: res.statusCode ?? 0, body })))
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}
