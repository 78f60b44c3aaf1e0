/**
 * @module dashboard/api: the page's calls to /api/v1 on its own origin. The token travels in `Authorization` only,
 * never in a URL; a 401 ends the session (the page shows the login again).
 *
 *   page ─▶ Api.get/post/delete ─▶ fetch(same origin, Bearer token) ─▶ JSON, or ApiError {status, code, message, hint, issues}
 *   page ─▶ Api.watch ─▶ fetch(/api/v1/watch) ─▶ server-sent events read from the body stream ─▶ onChange
 */
import type { ChangeNotice, Issue } from './types.js'

/** An error answer of the API, as its JSON body says it: `{code, message, hint?, issues?}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly issues: Issue[] = [],
  ) {
    super(message)
  }
}

/** How long a watch may be silent before it is taken for dead: twice the server's keep-alive interval, and some. */
export const WATCH_SILENCE_MS = 35_000

export interface WatchHandlers {
  /** The stream is open: what was listed before it may have changed meanwhile, so list again. */
  onReady?: () => void
  onChange: (change: ChangeNotice) => void
  /** The stream ended (dropped, closed by the server, or the network): the caller lists and watches again. */
  onEnd?: (reason: string) => void
}

export class Api {
  constructor(
    private readonly token: string,
    /** Called once a call is answered 401: the token is wrong, revoked or expired. */
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path)
  }

  /** The text of a GET (pod logs, an HTML report). */
  async text(path: string): Promise<string> {
    const res = await this.fetch('GET', path)
    return res.text()
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) })
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path)
  }

  /** Applies YAML (one or more documents) as `chaoscope apply -f` does; `dryRun` validates and plans only. */
  apply<T>(yaml: string, opts: { dryRun?: boolean; file?: string } = {}): Promise<T> {
    const q = new URLSearchParams()
    if (opts.dryRun) q.set('dryRun', 'true')
    if (opts.file) q.set('file', opts.file)
    return this.call<T>('POST', `/api/v1/resources${q.size ? `?${q}` : ''}`, { type: 'application/yaml', text: yaml })
  }

  /**
   * Checks YAML as an apply's dry run does (POST /api/v1/validate), the problems answered as data: what an editor
   * asks while someone types (no error answer in the browser's console, no audit row).
   */
  validate<T>(yaml: string, file: string): Promise<T> {
    return this.call<T>('POST', `/api/v1/validate?${new URLSearchParams({ file })}`, { type: 'application/yaml', text: yaml })
  }

  /**
   * Follows GET /api/v1/watch (`query`: kind, namespace, labelSelector) until `signal` aborts or the stream ends.
   * EventSource cannot send a header, so the stream is read from fetch's body.
   */
  async watch(query: Record<string, string>, handlers: WatchHandlers, signal: AbortSignal): Promise<void> {
    const q = new URLSearchParams(query)
    let reason = 'closed'
    // the server writes at least a keep-alive every 15 s: a stream silent for longer is dead (a laptop that slept,
    // a network that changed), though no error says so
    const silence = new AbortController()
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const heard = () => {
      clearTimeout(watchdog)
      watchdog = setTimeout(() => silence.abort(), WATCH_SILENCE_MS)
    }
    try {
      const res = await this.fetch('GET', `/api/v1/watch${q.size ? `?${q}` : ''}`, undefined, AbortSignal.any([signal, silence.signal]))
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      heard()
      reading: for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        heard()
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const ev = parseEvent(block)
          if (ev.event === 'ready') handlers.onReady?.()
          else if (ev.event === 'change') handlers.onChange(JSON.parse(ev.data) as ChangeNotice)
          else if (ev.event === 'dropped') {
            // the last event of a watch that fell behind: what follows is lost, so end now and list again
            reason = (JSON.parse(ev.data) as { reason: string }).reason
            await reader.cancel().catch(() => {})
            break reading
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return
      reason = silence.signal.aborted ? `no word from the server for ${WATCH_SILENCE_MS / 1000} s` : e instanceof Error ? e.message : String(e)
    } finally {
      clearTimeout(watchdog)
    }
    if (!signal.aborted) handlers.onEnd?.(reason)
  }

  private async call<T>(method: string, path: string, body?: { type: string; text: string }): Promise<T> {
    const res = await this.fetch(method, path, body)
    return (await res.json()) as T
  }

  private async fetch(method: string, path: string, body?: { type: string; text: string }, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' }
    if (body) headers['Content-Type'] = body.type
    const res = await fetch(path, { method, headers, ...(body ? { body: body.text } : {}), ...(signal ? { signal } : {}), cache: 'no-store' })
    if (res.ok) return res
    const err = await res.json().catch(() => ({})) as { code?: string; message?: string; hint?: string; issues?: Issue[] }
    if (res.status === 401) this.onUnauthorized()
    throw new ApiError(res.status, err.code ?? `HTTP_${res.status}`, err.message ?? res.statusText, err.hint, err.issues ?? [])
  }
}

/** One server-sent event block: its `event:` name and its `data:` lines joined. Comments (keep-alives) give none. */
function parseEvent(block: string): { event: string; data: string } {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim()
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
  }
  return { event: data.length ? event : 'comment', data: data.join('\n') }
}

/**
 * An error as the page shows it: the API's message and code, and its hint unless `hint` is false (where the hint is
 * shown apart); anything else as it stringifies.
 */
export function errorText(e: unknown, opts: { hint?: boolean } = {}): string {
  if (!(e instanceof ApiError)) return String(e)
  return `${e.message} (${e.code})${opts.hint !== false && e.hint ? `: ${e.hint}` : ''}`
}

/** Who the token is (GET /api/v1/whoami), to check it at login and to hide what its role may not do. */
export function canWrite(role: string): boolean {
  return role === 'operator' || role === 'admin'
}
