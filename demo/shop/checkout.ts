/**
 * @module demo/shop/checkout: places an order: cart → prices → shipping quote → payment → shipment → empty cart → email.
 * Payment failures end the order cleanly with a coded error; the cart is kept so the shopper can try again.
 */
import { randomUUID } from 'node:crypto'
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService, HttpError } from '../lib/service.js'
import type { Ctx, ServiceInit } from '../lib/service.js'
import type { Cart } from './cart.js'
import { addMoney, timesMoney } from './money.js'
import type { Money } from './money.js'
import type { CreditCard } from './payment.js'
import type { Product } from './product-catalog.js'
import type { Address } from './shipping.js'

export interface OrderItem { productId: string; name: string; quantity: number; cost: Money }
export interface Order {
  orderId: string
  transactionId: string
  shippingTrackingId: string
  shippingCost: Money
  items: OrderItem[]
  total: Money
  emailSent: boolean
}

export interface CheckoutRequest {
  userId: string
  currency: string
  email: string
  address: Address
  creditCard: CreditCard
}

/** Turns a failed call to a dependency other than payment into a 503 that names it. */
function unavailable(step: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof CallError) {
      if (err.failure === 'status' && err.status !== undefined && err.status < 500) throw new HttpError(400, `${step}: ${err.message}`, { code: 'INVALID_ORDER' })
      throw new HttpError(503, `${step}: ${err.message}`, { code: 'DEPENDENCY_UNAVAILABLE', dependency: err.dependency })
    }
    throw err
  }
}

export function createCheckout(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'checkout', ...init })
  const t = (dep: string, fallback: number): number => timeoutFromEnv(svc.env, dep, fallback)

  const toCurrency = async (ctx: Ctx, from: Money, to: string): Promise<Money> =>
    (await ctx.call<Money>('currency', '/convert', { json: { from, to }, timeoutMs: t('currency', 500) }).catch(unavailable('cannot convert prices'))).body

  const charge = async (ctx: Ctx, amount: Money, creditCard: CreditCard): Promise<string> => {
    const timeoutMs = t('payment', 2000)
    try {
      return (await ctx.call<{ transactionId: string }>('payment', '/charge', { json: { amount, creditCard }, timeoutMs })).body.transactionId
    } catch (err) {
      if (!(err instanceof CallError)) throw err
      if (err.failure === 'status' && err.status !== undefined && err.status < 500) {
        const reason = (err.body as { error?: string } | undefined)?.error ?? `payment answered ${err.status}`
        throw new HttpError(402, `payment declined: ${reason}`, { code: 'PAYMENT_DECLINED' })
      }
      if (err.failure === 'timeout') {
        throw new HttpError(504, `payment failed: the payment service did not answer within ${timeoutMs}ms; the order was not placed and your cart is unchanged`, { code: 'PAYMENT_TIMEOUT' })
      }
      throw new HttpError(503, `payment failed: the payment service is unavailable (${err.message}); the order was not placed and your cart is unchanged`, { code: 'PAYMENT_UNAVAILABLE' })
    }
  }

  svc.route('POST', '/checkout', async (ctx) => {
    const req = (await ctx.body()) as Partial<CheckoutRequest>
    const missing = (['userId', 'currency', 'email', 'address', 'creditCard'] as const).filter((k) => req[k] === undefined || req[k] === '')
    if (missing.length > 0) throw new HttpError(400, `the order is missing ${missing.join(', ')}`, { code: 'INVALID_ORDER' })
    const { userId, currency, email, address, creditCard } = req as CheckoutRequest

    const cart = (await ctx.call<Cart>('cart', `/carts/${encodeURIComponent(userId)}`, { timeoutMs: t('cart', 1000) }).catch(unavailable('cannot read the cart'))).body
    if (cart.items.length === 0) throw new HttpError(400, 'your cart is empty', { code: 'CART_EMPTY' })

    const items: OrderItem[] = await Promise.all(cart.items.map(async (item) => {
      const product = (await ctx.call<Product>('product-catalog', `/products/${encodeURIComponent(item.productId)}`, { timeoutMs: t('product-catalog', 1000) })
        .catch(unavailable(`cannot look up product "${item.productId}"`))).body
      const unit = await toCurrency(ctx, product.priceUsd, currency)
      return { productId: item.productId, name: product.name, quantity: item.quantity, cost: timesMoney(unit, item.quantity) }
    }))
    const shipItems = cart.items.map((i) => ({ productId: i.productId, quantity: i.quantity }))
    const quoteUsd = (await ctx.call<{ cost: Money }>('shipping', '/quote', { json: { address, items: shipItems }, timeoutMs: t('shipping', 1000) })
      .catch(unavailable('cannot quote shipping'))).body.cost
    const shippingCost = await toCurrency(ctx, quoteUsd, currency)
    const total = items.reduce((sum, i) => addMoney(sum, i.cost), shippingCost)

    const transactionId = await charge(ctx, total, creditCard)
    const shippingTrackingId = (await ctx.call<{ trackingId: string }>('shipping', '/ship', { json: { address, items: shipItems }, timeoutMs: t('shipping', 1000) })
      .catch(unavailable(`the card was charged (transaction ${transactionId}) but the order could not be shipped`))).body.trackingId
    const orderId = randomUUID()

    // after payment the order stands: emptying the cart and the email are best effort
    await ctx.call('cart', `/carts/${encodeURIComponent(userId)}`, { method: 'DELETE', timeoutMs: t('cart', 1000) })
      .catch((err: unknown) => ctx.log.warn('cart not emptied after order', { orderId, error: err }))
    const order: Order = { orderId, transactionId, shippingTrackingId, shippingCost, items, total, emailSent: false }
    order.emailSent = await ctx.call('email', '/send/confirmation', { json: { email, order }, timeoutMs: t('email', 500) })
      .then(() => true, (err: unknown) => { ctx.log.warn('confirmation email not sent', { orderId, error: err }); return false })
    ctx.log.info('order placed', { orderId, userId, total: total.amount, currency: total.currency })
    return { json: order }
  })
  return svc
}
