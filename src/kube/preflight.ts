/**
 * @module kube/preflight: `chaoscope doctor --target kubernetes`: what a cluster lacks for chaoscope's experiments,
 * each problem a failed check with the command that fixes it.
 *
 *   kubeconfig ─▶ api-server ─▶ chaos-mesh-crds ─▶ chaos-mesh-controller ─▶ permissions ─▶ namespace
 *
 * Checks run in that order; when the kubeconfig cannot be read or the API server does not answer, the checks after
 * it are reported as failed with "not checked: <why>". Nothing here throws for a cluster problem.
 */
import type * as k8s from '@kubernetes/client-node'
import type { ChaosError } from '../errors.js'
import { CHAOS_MESH_KINDS } from '../manifest/registry.js'
import { connectKube, kubeError, type KubeConnection } from './connect.js'

/** One finding of the preflight: the same shape as doctor's Check (src/kube may not import it). */
export interface KubeCheck {
  name: string
  ok: boolean
  /** Without it, chaoscope does not run against this cluster at all. */
  required: boolean
  detail: string
  neededFor: string
  fix: string
}

export interface KubePreflightOptions {
  kubeconfig?: string
  context?: string
  /** The namespace experiments go to (else `default`, as every other command defaults `-n`; not the context's namespace). */
  namespace?: string
}

const GROUP = 'chaos-mesh.org'
const CONTROLLER = 'chaos-controller-manager'
/** Chaos Mesh's namespace filter (its controller's env ENABLE_FILTER_NAMESPACE) lets in only namespaces so annotated. */
const INJECT_ANNOTATION = 'chaos-mesh.org/inject'
const HELM_INSTALL = 'helm repo add chaos-mesh https://charts.chaos-mesh.org && helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace'
/** How long the API server may take to answer the first call before it counts as unreachable. */
const ANSWER_MS = 10_000

/**
 * The resource (plural) of each namespaced user-facing kind chaoscope creates, reads, replaces (update), pauses
 * (patch) and deletes: Chaos Mesh names a …Chaos kind's resource after the kind, the others with an `s`.
 */
const CHAOS_RESOURCES = CHAOS_MESH_KINDS.filter((k) => k !== 'RemoteCluster').map((k) => (k.endsWith('Chaos') ? k.toLowerCase() : `${k.toLowerCase()}s`))
const CHAOS_VERBS = ['create', 'get', 'list', 'watch', 'update', 'patch', 'delete']
/**
 * What the rest needs besides, in the namespace: the event log, the pods `run`'s activities and the native pod-kill
 * list, read and delete (and record Events on), the native partition's NetworkPolicies.
 */
const OTHER_ACCESS: Access[] = [
  { verb: 'list', group: '', resource: 'events' },
  { verb: 'create', group: '', resource: 'events' },
  ...['get', 'list', 'delete'].map((verb) => ({ verb, group: '', resource: 'pods' })),
  ...['list', 'create', 'update', 'delete'].map((verb) => ({ verb, group: 'networking.k8s.io', resource: 'networkpolicies' })),
]
/** Cluster-wide reads only some experiments need (spec.selector.nodes, nodeSelectors of a native pod-kill): reported, not required. */
const OPTIONAL_ACCESS: Access[] = ['get', 'list'].map((verb) => ({ verb, group: '', resource: 'nodes', clusterScoped: true }))

interface Access { verb: string; group: string; resource: string; clusterScoped?: boolean }

/** The controller's Deployment: found, absent, or not readable (the reason). */
type ControllerRead = { deployment: k8s.V1Deployment } | { absent: true } | { unreadable: string }

/**
 * Checks the cluster the kubeconfig names, in order: kubeconfig, api-server, chaos-mesh-crds, chaos-mesh-controller,
 * permissions, namespace. Read-only: it creates nothing but access reviews. Never throws for a cluster problem.
 * @example
 *   for (const c of await kubePreflight({ context: 'staging' })) console.log(c.ok ? 'ok' : 'FAIL', c.name, c.detail)
 */
