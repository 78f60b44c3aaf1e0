/**
 * @module cli/verbs/load: `chaoscope load URL`: open- or closed-model HTTP load with honest latencies. With
 * --metrics-addr it says where its metrics are in $CHAOSCOPE_HOME/loads/<pid>.json while it runs, so that
 * `chaoscope prometheus-config` finds every live load generator.
 */
import { readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { ChaosError, EXIT, RateSyntaxError, clearLoadState, formatIssue, loadFlowFile, parseRate, parseStagesFile, serveLoadMetrics, startLoad, writeLoadState } from '../../index.js'
import type { FlowSet, Issue, LoadPlan, LoadResult, Stage } from '../../index.js'
import { usage } from '../flags.js'
import type { Run } from '../main.js'
import { json } from '../print.js'
import { progressLine, summary } from '../print-load.js'
import { SignalLatch } from '../signals.js'

export interface LoadOptions {
  rate?: string
  stages?: string
  connections?: number
  duration?: number
  requests?: number
  method?: string
  header?: string[]
  body?: string
  timeout?: number
  filename?: string
  workers?: number
  metricsAddr?: string
  allowRemote?: boolean
  quiet?: boolean
  output: 'text' | 'json'
}

const DEFAULT_DURATION_MS = 10_000
const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_USERS = 10
const DEFAULT_OPEN_CONNECTIONS = 200

/** Whether a URL's host is this machine: 127.0.0.0/8, localhost, ::1. */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname
  return h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h)
}

function headerPair(text: string): [string, string] {
  const c = text.indexOf(':')
  if (c <= 0) throw usage(`-H expects "Name: value", got "${text}"`, "-H 'authorization: Bearer abc'")
  const name = text.slice(0, c).trim()
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw usage(`-H: "${name}" is not a header name`)
  return [name.toLowerCase(), text.slice(c + 1).trim()]
}

/** Prints every issue (each with its code) and returns the one error that ends the command. */
function issuesError(run: Run, issues: Issue[], what: string, flag: string): ChaosError {
  for (const i of issues) {
    const shown = i.code === 'SPEC_FILE_NOT_FOUND' ? { ...i, hint: `check the path given to ${flag}` } : i
    run.err(`${formatIssue(shown)}\n`)
  }
  return new ChaosError(issues[0]!.code, `${what}: ${issues.length} problem${issues.length === 1 ? '' : 's'}, listed above`, { at: { file: issues[0]!.file, line: issues[0]!.line, col: issues[0]!.col } })
}

function notADirectory(flag: string, file: string): void {
  let dir = false
  try {
    dir = statSync(file).isDirectory()
  } catch {
    return // a missing file is reported by the reader, with its position
  }
  if (dir) throw usage(`${flag} takes one file, and ${file} is a directory`, `${flag} examples/load/shop.yaml`)
}

