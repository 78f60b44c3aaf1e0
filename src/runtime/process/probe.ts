/** @module runtime/process/probe: readiness probes (httpGet, tcpSocket) against a pod's address, with the kubelet's thresholds. */
import { request } from 'node:http'
import { connect } from 'node:net'

/** What a probe connects to: `host` is the pod's address (default 127.0.0.1). */
export type ProbeHandler = { httpGet: { path: string; port: number; host?: string } } | { tcpSocket: { port: number; host?: string } }

export interface ProbeResult {
  ok: boolean
  /** Why it failed, or what answered (`HTTP 200`, `connected`). */
  detail: string
}

/** One probe attempt on the pod's address. Never rejects. httpGet: 2xx and 3xx succeed (redirects are not followed). */
export function probeOnce(handler: ProbeHandler, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const timer = setTimeout(() => {
      finish({ ok: false, detail: `timed out after ${timeoutMs}ms` })
      cleanup()
    }, timeoutMs)
    let cleanup = (): void => {}
    if ('httpGet' in handler) {
      const path = handler.httpGet.path.startsWith('/') ? handler.httpGet.path : `/${handler.httpGet.path}`
      const req = request({ host: handler.httpGet.host ?? '127.0.0.1', port: handler.httpGet.port, path, method: 'GET', agent: false, headers: { 'user-agent': 'chaoscope-probe', connection: 'close' } }, (res) => {
        const code = res.statusCode ?? 0
        res.resume()
        finish({ ok: code >= 200 && code < 400, detail: `HTTP ${code}` })
        req.destroy()
      })
      req.on('error', (e) => finish({ ok: false, detail: e.message }))
      req.end()
      cleanup = () => req.destroy()
    } else {
      const sock = connect({ host: handler.tcpSocket.host ?? '127.0.0.1', port: handler.tcpSocket.port })
      sock.on('connect', () => {
        finish({ ok: true, detail: 'connected' })
        sock.destroy()
      })
      sock.on('error', (e) => finish({ ok: false, detail: e.message }))
      cleanup = () => sock.destroy()
    }
  })
}

export interface ReadinessSettings {
  handler: ProbeHandler
  initialDelayMs: number
  periodMs: number
  timeoutMs: number
  successThreshold: number
  failureThreshold: number
}

/**
 * Probes one running container every period, after the initial delay, and reports readiness changes: ready after
 * `successThreshold` successes in a row, not ready after `failureThreshold` failures in a row. Starts not ready.
 * Attempts never overlap. `stop()` is final and silences further reports.
 */
export class ReadinessProber {
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private ready = false
  private successes = 0
  private failures = 0
  last: ProbeResult | undefined

  constructor(
    private readonly settings: ReadinessSettings,
    private readonly onChange: (ready: boolean, last: ProbeResult) => void,
  ) {
    this.timer = setTimeout(() => void this.tick(), settings.initialDelayMs)
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    const started = Date.now()
    const r = await probeOnce(this.settings.handler, this.settings.timeoutMs)
    if (this.stopped) return
    this.last = r
    if (r.ok) {
      this.failures = 0
      this.successes++
      if (!this.ready && this.successes >= this.settings.successThreshold) {
        this.ready = true
        this.onChange(true, r)
      }
    } else {
      this.successes = 0
      this.failures++
      if (this.ready && this.failures >= this.settings.failureThreshold) {
        this.ready = false
        this.onChange(false, r)
      }
    }
    const wait = Math.max(0, this.settings.periodMs - (Date.now() - started))
    this.timer = setTimeout(() => void this.tick(), wait)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }
}
