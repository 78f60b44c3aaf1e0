/**
 * The OpenAPI documents against the APIs they describe: schemathesis (PyPI, installed by `npm run setup` into a
 * virtualenv outside the repository) fuzzes the controller API and the runtime's control API from their own
 * documents, on a runtime with real pods and a controller holding a running experiment, and must find no 5xx, no
 * status code, content type, response body or header the document does not declare, and no request the document
 * calls invalid accepted. Every request carries a token, as every client must: the controller's local admin token
 * (its role can call every operation, so none is refused for want of one) and the runtime's own. The token routes
 * run last, as shutdown does: schemathesis revokes the tokens it has seen listed, its own too, and every request
 * after that is refused (401, then 429 once the bad-token limit is reached). Bounded: 15 examples per operation,
 * a fixed seed, and a hard time limit for both runs together (CHAOSCOPE_SCHEMATHESIS_SEED and
 * CHAOSCOPE_SCHEMATHESIS_EXAMPLES try others, e.g. 3 and 40).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../src/wiring.js'
import type { ControllerServer } from '../../src/wiring.js'
import { startFaultApp } from '../doubles/test-app.js'
import type { FaultApp } from '../doubles/test-app.js'

const ROOT = join(import.meta.dirname, '../..')

/** The version scripts/setup.sh installs, from the pins it installs. */
const SCHEMATHESIS_VERSION = /^schemathesis==([\d.]+)$/m.exec(readFileSync(join(ROOT, 'scripts/schemathesis-requirements.txt'), 'utf8'))?.[1]
const CACHE = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
const ST = join(CACHE, 'chaoscope', `venv-schemathesis-${SCHEMATHESIS_VERSION}`, 'bin', 'schemathesis')

/** Both runs together; each gets what is left. */
const BUDGET_MS = 120_000
const SEED = process.env.CHAOSCOPE_SCHEMATHESIS_SEED ?? '20261202'
const EXAMPLES = process.env.CHAOSCOPE_SCHEMATHESIS_EXAMPLES ?? '15'
/** No 5xx; statuses, content types, bodies and headers as documented; and what the document calls invalid is refused (query validation). */
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'response_headers_conformance', 'negative_data_rejection', 'unsupported_method']

/** Runs schemathesis; resolves with its exit code and output, or kills it at `timeoutMs` (code null). */
function schemathesis(args: string[], timeoutMs: number, cwd: string): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, ms: Date.now() - t0 })
    })
  })
}

/**
 * Two streams never end by themselves: the controller's watch (server-sent events: schemathesis reads the first,
 * `ready`, and checks it against the event schema), and a pod's logs with follow=true (plain text: asked for
 * without follow).
 */
const CONTROLLER_CONFIG = 'max-stream-events = 1\n'
const RUNTIME_CONFIG = `[[operations]]
include-path = "/runtime/v1/pods/{name}/logs"
parameters = { "query.follow" = "false" }
`

const EXPERIMENT = `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata:
  name: slow-web
  labels: {team: qa}
spec:
  action: delay
  mode: all
  selector:
    labelSelectors: {app: web}
  delay:
    latency: 5ms
`

describe('schemathesis against the OpenAPI documents', () => {
  let app: FaultApp
  let ctl: ControllerServer
  let work: string
  let deadline = 0
  let shutdowns = 0

  beforeAll(async () => {
    if (!SCHEMATHESIS_VERSION) throw new Error('scripts/schemathesis-requirements.txt pins no schemathesis==<version>')
    if (!existsSync(ST)) throw new Error(`schemathesis ${SCHEMATHESIS_VERSION} is not installed (no ${ST}): run \`npm run setup\``)
    work = mkdtempSync(join(tmpdir(), 'chaoscope-openapi-'))
    writeFileSync(join(work, 'controller.toml'), CONTROLLER_CONFIG)
    writeFileSync(join(work, 'runtime.toml'), RUNTIME_CONFIG)
    app = await startFaultApp()
    app.server.onShutdownRequest(() => shutdowns++) // the control API's answer is tested, not the stop
    ctl = await startServer({ runtimeUrl: app.server.state.url, runtimeToken: app.server.state.token, port: 0, stateless: true, db: join(work, 'chaoscope.db'), backoff: { baseMs: 50, capMs: 200 } })
    if (!ctl.adminToken || !app.server.state.token) throw new Error('the servers were started without tokens')
    const res = await fetch(`${ctl.state.url}/api/v1/resources`, { method: 'POST', headers: { 'content-type': 'application/yaml', authorization: `Bearer ${ctl.adminToken}` }, body: EXPERIMENT })
    expect(res.status, await res.text()).toBe(201)
    deadline = Date.now() + BUDGET_MS
  }, 60_000)
  afterAll(async () => {
    await ctl?.close()
    await app?.close()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  /** Runs schemathesis on the document at `url` + `doc`, every request (the document's too) with `token`. */
  const run = async (url: string, doc: string, token: string, config: string, more: string[]) => {
    const left = deadline - Date.now()
    const args = ['--config-file', join(work, config), 'run', `${url}${doc}`, '--url', url, '-H', `Authorization: Bearer ${token}`, '--checks', CHECKS.join(','), '--max-examples', EXAMPLES, '--seed', SEED, '--request-timeout', '10', '--workers', '1', '--generation-database', 'none', '--no-color', ...more]
    const r = await schemathesis(args, left, work)
    const why = `schemathesis ${args.join(' ').replaceAll(token, '<token>')} (exit ${r.code}, ${r.ms} ms):\n${r.output.replaceAll(token, '<token>')}`
    expect(r.code, why).toBe(0)
    // every operation it selected was tested (none skipped for want of something it could generate)
    const [, selected, tested] = /Selected: (\d+)\/\d+\s+Tested: (\d+)/.exec(r.output) ?? []
    expect(selected, why).toMatch(/^[1-9]\d*$/)
    expect(tested, why).toBe(selected)
    return r
  }

  it(
    'finds nothing on the controller API, the token routes last',
    async () => {
      const token = ctl.adminToken!
      await run(ctl.state.url, '/api/v1/openapi.json', token, 'controller.toml', ['--exclude-path-regex', '^/api/v1/tokens'])
      await run(ctl.state.url, '/api/v1/openapi.json', token, 'controller.toml', ['--include-path-regex', '^/api/v1/tokens'])
    },
    BUDGET_MS + 5_000,
  )

  it(
    'finds nothing on the runtime control API, shutdown last',
    async () => {
      const token = app.server.state.token!
      await run(app.server.state.url, '/runtime/v1/openapi.json', token, 'runtime.toml', ['--exclude-path', '/runtime/v1/shutdown'])
      await run(app.server.state.url, '/runtime/v1/openapi.json', token, 'runtime.toml', ['--include-path', '/runtime/v1/shutdown'])
      expect(shutdowns).toBeGreaterThan(0)
      expect((await fetch(`${app.server.state.url}/healthz`)).status).toBe(200)
    },
    BUDGET_MS + 5_000,
  )
})
