/** @module demo/shop/cart-store: the cart's store: a small in-memory key-value server over HTTP (GET/PUT/DELETE /kv/:key). */
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'

const MAX_KEYS = 100_000

export function createCartStore(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'cart-store', ...init })
  const data = new Map<string, unknown>()
  svc.route('GET', '/kv/:key', ({ params }) => {
    if (!data.has(params.key!)) throw new HttpError(404, `no key "${params.key}"`)
    return { json: { key: params.key, value: data.get(params.key!) } }
  })
  svc.route('PUT', '/kv/:key', async (ctx) => {
    const body = (await ctx.body()) as { value?: unknown }
    if (!('value' in body)) throw new HttpError(400, 'expected {"value": ...}')
    if (!data.has(ctx.params.key!) && data.size >= MAX_KEYS) throw new HttpError(507, `the store is full (${MAX_KEYS} keys)`)
    data.set(ctx.params.key!, body.value)
    return { json: { key: ctx.params.key, value: body.value } }
  })
  svc.route('DELETE', '/kv/:key', ({ params }) => ({ json: { deleted: data.delete(params.key!) } }))
  svc.route('GET', '/stats', () => ({ json: { keys: data.size } }))
  return svc
}
