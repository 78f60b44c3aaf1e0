/**
 * @module http-client: the one JSON-over-HTTP call every client of ours makes (the runtime's control API, the
 * controller's API, the CLI's calls): send, decode the JSON answer, turn an error answer back into the
 * ChaosError the server threw, and a connection that fails into the caller's own "not running" error.
 */
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

/** Sends one request and returns the answer's status and raw Response (for streams), after the error checks. */
export async function request(url: string, req: JsonRequest): Promise<Response> {
  const headers: Record<string, string> = { ...req.headers }
  let body: string | undefined
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
    headers['content-type'] = req.contentType ?? (typeof req.body === 'string' ? 'text/plain' : 'application/json')
  }
  let res: Response
  try {
    res = await fetch(url, { method: req.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), signal: req.signal ?? AbortSignal.timeout(req.timeoutMs ?? 30_000) })
  } catch (cause) {
    if (req.signal?.aborted) throw cause
    throw req.unreachable(cause)
  }
  if (!res.ok) {
    const data: unknown = await res.json().catch(() => ({}))
    throw req.decodeError?.(data, res.status) ?? errorFromBody(data, `${url} answered ${res.status}`)
  }
  return res
}

/** {@link request}, then the answer's JSON body. */
export async function requestJson<T>(url: string, req: JsonRequest): Promise<T> {
  const res = await request(url, req)
  return (await res.json()) as T
}
