/**
 * @module run-target: the Target of `chaoscope run`: the controller that $CHAOSCOPE_HOME/controller.json names
 * (Chaos Mesh resources, pods) and the runtime that runtime.json names (logs, sidecars), over their HTTP APIs.
 *
 *   connectTarget() ─ state files ─▶ targetOver(ControllerClient, HttpRuntimeClient) ─▶ Target (verdict/types.ts)
 *   connectTarget({target: 'kubernetes'}) ─ kubeconfig ─▶ kubeTarget(KubeBackend) ─▶ Target
 */
import { cliToken, ControllerClient } from './api/client.js'
import { ChaosError, isChaosError } from './errors.js'
import { HttpRuntimeClient } from './runtime/client.js'
import type { RuntimePod } from './runtime/client.js'
import { pidAlive, readControllerState, readState } from './store/state-files.js'
import type { KubeBackend } from './kube/backend.js'
import type { SidecarSnapshot, Target, TargetLogLine, TargetPod } from './verdict/types.js'

/** How long a delete waits for the faults it ends to be recovered, in seconds (the API's default). */
const DELETE_WAIT_SECONDS = 60

/** Where experiment commands act: the local controller, or a Kubernetes cluster through a kubeconfig. */
export interface TargetChoice {
  target: 'local' | 'kubernetes'
  kubeconfig?: string
  context?: string
}

/**
 * The cluster a kubeconfig names, as the experiment commands use it: Chaos Mesh's resources, and where Chaos Mesh is
 * not installed the native pod-kill and partition.
 */
export async function kubeBackend(where: Omit<TargetChoice, 'target'>): Promise<KubeBackend> {
  const [{ connectKube }, { KubeBackend: Backend }, { nativeFallback }] = await Promise.all([import('./kube/connect.js'), import('./kube/backend.js'), import('./kube/native.js')])
  const conn = await connectKube({ ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}), ...(where.context ? { context: where.context } : {}) })
  return new Backend(conn, { native: nativeFallback })
}

/**
 * The target the state files name, or undefined when no controller runs (no controller.json, or its process is
 * gone); the controller of $CHAOSCOPE_SERVER when it is set (as the other commands do). The runtime is the one
 * runtime.json names; without one (or with $CHAOSCOPE_SERVER), logs and sidecars fail with RUNTIME_NOT_RUNNING.
 */
export async function connectTarget(where: TargetChoice = { target: 'local' }): Promise<Target | undefined> {
  if (where.target === 'kubernetes') {
    const { kubeTarget } = await import('./kube/target.js')
    return kubeTarget(await kubeBackend(where))
  }
  // a server the user named ($CHAOSCOPE_SERVER, with $CHAOSCOPE_TOKEN): its runtime is not this machine's
  if (process.env.CHAOSCOPE_SERVER?.trim()) return targetOver(ControllerClient.fromState(), undefined)
  const ctl = readControllerState()
  if (!ctl || !pidAlive(ctl.pid)) return undefined
  const rt = readState()
  const runtime = rt && pidAlive(rt.pid) ? new HttpRuntimeClient(rt.url, rt.token) : undefined
  return targetOver(new ControllerClient(ctl.url, cliToken()), runtime)
}

/**
 * The controller a run is recorded on, as connectTarget finds it ($CHAOSCOPE_SERVER, else controller.json while
 * its process lives); undefined when none runs.
 */
export function runController(): ControllerClient | undefined {
  if (process.env.CHAOSCOPE_SERVER?.trim()) return ControllerClient.fromState()
  const ctl = readControllerState()
  return ctl && pidAlive(ctl.pid) ? new ControllerClient(ctl.url, cliToken()) : undefined
}

function noRuntime(): never {
  throw new ChaosError('RUNTIME_NOT_RUNNING', 'the controller runs, but no local runtime is (its logs and sidecars are read from the runtime)', { hint: 'start one with `chaoscope up -f app.yaml`' })
}

/**
 * A Target over a controller's API and a runtime's control API. Kind names may be written as kubectl takes them
 * (`NetworkChaos`, `networkchaos`, `schedules`): the API resolves them.
 */
export function targetOver(controller: ControllerClient, runtime: HttpRuntimeClient | undefined): Target {
  return {
    async apply(text, file) {
      const r = await controller.apply(text, file === undefined ? {} : { file })
      return r.items.map((i) => ({ kind: i.object.kind, namespace: i.object.metadata.namespace, name: i.object.metadata.name, action: i.action }))
    },

    async delete(kind, namespace, name) {
      let r: Awaited<ReturnType<ControllerClient['delete']>>
      try {
        r = await controller.delete(kind, namespace, name, { wait: true, timeoutSeconds: DELETE_WAIT_SECONDS })
      } catch (e) {
        if (isChaosError(e) && e.code === 'CONTROLLER_NOT_FOUND') return false
        throw e
      }
      if (!r.gone) {
        throw new ChaosError('CONTROLLER_DELETING', `${kind} ${namespace}/${name} is deleted, but its faults were not all recovered within ${DELETE_WAIT_SECONDS}s`, { hint: `see \`chaoscope describe ${kind.toLowerCase()} ${name} -n ${namespace}\`` })
      }
      return true
    },

    async pause(kind, namespace, name) {
      await controller.pause(kind, namespace, name)
    },

    async resume(kind, namespace, name) {
      await controller.resume(kind, namespace, name)
    },

    async list(query = {}) {
      return controller.list(query)
    },

    async pods(query = {}) {
      return (await controller.pods(query)).map(targetPod)
    },

    async logs(pod, opts = {}) {
      if (!runtime) return noRuntime()
      const text = await (await runtime.logs(pod, opts.tail === undefined ? {} : { tail: opts.tail })).text()
      return text.split('\n').filter((l) => l !== '').map(logLine)
    },

    async sidecars() {
      if (!runtime) return noRuntime()
      return (await runtime.sidecars()).map(sidecarSnapshot)
    },
  }
}

/** The runtime's pod as activities read it; `startTime` rides along for `order: oldest` (not in TargetPod yet). */
export function targetPod(p: RuntimePod): TargetPod & { startTime: string } {
  return {
    name: p.name,
    namespace: p.namespace,
    service: p.service,
    labels: { ...p.labels },
    phase: p.phase,
    ready: p.ready,
    restarts: p.restartCount,
    ...(p.address !== undefined ? { address: p.address } : {}),
    startTime: p.startTime,
  }
}

/** `TIME STREAM TEXT`, as the control API writes each log line. */
function logLine(line: string): TargetLogLine {
  const a = line.indexOf(' ')
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1)
  if (a < 0 || b < 0) return { time: a < 0 ? line : line.slice(0, a), stream: a < 0 ? '' : line.slice(a + 1), text: '' }
  return { time: line.slice(0, a), stream: line.slice(a + 1, b), text: line.slice(b + 1) }
}

type ProxyStats = Awaited<ReturnType<HttpRuntimeClient['sidecars']>>[number]

/** A sidecar's stats as a snapshot: its latency histogram as cumulative Prometheus buckets, in seconds (+Inf last). */
export function sidecarSnapshot(s: ProxyStats): SidecarSnapshot {
  const buckets: { le: number; count: number }[] = []
  let total = 0
  s.latency.boundsMs.forEach((ms, i) => {
    total += s.latency.counts[i] ?? 0
    buckets.push({ le: ms / 1000, count: total })
  })
  buckets.push({ le: Infinity, count: s.latency.count })
  return { name: s.name, mode: s.mode, labels: { ...s.labels }, requests: { ...s.requests }, latency: { buckets, sum: s.latency.sumMs / 1000, count: s.latency.count } }
}
