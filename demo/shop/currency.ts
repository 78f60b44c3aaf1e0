/** @module demo/shop/currency: converts prices between the currencies the shop supports. */
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'
import { MINOR_DIGITS, isMoney } from './money.js'
import type { Money } from './money.js'

/** Units of each currency worth one euro (a fixed table: the demo has no market feed). */
export const EURO_RATES: Readonly<Record<string, number>> = { EUR: 1, USD: 1.1305, GBP: 0.8597, CAD: 1.5128, CHF: 1.1360, JPY: 126.4 }

/** Converts `from` into `to`, rounding to the target's minor unit. */
export function convert(from: Money, to: string): Money {
  const fromRate = EURO_RATES[from.currency]
  const toRate = EURO_RATES[to]
  if (fromRate === undefined) throw new HttpError(400, `unsupported currency "${from.currency}"`, { supported: Object.keys(EURO_RATES) })
  if (toRate === undefined) throw new HttpError(400, `unsupported currency "${to}"`, { supported: Object.keys(EURO_RATES) })
  const major = from.amount / 10 ** MINOR_DIGITS[from.currency]! / fromRate * toRate
  return { currency: to, amount: Math.round(major * 10 ** MINOR_DIGITS[to]!) }
}

export function createCurrency(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'currency', ...init })
  svc.route('GET', '/currencies', () => ({ json: { currencies: Object.keys(EURO_RATES) } }))
  svc.route('POST', '/convert', async (ctx) => {
    const body = (await ctx.body()) as { from?: unknown; to?: unknown }
    if (!isMoney(body.from) || typeof body.to !== 'string') {
      throw new HttpError(400, 'expected {"from": {"currency": "USD", "amount": 1999}, "to": "EUR"} (amount in minor units)')
    }
    return { json: convert(body.from, body.to) }
  })
  return svc
}