export async function kubePreflight(opts: KubePreflightOptions): Promise<KubeCheck[]> {
  let conn: KubeConnection
  try {
    conn = await connectKube(opts)
  } catch (e) {
    const err = kubeError(e, 'read the kubeconfig')
    return [kubeconfigFailed(err), ...notChecked(['api-server', 'chaos-mesh-crds', 'chaos-mesh-controller', 'permissions', 'namespace'], 'the kubeconfig could not be used')]
  }
  const namespace = opts.namespace ?? 'default'
  const [server, unusable] = await apiServerCheck(conn)
  if (unusable) return [kubeconfigCheck(conn), server, ...notChecked(['chaos-mesh-crds', 'chaos-mesh-controller', 'permissions', 'namespace'], unusable)]
  const [kinds, controller] = await Promise.all([chaosMeshKinds(conn), readController(conn)])
  return [
    kubeconfigCheck(conn),
    server,
    crdCheck(kinds, controller),
    controllerCheck(kinds, controller),
    await permissionsCheck(conn, namespace),
    await namespaceCheck(conn, namespace, controller),
  ]
}

const NEEDED_FOR: Record<string, string> = {
  kubeconfig: 'every call to the cluster',
  'api-server': 'every call to the cluster',
  'chaos-mesh-crds': 'Chaos Mesh experiments in the cluster (without them only PodChaos pod-kill and NetworkChaos partition run, natively)',
  'chaos-mesh-controller': 'Chaos Mesh experiments having an effect',
  permissions: 'creating, reading, pausing and deleting experiments, the native pod-kill and partition, and events',
  namespace: 'experiments in the namespace',
}

function check(name: string, ok: boolean, required: boolean, detail: string, fix: string): KubeCheck {
  return { name, ok, required, detail, neededFor: NEEDED_FOR[name]!, fix }
}

function notChecked(names: string[], why: string): KubeCheck[] {
  const required: Record<string, boolean> = { 'chaos-mesh-crds': false, 'chaos-mesh-controller': false }
  return names.map((n) => check(n, false, required[n] ?? true, `not checked: ${why}`, 'fix the checks above first'))
}

function kubeconfigFailed(err: ChaosError): KubeCheck {
  return check('kubeconfig', false, true, err.message, `${err.opts.hint ? `${err.opts.hint}; ` : ''}give the file with --kubeconfig FILE and a context of \`kubectl config get-contexts\` with --context NAME`)
}

function kubeconfigCheck(conn: KubeConnection): KubeCheck {
  return check('kubeconfig', true, true, `${conn.files.join(', ')}: context "${conn.context}" (namespace ${conn.namespace})`, 'another file: --kubeconfig FILE; another context: --context NAME (`kubectl config get-contexts`)')
}

