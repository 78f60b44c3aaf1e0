/**
 * @module cli/verbs/prometheus: `chaoscope prometheus-config`: a Prometheus scrape configuration for what runs
 * here now: the controller and runtime of the state files, every live `chaoscope load --metrics-addr`, and the
 * load generators named with --load. It says on stderr what the generated file cannot: that the default token is
 * the admin one, and which token files do not exist yet.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ChaosError, liveLoads, pidAlive, prometheusConfig, readControllerState, readState, stateDir } from '../../index.js'
import type { ScrapeTargets } from '../../index.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'

export interface PrometheusConfigFlags {
  tokenFile?: string
  runtimeTokenFile?: string
  scrapeInterval?: string
  load?: string[]
  rules?: string
}

/** What is running now, from the state files (a file whose process is gone names nothing). */
function discoverTargets(extraLoads: string[] = []): ScrapeTargets {
  const controller = readControllerState()
  const runtime = readState()
  const loads = [...liveLoads(), ...extraLoads]
  return {
    ...(controller && pidAlive(controller.pid) ? { controller: controller.url } : {}),
    ...(runtime && pidAlive(runtime.pid) ? { runtime: runtime.url } : {}),
    ...(loads.length > 0 ? { loads } : {}),
  }
}

/** --rules: one rules file, or every .yml/.yaml file of a directory but the `promtool test rules` ones (*.test.yml). */
function ruleFiles(path: string): string[] {
  const abs = resolve(path)
  let dir: boolean
  try {
    dir = statSync(abs).isDirectory()
  } catch {
    throw usage(`--rules ${path}: no such file or directory`, '--rules deploy/prometheus')
  }
  if (!dir) return [abs]
  const files = readdirSync(abs).filter((n) => /\.ya?ml$/.test(n) && !/\.test\.ya?ml$/.test(n)).sort().map((n) => join(abs, n))
  if (files.length === 0) throw usage(`--rules ${path} holds no .yml or .yaml rules file`, '--rules deploy/prometheus')
  return files
}

/** What the user should know about the token files the jobs send: the admin token by default, files not there yet. */
function tokenNotes(targets: ScrapeTargets, o: PrometheusConfigFlags, tokenFile: string, runtimeTokenFile: string): string[] {
  const { controller, runtime } = targets
  // `up` serves the controller's /metrics on the runtime's address: one job, the runtime's
  const controllerJob = controller !== undefined && (runtime === undefined || new URL(controller).origin !== new URL(runtime).origin)
  const used = [...(controllerJob ? [tokenFile] : []), ...(runtime !== undefined ? [runtimeTokenFile] : [])]
  const notes: string[] = []
  if (o.tokenFile === undefined && used.includes(tokenFile)) {
    notes.push(`Prometheus sends ${tokenFile}, the local admin token, which opens every API; give it a read-only one: make it with \`chaoscope token create prom --role viewer\`, save the token it prints (the last line) in a file of its own (0600) and pass --token-file FILE`)
  }
  if (controllerJob && runtime !== undefined && o.runtimeTokenFile === undefined) {
    notes.push(`the runtime job sends the controller's token too, and the runtime's /metrics takes only its own token (runtime.json's \`token\`, new at each runtime start) or a token of the controller \`chaoscope up\` runs in it; if the controller's token is neither, save one in a file and pass --runtime-token-file FILE`)
  }
  for (const file of new Set(used)) if (!existsSync(file)) notes.push(`${file} does not exist yet; Prometheus reads it at each scrape`)
  return notes
}

export async function prometheusConfigVerb(o: PrometheusConfigFlags, run: Run): Promise<void> {
  const targets = discoverTargets(o.load ?? [])
  if (!targets.controller && !targets.runtime && !targets.loads) {
    throw new ChaosError('RUNTIME_NOT_RUNNING', `nothing to scrape: no chaoscope is running (state directory ${stateDir()}) and no --load was given`, {
      hint: 'start one with `chaoscope up -f app.yaml`, or name a load generator with --load 127.0.0.1:9464',
    })
  }
  const tokenFile = resolve(o.tokenFile ?? join(stateDir(), 'token'))
  const runtimeTokenFile = o.runtimeTokenFile === undefined ? tokenFile : resolve(o.runtimeTokenFile)
  let text: string
  try {
    text = await prometheusConfig({ targets, tokenFile, runtimeTokenFile, ...(o.scrapeInterval ? { scrapeInterval: o.scrapeInterval } : {}), ...(o.rules ? { ruleFiles: ruleFiles(o.rules) } : {}) })
  } catch (e) {
    // what can be malformed is what was typed: the interval, and the targets after --load
    if (e instanceof TypeError) throw usage(e.message, e.message.startsWith('scrape interval') ? '--scrape-interval 5s' : '--load 127.0.0.1:9464')
    throw e
  }
  for (const note of tokenNotes(targets, o, tokenFile, runtimeTokenFile)) run.err(`note: ${note}\n`)
  run.out(text)
}
