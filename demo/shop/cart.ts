/** @module demo/shop/cart: each user's cart, kept in cart-store. */
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService, HttpError } from '../lib/service.js'
import type { Ctx, ServiceInit } from '../lib/service.js'

export interface CartItem { productId: string; quantity: number }
export interface Cart { userId: string; items: CartItem[] }

const MAX_QUANTITY = 99

export function createCart(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'cart', ...init })
  const storeTimeout = (): number => timeoutFromEnv(svc.env, 'cart-store', 500)

  const storeError = (err: unknown): never => {
    if (err instanceof CallError) throw new HttpError(503, `cart storage is unavailable: ${err.message}`, { code: 'CART_STORE_UNAVAILABLE' })
    throw err
  }
  const load = async (ctx: Ctx, userId: string): Promise<Cart> => {
    const res = await ctx.call<{ value?: CartItem[] }>('cart-store', `/kv/${encodeURIComponent('cart:' + userId)}`, { timeoutMs: storeTimeout(), accept: (s) => s === 200 || s === 404 })
      .catch(storeError)
    return { userId, items: res.status === 404 ? [] : (res.body.value ?? []) }
  }
  const save = async (ctx: Ctx, cart: Cart): Promise<void> => {
    await ctx.call('cart-store', `/kv/${encodeURIComponent('cart:' + cart.userId)}`, { method: 'PUT', json: { value: cart.items }, timeoutMs: storeTimeout() }).catch(storeError)
  }

  svc.route('GET', '/carts/:userId', async (ctx) => ({ json: await load(ctx, ctx.params.userId!) }))
  svc.route('POST', '/carts/:userId/items', async (ctx) => {
    const body = (await ctx.body()) as { productId?: unknown; quantity?: unknown }
    const quantity = Number(body.quantity ?? 1)
    if (typeof body.productId !== 'string' || body.productId === '') throw new HttpError(400, 'productId is required')
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) throw new HttpError(400, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`)
    const cart = await load(ctx, ctx.params.userId!)
    const item = cart.items.find((i) => i.productId === body.productId)
    if (item) item.quantity = Math.min(MAX_QUANTITY, item.quantity + quantity)
    else cart.items.push({ productId: body.productId, quantity })
    await save(ctx, cart)
    ctx.log.info('item added', { userId: cart.userId, productId: body.productId, quantity })
    return { json: cart }
  })
  svc.route('DELETE', '/carts/:userId', async (ctx) => {
    await ctx.call('cart-store', `/kv/${encodeURIComponent('cart:' + ctx.params.userId)}`, { method: 'DELETE', timeoutMs: storeTimeout() }).catch(storeError)
    return { json: { userId: ctx.params.userId, items: [] } }
  })
  return svc
}
