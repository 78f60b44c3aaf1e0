/**
 * The shop's failure scenarios end to end: the shop demo on the local runtime with its controller (in process),
 * each shop experiment of examples/ applied through the controller API as a user would (the file's text), and
 * its effect measured as a shopper notices it, through the frontend's hostPort. Real processes, real sockets,
 * loopback only. Needs `npm run build` (the shop's pods run from dist/).
 */
import { readFileSync, mkdtempSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadApp, startRuntimeServer, startUpController } from '../../src/index.js'
import { ControllerClient } from '../../src/api/client.js'
import type { Controller } from '../../src/engine/controller.js'
import type { ChaosObject, ControllerServer, RuntimePod, RuntimeServer } from '../../src/index.js'

const ROOT = join(import.meta.dirname, '../..')
const EXAMPLES = join(ROOT, 'examples')
const APP_FILE = join(ROOT, 'demo/shop/app.yaml')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const example = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8')

const YEAR = new Date().getUTCFullYear() + 2
const ORDER = {
  email: 'someone@example.com',
  address: { streetAddress: '1 Main Street', city: 'Springfield', state: 'OR', country: 'United States', zipCode: '97477' },
  creditCard: { number: '4432-8015-6152-0454', cvv: '672', expirationMonth: 1, expirationYear: YEAR },
}

interface Answer { status: number; text: string; ms: number }

/** One request on a fresh connection (an idle keep-alive socket may be closed under us), at most 10 s. */
function request(base: string, method: string, path: string, opts: { session?: string; json?: unknown } = {}): Promise<Answer> {
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json)
  const headers: Record<string, string> = {}
  if (opts.session) headers['x-session-id'] = opts.session
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - t0 }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** Polls `fn` every 200 ms until it returns a value, at most `ms`; throws with `what` otherwise. */
async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(200)
  }
}

