/**
 * @module api/archive: the finished experiments over the API, as the controller archived them when they were
 * deleted (src/store/store.ts archive()): a light list, the newest finished first, in pages; and one of them,
 * by uid, with its records and events.
 *
 *   GET /api/v1/archive?namespace=team-a&limit=2
 *     → {items: [{uid, kind, namespace, name, createdAt, finishedAt, object}, …], metadata: {continue, remainingItemCount}}
 *   GET /api/v1/archive/{uid}
 *     → {uid, kind, namespace, name, createdAt, finishedAt, object, records: [...], events: [...]}
 */
import type { Hono } from 'hono'
import { ChaosError } from '../errors.js'
import type { Store } from '../store/store.js'
import { allow, principalOf } from './auth.js'
import { resolveKind } from './kinds.js'
import { listAnswer, pageRequest } from './paging.js'

/** The store's side of the archive. */
export type ArchiveStore = Pick<Store, 'archivedPage' | 'getArchived'>

/** Items a page of the archive holds when the request gives no `limit` (each carries its whole object). */
export const ARCHIVE_PAGE = 100

export function archiveRoutes(app: Hono, store: ArchiveStore): void {
  app.get('/api/v1/archive', (c) => {
    const kind = c.req.query('kind')
    const namespace = c.req.query('namespace')
    const q = { ...(kind && kind !== 'all' ? { kind: resolveKind(kind) } : {}), ...(namespace ? { namespace } : {}) }
    allow(principalOf(c), 'read', q.namespace)
    const { limit, after } = pageRequest((n) => (n === 'limit' ? c.req.query('limit') || String(ARCHIVE_PAGE) : c.req.query(n)), 'archive', q)
    return c.json(listAnswer('archive', q, store.archivedPage({ ...q, limit, ...(after ? { after } : {}) })))
  })
  app.get('/api/v1/archive/:uid', (c) => {
    const uid = c.req.param('uid')
    const row = store.getArchived(uid)
    if (!row) throw new ChaosError('CONTROLLER_NOT_FOUND', `no archived experiment has the uid ${JSON.stringify(uid)}`, { hint: 'list the archive with GET /api/v1/archive' })
    allow(principalOf(c), 'read', row.namespace)
    return c.json(row)
  })
}
