/** @module demo/movies/movies.test: the movies API and its database, wired as demo/movies/app.yaml says. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { ServiceConfig } from '../../src/runtime/app.js'
import { PodSupervisor } from '../../src/runtime/process/supervisor.js'
import { deadUrl, readApp, startApp } from '../lib/testing.js'
import type { StartOptions, StartedApp } from '../lib/testing.js'
import { MOVIES_FACTORIES } from './services.js'

const APP_FILE = fileURLToPath(new URL('./app.yaml', import.meta.url))

let app: StartedApp | undefined
let dataDir: string
beforeEach(() => { dataDir = mkdtempSync(join(tmpdir(), 'movies-db-')) })
afterEach(async () => {
  await app?.close()
  app = undefined
  rmSync(dataDir, { recursive: true, force: true })
})

async function start(opts: StartOptions = {}): Promise<StartedApp> {
  app = await startApp(APP_FILE, MOVIES_FACTORIES, { ...opts, env: { mongo: { DATA_DIR: dataDir } } })
  return app
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
}

describe('movies', () => {
  test('the server answers its messages', async () => {
    const base = (await start()).url('server-app')
    expect(await call(base, 'GET', '/')).toEqual({ status: 200, body: { message: 'Hello from the movies server!' } })
    for (const n of [1, 2, 3]) expect((await call(base, 'GET', `/message${n}`)).body.message).toMatch(/^Message (one|two|three): /)
  })

  test('movies are created, listed, read, replaced and deleted through the server app', async () => {
    const base = (await start()).url('server-app')
    expect(await call(base, 'GET', '/movies')).toEqual({ status: 200, body: { movies: [] } })

    const created = await call(base, 'POST', '/movies', { title: 'Metropolis', year: 1927, director: 'Fritz Lang' })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), title: 'Metropolis', year: 1927, director: 'Fritz Lang' })
    const id = created.body.id as string
    await call(base, 'POST', '/movies', { title: 'Nosferatu', year: 1922 })

    const list = await call(base, 'GET', '/movies')
    expect(list.body.movies.map((m: { title: string }) => m.title)).toEqual(['Metropolis', 'Nosferatu'])
    expect(await call(base, 'GET', `/movies/${id}`)).toEqual({ status: 200, body: created.body })

    expect(await call(base, 'PUT', `/movies/${id}`, { title: 'Metropolis (restored)', year: 1927 })).toEqual({ status: 200, body: { id, title: 'Metropolis (restored)', year: 1927 } })
    expect((await call(base, 'DELETE', `/movies/${id}`)).status).toBe(204)
    expect(await call(base, 'GET', `/movies/${id}`)).toEqual({ status: 404, body: { error: `no movie with id "${id}"` } })
    expect((await call(base, 'GET', '/movies')).body.movies).toHaveLength(1)
  })

  test('an invalid movie is refused with every problem named', async () => {
    const base = (await start()).url('server-app')
    expect(await call(base, 'POST', '/movies', { title: '', year: 'new' })).toEqual({
      status: 400,
      body: { error: 'title must be a non-empty string; year must be a whole number from 1878 to 2100' },
    })
  })

  test('movies outlive a restart of the database (its DATA_DIR is the volume)', async () => {
    let base = (await start()).url('server-app')
    const { body } = await call(base, 'POST', '/movies', { title: 'Sunrise', year: 1927 })
    await app!.close()
    base = (await start()).url('server-app')
    expect((await call(base, 'GET', `/movies/${body.id}`)).body).toEqual({ id: body.id, title: 'Sunrise', year: 1927 })
  })

  test('when the database is down the server answers 503 with a clear error and stays healthy', async () => {
    const base = (await start({ edges: { 'server-app->mongo': await deadUrl() } })).url('server-app')
    expect(await call(base, 'GET', '/movies')).toEqual({ status: 503, body: { error: 'the movie database is unavailable: mongo is unreachable (ECONNREFUSED)' } })
    expect((await call(base, 'GET', '/message1')).status).toBe(200)
    expect((await call(base, 'GET', '/healthz')).status).toBe(200)
    const metrics = await (await fetch(base + '/metrics')).text()
    expect(metrics).toMatch(/^flask_http_request_total\{method="GET",route="\/movies",status="503",service="server-app"\} 1$/m)
    expect(metrics).toMatch(/^flask_http_request_duration_seconds_count\{[^}]*route="\/movies",status="503"[^}]*\} 1$/m)
  })
})

describe('mongo as the runtime runs it (the build in dist/, npm run build)', () => {
  const homes: string[] = []
  const sups: PodSupervisor[] = []
  afterEach(async () => {
    await Promise.all(sups.splice(0).map((s) => s.stopAll({ gracePeriodMs: 0 })))
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true })
  })

  /** A supervisor of its own CHAOSCOPE_HOME, as `chaoscope up` builds one, running the App file's mongo service. */
  async function runtimeOf(home: string): Promise<{ sup: PodSupervisor; name: string; base: string }> {
    const saved = process.env.CHAOSCOPE_HOME
    process.env.CHAOSCOPE_HOME = home
    let sup: PodSupervisor
    try {
      sup = new PodSupervisor({ workingDir: dirname(APP_FILE), watchdog: false })
    } finally {
      if (saved === undefined) delete process.env.CHAOSCOPE_HOME
      else process.env.CHAOSCOPE_HOME = saved
    }
    sups.push(sup)
    const mongo = (await readApp(APP_FILE)).find((x) => x.name === 'mongo') as ServiceConfig
    const [pod] = await sup.start(mongo)
    const ready = await sup.waitFor(pod!.name, (p) => p.ready, 15_000)
    return { sup, name: pod!.name, base: `http://127.0.0.1:${ready.port}` }
  }

  const titles = async (base: string): Promise<string[]> =>
    ((await call(base, 'GET', '/collections/movies/documents')).body.documents as { title: string }[]).map((d) => d.title)

  test('two runtimes side by side keep their documents apart, each under its own $CHAOSCOPE_HOME, and a pod kill loses none', async () => {
    const [homeA, homeB] = [mkdtempSync(join(tmpdir(), 'chaoscope-home-a-')), mkdtempSync(join(tmpdir(), 'chaoscope-home-b-'))]
    homes.push(homeA, homeB)
    const a = await runtimeOf(homeA)
    const b = await runtimeOf(homeB)
    expect((await call(a.base, 'POST', '/collections/movies/documents', { title: 'Metropolis' })).status).toBe(201)
    expect((await call(b.base, 'POST', '/collections/movies/documents', { title: 'Nosferatu' })).status).toBe(201)
    expect(await titles(a.base)).toEqual(['Metropolis'])
    expect(await titles(b.base)).toEqual(['Nosferatu'])
    const fileA = join(homeA, 'data/default/mongo/db.json')
    const fileB = join(homeB, 'data/default/mongo/db.json')
    expect(JSON.parse(readFileSync(fileA, 'utf8')).movies.map((d: { title: string }) => d.title)).toEqual(['Metropolis'])
    expect(JSON.parse(readFileSync(fileB, 'utf8')).movies.map((d: { title: string }) => d.title)).toEqual(['Nosferatu'])

    // the pod dies and comes back: its documents are still there (the directory is its volume)
    expect(a.sup.killPod(a.name)).toBe(true)
    await a.sup.waitFor(a.name, (p) => p.restartCount === 1 && p.ready, 15_000)
    expect(await titles(a.base)).toEqual(['Metropolis'])
    expect(existsSync(join(homeB, 'data/default/mongo'))).toBe(true)
  })
})
