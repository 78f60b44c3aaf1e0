/**
 * @module demo/chain/chain: front → middle → back. back answers with a value; front and middle each ask the next
 * service with a one-second timeout and, when it fails, answer 200 with the last value they got (stale) and an
 * `error` that says what failed, so a user sees an answer and a probe on `$.error` sees the fault.
 */
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'

/** What every service of the chain answers on `GET /`. */
export interface ChainAnswer {
  service: string
  /** back's value (possibly an older one, see stale); null when no value was ever received. */
  value: string | null
  /** true when the value is a cached one because a call down the chain failed. */
  stale: boolean
  /** The services the value came through, this one first. */
  path: string[]
  /** What failed down the chain, when something did. */
  error?: string
}

export function createBack(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'back', ...init })
  let served = 0
  svc.route('GET', '/', () => {
    served++
    const answer: ChainAnswer = { service: 'back', value: `hello from back (answer #${served})`, stale: false, path: ['back'] }
    return { json: answer }
  })
  return svc
}

/** A service that relays `GET /` to `next`, falling back to its last good value. */
function createRelay(name: string, next: string, init: ServiceInit): DemoService {
  const svc = new DemoService({ name, ...init })
  let cached: string | null = null
  svc.route('GET', '/', async (ctx) => {
    const timeoutMs = timeoutFromEnv(svc.env, next, 1000)
    try {
      const { body } = await ctx.call<ChainAnswer>(next, '/', { timeoutMs })
      if (typeof body?.value !== 'string' && body?.value !== null) throw new CallError(next, 'bad-response', `${next} answered without a value`)
      if (body.value !== null) cached = body.value
      const answer: ChainAnswer = { service: name, value: body.value, stale: body.stale, path: [name, ...body.path] }
      if (body.error) answer.error = body.error
      return { json: answer }
    } catch (err) {
      if (!(err instanceof CallError)) throw err
      const answer: ChainAnswer = { service: name, value: cached, stale: true, path: [name], error: `${name} could not get a fresh value: ${err.message}` }
      ctx.log.warn('serving a stale value', { next, error: err.message, hasValue: cached !== null })
      return { json: answer }
    }
  })
  return svc
}

export const createMiddle = (init: ServiceInit): DemoService => createRelay('middle', 'back', init)
export const createFront = (init: ServiceInit): DemoService => createRelay('front', 'middle', init)
