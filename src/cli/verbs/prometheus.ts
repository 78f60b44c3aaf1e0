/**
 * @module cli/verbs/prometheus: `chaoscope prometheus-config`: a Prometheus scrape configuration for what runs
 * here now: the controller and runtime of the state files, every live `chaoscope load --metrics-addr`, and the
 * load generators named with --load.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ChaosError, pidAlive, prometheusConfig, readControllerState, readState, stateDir } from '../../index.js'
import type { ScrapeTargets } from '../../index.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'
import { liveLoads } from './load.js'

export interface PrometheusConfigFlags {
  tokenFile?: string
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

export async function prometheusConfigVerb(o: PrometheusConfigFlags, run: Run): Promise<void> {
  const targets = discoverTargets(o.load ?? [])
  if (!targets.controller && !targets.runtime && !targets.loads) {
    throw new ChaosError('RUNTIME_NOT_RUNNING', `nothing to scrape: no chaoscope is running (state directory ${stateDir()}) and no --load was given`, {
      hint: 'start one with `chaoscope up -f app.yaml`, or name a load generator with --load 127.0.0.1:9464',
    })
  }
  const tokenFile = resolve(o.tokenFile ?? join(stateDir(), 'token'))
  let text: string
  try {
    text = await prometheusConfig({ targets, tokenFile, ...(o.scrapeInterval ? { scrapeInterval: o.scrapeInterval } : {}), ...(o.rules ? { ruleFiles: ruleFiles(o.rules) } : {}) })
  } catch (e) {
    // what can be malformed is what was typed: the interval, and the targets after --load
    if (e instanceof TypeError) throw usage(e.message, e.message.startsWith('scrape interval') ? '--scrape-interval 5s' : '--load 127.0.0.1:9464')
    throw e
  }
  if ((targets.controller || targets.runtime) && !existsSync(tokenFile)) {
    run.err(`note: ${tokenFile} does not exist yet; Prometheus reads it at each scrape (make a read-only token with \`chaoscope token create prom --role viewer\` and save it there, or pass --token-file)\n`)
  }
  run.out(text)
}
