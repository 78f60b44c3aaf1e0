/**
 * @module api/paging: list pages as Kubernetes has them: `limit`, and `continue`, an opaque token naming where
 * the next page starts and the query it belongs to.
 *
 *   GET /api/v1/events?namespace=default&limit=2
 *     → {items: [e1, e2], metadata: {continue: "eyJ2Ijox…", remainingItemCount: 3}}
 *   GET /api/v1/events?namespace=default&limit=2&continue=eyJ2Ijox…
 *     → {items: [e3, e4], metadata: {continue: "…", remainingItemCount: 1}}
 *
 * Pages are keyed on the list's order (the event id; kind, namespace, name for resources; finishedAt, uid for the
 * archive), not an offset: what is added or deleted between two pages never repeats an item or hides one that
 * was there all along. A token
 * never expires (there is no snapshot to lose, so no 410 Gone as Kubernetes answers for a compacted one): a
 * malformed one, or one sent with other query parameters than the request that returned it, is 400
 * API_INVALID_QUERY.
 */
import { createHash } from 'node:crypto'
import { ChaosError } from '../errors.js'
import type { ArchiveKey } from '../store/store.js'
import type { ItemList, Page, ResourceKey } from './types.js'

/** Items a page holds when the request gives no `limit`. */
export const DEFAULT_PAGE = 500
/** The largest `limit` accepted. */
export const MAX_PAGE = 1000

/** The lists that page, each with the key its pages start after. */
export interface PageKeys {
  resources: ResourceKey
  events: number
  archive: ArchiveKey
}

const isKey: { [L in keyof PageKeys]: (k: unknown) => k is PageKeys[L] } = {
  resources: (k): k is ResourceKey => {
    const r = k as Partial<ResourceKey> | null
    return typeof r === 'object' && r !== null && typeof r.kind === 'string' && typeof r.namespace === 'string' && typeof r.name === 'string'
  },
  events: (k): k is number => Number.isSafeInteger(k) && (k as number) >= 0,
  archive: (k): k is ArchiveKey => {
    const a = k as Partial<ArchiveKey> | null
    return typeof a === 'object' && a !== null && typeof a.finishedAt === 'string' && typeof a.uid === 'string'
  },
}

interface Token<K> {
  v: 1
  /** The fingerprint of the list and its query. */
  q: string
  /** The last key of the page before. */
  k: K
}

/** Names the list and every query parameter but the paging ones; `undefined` values are left out. */
function fingerprint(list: string, query: object): string {
  const fields = Object.entries(query).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256').update(JSON.stringify([list, fields])).digest('base64url').slice(0, 16)
}

/** The token a page hands out: the next page starts after `key`, for this list and query only. */
export function continueToken<L extends keyof PageKeys>(list: L, query: object, key: PageKeys[L]): string {
  const token: Token<PageKeys[L]> = { v: 1, q: fingerprint(list, query), k: key }
  return Buffer.from(JSON.stringify(token)).toString('base64url')
}

/**
 * `limit` and `continue` of a request for `list` whose other parameters are `query`: the page size, and the
 * key to start after when continuing. Throws API_INVALID_QUERY for a limit outside 1..{@link MAX_PAGE} and for
 * a token that is malformed or belongs to another list or query.
 */
export function pageRequest<L extends keyof PageKeys>(param: (name: string) => string | undefined, list: L, query: object): { limit: number; after?: PageKeys[L] } {
  const limitQ = param('limit')
  let limit = DEFAULT_PAGE
  if (limitQ !== undefined && limitQ !== '') {
    limit = Number(limitQ)
    if (!/^\d+$/.test(limitQ) || limit < 1 || limit > MAX_PAGE) {
      throw new ChaosError('API_INVALID_QUERY', `limit must be a whole number from 1 to ${MAX_PAGE}, got "${limitQ}"`, { hint: `ask for at most ${MAX_PAGE} items a page and follow metadata.continue for the rest` })
    }
  }
  const token = param('continue')
  if (token === undefined || token === '') return { limit }
  let decoded: Partial<Token<unknown>> | undefined
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(token) ? (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Token<unknown>>) : undefined
  } catch {
    decoded = undefined
  }
  if (!decoded || typeof decoded !== 'object' || decoded.v !== 1 || typeof decoded.q !== 'string' || !isKey[list](decoded.k)) {
    throw new ChaosError('API_INVALID_QUERY', 'continue: not a token this API returned', { hint: 'send metadata.continue of the page before as it came, or leave continue out to start from the first page' })
  }
  if (decoded.q !== fingerprint(list, query)) {
    throw new ChaosError('API_INVALID_QUERY', 'continue: the token belongs to another query: its parameters changed since the page that returned it', {
      hint: 'send the same parameters (but limit) as the request that returned the token, or leave continue out to start again',
    })
  }
  return { limit, after: decoded.k as PageKeys[L] }
}

/** The answer for one page: `{items, metadata: {continue?, remainingItemCount?}}`. */
export function listAnswer<L extends keyof PageKeys, T>(list: L, query: object, page: Page<T, PageKeys[L]>): ItemList<T> {
  if (page.next === undefined) return { items: page.items, metadata: {} }
  return {
    items: page.items,
    metadata: { continue: continueToken(list, query, page.next), ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}) },
  }
}
