/**
 * @module test/doubles/token-api: the controller's API in process (`app.request`) with its token checks on, over a
 * real Controller and an in-memory store, one back pod on a FakeRuntime: what API tests need to see roles and
 * namespace limits act. Call {@link stopControllers} after each test.
 */
import { apiApp } from '../../src/api/app.js'
import { hashToken } from '../../src/api/auth.js'
import type { Role } from '../../src/api/auth.js'
import { Controller } from '../../src/engine/controller.js'
import { Store } from '../../src/store/store.js'
import { fakePod, FakeRuntime } from './fake-runtime.js'

const started: Controller[] = []

/** Stops every controller {@link tokenApi} started (an `afterEach`). */
export async function stopControllers(): Promise<void> {
  for (const c of started.splice(0)) await c.stop()
}

/** The API with these tokens stored (each a name, the token's text, a role and its namespaces); `archive`: its archive routes too. */
export function tokenApi(tokens: { name: string; token: string; role: Role; namespaces?: string[] }[], opts: { archive?: boolean } = {}) {
  const runtime = new FakeRuntime([fakePod('back-aaaaa', { app: 'back' }, { protocol: 'http', containerPort: 8080 })])
  const controller = Controller.open({ store: Store.open(':memory:'), runtime, podCacheMs: 0 })
  started.push(controller)
  void controller.start()
  const store = controller.store
  const at = new Date().toISOString()
  for (const t of tokens) store.insertToken({ name: t.name, hash: hashToken(t.token), role: t.role, namespaces: t.namespaces ?? [], createdAt: at })
  const app = apiApp({ controller, runtime, rateLimit: false, security: { auth: 'token', store, http: { listen: ['127.0.0.1:0'] } }, ...(opts.archive ? { archive: store } : {}) })
  return { controller, store, app }
}
