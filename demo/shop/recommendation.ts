/** @module demo/shop/recommendation: other products a shopper might like, from the catalog. */
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'
import type { Product } from './product-catalog.js'

const MAX = 4

export function createRecommendation(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'recommendation', ...init })
  svc.route('GET', '/recommendations', async (ctx) => {
    const exclude = new Set((ctx.url.searchParams.get('productIds') ?? '').split(',').filter(Boolean))
    let products: Product[]
    try {
      products = (await ctx.call<{ products: Product[] }>('product-catalog', '/products', { timeoutMs: timeoutFromEnv(svc.env, 'product-catalog', 500) })).body.products
    } catch (err) {
      if (err instanceof CallError) throw new HttpError(503, `cannot recommend: ${err.message}`)
      throw err
    }
    const candidates = products.filter((p) => !exclude.has(p.id))
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!]
    }
    return { json: { products: candidates.slice(0, MAX).map((p) => ({ id: p.id, name: p.name })) } }
  })
  return svc
}
