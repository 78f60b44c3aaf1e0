/**
 * @module demo/shop/frontend: the shop's web front: HTML pages and a JSON API under /api.
 * Products and the cart are required; ads and recommendations are extras with a short timeout (300 ms by default)
 * that the pages simply leave out when those services are slow or failing. Each price is converted by the currency
 * service; when that fails the page shows the USD price rather than no page.
 */
import { randomUUID } from 'node:crypto'
import { CallError, timeoutFromEnv } from '../lib/client.js'
import { DemoService, HttpError } from '../lib/service.js'
import type { Ctx, Reply, ServiceInit } from '../lib/service.js'
import type { Ad } from './ad.js'
import type { Cart } from './cart.js'
import type { CheckoutRequest, Order } from './checkout.js'
import { cartPage, errorPage, homePage, orderPage, productPage } from './frontend-pages.js'
import type { Extras, ShownCartItem, ShownProduct } from './frontend-pages.js'
import type { Money } from './money.js'
import type { Product } from './product-catalog.js'

const SESSION_COOKIE = 'shop_session'
const CURRENCY_COOKIE = 'shop_currency'
const CURRENCY_CODE = /^[A-Z]{3}$/

interface Visitor { userId: string; currency: string; setCookies: string[] }

export function createFrontend(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'frontend', ...init })
  const t = (dep: string, fallback: number): number => timeoutFromEnv(svc.env, dep, fallback)

  const visitor = (ctx: Ctx): Visitor => {
    const setCookies: string[] = []
    let userId = ctx.cookies[SESSION_COOKIE] ?? (ctx.req.headers['x-session-id'] as string | undefined)
    if (!userId) {
      userId = randomUUID()
      setCookies.push(`${SESSION_COOKIE}=${userId}; Path=/; HttpOnly; SameSite=Lax`)
    }
    let currency = ctx.cookies[CURRENCY_COOKIE] ?? 'USD'
    const asked = ctx.url.searchParams.get('currency')?.toUpperCase()
    if (asked && CURRENCY_CODE.test(asked)) {
      currency = asked
      setCookies.push(`${CURRENCY_COOKIE}=${asked}; Path=/; SameSite=Lax`)
    }
    return { userId, currency: CURRENCY_CODE.test(currency) ? currency : 'USD', setCookies }
  }
  const withCookies = (v: Visitor, reply: Reply): Reply => (v.setCookies.length ? { ...reply, headers: { ...(reply.headers ?? {}), 'set-cookie': v.setCookies } } : reply)

  /** A required dependency failed: 503 with what failed (a 404 from the catalog stays a 404). */
  const required = (what: string) => (err: unknown): never => {
    if (err instanceof CallError) {
      if (err.failure === 'status' && err.status === 404) throw new HttpError(404, `${what}: not found`)
      throw new HttpError(503, `${what}: ${err.message}`)
    }
    throw err
  }
  /** An optional extra: undefined when slow or failing. */
  const optional = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined)

  const convert = async (ctx: Ctx, price: Money, currency: string): Promise<Money> => {
    try {
      return (await ctx.call<Money>('currency', '/convert', { json: { from: price, to: currency }, timeoutMs: t('currency', 500) })).body
    } catch {
      return price   // show the USD price rather than no page
    }
  }
  const listProducts = async (ctx: Ctx, currency: string): Promise<ShownProduct[]> => {
    const { products } = (await ctx.call<{ products: Product[] }>('product-catalog', '/products', { timeoutMs: t('product-catalog', 1000) })
      .catch(required('cannot list products'))).body
    return Promise.all(products.map(async (p) => ({ id: p.id, name: p.name, description: p.description, price: await convert(ctx, p.priceUsd, currency) })))
  }
  const getProduct = async (ctx: Ctx, id: string, currency: string): Promise<ShownProduct & { categories: string[] }> => {
    const p = (await ctx.call<Product>('product-catalog', `/products/${encodeURIComponent(id)}`, { timeoutMs: t('product-catalog', 1000) })
      .catch(required(`cannot show product "${id}"`))).body
    return { id: p.id, name: p.name, description: p.description, categories: p.categories, price: await convert(ctx, p.priceUsd, currency) }
  }
  const extras = async (ctx: Ctx, keywords: string[], exclude: string[]): Promise<Extras> => {
    const [ads, recs] = await Promise.all([
      optional(ctx.call<{ ads: Ad[] }>('ad', `/ads?keywords=${encodeURIComponent(keywords.join(','))}`, { timeoutMs: t('ad', 300) })),
      optional(ctx.call<{ products: { id: string; name: string }[] }>('recommendation', `/recommendations?productIds=${encodeURIComponent(exclude.join(','))}`, { timeoutMs: t('recommendation', 300) })),
    ])
    return { ads: ads?.body.ads, recommendations: recs?.body.products }
  }
  const getCart = async (ctx: Ctx, userId: string): Promise<Cart> =>
    (await ctx.call<Cart>('cart', `/carts/${encodeURIComponent(userId)}`, { timeoutMs: t('cart', 1000) }).catch(required('cannot read your cart'))).body
  const showCart = async (ctx: Ctx, cart: Cart, currency: string): Promise<ShownCartItem[]> =>
    Promise.all(cart.items.map(async (i) => {
      const p = await ctx.call<Product>('product-catalog', `/products/${encodeURIComponent(i.productId)}`, { timeoutMs: t('product-catalog', 1000) }).catch(() => undefined)
      return { productId: i.productId, quantity: i.quantity, name: p?.body.name ?? i.productId, price: p ? await convert(ctx, p.body.priceUsd, currency) : undefined }
    }))
  const addToCart = async (ctx: Ctx, userId: string, productId: unknown, quantity: unknown): Promise<Cart> => {
    if (typeof productId !== 'string' || productId === '') throw new HttpError(400, 'productId is required')
    await ctx.call('product-catalog', `/products/${encodeURIComponent(productId)}`, { timeoutMs: t('product-catalog', 1000) }).catch(required(`cannot add "${productId}"`))
    try {
      return (await ctx.call<Cart>('cart', `/carts/${encodeURIComponent(userId)}/items`, { json: { productId, quantity: Number(quantity ?? 1) }, timeoutMs: t('cart', 1000) })).body
    } catch (err) {
      if (err instanceof CallError && err.failure === 'status' && (err.status ?? 500) < 500) throw new HttpError(400, (err.body as { error?: string })?.error ?? err.message)
      return required('cannot add to your cart')(err)
    }
  }
  /** Calls checkout; failures come back as HttpError with checkout's status and message (or 503/504 when it is down). */
  const placeOrder = async (ctx: Ctx, order: CheckoutRequest): Promise<Order> => {
    const timeoutMs = t('checkout', 5000)
    try {
      return (await ctx.call<Order>('checkout', '/checkout', { json: order, timeoutMs })).body
    } catch (err) {
      if (!(err instanceof CallError)) throw err
      if (err.failure === 'status') {
        const body = (err.body ?? {}) as { error?: string; code?: string }
        throw new HttpError(err.status ?? 502, body.error ?? err.message, { code: body.code ?? 'CHECKOUT_FAILED' })
      }
      if (err.failure === 'timeout') throw new HttpError(504, `checkout did not answer within ${timeoutMs}ms; the order may not have been placed`, { code: 'CHECKOUT_TIMEOUT' })
      throw new HttpError(503, `checkout is unavailable: ${err.message}`, { code: 'CHECKOUT_UNAVAILABLE' })
    }
  }

  /** Renders HttpErrors thrown by a page as an HTML error page. */
  const page = (title: string, fn: (ctx: Ctx, v: Visitor) => Promise<Reply>) => async (ctx: Ctx): Promise<Reply> => {
    const v = visitor(ctx)
    try {
      return withCookies(v, await fn(ctx, v))
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      ctx.log.warn('page failed', { page: title, status: err.status, error: err.message })
      return withCookies(v, { status: err.status, html: errorPage(err.status, title, err.message, v.currency, ctx.req.headers.referer?.startsWith('/') ? ctx.req.headers.referer : '/') })
    }
  }
  const api = (fn: (ctx: Ctx, v: Visitor) => Promise<unknown>) => async (ctx: Ctx): Promise<Reply> => {
    const v = visitor(ctx)
    return withCookies(v, { json: await fn(ctx, v) })
  }

  // HTML
  svc.route('GET', '/', page('Could not show the shop', async (ctx, v) => {
    const [products, more] = await Promise.all([listProducts(ctx, v.currency), extras(ctx, [], [])])
    return { html: homePage(products, v.currency, more) }
  }))
  svc.route('GET', '/product/:id', page('Could not show this product', async (ctx, v) => {
    // the extras start with the product lookup, not after it, so the ad is not matched to the product's categories
    const [product, more] = await Promise.all([getProduct(ctx, ctx.params.id!, v.currency), extras(ctx, [], [ctx.params.id!])])
    return { html: productPage(product, v.currency, more) }
  }))
  svc.route('GET', '/cart', page('Could not show your cart', async (ctx, v) => {
    const cart = await getCart(ctx, v.userId)
    const [items, more] = await Promise.all([showCart(ctx, cart, v.currency), extras(ctx, [], cart.items.map((i) => i.productId))])
    return { html: cartPage(items, v.currency, more) }
  }))
  svc.route('POST', '/cart', page('Could not add to your cart', async (ctx, v) => {
    const form = (await ctx.body()) as Record<string, string>
    await addToCart(ctx, v.userId, form.productId, form.quantity)
    return { redirect: '/cart' }
  }))
  svc.route('POST', '/cart/empty', page('Could not empty your cart', async (ctx, v) => {
    await ctx.call('cart', `/carts/${encodeURIComponent(v.userId)}`, { method: 'DELETE', timeoutMs: t('cart', 1000) }).catch(required('cannot empty your cart'))
    return { redirect: '/' }
  }))
  svc.route('POST', '/cart/checkout', page('Your order could not be placed', async (ctx, v) => {
    const f = (await ctx.body()) as Record<string, string | undefined>
    const order = await placeOrder(ctx, {
      userId: v.userId,
      currency: v.currency,
      email: f.email ?? '',
      address: { streetAddress: f.street_address ?? '', city: f.city ?? '', state: f.state ?? '', country: f.country ?? '', zipCode: f.zip_code ?? '' },
      creditCard: { number: f.credit_card_number ?? '', cvv: f.credit_card_cvv ?? '', expirationMonth: Number(f.credit_card_expiration_month), expirationYear: Number(f.credit_card_expiration_year) },
    })
    return { html: orderPage(order, v.currency) }
  }))
  svc.route('POST', '/setCurrency', async (ctx) => {
    const form = (await ctx.body()) as Record<string, string>
    const currency = String(form.currency ?? '').toUpperCase()
    if (!CURRENCY_CODE.test(currency)) throw new HttpError(400, 'currency must be a three-letter code like EUR')
    return { redirect: '/', headers: { 'set-cookie': `${CURRENCY_COOKIE}=${currency}; Path=/; SameSite=Lax` } }
  })

  // JSON API
  svc.route('GET', '/api/products', api(async (ctx, v) => ({ currency: v.currency, products: await listProducts(ctx, v.currency) })))
  svc.route('GET', '/api/products/:id', api(async (ctx, v) => {
    const [product, more] = await Promise.all([getProduct(ctx, ctx.params.id!, v.currency), extras(ctx, [], [ctx.params.id!])])
    return { ...product, recommendations: more.recommendations ?? [] }
  }))
  svc.route('GET', '/api/cart', api(async (ctx, v) => ({ currency: v.currency, items: await showCart(ctx, await getCart(ctx, v.userId), v.currency) })))
  svc.route('POST', '/api/cart', api(async (ctx, v) => {
    const body = (await ctx.body()) as { productId?: unknown; quantity?: unknown }
    return addToCart(ctx, v.userId, body.productId, body.quantity)
  }))
  svc.route('DELETE', '/api/cart', api(async (ctx, v) => {
    await ctx.call('cart', `/carts/${encodeURIComponent(v.userId)}`, { method: 'DELETE', timeoutMs: t('cart', 1000) }).catch(required('cannot empty your cart'))
    return { items: [] }
  }))
  svc.route('POST', '/api/checkout', api(async (ctx, v) => {
    const body = (await ctx.body()) as Partial<CheckoutRequest>
    return placeOrder(ctx, { ...(body as CheckoutRequest), userId: v.userId, currency: body.currency ?? v.currency })
  }))
  svc.route('GET', '/api/currencies', api(async (ctx) =>
    (await ctx.call<{ currencies: string[] }>('currency', '/currencies', { timeoutMs: t('currency', 500) }).catch(required('cannot list currencies'))).body))
  return svc
}
