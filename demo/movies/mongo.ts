/**
 * @module demo/movies/mongo: the movies app's database: a small document store over HTTP standing in for MongoDB.
 * Collections of JSON documents with generated `_id`s, kept in `<dir>/db.json`: written after every change and read
 * from disk again by every request (no cache), so documents survive a restart like a volume would, and a slow or
 * failing disk (IOChaos on the data directory) shows in every answer's latency and errors, as a database's would. `<dir>` is env DATA_DIR, else the
 * directory the runtime hands the service in CHAOSCOPE_DATA_DIR (under $CHAOSCOPE_HOME, one per service and state
 * directory, so two runtimes of this demo never share documents); with neither, documents live in memory only.
 *
 *   POST   /collections/:c/documents        insert → 201 the document with its _id
 *   GET    /collections/:c/documents?f=v    find (optional equality filters on top-level string/number fields)
 *   GET    /collections/:c/documents/:id    one document, or 404
 *   PUT    /collections/:c/documents/:id    replace (the _id stays), or 404
 *   DELETE /collections/:c/documents/:id    remove, or 404
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'

type Doc = Record<string, unknown> & { _id: string }

const NAME = /^[A-Za-z0-9_-]{1,64}$/
const MAX_DOCS = 100_000

/** 24 hex characters, the shape of a MongoDB ObjectId. */
const newId = (): string => Math.floor(Date.now() / 1000).toString(16).padStart(8, '0') + randomBytes(8).toString('hex')

export function createMongo(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'mongo', ...init })
  const dir = svc.env.DATA_DIR || svc.env.CHAOSCOPE_DATA_DIR
  const file = dir ? join(dir, 'db.json') : undefined
  const collections = new Map<string, Map<string, Doc>>()

  /** Reads the documents from disk again (every request does: the disk is the truth, as a database's is). */
  const load = (): void => {
    if (!file) return
    let text: string | undefined
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new HttpError(500, `cannot read ${file}: ${(e as Error).message}`)
      return // first start: nothing saved yet
    }
    const saved = JSON.parse(text) as Record<string, Doc[]>
    collections.clear()
    for (const [name, docs] of Object.entries(saved)) collections.set(name, new Map(docs.map((d) => [d._id, d])))
  }
  if (file) {
    mkdirSync(dir!, { recursive: true })
    load()
    svc.log.info('loaded', { file, collections: collections.size })
  }
  const persist = (): void => {
    if (!file) return
    const out: Record<string, Doc[]> = {}
    for (const [name, docs] of collections) out[name] = [...docs.values()]
    try {
      writeFileSync(file + '.tmp', JSON.stringify(out))
      renameSync(file + '.tmp', file)
    } catch (e) {
      throw new HttpError(500, `cannot write ${file}: ${(e as Error).message}`)
    }
  }
  const collection = (name: string | undefined): Map<string, Doc> => {
    if (!name || !NAME.test(name)) throw new HttpError(400, 'a collection name is 1 to 64 letters, digits, "_" or "-"')
    load()
    let c = collections.get(name)
    if (!c) collections.set(name, (c = new Map()))
    return c
  }
  const docBody = async (body: Promise<unknown>): Promise<Record<string, unknown>> => {
    const doc = await body
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new HttpError(400, 'a document is a JSON object')
    return doc as Record<string, unknown>
  }
  const notFound = (c: string, id: string): HttpError => new HttpError(404, `no document with _id "${id}" in ${c}`)

  svc.route('POST', '/collections/:c/documents', async (ctx) => {
    const docs = collection(ctx.params.c)
    if (docs.size >= MAX_DOCS) throw new HttpError(507, `the collection is full (${MAX_DOCS} documents)`)
    const doc: Doc = { ...(await docBody(ctx.body())), _id: newId() }
    docs.set(doc._id, doc)
    persist()
    return { status: 201, json: doc }
  })
  svc.route('GET', '/collections/:c/documents', ({ params, url }) => {
    const filters = [...url.searchParams]
    const documents = [...collection(params.c).values()].filter((d) => filters.every(([k, v]) => String(d[k]) === v))
    return { json: { documents } }
  })
  svc.route('GET', '/collections/:c/documents/:id', ({ params }) => {
    const doc = collection(params.c).get(params.id!)
    if (!doc) throw notFound(params.c!, params.id!)
    return { json: doc }
  })
  svc.route('PUT', '/collections/:c/documents/:id', async (ctx) => {
    const docs = collection(ctx.params.c)
    if (!docs.has(ctx.params.id!)) throw notFound(ctx.params.c!, ctx.params.id!)
    const doc: Doc = { ...(await docBody(ctx.body())), _id: ctx.params.id! }
    docs.set(doc._id, doc)
    persist()
    return { json: doc }
  })
  svc.route('DELETE', '/collections/:c/documents/:id', ({ params }) => {
    if (!collection(params.c).delete(params.id!)) throw notFound(params.c!, params.id!)
    persist()
    return { json: { deleted: params.id } }
  })
  return svc
}