/** Resolves to what `call` resolves to, or rejects when the API server has not answered within ANSWER_MS. */
async function answered<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_MS / 1000} s`)), ANSWER_MS)
  })
  try {
    return await Promise.race([call, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The check, and when it failed, why nothing after it can be checked. */
async function apiServerCheck(conn: KubeConnection): Promise<[KubeCheck, string | undefined]> {
  try {
    const v = await answered(conn.version.getCode())
    return [check('api-server', true, true, `Kubernetes ${v.gitVersion} at ${conn.server}`, 'check the cluster with `kubectl cluster-info`'), undefined]
  } catch (e) {
    const err = kubeError(e, `GET ${conn.server}/version`, conn)
    const why = err.code === 'KUBE_UNREACHABLE' ? `the API server ${conn.server} did not answer` : `the API server ${conn.server} refused the first call`
    return [check('api-server', false, true, err.message, err.opts.hint ?? 'check the cluster with `kubectl cluster-info`'), why]
  }
}

/** The kinds of chaos-mesh.org the cluster defines (by kind, with their plurals), or why they could not be listed. */
async function chaosMeshKinds(conn: KubeConnection): Promise<{ kinds: string[] } | { unreadable: string }> {
  try {
    const list = await conn.crds.listCustomResourceDefinition()
    return { kinds: list.items.filter((crd) => crd.spec.group === GROUP).map((crd) => crd.spec.names.kind).sort() }
  } catch (e) {
    return { unreadable: kubeError(e, 'list CustomResourceDefinitions', conn).message }
  }
}

/** Chaos Mesh's controller, in whatever namespace it was installed (commonly chaos-mesh). */
async function readController(conn: KubeConnection): Promise<ControllerRead> {
  try {
    const apps = conn.kc.makeApiClient(conn.lib.AppsV1Api)
    const list = await apps.listDeploymentForAllNamespaces({ fieldSelector: `metadata.name=${CONTROLLER}` })
    const deployment = list.items[0]
    return deployment ? { deployment } : { absent: true }
  } catch (e) {
    return { unreadable: kubeError(e, `list Deployments named ${CONTROLLER}`, conn).message }
  }
}

/** The controller's container: Chaos Mesh's chart names it chaos-mesh; else the first one. */
function controllerContainer(d: k8s.V1Deployment): k8s.V1Container | undefined {
  const containers = d.spec?.template.spec?.containers ?? []
  return containers.find((c) => c.name === 'chaos-mesh') ?? containers[0]
}

/**
 * Chaos Mesh's version, as its install marks it: the CRDs carry none (only the controller-gen version that made
 * them), so it is read from the controller's Deployment: its image tag, else the chart's labels.
 */
function chaosMeshVersion(d: k8s.V1Deployment): string | undefined {
  const image = controllerContainer(d)?.image?.split('@')[0]
  const tag = image && image.lastIndexOf(':') > image.lastIndexOf('/') ? image.slice(image.lastIndexOf(':') + 1) : undefined
  const labels = d.metadata?.labels ?? {}
  return tag ?? labels['app.kubernetes.io/version'] ?? labels['helm.sh/chart']?.replace(/^chaos-mesh-/, '')
}

function versionText(controller: ControllerRead): string {
  if ('deployment' in controller) {
    const v = chaosMeshVersion(controller.deployment)
    return v ? `Chaos Mesh ${v} (${CONTROLLER}'s image)` : `Chaos Mesh of unknown version (${CONTROLLER}'s image has no tag)`
  }
  if ('absent' in controller) return `Chaos Mesh's version unknown (no ${CONTROLLER} Deployment)`
  return `Chaos Mesh's version unknown (${controller.unreadable})`
}

function crdCheck(found: { kinds: string[] } | { unreadable: string }, controller: ControllerRead): KubeCheck {
  if ('unreadable' in found) return check('chaos-mesh-crds', false, false, `could not list the CRDs: ${found.unreadable}`, 'ask for `get, list` on customresourcedefinitions.apiextensions.k8s.io')
  if (found.kinds.length === 0) {
    return check('chaos-mesh-crds', false, false, `Chaos Mesh is not installed (no CRD of ${GROUP}): only PodChaos pod-kill and NetworkChaos partition run, natively`, HELM_INSTALL)
  }
  const missing = CHAOS_MESH_KINDS.filter((k) => !found.kinds.includes(k))
  const what = `${found.kinds.length} CRDs of ${GROUP} (${found.kinds.join(', ')}); ${versionText(controller)}`
  if (missing.length === 0) return check('chaos-mesh-crds', true, false, what, HELM_INSTALL)
  return check('chaos-mesh-crds', false, false, `${missing.length} of ${CHAOS_MESH_KINDS.length} user-facing kinds missing (${missing.join(', ')}): ${what}`,
    'install the CRDs of a newer Chaos Mesh (helm upgrade does not update CRDs): kubectl apply --server-side -f https://raw.githubusercontent.com/chaos-mesh/chaos-mesh/VERSION/manifests/crd.yaml')
}

function controllerCheck(found: { kinds: string[] } | { unreadable: string }, controller: ControllerRead): KubeCheck {
  const name = 'chaos-mesh-controller'
  if ('kinds' in found && found.kinds.length === 0 && !('deployment' in controller)) {
    return check(name, false, false, 'not checked: Chaos Mesh is not installed', HELM_INSTALL)
  }
  if ('unreadable' in controller) return check(name, false, false, `could not read ${CONTROLLER}: ${controller.unreadable}`, 'ask for `list` on deployments.apps in the namespace Chaos Mesh runs in')
  if ('absent' in controller) {
    return check(name, false, false, `no Deployment ${CONTROLLER} in any namespace: experiments will be created but nothing will act on them`, HELM_INSTALL)
  }
  const d = controller.deployment
  const at = `${d.metadata?.namespace}/${CONTROLLER}`
  const ready = d.status?.readyReplicas ?? 0
  const wanted = d.spec?.replicas ?? 1
  if (ready > 0) return check(name, true, false, `${at}: ${ready}/${wanted} ready, ${versionText(controller)}`, `kubectl -n ${d.metadata?.namespace} get deployment ${CONTROLLER}`)
  return check(name, false, false, `${at}: 0/${wanted} ready: experiments will be created but nothing will act on them`,
    `kubectl -n ${d.metadata?.namespace} describe deployment ${CONTROLLER}; kubectl -n ${d.metadata?.namespace} logs deployment/${CONTROLLER}`)
}

