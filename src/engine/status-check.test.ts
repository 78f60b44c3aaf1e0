/**
 * StatusCheck through the Controller (engine/status-check.ts registered as its module) on a real LocalRuntime:
 * real HTTP probes to servers on 127.0.0.1 port 0 (this process's, which log what reached them and answer what the
 * test says) and to a pod of the runtime. Most tests run the controller on a ManualClock: a probe goes out when the
 * test moves time to its tick, the answer comes back over a real socket (waited for with expect.poll), and
 * "nothing more was probed" is checked by moving time on, not by sleeping. One test runs on the system clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { InProcessRuntimeClient } from '../runtime/client.js'
import { LocalRuntime } from '../runtime/local-runtime.js'
import type { AppSpec } from '../manifest/kinds/app.js'
import { validatePaths } from '../manifest/validate.js'
import type { Resource } from '../manifest/validate.js'
import { Controller } from './controller.js'
import type { Clock } from './context.js'
import { abortsWorkflow, finished, statusCheckModule, statusCheckOutcome } from './status-check.js'
import type { StatusCheckStatus } from './status-check-decide.js'
import { resource } from '../../test/doubles/chaos-yaml.js'
import { ManualClock } from '../../test/doubles/manual-clock.js'

const WEB = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGTERM', () => process.exit(0))`
const EXAMPLE = '/work/shared/conformance/chaos-mesh/examples/statuscheck-example.yaml'

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** A server on 127.0.0.1:0 that answers `code` (or never answers on /hang) and logs every request. */
class Probed {
  code = 200
  readonly seen: Seen[] = []
  /** Requests to /hang whose connection the prober closed. */
  hangsClosed = 0
  private server!: Server
  port = 0

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => (body += c))
      req.on('end', () => {
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
        if (req.url === '/hang') {
          res.once('close', () => this.hangsClosed++)
          return // no answer: the probe's timeout (or its worker's stop) ends it
        }
        res.statusCode = this.code
        res.end('answer')
      })
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  url(path = '/healthz'): string {
    return `http://127.0.0.1:${this.port}${path}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}

let dir: string
let rt: LocalRuntime
let srv: Probed
const controllers: Controller[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaoscope-statuscheck-'))
  const file = join(dir, 'app.yaml')
  writeFileSync(file, '# built in the test\n')
  const app = resource(['apiVersion: chaoscope.dev/v1alpha1', 'kind: App', 'metadata: {name: sc}', 'spec:', '  services:', '    - name: web', `      command: [node, -e, ${JSON.stringify(WEB)}]`, '      port: 8080', '      protocol: http', '      labels: {app: web}', '      readinessProbe: {httpGet: {path: /}, periodSeconds: 1}', '      terminationGracePeriodSeconds: 1', ''].join('\n'))
  rt = await LocalRuntime.start(app.spec as unknown as AppSpec, { appFile: file, hostPorts: 'ephemeral' })
  await rt.waitReady(30_000)
  srv = await new Probed().start()
}, 60_000)

afterAll(async () => {
  await srv?.stop()
  await rt?.stop()
  rmSync(dir, { recursive: true, force: true })
})

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop()
  srv.code = 200
  srv.seen.length = 0
  srv.hangsClosed = 0
})

async function open(dbName: string, clock?: Clock): Promise<Controller> {
  const ctl = Controller.open({ dbPath: join(dir, dbName), runtime: new InProcessRuntimeClient(rt), modules: [statusCheckModule], ...(clock ? { clock } : {}) })
  controllers.push(ctl)
  await ctl.start()
  return ctl
}

/** A StatusCheck named `name` with `spec` lines (YAML, indented under spec). */
function check(name: string, spec: string[]): Resource {
  return resource(['apiVersion: chaos-mesh.org/v1alpha1', 'kind: StatusCheck', `metadata: {name: ${name}, namespace: default}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n'))
}

const statusOf = (ctl: Controller, name: string) => ctl.get('StatusCheck', 'default', name)!.status as unknown as StatusCheckStatus
const trueOnes = (s: StatusCheckStatus) => (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type)
const reasons = (ctl: Controller, name: string) => ctl.events({ kind: 'StatusCheck', name }).map((e) => e.reason)

/**
 * How many probes reached the server, counted after a request of the test's own has been answered: a probe sent
 * before it (by a timer the clock just fired) has arrived by then.
 */
async function probesSeen(): Promise<number> {
  await (await fetch(srv.url('/marker'), { signal: AbortSignal.timeout(5000) })).text()
  const i = srv.seen.findIndex((x) => x.url === '/marker')
  srv.seen.splice(i, 1)
  return srv.seen.length
}

