/**
 * @module demo/movies/server-app: the movies API (`/`, `/message1`..`/message3`, `/movies`, `/movies/:id`), keeping its
 * movies in the mongo service. Its request metrics carry the names the tutorial's Grafana dashboard queries
 * (flask_http_request_total, flask_http_request_duration_seconds).
 */
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService, HttpError } from '../lib/service.js'
import type { Ctx, ServiceInit } from '../lib/service.js'

export interface Movie { id: string; title: string; year?: number; director?: string; genres?: string[] }

const MESSAGES = [
  'Hello from the movies server!',
  'Message one: the server is up.',
  'Message two: movies are kept in mongo.',
  'Message three: try GET /movies.',
]
const COLLECTION = '/collections/movies/documents'

/** The fields of a movie a client may set, checked; throws 400 with every problem. */
export function movieFields(body: unknown): Omit<Movie, 'id'> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const problems: string[] = []
  if (typeof b.title !== 'string' || b.title.trim() === '') problems.push('title must be a non-empty string')
  if (b.year !== undefined && (!Number.isInteger(b.year) || (b.year as number) < 1878 || (b.year as number) > 2100)) problems.push('year must be a whole number from 1878 to 2100')
  if (b.director !== undefined && typeof b.director !== 'string') problems.push('director must be a string')
  if (b.genres !== undefined && (!Array.isArray(b.genres) || !b.genres.every((g) => typeof g === 'string'))) problems.push('genres must be a list of strings')
  if (problems.length > 0) throw new HttpError(400, problems.join('; '))
  const movie: Omit<Movie, 'id'> = { title: (b.title as string).trim() }
  if (b.year !== undefined) movie.year = b.year as number
  if (b.director !== undefined) movie.director = b.director as string
  if (b.genres !== undefined) movie.genres = b.genres as string[]
  return movie
}

const toMovie = (doc: Record<string, unknown>): Movie => {
  const { _id, ...rest } = doc
  return { id: String(_id), ...(rest as Omit<Movie, 'id'>) }
}

export function createServerApp(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'server-app', metricNames: { requests: 'flask_http_request_total', duration: 'flask_http_request_duration_seconds' }, ...init })

  /** Calls mongo; a 404 is returned as undefined, any failure to reach it is a 503 that says so. */
  const db = async <T>(ctx: Ctx, path: string, opts: { method?: string; json?: unknown } = {}): Promise<T | undefined> => {
    try {
      const res = await ctx.call<T>('mongo', path, { ...opts, timeoutMs: timeoutFromEnv(svc.env, 'mongo', 2000), accept: (s) => (s >= 200 && s < 300) || s === 404 })
      return res.status === 404 ? undefined : res.body
    } catch (err) {
      if (err instanceof CallError) throw new HttpError(503, `the movie database is unavailable: ${err.message}`)
      throw err
    }
  }
  const idPath = (id: string): string => `${COLLECTION}/${encodeURIComponent(id)}`
  const missing = (id: string): HttpError => new HttpError(404, `no movie with id "${id}"`)

  svc.route('GET', '/', () => ({ json: { message: MESSAGES[0] } }))
  for (const n of [1, 2, 3]) svc.route('GET', `/message${n}`, () => ({ json: { message: MESSAGES[n] } }))

  svc.route('GET', '/movies', async (ctx) => {
    const res = await db<{ documents: Record<string, unknown>[] }>(ctx, COLLECTION)
    return { json: { movies: (res?.documents ?? []).map(toMovie) } }
  })
  svc.route('POST', '/movies', async (ctx) => {
    const fields = movieFields(await ctx.body())
    const doc = await db<Record<string, unknown>>(ctx, COLLECTION, { method: 'POST', json: fields })
    const movie = toMovie(doc!)
    ctx.log.info('movie added', { id: movie.id, title: movie.title })
    return { status: 201, json: movie, headers: { location: `/movies/${movie.id}` } }
  })
  svc.route('GET', '/movies/:id', async (ctx) => {
    const doc = await db<Record<string, unknown>>(ctx, idPath(ctx.params.id!))
    if (!doc) throw missing(ctx.params.id!)
    return { json: toMovie(doc) }
  })
  svc.route('PUT', '/movies/:id', async (ctx) => {
    const doc = await db<Record<string, unknown>>(ctx, idPath(ctx.params.id!), { method: 'PUT', json: movieFields(await ctx.body()) })
    if (!doc) throw missing(ctx.params.id!)
    return { json: toMovie(doc) }
  })
  svc.route('DELETE', '/movies/:id', async (ctx) => {
    if (!(await db(ctx, idPath(ctx.params.id!), { method: 'DELETE' }))) throw missing(ctx.params.id!)
    return { status: 204 }
  })
  return svc
}
