/**
 * @module http-client: the one JSON-over-HTTP call every client of ours makes (the runtime's control API, the
 * controller's API, the CLI's calls): send, decode the JSON answer, turn an error answer back into the
 * ChaosError the server threw, and a connection that fails into the caller's own "not running" error.
 * Built on node:http, not fetch: fetch's first call loads undici (~0.1 s of a CLI command's wall time) and its
 * idle keep-alive socket holds the process after the work is done.
 */
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { ChaosError, errorFromBody } from './errors.js'

export interface JsonRequest {
  method?: string
  /** Sent as is when a string (with `contentType`), as JSON otherwise. */
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Give up after this long (default 30 s); ignored when `signal` is given. */
  timeoutMs?: number
  /** The error for a server that cannot be reached (connection refused, reset, timed out). */
  unreachable: (cause: unknown) => ChaosError
  /** Decodes an error answer's body when the server says more than `{code, message, hint}` (e.g. listed issues). */
  decodeError?: (body: unknown, status: number) => Error | undefined
}

/** An answer: its status and headers, and its body once (as JSON, as text, or streamed). */
export interface HttpAnswer {
  status: number
  ok: boolean
  headers: IncomingHttpHeaders
  /** The body as it arrives (a streamed log, server-sent events). */
  body: AsyncIterable<Uint8Array>
  text(): Promise<string>
  json(): Promise<unknown>
}

function answer(res: IncomingMessage): HttpAnswer {
  const text = async () => {
    let s = ''
    res.setEncoding('utf8')
    for await (const chunk of res) s += chunk as string
    return s
  }
  const status = res.statusCode ?? 0
  return { status, ok: status >= 200 && status < 300, headers: res.headers, body: res, text, json: async () => JSON.parse(await text()) as unknown }
}

/** Sends one request and returns the answer (for streams), after the error checks. */
export async function request(url: string, req: JsonRequest): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...req.headers }
  let body: string | undefined
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
    headers['content-type'] = req.contentType ?? (typeof req.body === 'string' ? 'text/plain' : 'application/json')
    headers['content-length'] = String(Buffer.byteLength(body))
  }
  const signal = req.signal ?? AbortSignal.timeout(req.timeoutMs ?? 30_000)
  let res: IncomingMessage
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      // agent: false: one connection per call, closed with its answer: no idle socket keeps a process alive, and
      // none is reused after the server closed it (a keep-alive pool measured no faster for the controller)
      const r = httpRequest(url, { method: req.method ?? 'GET', headers, agent: false, signal }, resolve)
      r.once('error', reject)
      r.end(body)
    })
  } catch (cause) {
    if (req.signal?.aborted) throw cause
    throw req.unreachable(cause)
  }
  const a = answer(res)
  if (!a.ok) {
    const data: unknown = await a.json().catch(() => ({}))
    throw req.decodeError?.(data, a.status) ?? errorFromBody(data, `${url} answered ${a.status}`)
  }
  return a
}

/** `?k=v&…` of the fields that are set (undefined and empty strings left out), or '' when none is. */
export function query(fields: object): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') q.set(k, String(v))
  return q.size ? `?${q}` : ''
}

/** {@link request}, then the answer's JSON body. */
export async function requestJson<T>(url: string, req: JsonRequest): Promise<T> {
  const res = await request(url, req)
  return (await res.json()) as T
}
