/** @module demo/shop/shop.test: the shop's services wired as demo/shop/app.yaml says, driven as a shopper would. */
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { CookieJar, deadUrl, startApp, startGate } from '../lib/testing.js'
import type { Gate, StartOptions, StartedApp } from '../lib/testing.js'
import { SHOP_SERVICES } from './services.js'

const APP_FILE = fileURLToPath(new URL('./app.yaml', import.meta.url))
const YEAR = new Date().getUTCFullYear() + 2
const CARD = { number: '4432-8015-6152-0454', cvv: '672', expirationMonth: 1, expirationYear: YEAR }
const ADDRESS = { streetAddress: '1 Main Street', city: 'Springfield', state: 'OR', country: 'United States', zipCode: '97477' }
const FORM = {
  email: 'someone@example.com', street_address: '1 Main Street', city: 'Springfield', state: 'OR', country: 'United States', zip_code: '97477',
  credit_card_number: CARD.number, credit_card_cvv: CARD.cvv, credit_card_expiration_month: '1', credit_card_expiration_year: String(YEAR),
}

let app: StartedApp | undefined
const gates: Gate[] = []
afterEach(async () => {
  await app?.close()
  app = undefined
  await Promise.all(gates.splice(0).map((g) => g.close()))
})

async function start(opts: StartOptions = {}): Promise<StartedApp> {
  app = await startApp(APP_FILE, SHOP_SERVICES, opts)
  return app
}
async function gate(target: string, ms: number): Promise<Gate> {
  const g = await startGate(target, { kind: 'delay', ms })
  gates.push(g)
  return g
}

/** A shopper with a cookie jar, talking to the frontend only. */
function shopper(base: string) {
  const jar = new CookieJar()
  const send = async (method: string, path: string, body?: unknown, form = false): Promise<Response> => {
    const headers: Record<string, string> = { cookie: jar.header() }
    let payload: string | undefined
    if (body !== undefined && form) { headers['content-type'] = 'application/x-www-form-urlencoded'; payload = new URLSearchParams(body as Record<string, string>).toString() }
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body) }
    const res = await fetch(base + path, { method, headers, body: payload, redirect: 'manual' })
    jar.take(res)
    return res
  }
  return {
    get: (path: string) => send('GET', path),
    json: (method: string, path: string, body?: unknown) => send(method, path, body),
    form: (path: string, body: Record<string, string>) => send('POST', path, body, true),
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const out = await fn()
  return [out, performance.now() - t0]
}

async function metricValue(base: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(base + '/metrics')).text()
  const hit = text.split('\n').find((l) => line.test(l))
  return hit === undefined ? undefined : Number(hit.split(' ').pop())
}