/** Every access chaoscope needs in the namespace. */
function neededAccess(): Access[] {
  return [...CHAOS_RESOURCES.flatMap((resource) => CHAOS_VERBS.map((verb) => ({ verb, group: GROUP, resource }))), ...OTHER_ACCESS]
}

async function allowed(conn: KubeConnection, namespace: string, a: Access): Promise<boolean> {
  const { clusterScoped, ...attributes } = a
  const review = await conn.authz.createSelfSubjectAccessReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...(clusterScoped ? {} : { namespace }), ...attributes } } },
  })
  return review.status?.allowed === true
}

/** The user the API server sees (`kubectl auth whoami`), for the fix; USER when it will not say. */
async function username(conn: KubeConnection): Promise<string> {
  try {
    const authn = conn.kc.makeApiClient(conn.lib.AuthenticationV1Api)
    const review = await authn.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })
    return review.status?.userInfo?.username ?? 'USER'
  } catch {
    return 'USER'
  }
}

/** "create, delete on podchaos, networkchaos": denied accesses grouped by resource, resources with the same verbs together. */
function deniedText(denied: Access[]): string {
  const byResource = new Map<string, string[]>()
  for (const a of denied) byResource.set(a.resource, [...(byResource.get(a.resource) ?? []), a.verb])
  const byVerbs = new Map<string, string[]>()
  for (const [resource, verbs] of byResource) byVerbs.set(verbs.join(', '), [...(byVerbs.get(verbs.join(', ')) ?? []), resource])
  return [...byVerbs].map(([verbs, resources]) => `${verbs} on ${resources.join(', ')}`).join('; ')
}

/**
 * ClusterRoles granting what was denied: one for Chaos Mesh's kinds and one per other resource (its denied verbs),
 * each bound in the namespace only, but nodes (cluster-scoped) bound cluster-wide.
 */
function rbacFix(denied: Access[], namespace: string, user: string): string {
  const roles: { name: string; verbs: string[]; resources: string[]; clusterScoped: boolean }[] = []
  if (denied.some((a) => a.group === GROUP)) roles.push({ name: 'chaoscope', verbs: CHAOS_VERBS, resources: CHAOS_RESOURCES.map((r) => `${r}.${GROUP}`), clusterScoped: false })
  for (const a of denied.filter((d) => d.group !== GROUP)) {
    const name = `chaoscope-${a.resource}`
    const role = roles.find((r) => r.name === name)
    if (role) role.verbs.push(a.verb)
    else roles.push({ name, verbs: [a.verb], resources: [a.group ? `${a.resource}.${a.group}` : a.resource], clusterScoped: a.clusterScoped === true })
  }
  return roles.map((r) => `kubectl create clusterrole ${r.name} --verb=${r.verbs.join(',')} --resource=${r.resources.join(',')}`
    + (r.clusterScoped ? ` && kubectl create clusterrolebinding ${r.name} --clusterrole=${r.name} --user=${user}` : ` && kubectl create rolebinding ${r.name} --clusterrole=${r.name} --user=${user} -n ${namespace}`)).join(' && ')
}

