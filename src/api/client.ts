/**
 * @module api/client: the controller API over HTTP, as the CLI uses it. Error answers come back as ChaosErrors
 * with the server's code (an IssuesError when the server listed issues).
 */
import { ChaosError } from '../errors.js'
import { query as queryString, request } from '../http-client.js'
import type { HttpAnswer } from '../http-client.js'
import type { RuntimePod } from '../runtime/client.js'
import { ADMIN_TOKEN_FILE, readSecret, requireController } from '../store/state-files.js'
import type { Issue } from '../manifest/issues.js'
import { IssuesError } from './apply.js'
import { plural } from './kinds.js'
import { MAX_PAGE } from './paging.js'
import type { AuditRow } from '../store/store.js'
import type { ApplyResult, ChaosEvent, ChaosObject, EventQuery, ItemList, ListQuery, PageQuery, TokenInfo } from './types.js'

export interface ApplyResponse {
  dryRun: boolean
  items: ApplyResult[]
}

/** The token the CLI sends: $CHAOSCOPE_TOKEN, else the local admin token in $CHAOSCOPE_HOME/token (undefined: none). */
export function cliToken(): string | undefined {
  return process.env.CHAOSCOPE_TOKEN?.trim() || readSecret(ADMIN_TOKEN_FILE)
}

/**
 * The lists (`list`, `events`, `objectEvents`) return every item: they ask for pages of {@link MAX_PAGE} and
 * follow `metadata.continue` to the end, as kubectl does with its --chunk-size; `page` reads one page.
 *
 * @example
 * const api = ControllerClient.fromState()
 * const { items } = await api.apply(readFileSync('delay.yaml', 'utf8'), { file: 'delay.yaml' })
 */
export class ControllerClient {
  /** `token`: sent as `Authorization: Bearer` on every call. */
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  /**
   * The controller of $CHAOSCOPE_SERVER (a URL) with $CHAOSCOPE_TOKEN only: the local admin token never leaves for
   * a server the user named. Else the one $CHAOSCOPE_HOME/controller.json names (API_CONTROLLER_NOT_RUNNING when
   * there is none), with $CHAOSCOPE_TOKEN or the local admin token.
   */
  static fromState(): ControllerClient {
    const server = process.env.CHAOSCOPE_SERVER?.trim().replace(/\/+$/, '')
    if (server) return new ControllerClient(server, process.env.CHAOSCOPE_TOKEN?.trim() || undefined)
    return new ControllerClient(requireController().url, cliToken())
  }

  async call<T>(method: string, path: string, body?: string, opts: { signal?: AbortSignal; timeoutMs?: number; contentType?: string } = {}): Promise<T> {
    const res = await this.send(method, path, body, opts)
    return (await res.json()) as T
  }