describe('the shop under the experiments of examples/, through the controller API and the frontend', () => {
  let rt: RuntimeServer
  let ctl: ControllerServer
  let api: ControllerClient
  let front = ''
  let sessions = 0
  const session = () => `shopper-${process.pid}-${++sessions}`
  const get = (path: string, s?: string) => request(front, 'GET', path, s ? { session: s } : {})
  const addToCart = (s: string, productId = 'sunglasses') => request(front, 'POST', '/api/cart', { session: s, json: { productId, quantity: 1 } })
  /** A shopper fills a cart, then orders: the answer and the time of the order alone. */
  const order = async (): Promise<Answer & { session: string }> => {
    const s = session()
    const added = await addToCart(s)
    expect(added.status, added.text).toBe(200)
    return { ...(await request(front, 'POST', '/api/checkout', { session: s, json: ORDER })), session: s }
  }
  const pods = (app: string): RuntimePod[] => rt.runtime.pods(`app=${app}`)
  const records = (o: ChaosObject) => o.status?.experiment?.containerRecords ?? []
  /** chaoscope's own per-record status: evidence, the pod as last seen, active or not. */
  const ours = (o: ChaosObject) => o.status?.chaoscope?.records ?? []

  beforeAll(async () => {
    const app = await loadApp(APP_FILE)
    if ('issues' in app) throw new Error(JSON.stringify(app.issues))
    rt = await startRuntimeServer(app.resource, APP_FILE, { stateless: true, hostPorts: 'ephemeral' })
    await rt.runtime.waitReady(60_000)
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-shop-'))
    ctl = await startUpController(rt, { stateless: true, db: join(home, 'shop.db') })
    api = new ControllerClient(rt.state.url, ctl.adminToken)
    front = `http://${rt.runtime.hostPortAddress('frontend')!}`
    // warm up every path the scenarios take: the first order may time out inside the shop while every service is
    // still cold on a loaded machine (its own timeouts answer 503), so wait for one, then three in a row
    await eventually('a first order answered 200', 30_000, async () => ((await order()).status === 200 ? true : undefined))
    for (let i = 0; i < 3; i++) expect((await order()).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await get('/')).status).toBe(200)
  }, 90_000)
  afterAll(async () => {
    await ctl?.close()
    await rt?.close()
  }, 30_000)

  it('shop-network-delay.yaml: placing an order takes about 200 ms longer; browsing the home page does not', async () => {
    const ordersBefore: number[] = []
    const homeBefore: number[] = []
    for (let i = 0; i < 5; i++) {
      const o = await order()
      expect(o.status, o.text).toBe(200)
      ordersBefore.push(o.ms)
      homeBefore.push((await get('/')).ms)
    }

    const applied = await api.apply(example('shop-network-delay.yaml'), { file: 'shop-network-delay.yaml' })
    expect(applied.items.map((i) => [i.object.metadata.name, i.action])).toEqual([['checkout-to-payment-delay', 'created']])
    const ordersDuring: number[] = []
    const homeDuring: number[] = []
    for (let i = 0; i < 5; i++) {
      const o = await order()
      expect(o.status, o.text).toBe(200) // slower, not failing: 250 ms at most is far below checkout's 2 s payment timeout
      ordersDuring.push(o.ms)
      homeDuring.push((await get('/')).ms)
    }
    const obj = await api.get('NetworkChaos', 'default', 'checkout-to-payment-delay', { refresh: true })
    expect(records(obj).map((r) => r.phase)).toEqual(['Injected'])
    expect(JSON.stringify(ours(obj)[0]!.evidence)).toMatch(/checkout-\w{5}>payment/)

    await api.delete('NetworkChaos', 'default', 'checkout-to-payment-delay')
    const ordersAfter: number[] = []
    for (let i = 0; i < 3; i++) ordersAfter.push((await order()).ms)

    // 200 ms ± 50 ms on the one payment call of an order; the tolerances cover a loaded machine
    expect(median(ordersDuring) - median(ordersBefore), `orders before ${ordersBefore} during ${ordersDuring}`).toBeGreaterThan(120)
    expect(median(ordersDuring) - median(ordersBefore)).toBeLessThan(600)
    expect(median(homeDuring) - median(homeBefore), `home before ${homeBefore} during ${homeDuring}`).toBeLessThan(100)
    expect(median(ordersAfter), `orders after ${ordersAfter}`).toBeLessThan(median(ordersDuring) - 100)
  }, 60_000)

  it('shop-http-ad-500.yaml: the home page still renders without the ad; the ad sidecar\'s evidence shows the requests it touched', async () => {
    const before = await get('/')
    expect(before.status).toBe(200)
    expect(before.text).toContain('Ad: ')

    await api.apply(example('shop-http-ad-500.yaml'), { file: 'shop-http-ad-500.yaml' })
    const PAGES = 4
    for (let i = 0; i < PAGES; i++) {
      const page = await get('/')
      expect(page.status).toBe(200)
      expect(page.text).not.toContain('Ad: ')
      expect(page.text.match(/class="product"/g)).toHaveLength(9)
      expect(page.text).toContain('You may also like') // only the ad is gone
    }
    const obj = await api.get('HTTPChaos', 'default', 'ad-returns-500', { refresh: true })
    const ad = pods('ad')[0]!.name
    expect(records(obj)).toHaveLength(1)
    expect(records(obj)[0]).toMatchObject({ id: `default/${ad}`, phase: 'Injected' })
    const evidence = ours(obj)[0]!.evidence as { requests: number; faults: { sidecar: string }[] }
    expect(evidence.requests).toBeGreaterThanOrEqual(PAGES)
    expect(evidence.faults.map((f) => f.sidecar)).toEqual([ad])

    const del = await api.delete('HTTPChaos', 'default', 'ad-returns-500')
    expect((await get('/')).text).toContain('Ad: ')
    // once deleted (archived), the experiment still shows what its fault did, and that nothing is active
    const archived = (ctl.controller as unknown as Controller).archived({ name: 'ad-returns-500' })[0]!.object as unknown as ChaosObject
    expect(del).toBeDefined()
    expect(ours(archived)).toEqual([expect.objectContaining({ active: false, evidence: expect.objectContaining({ active: 0, requests: expect.any(Number) }) })])
    expect((ours(archived)[0]!.evidence as { requests: number }).requests).toBeGreaterThanOrEqual(PAGES)
  }, 60_000)

  it('shop-pod-kill.yaml: the cart pod is replaced (new name, new pid) and the cart works again, its content kept', async () => {
    const [old] = pods('cart')
    expect(old?.pid).toBeDefined()
    const s = session()
    expect((await addToCart(s, 'film-camera')).status).toBe(200)

    await api.apply(example('shop-pod-kill.yaml'), { file: 'shop-pod-kill.yaml' })
    const replacement = await eventually('a ready cart pod other than the killed one', 20_000, () =>
      pods('cart').find((p) => p.name !== old!.name && p.ready && p.pid !== undefined))
    expect(replacement.name).not.toBe(old!.name)
    expect(replacement.pid).not.toBe(old!.pid)
    expect(pods('cart').map((p) => p.name)).not.toContain(old!.name)
    const obj = await api.get('PodChaos', 'default', 'kill-one-cart')
    expect(ours(obj)[0]?.evidence).toMatchObject({ killedPod: old!.name, killedPid: old!.pid })

    // the cart answers again through the new pod, and what was in it is still there (kept in cart-store)
    const cart = await eventually('the cart answering again', 10_000, async () => {
      const r = await get('/api/cart', s)
      return r.status === 200 ? r : undefined
    })
    expect((JSON.parse(cart.text) as { items: { productId: string }[] }).items.map((i) => i.productId)).toEqual(['film-camera'])
    expect((await addToCart(s, 'sunglasses')).status).toBe(200)
    expect((await order()).status).toBe(200)

    await api.delete('PodChaos', 'default', 'kill-one-cart')
  }, 60_000)

  it('shop-payment-pod-failure.yaml: while payment is down checkout fails cleanly and keeps the cart; after 5 s it works again by itself', async () => {
    const [payment] = pods('payment')
    const t0 = Date.now()
    await api.apply(example('shop-payment-pod-failure.yaml'), { file: 'shop-payment-pod-failure.yaml' })
    expect(pods('payment').map((p) => p.ready)).toEqual([false])

    const failed = await order()
    expect(Date.now() - t0, 'the failed order came after the experiment\'s end: the test is too slow').toBeLessThan(5000)
    expect(failed.status, failed.text).toBe(503)
    expect(JSON.parse(failed.text)).toEqual({
      error: expect.stringMatching(/^payment failed: the payment service is unavailable .*the order was not placed and your cart is unchanged$/),
      code: 'PAYMENT_UNAVAILABLE',
    })
    expect((JSON.parse((await get('/api/cart', failed.session)).text) as { items: unknown[] }).items).toHaveLength(1)
    expect((await get('/')).status).toBe(200) // browsing does not need payment

    // nobody deletes it: the experiment ends after 5 s and payment comes back, with a new process
    const ok = await eventually('an order placed after payment came back', 20_000, async () => {
      const r = await request(front, 'POST', '/api/checkout', { session: failed.session, json: ORDER })
      return r.status === 200 ? r : undefined
    })
    expect(JSON.parse(ok.text)).toMatchObject({ transactionId: expect.any(String), items: [{ productId: 'sunglasses' }] })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4500)
    expect(pods('payment')[0]!.pid).not.toBe(payment!.pid)
    const obj = await eventually('the experiment finished and recovered', 10_000, async () => {
      const o = await api.get('PodChaos', 'default', 'payment-down-5s')
      return o.status?.conditions?.some((c) => c.type === 'AllRecovered' && c.status === 'True') ? o : undefined
    })
    // as in Chaos Mesh, a recovered record is back to Not Injected, its recovery counted
    expect(records(obj)).toMatchObject([{ phase: 'Not Injected', injectedCount: 1, recoveredCount: 1 }])
    // and the record shows the pod ready again (read fresh), what the fault did kept
    const back = await eventually('the record showing payment ready again', 10_000, async () => {
      const o = await api.get('PodChaos', 'default', 'payment-down-5s', { refresh: true })
      return ours(o)[0]?.pod?.ready === true ? o : undefined
    })
    expect(ours(back)[0]).toMatchObject({ active: false, pod: { name: payment!.name, ready: true, phase: 'Running' }, evidence: { stoppedPid: payment!.pid } })

    await api.delete('PodChaos', 'default', 'payment-down-5s')
  }, 60_000)

  it('shop-http-catalog-abort.yaml: about one product page in ten fails with a clear error; all work after delete', async () => {
    const ids = ['typewriter', 'film-camera', 'espresso-pot', 'linen-apron', 'sunglasses']
    const pages = async (n: number) => {
      const out: Answer[] = []
      for (let i = 0; i < n; i++) out.push(await get(`/product/${ids[i % ids.length]}`))
      return out
    }
    expect((await pages(5)).map((p) => p.status)).toEqual([200, 200, 200, 200, 200])

    await api.apply(example('shop-http-catalog-abort.yaml'), { file: 'shop-http-catalog-abort.yaml' })
    const N = 120
    const during = await pages(N)
    const failed = during.filter((p) => p.status !== 200)
    // each page makes one required catalog call: failures ~ Binomial(120, 0.1), mean 12; [3, 30] misses with p < 1e-4
    expect(failed.length, `${failed.length} of ${N} product pages failed`).toBeGreaterThanOrEqual(3)
    expect(failed.length).toBeLessThanOrEqual(30)
    for (const p of failed) {
      expect(p.status).toBe(503)
      expect(p.text).toMatch(/<h1>Could not show this product<\/h1>[\s\S]*cannot show product &quot;[\w-]+&quot;: product-catalog is unreachable/)
    }
    const obj = await api.get('HTTPChaos', 'default', 'catalog-aborts-10-percent', { refresh: true })
    // the catalog's sidecar also aborted some of recommendation's calls, which the pages simply leave out
    expect((ours(obj)[0]!.evidence as { requests: number }).requests).toBeGreaterThanOrEqual(failed.length)

    await api.delete('HTTPChaos', 'default', 'catalog-aborts-10-percent')
    expect((await pages(20)).filter((p) => p.status !== 200)).toEqual([])
  }, 60_000)
})