/** Moves the manual clock to the next tick and waits for that probe's outcome to be stored. */
async function probeOnce(ctl: Controller, clock: ManualClock, name: string, ms = 1000): Promise<void> {
  const before = statusOf(ctl, name).count ?? 0
  clock.advance(ms)
  await expect.poll(() => statusOf(ctl, name).count ?? 0, { timeout: 5000 }).toBe(before + 1)
}

describe('StatusCheck on the controller', () => {
  it('Synchronous: completes after successThreshold consecutive successes, then probes no more', async () => {
    const clock = new ManualClock()
    const ctl = await open('sync-ok.db', clock)
    await ctl.apply(check('ok', ['mode: Synchronous', 'intervalSeconds: 1', 'successThreshold: 2', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}']))
    const t0 = clock.now()
    expect(statusOf(ctl, 'ok')).toMatchObject({ startTime: new Date(t0).toISOString(), count: 0, chaoscope: { phase: 'Running' } })
    expect(ctl.phase('StatusCheck', 'default', 'ok')).toBe('Running')

    await probeOnce(ctl, clock, 'ok')
    expect(statusCheckOutcome(ctl.store.findResource('StatusCheck', 'default', 'ok')!)).toBe('running')
    await probeOnce(ctl, clock, 'ok')
    const s = statusOf(ctl, 'ok')
    expect(s.records).toEqual([
      { startTime: new Date(t0 + 1000).toISOString(), outcome: 'Success' },
      { startTime: new Date(t0 + 2000).toISOString(), outcome: 'Success' },
    ])
    expect(trueOnes(s)).toEqual(['Completed', 'SuccessThresholdExceed'])
    expect(s.conditions!.find((c) => c.type === 'Completed')!.reason).toBe('StatusCheckSuccessThresholdExceed')
    expect(s.completionTime).toBe(new Date(t0 + 2000).toISOString())
    expect(ctl.phase('StatusCheck', 'default', 'ok')).toBe('Succeeded')
    const row = ctl.store.findResource('StatusCheck', 'default', 'ok')!
    expect([finished(row), statusCheckOutcome(row), abortsWorkflow(row)]).toEqual([true, 'succeeded', false])
    // the second success's event repeats the first one's: written once (as Kubernetes folds repeated events)
    expect(reasons(ctl, 'ok')).toEqual(['StatusCheckExecutionSucceed', 'StatusCheckSuccessThresholdExceed', 'StatusCheckCompleted'])
    expect(ctl.events({ kind: 'StatusCheck', name: 'ok' }).at(-1)!.message).toBe('status check completed: StatusCheckSuccessThresholdExceed')

    clock.advance(5000)
    expect(await probesSeen()).toBe(2)
  })

  it('fails after failureThreshold consecutive failures: Failed, visible with the failing probe', async () => {
    const clock = new ManualClock()
    const ctl = await open('sync-fail.db', clock)
    srv.code = 503
    await ctl.apply(check('bad', ['intervalSeconds: 1', 'failureThreshold: 2', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}']))
    await probeOnce(ctl, clock, 'bad')
    expect(statusCheckOutcome(ctl.store.findResource('StatusCheck', 'default', 'bad')!)).toBe('running')
    await probeOnce(ctl, clock, 'bad')
    const s = statusOf(ctl, 'bad')
    expect(trueOnes(s)).toEqual(['Completed', 'FailureThresholdExceed'])
    expect(s.conditions!.find((c) => c.type === 'Completed')!.reason).toBe('StatusCheckFailureThresholdExceed')
    expect(s.chaoscope).toMatchObject({ phase: 'Failed', lastFailure: 'unexpected status code: 503' })
    const row = ctl.store.findResource('StatusCheck', 'default', 'bad')!
    expect([statusCheckOutcome(row), abortsWorkflow(row)]).toEqual(['failed', true])
    const ev = ctl.events({ kind: 'StatusCheck', name: 'bad' })
    expect(ev.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning StatusCheckExecutionFailed', 'Warning StatusCheckFailureThresholdExceed', 'Normal StatusCheckCompleted'])
    expect(ev[0]!.message).toBe('HTTP execution of status check failed: unexpected status code: 503')
    clock.advance(5000)
    expect(await probesSeen()).toBe(2)
  })

  it('Continuous: runs until its duration (counted from startTime), records kept under recordsHistoryLimit', async () => {
    const clock = new ManualClock()
    const ctl = await open('cont.db', clock)
    await ctl.apply(check('cont', ['mode: Continuous', 'duration: 5s', 'intervalSeconds: 1', 'recordsHistoryLimit: 2', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}']))
    const t0 = clock.now()
    for (let i = 0; i < 4; i++) await probeOnce(ctl, clock, 'cont')
    const mid = statusOf(ctl, 'cont')
    expect(mid.count).toBe(4)
    expect(mid.records!.map((r) => r.startTime)).toEqual([new Date(t0 + 3000).toISOString(), new Date(t0 + 4000).toISOString()])
    expect(trueOnes(mid)).toEqual(['SuccessThresholdExceed']) // not Completed: Continuous
    clock.advance(1000) // the duration's end (no probe at it)
    await expect.poll(() => trueOnes(statusOf(ctl, 'cont'))).toEqual(['Completed', 'DurationExceed', 'SuccessThresholdExceed'])
    const s = statusOf(ctl, 'cont')
    expect(s.completionTime).toBe(new Date(t0 + 5000).toISOString())
    expect(s.conditions!.find((c) => c.type === 'Completed')!.reason).toBe('StatusCheckDurationExceed')
    expect(s.count).toBe(4)
    expect(ctl.phase('StatusCheck', 'default', 'cont')).toBe('Succeeded')
    clock.advance(3000)
    expect(await probesSeen()).toBe(4)
  })

  it('criteria as a range: 204 is in "200-299", 302 is not', async () => {
    const clock = new ManualClock()
    const ctl = await open('range.db', clock)
    srv.code = 302
    await ctl.apply(check('range', ['mode: Continuous', 'intervalSeconds: 1', 'failureThreshold: 5', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200-299"}']))
    await probeOnce(ctl, clock, 'range')
    srv.code = 204
    await probeOnce(ctl, clock, 'range')
    srv.code = 299
    await probeOnce(ctl, clock, 'range')
    expect(statusOf(ctl, 'range').records!.map((r) => r.outcome)).toEqual(['Failure', 'Success', 'Success'])
    expect(ctl.events({ kind: 'StatusCheck', name: 'range' })[0]!.message).toBe('HTTP execution of status check failed: unexpected status code: 302')
  })

  it('a probe with no answer within timeoutSeconds is aborted and counts as a failure', async () => {
    const clock = new ManualClock()
    const ctl = await open('timeout.db', clock)
    await ctl.apply(check('slow', ['intervalSeconds: 5', 'timeoutSeconds: 2', 'failureThreshold: 1', 'http:', `  url: ${srv.url('/hang')}`, '  criteria: {statusCode: "200"}']))
    clock.advance(5000) // the probe goes out
    await expect.poll(() => srv.seen.length).toBe(1)
    clock.advance(1999)
    await new Promise((r) => setImmediate(r))
    expect(statusOf(ctl, 'slow').count).toBe(0) // still waiting
    clock.advance(1) // its timeout
    await expect.poll(() => statusOf(ctl, 'slow').count).toBe(1)
    const s = statusOf(ctl, 'slow')
    expect(s.records).toEqual([{ startTime: new Date(clock.now() - 2000).toISOString(), outcome: 'Failure' }])
    expect(s.chaoscope?.phase).toBe('Failed')
    expect(s.chaoscope?.lastFailure).toMatch(/no answer within 2 s/)
  })

  it('POST with headers and body reaches the server as sent', async () => {
    const clock = new ManualClock()
    const ctl = await open('post.db', clock)
    await ctl.apply(
      check('post', ['intervalSeconds: 1', 'http:', `  url: ${srv.url('/probe?x=1')}`, '  method: POST', '  headers: {X-Probe: [one, two], Content-Type: [application/json]}', `  body: '{"hello": "world"}'`, '  criteria: {statusCode: "200"}']),
    )
    await probeOnce(ctl, clock, 'post')
    expect(srv.seen).toHaveLength(1)
    const got = srv.seen[0]!
    expect(got).toMatchObject({ method: 'POST', url: '/probe?x=1', body: '{"hello": "world"}' })
    expect(got.headers['x-probe']).toBe('one, two')
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength('{"hello": "world"}')))
    expect(statusOf(ctl, 'post').chaoscope?.phase).toBe('Succeeded')
  })

  it('a restarted controller (new Controller, same database) continues from the stored records and startTime', async () => {
    const db = 'restart.db'
    const clock = new ManualClock()
    const first = await open(db, clock)
    await first.apply(check('long', ['mode: Continuous', 'duration: 60s', 'intervalSeconds: 10', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}']))
    const t0 = clock.now()
    await probeOnce(first, clock, 'long', 10_000)
    await probeOnce(first, clock, 'long', 10_000)
    await first.stop()
    controllers.splice(controllers.indexOf(first), 1)

    // 15 s later (the 30 s tick was missed while nothing ran)
    const later = new ManualClock(t0 + 35_000)
    const second = await open(db, later)
    later.advance(0) // the catch-up probe's timer is due now (a manual clock fires timers only when moved)
    await expect.poll(() => statusOf(second, 'long').count).toBe(3) // one probe at once
    let s = statusOf(second, 'long')
    expect(s.startTime).toBe(new Date(t0).toISOString())
    expect(s.records!.map((r) => Date.parse(r.startTime) - t0)).toEqual([10_000, 20_000, 35_000])
    await probeOnce(second, later, 'long', 5_000) // back on the grid: 40 s
    await probeOnce(second, later, 'long', 10_000) // 50 s
    later.advance(10_000) // 60 s: the end, counted from the first start
    await expect.poll(() => trueOnes(statusOf(second, 'long'))).toContain('Completed')
    s = statusOf(second, 'long')
    expect(s.completionTime).toBe(new Date(t0 + 60_000).toISOString())
    expect(s.count).toBe(5)
    expect(await probesSeen()).toBe(5)
  })

  it('deleting a check stops its probes; it is archived', async () => {
    const clock = new ManualClock()
    const ctl = await open('delete.db', clock)
    await ctl.apply(check('gone', ['mode: Continuous', 'intervalSeconds: 1', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}']))
    await probeOnce(ctl, clock, 'gone')
    const r = await ctl.delete('StatusCheck', 'default', 'gone')
    expect(r.gone).toBe(true)
    clock.advance(5000)
    expect(await probesSeen()).toBe(1)
  })

  it("controller stop() stops every worker: the probe in flight is abandoned, none is stored", async () => {
    const clock = new ManualClock()
    const ctl = await open('stop.db', clock)
    await ctl.apply(check('hung', ['intervalSeconds: 1', 'timeoutSeconds: 30', 'http:', `  url: ${srv.url('/hang')}`, '  criteria: {statusCode: "200"}']))
    clock.advance(1000)
    await expect.poll(() => srv.seen.length).toBe(1)
    await ctl.stop()
    await expect.poll(() => srv.hangsClosed).toBe(1) // aborted without its timeout (the clock did not move)
    const db = Controller.open({ dbPath: join(dir, 'stop.db'), runtime: new InProcessRuntimeClient(rt), modules: [statusCheckModule], clock })
    controllers.push(db)
    expect(statusOf(db, 'hung').count).toBe(0)
  })

  it('on the system clock: probes every interval and completes', async () => {
    const ctl = await open('real.db')
    await ctl.apply(check('real', ['intervalSeconds: 1', 'successThreshold: 2', 'http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200-299"}']))
    await expect.poll(() => statusOf(ctl, 'real').chaoscope?.phase, { timeout: 6000, interval: 100 }).toBe('Succeeded')
    const s = statusOf(ctl, 'real')
    const [a, b] = s.records!.map((x) => Date.parse(x.startTime))
    expect(a! - Date.parse(s.startTime!)).toBeGreaterThanOrEqual(950)
    expect(b! - a!).toBeGreaterThanOrEqual(900)
    expect(b! - a!).toBeLessThan(2000)
  }, 10_000)

  it("Chaos Mesh's statuscheck-example.yaml runs, its url (123.123.123.123, not loopback) pointed at a pod of the runtime", async () => {
    const r = validatePaths([EXAMPLE])
    expect(r.issues).toEqual([])
    const example = structuredClone(r.resources[0]!)
    const pod = (await rt.pods()).find((p) => p.service === 'web')!
    const http = example.spec.http as { url: string }
    expect(http.url).toBe('http://123.123.123.123')
    http.url = `http://${pod.address}` // retargeted: the example's address is not reachable from a test
    const clock = new ManualClock()
    const ctl = await open('example.db', clock)
    await ctl.apply(example)
    // Chaos Mesh's defaults: Synchronous, every 10 s, one success completes it
    clock.advance(9999)
    expect(statusOf(ctl, 'status-check-example').count).toBe(0)
    await probeOnce(ctl, clock, 'status-check-example', 1)
    const s = statusOf(ctl, 'status-check-example')
    expect(trueOnes(s)).toEqual(['Completed', 'SuccessThresholdExceed'])
    expect(ctl.phase('StatusCheck', 'default', 'status-check-example')).toBe('Succeeded')
  })

  it('apply refuses a check that could never probe (a spawned spec is not validated as a file is)', async () => {
    const ctl = await open('refuse.db', new ManualClock())
    const base = check('refused', ['http:', `  url: ${srv.url()}`, '  criteria: {statusCode: "200"}'])
    const ftp = structuredClone(base)
    ;(ftp.spec.http as { url: string }).url = 'ftp://x'
    await expect(ctl.apply(ftp)).rejects.toMatchObject({ code: 'SPEC_INVALID_VALUE' })
    const code = structuredClone(base)
    ;(code.spec.http as { criteria: { statusCode: string } }).criteria.statusCode = '2xx'
    await expect(ctl.apply(code)).rejects.toMatchObject({ code: 'SPEC_INVALID_VALUE' })
    const none = structuredClone(base)
    delete none.spec.http
    await expect(ctl.apply(none)).rejects.toMatchObject({ code: 'SPEC_REQUIRED' })
    expect(ctl.list()).toEqual([])
  })
})