describe('shop', () => {
  test('the home page lists every product with its price converted, one currency call per price, with an ad and recommendations', async () => {
    const shop = await start()
    const res = await fetch(shop.url('frontend') + '/?currency=EUR')
    expect(res.status).toBe(200)
    const html = await res.text()
    // USD 67.99 / 1.1305 and USD 19.99 / 1.1305, rounded to the cent
    expect(html).toMatch(/Vintage Typewriter<\/a> <span class="price">€60\.14</)
    expect(html).toMatch(/Round Sunglasses<\/a> <span class="price">€17\.68</)
    expect(html.match(/class="product"/g)).toHaveLength(9)
    expect(html).toContain('Ad: ')
    expect(html).toContain('You may also like')
    expect(await metricValue(shop.url('currency'), /^http_requests_total\{method="POST",route="\/convert",status="200"/)).toBe(9)
  })

  test('a shopper adds to the cart and checks out: the order is paid, shipped, confirmed by email, and the cart emptied', async () => {
    const shop = await start()
    const s = shopper(shop.url('frontend'))
    expect((await s.json('POST', '/api/cart', { productId: 'typewriter', quantity: 2 })).status).toBe(200)
    const cart = await (await s.get('/api/cart?currency=EUR')).json() as { items: { productId: string; quantity: number; price: { amount: number } }[] }
    expect(cart.items).toEqual([{ productId: 'typewriter', name: 'Vintage Typewriter', quantity: 2, price: { currency: 'EUR', amount: 6014 } }])

    const res = await s.json('POST', '/api/checkout', { email: 'someone@example.com', address: ADDRESS, creditCard: CARD })
    const order = await res.json() as { shippingTrackingId: string; total: unknown; emailSent: boolean }
    expect(res.status).toBe(200)
    expect(order.shippingTrackingId).toMatch(/^TRK-[0-9A-F]{10}$/)
    // 2 × €60.14 + shipping USD 6.99 → €6.18
    expect(order.total).toEqual({ currency: 'EUR', amount: 12646 })
    expect(order.emailSent).toBe(true)
    expect((await (await s.get('/api/cart')).json() as { items: unknown[] }).items).toEqual([])
    const sent = await (await fetch(shop.url('email') + '/sent')).json() as { sent: { to: string }[] }
    expect(sent.sent.map((m) => m.to)).toEqual(['someone@example.com'])
  })

  test('the same flow through the HTML pages ends on an order confirmation', async () => {
    const shop = await start()
    const s = shopper(shop.url('frontend'))
    expect((await s.get('/product/film-camera')).status).toBe(200)
    const added = await s.form('/cart', { productId: 'film-camera', quantity: '1' })
    expect(added.status).toBe(303)
    expect(added.headers.get('location')).toBe('/cart')
    expect(await (await s.get('/cart')).text()).toContain('Film Camera × 1')
    const done = await s.form('/cart/checkout', FORM)
    expect(done.status).toBe(200)
    expect(await done.text()).toMatch(/Your order is complete[\s\S]*TRK-/)
  })

  test('checkout fails cleanly with a clear message when payment is down, and the cart is kept', async () => {
    const shop = await start({ edges: { 'checkout->payment': await deadUrl() } })
    const s = shopper(shop.url('frontend'))
    await s.json('POST', '/api/cart', { productId: 'sunglasses', quantity: 1 })
    const res = await s.json('POST', '/api/checkout', { email: 'someone@example.com', address: ADDRESS, creditCard: CARD })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({
      error: expect.stringMatching(/^payment failed: the payment service is unavailable .*the order was not placed and your cart is unchanged$/),
      code: 'PAYMENT_UNAVAILABLE',
    })
    const page = await s.form('/cart/checkout', FORM)
    expect(page.status).toBe(503)
    expect(await page.text()).toMatch(/<h1>Your order could not be placed<\/h1>\s*<p class="error" data-status="503">payment failed: the payment service is unavailable/)
    expect((await (await s.get('/api/cart')).json() as { items: unknown[] }).items).toHaveLength(1)
    expect((await fetch(shop.url('frontend') + '/healthz')).status).toBe(200)
    expect((await fetch(shop.url('checkout') + '/healthz')).status).toBe(200)
  })

  test('checkout fails cleanly within its payment timeout when payment is slow', async () => {
    const shop = await start({ env: { checkout: { PAYMENT_TIMEOUT_MS: '300' } } })
    const slow = await gate(shop.url('payment'), 3000)
    ;(shop.services.get('checkout')!.env as Record<string, string>).PAYMENT_URL = slow.url
    const s = shopper(shop.url('frontend'))
    await s.json('POST', '/api/cart', { productId: 'sunglasses', quantity: 1 })
    const [res, ms] = await timed(() => s.json('POST', '/api/checkout', { email: 'someone@example.com', address: ADDRESS, creditCard: CARD }))
    expect(res.status).toBe(504)
    expect(await res.json()).toEqual({
      error: 'payment failed: the payment service did not answer within 300ms; the order was not placed and your cart is unchanged',
      code: 'PAYMENT_TIMEOUT',
    })
    expect(ms).toBeLessThan(1500)
    expect(await metricValue(shop.url('checkout'), /^failed_call_total\{to="payment"/)).toBe(1)
  })

  test('a declined card is a 402 with the reason', async () => {
    const shop = await start()
    const s = shopper(shop.url('frontend'))
    await s.json('POST', '/api/cart', { productId: 'sunglasses', quantity: 1 })
    const res = await s.json('POST', '/api/checkout', { email: 'someone@example.com', address: ADDRESS, creditCard: { ...CARD, number: '4432801561520455' } })
    expect(res.status).toBe(402)
    expect(await res.json()).toEqual({ error: 'payment declined: the credit card number is not valid', code: 'PAYMENT_DECLINED' })
  })

  test.each(['down', 'slow'] as const)('the home page still renders fast, without ads or recommendations, when both are %s', async (how) => {
    if (how === 'down') {
      await start({ edges: { 'frontend->ad': await deadUrl(), 'frontend->recommendation': await deadUrl() } })
    } else {
      const shop = await start()
      const env = shop.services.get('frontend')!.env as Record<string, string>
      env.AD_URL = (await gate(shop.url('ad'), 3000)).url
      env.RECOMMENDATION_URL = (await gate(shop.url('recommendation'), 3000)).url
    }
    const [res, ms] = await timed(() => fetch(app!.url('frontend') + '/?currency=EUR'))
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(html).toContain('€60.14')
    expect(html).not.toContain('Ad: ')
    expect(html).not.toContain('You may also like')
    expect(ms).toBeLessThan(1200)
  })
})
