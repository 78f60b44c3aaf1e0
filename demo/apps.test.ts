/** @module demo/apps.test: every demo App file validates, and runs the compiled entry point of a service that exists. */
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { validatePaths } from '../src/index.js'
import type { ServiceSpec } from '../src/manifest/kinds/app.js'
import { CHAIN_FACTORIES } from './chain/services.js'
import { MOVIES_FACTORIES } from './movies/services.js'
import { SHOP_SERVICES } from './shop/services.js'

const DEMO = dirname(fileURLToPath(import.meta.url))
const REPO = resolve(DEMO, '..')
const APP_FILES = readdirSync(DEMO, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(DEMO, d.name, 'app.yaml')))
  .map((d) => join(DEMO, d.name, 'app.yaml'))
const FACTORIES: Record<string, Record<string, unknown>> = { shop: SHOP_SERVICES, chain: CHAIN_FACTORIES, movies: MOVIES_FACTORIES }

async function services(file: string): Promise<ServiceSpec[]> {
  const result = await validatePaths([file])
  expect(result.issues).toEqual([])
  expect(result.resources.map((r) => r.kind)).toEqual(['App'])
  return (result.resources[0]!.spec as { services: ServiceSpec[] }).services
}
const byName = (list: ServiceSpec[], name: string): ServiceSpec => list.find((s) => s.name === name)!

describe('demo apps', () => {
  test('there is an app file for each demo', () => {
    expect(APP_FILES.map((f) => relative(DEMO, f)).sort()).toEqual(['chain/app.yaml', 'movies/app.yaml', 'shop/app.yaml'])
  })

  test.each(APP_FILES.map((f) => [relative(DEMO, dirname(f)), f]))('%s: validates, and each command runs the build of an existing entry point for a known service', async (app, file) => {
    for (const s of await services(file)) {
      const [node, script, name, ...rest] = s.command!
      expect(node).toBe('node')
      expect(rest).toEqual([])
      expect(name).toBe(s.name)
      expect(Object.keys(FACTORIES[app]!)).toContain(name)
      // the runtime runs commands from the app file's directory; tsconfig.build.json compiles demo/ into dist/demo/
      const built = relative(REPO, resolve(dirname(file), script!))
      expect(built).toBe(`dist/demo/${app}/service.js`)
      expect(existsSync(join(REPO, built.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true)
      expect(s.protocol).toBe('http')
      expect(s.readinessProbe?.httpGet?.path).toBe('/healthz')
    }
  })

  test('shop: eleven services on port 8080, selectable by app and component labels, frontend on hostPort 30090', async () => {
    const shop = await services(join(DEMO, 'shop/app.yaml'))
    expect(shop.map((s) => s.name).sort()).toEqual(['ad', 'cart', 'cart-store', 'checkout', 'currency', 'email', 'frontend', 'payment', 'product-catalog', 'recommendation', 'shipping'])
    for (const s of shop) {
      expect(s.port).toBe(8080)
      expect(s.labels).toMatchObject({ app: s.name, 'app.kubernetes.io/component': s.name })
    }
    expect(shop.filter((s) => s.hostPort !== undefined).map((s) => [s.name, s.hostPort])).toEqual([['frontend', 30090]])
  })

  test('chain: front → middle → back with the demo\'s labels and ports, front on hostPort 30080', async () => {
    const chain = await services(join(DEMO, 'chain/app.yaml'))
    expect(chain.map((s) => [s.name, s.port, s.dependencies ?? []])).toEqual([['front', 8000, ['middle']], ['middle', 8001, ['back']], ['back', 8002, []]])
    for (const s of chain) expect(s.labels).toMatchObject({ app: s.name, name: s.name, service: s.name })
    expect(byName(chain, 'front').hostPort).toBe(30080)
  })

  test('movies: server-app and mongo with the tutorial\'s labels', async () => {
    const movies = await services(join(DEMO, 'movies/app.yaml'))
    expect(byName(movies, 'server-app')).toMatchObject({ port: 8080, labels: { app: 'server-app' }, dependencies: ['mongo'] })
    expect(byName(movies, 'mongo')).toMatchObject({ port: 27017, labels: { app: 'mongo' } })
  })
})

describe('demo apps keep no data at fixed paths', () => {
  test.each(APP_FILES.map((f) => [relative(DEMO, f), f]))('%s: no service env names an absolute path (data goes to $CHAOSCOPE_DATA_DIR)', async (_, file) => {
    for (const s of await services(file)) {
      for (const [k, v] of Object.entries(s.env ?? {})) expect(`${s.name}: ${k}=${v}`).not.toMatch(/=\/|\/tmp\b/)
    }
  })
})
