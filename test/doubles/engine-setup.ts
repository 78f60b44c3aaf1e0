/**
 * @module test/doubles/engine-setup: a Controller for the engine's step tests, on an in-memory store (or the one
 * given), the in-memory runtime boundary and a manual clock, with short back-off, no pod cache and no periodic look
 * unless asked; its logs kept. `stopControllers()` (in afterEach) stops every one made.
 */
import { Controller } from '../../src/engine/controller.js'
import type { LogLevel } from '../../src/engine/context.js'
import type { RuntimePod } from '../../src/runtime/client.js'
import { Store } from '../../src/store/store.js'
import { fakePod, FakeRuntime } from './fake-runtime.js'
import { ManualClock } from './manual-clock.js'

/** Two web pods and one db pod. */
export const PODS = (): RuntimePod[] => [fakePod('web-aaaaa', { app: 'web' }), fakePod('web-bbbbb', { app: 'web' }), fakePod('db-ccccc', { app: 'db' })]

const made: Controller[] = []

export interface EngineSetupOptions {
  store?: Store
  runtime?: FakeRuntime
  /** The runtime's pods, when no runtime is given (default {@link PODS}). */
  pods?: RuntimePod[]
  clock?: ManualClock
  random?: () => number
  podWatchMs?: number
}

export function engineSetup(opts: EngineSetupOptions = {}) {
  const clock = opts.clock ?? new ManualClock()
  const runtime = opts.runtime ?? new FakeRuntime(opts.pods ?? PODS(), () => clock.now())
  const store = opts.store ?? Store.open(':memory:')
  const logs: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = []
  const ctl = Controller.open({
    store,
    runtime,
    clock,
    backoff: { baseMs: 20, capMs: 100 },
    podCacheMs: 0,
    podWatchMs: opts.podWatchMs ?? 0,
    log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
    ...(opts.random ? { random: opts.random } : {}),
  })
  made.push(ctl)
  return { runtime, ctl, clock, store, logs }
}

/** Stops every controller {@link engineSetup} made since the last call. */
export async function stopControllers(): Promise<void> {
  for (const c of made.splice(0)) await c.stop()
}