async function permissionsCheck(conn: KubeConnection, namespace: string): Promise<KubeCheck> {
  const needed = neededAccess()
  const asked = [...needed, ...OPTIONAL_ACCESS]
  let answers: boolean[]
  try {
    answers = await Promise.all(asked.map((a) => allowed(conn, namespace, a)))
  } catch (e) {
    return check('permissions', false, true, `could not review access: ${kubeError(e, 'create SelfSubjectAccessReview', conn).message}`, 'check the API server with `kubectl auth can-i --list`')
  }
  const denied = needed.filter((_, i) => !answers[i])
  const optional = OPTIONAL_ACCESS.filter((_, i) => !answers[needed.length + i])
  const besides = optional.length > 0 ? `; not required, but denied too: ${deniedText(optional)} (spec.selector.nodes and nodeSelectors of a native pod-kill read them)` : ''
  if (denied.length === 0) {
    return check('permissions', true, true, `context "${conn.context}" may ${CHAOS_VERBS.join(', ')} Chaos Mesh's ${CHAOS_RESOURCES.length} namespaced kinds, and use events, pods and NetworkPolicies, in ${namespace}${besides}`,
      rbacFix(optional.length > 0 ? optional : needed, namespace, optional.length > 0 ? await username(conn) : 'USER'))
  }
  return check('permissions', false, true, `context "${conn.context}" is denied in namespace ${namespace}: ${deniedText(denied)}${besides}`, rbacFix([...denied, ...optional], namespace, await username(conn)))
}

/** The namespace restrictions of Chaos Mesh's controller, from its env (Chaos Mesh reads its settings from env only). */
function controllerScope(controller: ControllerRead): { filter: boolean; onlyIn?: string } {
  if (!('deployment' in controller)) return { filter: false }
  const env = new Map((controllerContainer(controller.deployment)?.env ?? []).map((e) => [e.name, e.value ?? '']))
  const filter = env.get('ENABLE_FILTER_NAMESPACE')?.toLowerCase() === 'true'
  // CLUSTER_SCOPED=false: the controller acts in TARGET_NAMESPACE only
  const onlyIn = env.get('CLUSTER_SCOPED')?.toLowerCase() === 'false' ? (env.get('TARGET_NAMESPACE') ?? '') : undefined
  return { filter, onlyIn }
}

async function namespaceCheck(conn: KubeConnection, namespace: string, controller: ControllerRead): Promise<KubeCheck> {
  let ns: k8s.V1Namespace
  try {
    ns = await conn.core.readNamespace({ name: namespace })
  } catch (e) {
    const err = kubeError(e, `get namespace ${namespace}`, conn)
    if (err.code === 'KUBE_NOT_FOUND') return check('namespace', false, true, `namespace ${namespace} does not exist`, `kubectl create namespace ${namespace} (or pick another with --namespace)`)
    // a user with a Role in the namespace only may not read the Namespace object: that blocks nothing by itself
    return check('namespace', false, err.code !== 'KUBE_FORBIDDEN', `not checked: ${err.message}`,
      `as a user who may, check that it exists and, if Chaos Mesh filters namespaces, carries ${INJECT_ANNOTATION}=enabled: kubectl get namespace ${namespace} -o jsonpath='{.metadata.annotations}'`)
  }
  const scope = controllerScope(controller)
  const where = 'deployment' in controller ? controller.deployment.metadata?.namespace : undefined
  if (scope.onlyIn !== undefined && scope.onlyIn !== namespace) {
    return check('namespace', false, true, `namespace ${namespace} exists, but Chaos Mesh runs namespace-scoped (CLUSTER_SCOPED=false) and acts only in ${scope.onlyIn || 'no namespace'}`,
      `helm upgrade chaos-mesh chaos-mesh/chaos-mesh -n ${where} --reuse-values --set controllerManager.targetNamespace=${namespace} (or --set clusterScoped=true)`)
  }
  if (!scope.filter) return check('namespace', true, true, `namespace ${namespace} exists${'deployment' in controller ? '; Chaos Mesh does not filter namespaces' : ''}`, `kubectl get namespace ${namespace}`)
  if (ns.metadata?.annotations?.[INJECT_ANNOTATION] === 'enabled') {
    return check('namespace', true, true, `namespace ${namespace} exists and carries ${INJECT_ANNOTATION}=enabled (Chaos Mesh filters namespaces)`, `kubectl annotate ns ${namespace} ${INJECT_ANNOTATION}=enabled`)
  }
  return check('namespace', false, true, `namespace ${namespace} exists, but Chaos Mesh filters namespaces (ENABLE_FILTER_NAMESPACE=true) and ${namespace} lacks the annotation ${INJECT_ANNOTATION}=enabled: experiments there will select nothing`,
    `kubectl annotate ns ${namespace} ${INJECT_ANNOTATION}=enabled`)
}
