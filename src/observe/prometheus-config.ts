/**
 * @module observe/prometheus-config: the Prometheus scrape configuration for chaoscope's /metrics endpoints, as
 * YAML text: the controller (`chaoscope-controller`), the runtime whose /metrics carries every sidecar's golden
 * signals (`chaoscope-runtime`) and load generators (`chaoscope-load`). A pure function of the targets: finding
 * them (the state files) is the caller's.
 *
 * The controller and runtime jobs send a token read from a file (Prometheus re-reads it at every scrape, so a
 * rotated token needs no reload), each its own file if need be: the runtime's /metrics takes the runtime's own token
 * or one of a controller mounted in it (`up`), which is not the token of a `chaoscope server` elsewhere. The load job sends none: `chaoscope load --metrics-addr` asks for none, and
 * a load generator named by address is not a place to send a token that opens the APIs.
 */
import { stringify } from 'yaml'

/** Where the metrics are: base URLs (http://127.0.0.1:41234) or, for load generators, host:port or a /metrics URL. */
export interface ScrapeTargets {
  /** The controller's base URL (controller.json). Left out when it is the runtime's: `up` serves both metrics there. */
  controller?: string
  /** The runtime's base URL (runtime.json). */
  runtime?: string
  /** Load generators: `127.0.0.1:9464`, or the URL `chaoscope load --metrics-addr` printed. */
  loads?: string[]
}

export interface PrometheusConfigOptions {
  targets: ScrapeTargets
  /** The file holding the bearer token for the controller, and for the runtime unless `runtimeTokenFile` says otherwise. */
  tokenFile: string
  /** The file holding the bearer token for the runtime job (default `tokenFile`). */
  runtimeTokenFile?: string
  /** How often every target is scraped, a Prometheus duration (default 5s). */
  scrapeInterval?: string
  /** Alerting and recording rule files or globs (deploy/prometheus/*.yml), as `rule_files`. */
  ruleFiles?: string[]
}

export const DEFAULT_SCRAPE_INTERVAL = '5s'

/** A Prometheus duration: units y w d h m s ms in that order, each at most once (1m30s, 500ms, 5s). */
export function isPrometheusDuration(text: string): boolean {
  return text !== '' && /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/.test(text) && /[1-9]/.test(text)
}

interface Endpoint {
  scheme: 'http' | 'https'
  address: string
  path: string
}

/** A base URL (or host:port) as Prometheus scrapes it: scheme, host:port, and the metrics path under the base's. */
function endpoint(target: string, what: string): Endpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new TypeError(`${what}: "${target}" is neither a URL nor host:port`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${what}: "${target}" is not http(s)`)
  const scheme = url.protocol === 'https:' ? 'https' : 'http'
  const port = url.port || (scheme === 'https' ? '443' : '80')
  const base = url.pathname.replace(/\/+$/, '')
  return { scheme, address: `${url.hostname}:${port}`, path: base.endsWith('/metrics') ? base : `${base}/metrics` }
}

/** One job per scheme and path (Prometheus sets those per job), targets in the order given, each once. */
function jobs(name: string, endpoints: Endpoint[], extra: Record<string, unknown>): Record<string, unknown>[] {
  const groups = new Map<string, { e: Endpoint; addresses: string[] }>()
  for (const e of endpoints) {
    const key = `${e.scheme} ${e.path}`
    const g = groups.get(key) ?? { e, addresses: [] }
    if (!g.addresses.includes(e.address)) g.addresses.push(e.address)
    groups.set(key, g)
  }
  return [...groups.values()].map(({ e, addresses }, i) => ({
    job_name: i === 0 ? name : `${name}-${i + 1}`,
    scheme: e.scheme,
    metrics_path: e.path,
    ...extra,
    static_configs: [{ targets: addresses }],
  }))
}

/**
 * The configuration as YAML text, ready for `prometheus --config.file`. Targets are validated (a TypeError names
 * the bad one); a controller at the runtime's address is scraped once, through the runtime job.
 *
 * @example
 * prometheusConfig({ targets: { runtime: 'http://127.0.0.1:4000' }, tokenFile: '/home/me/.chaoscope/token' })
 * // global: {scrape_interval: 5s, ...}  scrape_configs: [{job_name: chaoscope-runtime, ...}]
 */
export function prometheusConfig(o: PrometheusConfigOptions): string {
  const interval = o.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL
  if (!isPrometheusDuration(interval)) throw new TypeError(`scrape interval "${interval}" is not a Prometheus duration like 5s or 1m`)
  const auth = (file: string) => ({ authorization: { type: 'Bearer', credentials_file: file } })
  const { controller, runtime, loads = [] } = o.targets
  const runtimeAt = runtime === undefined ? undefined : endpoint(runtime, 'runtime')
  const controllerAt = controller === undefined ? undefined : endpoint(controller, 'controller')
  const shared = controllerAt !== undefined && runtimeAt !== undefined && controllerAt.scheme === runtimeAt.scheme && controllerAt.address === runtimeAt.address
  const scrapeConfigs = [
    ...(controllerAt && !shared ? jobs('chaoscope-controller', [controllerAt], auth(o.tokenFile)) : []),
    ...(runtimeAt ? jobs('chaoscope-runtime', [runtimeAt], auth(o.runtimeTokenFile ?? o.tokenFile)) : []),
    ...(loads.length > 0 ? jobs('chaoscope-load', loads.map((l) => endpoint(l, 'load generator')), {}) : []),
  ]
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    ...(o.ruleFiles && o.ruleFiles.length > 0 ? { rule_files: o.ruleFiles } : {}),
    scrape_configs: scrapeConfigs,
  })
}
