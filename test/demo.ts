/** @module test/demo: starts a demo app on an in-process runtime for tests (stateless, ephemeral host ports, fast back-off). */
import { join } from 'node:path'
import { loadApp } from '../src/app-file.js'
import { startRuntimeServer } from '../src/runtime/server.js'
import type { RuntimeServer } from '../src/runtime/server.js'

export const ROOT = join(import.meta.dirname, '..')

/** Runs demo/<name>/app.yaml (built into dist/ by `npm run build`) and waits until every pod is ready. */
export async function startDemo(name: string): Promise<RuntimeServer> {
  const file = join(ROOT, 'demo', name, 'app.yaml')
  const app = loadApp(file)
  if ('issues' in app) throw new Error(JSON.stringify(app.issues))
  const server = await startRuntimeServer(app.resource, file, { hostPorts: 'ephemeral', supervisor: { backoff: { baseMs: 100, capMs: 1000 } } })
  try {
    await server.runtime.waitReady(30_000)
  } catch (e) {
    await server.close()
    throw e
  }
  return server
}
