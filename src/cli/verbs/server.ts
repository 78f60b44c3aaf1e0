/** @module cli/verbs/server: `chaoscope server`: the controller and its API beside a runtime that is already up. */
import { readFileSync } from 'node:fs'
import { ChaosError, corsOriginProblem, loadServerConfig, namespaceProblem, parseListen, startServer } from '../../index.js'
import type { NamespacePolicy, TargetChoice } from '../../index.js'
import type { AccessFlags, RetentionFlags, ServerFlags } from '../commands.js'
import { targetChoice } from '../flags.js'
import type { Run } from '../main.js'
import { SignalLatch } from '../signals.js'

/** Controller log lines, for the foreground output of `server` and `up` (debug lines are left out). */
export function controllerLog(run: Run): (level: string, message: string) => void {
  return (level, message) => {
    if (level === 'debug') return
    run.out(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`)
  }
}

/** The retention flags as the controller's options: only those given (the rest keep the controller's defaults). */
export function retentionOf(opts: RetentionFlags): { eventTtlMs?: number; maxEvents?: number; archiveTtlMs?: number; maxArchived?: number } {
  return {
    ...(opts.eventTtl !== undefined ? { eventTtlMs: opts.eventTtl } : {}),
    ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
    ...(opts.archiveTtl !== undefined ? { archiveTtlMs: opts.archiveTtl } : {}),
    ...(opts.maxArchived !== undefined ? { maxArchived: opts.maxArchived } : {}),
  }
}

/** The retention flags (and --allow-exec) as given, for the command line of a runtime started in the background. */
export function retentionArgs(opts: RetentionFlags): string[] {
  return [
    ...(opts.eventTtl !== undefined ? ['--event-ttl', `${opts.eventTtl}ms`] : []),
    ...(opts.maxEvents !== undefined ? ['--max-events', String(opts.maxEvents)] : []),
    ...(opts.archiveTtl !== undefined ? ['--archive-ttl', `${opts.archiveTtl}ms`] : []),
    ...(opts.maxArchived !== undefined ? ['--max-archived', String(opts.maxArchived)] : []),
    ...(opts.allowExec ? ['--allow-exec'] : []),
  ]
}

/** Who may reach the APIs and what experiments may touch, from --config and the flags (a flag wins over the file). */
export interface Access {
  host?: string
  port?: number
  auth?: 'token' | 'none'
  allowedHosts?: string[]
  corsOrigins?: string[]
  policy?: NamespacePolicy
  /** `--target` / `target:` (flags win over the file). */
  target?: TargetChoice
}

/** CLI_USAGE for a namespace or origin flag the config file would refuse too. */
function checkFlags(opts: AccessFlags): void {
  for (const [flag, values] of [['--allowed-namespaces', opts.allowedNamespaces], ['--protected-namespaces', opts.protectedNamespaces]] as const) {
    for (const v of values ?? []) {
      const problem = namespaceProblem(v)
      if (problem) throw new ChaosError('CLI_USAGE', `${flag}: ${problem}`, { hint: `${flag} default,staging` })
    }
  }
  if (opts.allowedNamespaces && opts.allowedNamespaces.length === 0) throw new ChaosError('CLI_USAGE', '--allowed-namespaces: give at least one namespace (none would allow nothing)', { hint: '--allowed-namespaces default' })
  for (const o of opts.corsOrigin ?? []) {
    const problem = corsOriginProblem(o)
    if (problem) throw new ChaosError('CLI_USAGE', `--cors-origin: ${problem}`, { hint: '--cors-origin https://dash.example:8443' })
  }
}

export function accessOf(opts: AccessFlags & { target?: 'local' | 'kubernetes'; kubeconfig?: string; context?: string }, command: 'up' | 'server' = 'server'): Access {
  checkFlags(opts)
  const file = opts.config ? loadServerConfig(opts.config) : {}
  const listenText = opts.listen ?? file.listen
  const listen = listenText !== undefined ? parseListen(listenText) : undefined
  const allowed = opts.allowedNamespaces ?? file.allowedNamespaces
  const protectedNs = opts.protectedNamespaces ?? file.protectedNamespaces
  const auth = opts.auth ?? file.auth
  const allowedHosts = opts.allowedHosts ?? file.allowedHosts
  const corsOrigins = opts.corsOrigin ?? file.corsOrigins
  const target = targetChoice({ target: opts.target ?? file.target, kubeconfig: opts.kubeconfig ?? file.kubeconfig, context: opts.context ?? file.context })
  if (command === 'up' && target.target === 'kubernetes') throw new ChaosError('CLI_USAGE', `${opts.config}: target: kubernetes is for \`chaoscope server\`; \`up\` runs the local runtime`, { hint: 'run `chaoscope server --config FILE` for a cluster, or remove target from the file' })
  return {
    ...(target.target === 'kubernetes' ? { target } : {}),
    ...(listen ? { host: listen.host, port: listen.port } : {}),
    ...(auth ? { auth } : {}),
    ...(allowedHosts ? { allowedHosts } : {}),
    ...(corsOrigins ? { corsOrigins } : {}),
    ...(allowed || protectedNs ? { policy: { ...(allowed ? { allowed } : {}), protected: protectedNs ?? [] } } : {}),
  }
}

/** The access flags as given, for the command line of a runtime started in the background. */
export function accessArgs(opts: AccessFlags): string[] {
  return [
    ...(opts.listen !== undefined ? ['--listen', opts.listen] : []),
    ...(opts.auth ? ['--auth', opts.auth] : []),
    ...(opts.allowedNamespaces ? ['--allowed-namespaces', opts.allowedNamespaces.join(',')] : []),
    ...(opts.protectedNamespaces ? ['--protected-namespaces', opts.protectedNamespaces.join(',')] : []),
    ...(opts.allowedHosts ? ['--allowed-hosts', opts.allowedHosts.join(',')] : []),
    ...(opts.corsOrigin ?? []).flatMap((o) => ['--cors-origin', o]),
    ...(opts.config ? ['--config', opts.config] : []),
  ]
}

/** The runtime's token from --runtime-token-file (else the wiring reads runtime.json or $CHAOSCOPE_RUNTIME_TOKEN). */
function runtimeTokenOf(file: string | undefined): string | undefined {
  if (!file) return undefined
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (e) {
    throw new ChaosError('CLI_USAGE', `--runtime-token-file: cannot read ${file}: ${(e as Error).message}`, { hint: 'give a file holding the token runtime.json shows' })
  }
}

export async function server(opts: ServerFlags, run: Run): Promise<void> {
  const latch = new SignalLatch()
  try {
    const access = accessOf(opts)
    const local = [opts.runtime !== undefined && '--runtime', opts.runtimeTokenFile !== undefined && '--runtime-token-file', opts.allowExec && '--allow-exec'].filter((f): f is string => typeof f === 'string')
    if (access.target && local.length > 0) throw new ChaosError('CLI_USAGE', `${local.join(', ')}: a server whose target is a Kubernetes cluster has no local runtime (Chaos Mesh runs the experiments there)`, { hint: 'leave them out, or serve the local runtime without --target kubernetes' })
    const runtimeToken = runtimeTokenOf(opts.runtimeTokenFile)
    const s = await startServer({
      ...(opts.runtime ? { runtimeUrl: opts.runtime } : {}),
      ...(runtimeToken ? { runtimeToken } : {}),
      ...(opts.db ? { db: opts.db } : {}),
      port: access.port ?? opts.port,
      ...(access.host ? { host: access.host } : {}),
      ...(access.auth ? { auth: access.auth } : {}),
      ...(access.allowedHosts ? { allowedHosts: access.allowedHosts } : {}),
      ...(access.corsOrigins ? { corsOrigins: access.corsOrigins } : {}),
      ...(access.policy ? { policy: access.policy } : {}),
      ...(access.target ? { target: access.target } : {}),
      log: controllerLog(run),
      retention: retentionOf(opts),
      ...(opts.allowExec ? { allowExec: true } : {}),
    })
    const where = s.cluster ? `Kubernetes cluster ${s.cluster.server} (context ${s.cluster.context})` : `runtime ${s.runtimeUrl}`
    run.out(`controller (pid ${process.pid}): API ${s.state.url}/api/v1, ${where}, db ${s.state.db}\n`)
    run.out(s.adminToken ? `auth: tokens (the CLI sends the local admin token, ${'$'}CHAOSCOPE_HOME/token)\n` : 'auth: none (loopback only)\n')
    run.out(dashboardLine(s.state.url, s.adminToken !== undefined))
    const why = await latch.stopped
    run.out(`stopping (${why})...\n`)
    await s.close()
    run.out('stopped\n')
  } finally {
    latch.dispose()
  }
}

/** Where the dashboard is, and the token that opens it: what `up` and `server` print once their API listens. */
export function dashboardLine(url: string, tokens: boolean): string {
  return `dashboard: ${url}/${tokens ? ` (log in with a token: the local admin token is in ${'$'}CHAOSCOPE_HOME/token, others come from \`chaoscope token create\`)` : ''}\n`
}
