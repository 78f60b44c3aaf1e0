/** @module demo/shop/shipping: shipping quotes (USD) and shipments with a tracking id. */
import { randomBytes } from 'node:crypto'
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'
import type { Money } from './money.js'

export interface Address { streetAddress: string; city: string; state?: string; country: string; zipCode: string }
interface ShipRequest { address?: Partial<Address>; items?: { productId?: string; quantity?: number }[] }

/** Flat rate per order plus a little per item, in USD cents. */
export function quote(itemCount: number): Money {
  return { currency: 'USD', amount: itemCount === 0 ? 0 : 599 + 100 * (itemCount - 1) }
}

function check(body: ShipRequest): number {
  const a = body.address
  const missing = (['streetAddress', 'city', 'country', 'zipCode'] as const).filter((k) => typeof a?.[k] !== 'string' || a[k]!.trim() === '')
  if (missing.length > 0) throw new HttpError(400, `the address is missing ${missing.join(', ')}`)
  if (!Array.isArray(body.items) || body.items.length === 0) throw new HttpError(400, 'items must list at least one {productId, quantity}')
  return body.items.reduce((n, i) => n + (Number(i.quantity) || 0), 0)
}

export function createShipping(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'shipping', ...init })
  svc.route('POST', '/quote', async (ctx) => ({ json: { cost: quote(check((await ctx.body()) as ShipRequest)) } }))
  svc.route('POST', '/ship', async (ctx) => {
    const body = (await ctx.body()) as ShipRequest
    const items = check(body)
    const trackingId = `TRK-${randomBytes(5).toString('hex').toUpperCase()}`
    ctx.log.info('order shipped', { trackingId, items, city: body.address!.city })
    return { json: { trackingId } }
  })
  return svc
}
