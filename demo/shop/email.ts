/** @module demo/shop/email: "sends" order confirmations (logs them; keeps the last few for inspection). */
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'

export function createEmail(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'email', ...init })
  const sent: { to: string; orderId: string; at: string }[] = []
  svc.route('POST', '/send/confirmation', async (ctx) => {
    const body = (await ctx.body()) as { email?: unknown; order?: { orderId?: unknown } }
    if (typeof body.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(body.email)) throw new HttpError(400, 'email must be an address like someone@example.com')
    const orderId = String(body.order?.orderId ?? '')
    sent.push({ to: body.email, orderId, at: new Date().toISOString() })
    if (sent.length > 100) sent.shift()
    ctx.log.info('confirmation sent', { to: body.email, orderId })
    return { json: { sent: true } }
  })
  svc.route('GET', '/sent', () => ({ json: { sent } }))
  return svc
}