  private send(method: string, path: string, body: string | undefined, opts: { signal?: AbortSignal; timeoutMs?: number; contentType?: string }): Promise<HttpAnswer> {
    return request(`${this.url}${path}`, {
      method,
      ...(this.token ? { headers: { authorization: `Bearer ${this.token}` } } : {}),
      ...(body !== undefined ? { body, contentType: opts.contentType ?? 'application/yaml' } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutMs: opts.timeoutMs ?? 60_000,
      unreachable: (cause) => new ChaosError('API_CONTROLLER_NOT_RUNNING', `the controller does not answer at ${this.url}`, { cause, retryable: true, hint: 'it may be starting or stopping; try again, or start it with `chaoscope up` or `chaoscope server`' }),
      decodeError: (data) => {
        const issues = (data as { issues?: Issue[] }).issues
        return issues && issues.length > 0 ? new IssuesError(issues, 'the input') : undefined
      },
    })
  }

  apply(text: string, opts: { dryRun?: boolean; file?: string } = {}): Promise<ApplyResponse> {
    return this.call('POST', `/api/v1/resources${queryString({ dryRun: opts.dryRun || undefined, file: opts.file })}`, text)
  }

  list(query: ListQuery = {}): Promise<ChaosObject[]> {
    return this.all('/api/v1/resources', query)
  }

  /** One page of a list endpoint (`/api/v1/resources`, `/api/v1/events`, `…/{name}/events`) with its metadata. */
  page<T>(path: string, query: object & PageQuery = {}): Promise<ItemList<T>> {
    return this.call('GET', `${path}${queryString(query)}`)
  }

  /** Every item of a list endpoint, page after page; the pages are keyed, so none repeats or is skipped. */
  private async all<T>(path: string, query: object): Promise<T[]> {
    const items: T[] = []
    let token: string | undefined
    for (;;) {
      const page = await this.page<T>(path, { ...query, limit: MAX_PAGE, ...(token ? { continue: token } : {}) })
      items.push(...page.items)
      const next = page.metadata?.continue
      if (!next || next === token) return items
      token = next
    }
  }

  /** With `refresh`, the records' evidence is read fresh from the data path first. */
  get(kind: string, namespace: string, name: string, opts: { refresh?: boolean } = {}): Promise<ChaosObject> {
    return this.call('GET', `${one(kind, namespace, name)}${opts.refresh ? '?refresh=true' : ''}`)
  }

  /** Resolves once every target is recovered and the object is gone (unless `wait` is false). */
  delete(kind: string, namespace: string, name: string, opts: { wait?: boolean; timeoutSeconds?: number } = {}): Promise<{ deleted: boolean; gone: boolean; object: ChaosObject | null }> {
    // the server may wait up to timeoutSeconds for recovery: the call waits a little longer than that
    return this.call('DELETE', `${one(kind, namespace, name)}${queryString(opts)}`, undefined, { timeoutMs: ((opts.timeoutSeconds ?? 60) + 30) * 1000 })
  }

  pause(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.call('POST', `${one(kind, namespace, name)}/pause`)
  }

  resume(kind: string, namespace: string, name: string): Promise<ChaosObject> {
    return this.call('POST', `${one(kind, namespace, name)}/resume`)
  }

  events(query: EventQuery = {}): Promise<ChaosEvent[]> {
    return this.all('/api/v1/events', query)
  }

  objectEvents(kind: string, namespace: string, name: string): Promise<ChaosEvent[]> {
    return this.all(`${one(kind, namespace, name)}/events`, {})
  }

  async pods(query: { namespace?: string; labelSelector?: string } = {}): Promise<RuntimePod[]> {
    return (await this.call<{ items: RuntimePod[] }>('GET', `/api/v1/pods${queryString(query)}`)).items
  }

  /** Who the token is: its name, role and namespaces. */
  whoami(): Promise<{ name: string; role: string; namespaces: string[] }> {
    return this.call('GET', '/api/v1/whoami')
  }

  /** A new token (admin): the answer holds it, once. */
  createToken(t: { name: string; role: string; namespaces?: string[]; expires?: string }): Promise<TokenInfo & { token: string }> {
    return this.call('POST', '/api/v1/tokens', JSON.stringify(t), { contentType: 'application/json' })
  }

  async tokens(): Promise<TokenInfo[]> {
    return (await this.call<{ items: TokenInfo[] }>('GET', '/api/v1/tokens')).items
  }

  revokeToken(name: string): Promise<{ name: string; revoked: boolean; state: string }> {
    return this.call('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`)
  }

  /** Audit rows (admin), oldest first, every page of them. */
  async audit(q: { since?: string; until?: string; actor?: string } = {}): Promise<AuditRow[]> {
    const out: AuditRow[] = []
    let afterId: number | undefined
    for (;;) {
      const { items } = await this.call<{ items: AuditRow[] }>('GET', `/api/v1/audit${queryString({ ...q, afterId, limit: 1000 })}`)
      out.push(...items)
      if (items.length < 1000) return out
      afterId = items[items.length - 1]!.id
    }
  }

  /** Keeps a `chaoscope run` journal (POST /api/v1/runs); the answer's id names the run for reports. */
  postRun(journal: unknown): Promise<{ id: number; experiment: string; title: string }> {
    return this.call('POST', '/api/v1/runs', JSON.stringify(journal), { contentType: 'application/json' })
  }

  /** The runs kept, without their journals (`since`/`until` on when they ended). */
  runs(q: { experiment?: string; since?: string; until?: string; limit?: number } = {}): Promise<{ id: number; experiment: string; title: string; startedAt: string; endedAt: string; status: string; deviated: boolean }[]> {
    return this.call<{ items: Awaited<ReturnType<ControllerClient['runs']>> }>('GET', `/api/v1/runs${queryString(q)}`).then((r) => r.items)
  }

  /** A report as text in `format` (GET /api/v1/report): of a range (`since`, or `from`/`to`), or of one run. */
  async report(q: { since?: string; from?: string; to?: string; run?: number; title?: string }, format: 'json' | 'html' | 'md'): Promise<string> {
    const res = await this.send('GET', `/api/v1/report${queryString({ ...q, format })}`, undefined, { timeoutMs: 120_000 })
    return res.text()
  }

  /** Server-sent changes until `signal` aborts (or the server goes away). */
  async *watch(query: ListQuery = {}, signal?: AbortSignal): AsyncGenerator<unknown> {
    const res = await this.send('GET', `/api/v1/watch${queryString(query)}`, undefined, signal ? { signal } : { timeoutMs: 2 ** 31 - 1 })
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end)
          buf = buf.slice(end + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
          }
          if (event === 'change' && data.length > 0) yield JSON.parse(data.join('\n')) as unknown
          if (event === 'dropped') throw droppedError(data.join('\n'))
        }
      }
    } catch (e) {
      if (signal?.aborted) return
      throw e
    }
  }
}

/** The server ended the watch (`event: dropped`, data `{reason, message, lastId}`): the caller must list again. */
function droppedError(data: string): ChaosError {
  let d: { reason?: string; message?: string } = {}
  try {
    d = JSON.parse(data) as typeof d
  } catch {
    // a reason that is not JSON is still a drop
  }
  return new ChaosError('API_WATCH_DROPPED', `the controller ended the watch (${d.reason ?? 'no reason given'}): ${d.message ?? data}`, { hint: 'run the command again: it lists afresh, then watches' })
}

function one(kind: string, namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural(kind)}/${encodeURIComponent(name)}`
}