function parseAddr(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw usage(`--metrics-addr expects host:port like 127.0.0.1:9464 (port 0: any free port), got "${text}"`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/** The plan the flags describe; every mistake is a usage error (exit 2) before anything is sent. */
export async function planOf(urlArg: string | undefined, o: LoadOptions, run: Run): Promise<LoadPlan> {
  let flows: FlowSet | undefined
  if (o.filename) {
    notADirectory('-f', o.filename)
    const r = await loadFlowFile(o.filename)
    if ('issues' in r) throw issuesError(run, r.issues, `${o.filename} is not a valid LoadProfile`, '-f')
    flows = r.flows
  }
  const d = flows?.defaults
  const target = urlArg ?? d?.target
  if (!target) throw usage('load needs a URL (or -f with a LoadProfile that names its target)', 'chaoscope load http://127.0.0.1:8080/ --rate 100 --duration 30s')
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw usage(`"${target}" is not a URL`, 'write it like http://127.0.0.1:8080/path')
  }
  if (url.protocol !== 'http:') throw usage(`only http:// URLs are supported, got ${url.protocol}//`, 'chaoscope load speaks HTTP/1.1 without TLS')
  if (url.username || url.password) throw usage('credentials in the URL are not sent (and would be printed in the report)', "send them as a header: -H 'authorization: Basic …'")
  if (o.method !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(o.method)) throw usage(`-m expects an HTTP method like GET or POST, got "${o.method}"`)
  const remote = [url, ...(flows?.flows.flatMap((f) => f.steps.filter((s) => /^https?:\/\//i.test(s.path)).map((s) => new URL(s.path))) ?? [])].find((u) => !isLoopbackUrl(u))
  if (remote && !o.allowRemote) throw new ChaosError('LOAD_TARGET_REFUSED', `${remote.host} is not this machine; chaoscope load sends to loopback addresses unless told otherwise`, { hint: 'use 127.0.0.1, localhost or [::1], or pass --allow-remote when the target is yours to load' })

  if (o.rate !== undefined && o.stages !== undefined) throw usage('--rate and --stages both set the arrival rate: give one')
  let stages: Stage[] | undefined
  if (o.rate !== undefined) {
    try {
      stages = parseRate(o.rate)
    } catch (e) {
      if (e instanceof RateSyntaxError) throw usage(e.message, '--rate 500, --rate 100:1000/30s (a ramp) or --rate 100,500,1000/10s (steps)')
      throw e
    }
  } else if (o.stages !== undefined) {
    notADirectory('--stages', o.stages)
    const r = await parseStagesFile(o.stages)
    if ('issues' in r) throw issuesError(run, r.issues, `${o.stages} is not a valid stages file`, '--stages')
    stages = r.stages
  } else {
    // the profile's rate or stages (a profile has those or users, not both)
    stages = d?.stages
  }

  const body = o.body === undefined ? undefined : o.body === '-' ? (run.stdin?.() ?? readFileSync(0)).toString() : readBody(o.body)
  const headers: Record<string, string> = {}
  for (const h of o.header ?? []) {
    const [k, v] = headerPair(h)
    headers[k] = v
  }
  const bounded = stages !== undefined && stages.every((s) => s.durationMs > 0)
  const durationMs = o.duration ?? d?.durationMs ?? (o.requests !== undefined || bounded ? undefined : DEFAULT_DURATION_MS)
  const open = stages !== undefined
  return {
    url: url.href,
    method: (o.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase(),
    headers,
    body,
    flows,
    stages,
    connections: o.connections ?? (open ? DEFAULT_OPEN_CONNECTIONS : (d?.users ?? DEFAULT_USERS)),
    durationMs,
    requests: o.requests,
    timeoutMs: o.timeout ?? d?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    workers: o.workers ?? Math.max(1, availableParallelism() - 1),
    lateAfterMs: 10,
  }
}

function readBody(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new ChaosError('SPEC_FILE_NOT_FOUND', `--body ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { hint: 'give the path of a file holding the request body, or - for stdin' })
  }
}

export async function load(urlArg: string | undefined, o: LoadOptions, run: Run): Promise<void> {
  const plan = await planOf(urlArg, o, run)
  const metricsAt = o.metricsAddr === undefined ? undefined : parseAddr(o.metricsAddr)
  const latch = new SignalLatch()
  const tty = process.stderr.isTTY === true && !process.env.CI
  const showProgress = !o.quiet && (tty || o.output === 'text')
  let lastLine = 0
  const handle = await startLoad(plan, {
    onProgress: showProgress
      ? (p) => {
          if (tty) run.err(`\r\x1b[2K${progressLine(p)}`)
          else if (p.elapsedMs - lastLine >= 5000) {
            lastLine = p.elapsedMs
            run.err(`${progressLine(p)}\n`)
          }
        }
      : undefined,
  })
  let metrics: Awaited<ReturnType<typeof serveLoadMetrics>> | undefined
  let result: LoadResult
  try {
    if (metricsAt) {
      metrics = await serveLoadMetrics(handle, metricsAt.host, metricsAt.port)
      writeLoadState(metrics.url)
      run.err(`metrics: ${metrics.url}\n`)
    }
    void latch.stopped.then(() => handle.stop())
    result = await handle.result
  } catch (e) {
    handle.stop()
    throw e
  } finally {
    latch.dispose()
    if (metrics) clearLoadState()
    await metrics?.close()
    if (showProgress && tty) run.err('\r\x1b[2K')
  }
  if (latch.reason) run.err(`stopped by ${latch.reason} after ${result.duration.send}s: the figures cover what was sent\n`)
  run.out(o.output === 'json' ? json(result) : summary(result))
  if (result.dropped > 0) run.err(`${result.dropped} intended request(s) were dropped: no connection came free within the timeout; they count against success (raise --connections, or lower --rate)\n`)
  if (result.requests === 0 || result.success === 0) {
    run.err(result.requests === 0 ? 'no request was sent\n' : `no request succeeded (${Object.entries(result.errorKinds).map(([k, n]) => `${k}: ${n}`).join(', ') || 'every status was an error'})\n`)
    run.exitCode = EXIT.FAILED
  }
}
