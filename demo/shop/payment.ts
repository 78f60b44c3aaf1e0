/** @module demo/shop/payment: charges a credit card (a fake processor: it checks the card and hands back a transaction id). */
import { randomUUID } from 'node:crypto'
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'
import { formatMoney, isMoney } from './money.js'

export interface CreditCard { number: string; cvv: string; expirationYear: number; expirationMonth: number }

/** The Luhn checksum every real card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9 }
    sum += d
  }
  return sum % 10 === 0
}

/** Why the card cannot be charged, or undefined when it can. */
export function cardProblem(card: Partial<CreditCard> | undefined, now = new Date()): string | undefined {
  const number = String(card?.number ?? '').replace(/[\s-]/g, '')
  if (!/^\d{13,19}$/.test(number) || !luhnValid(number)) return 'the credit card number is not valid'
  if (!/^4|^5[1-5]|^2[2-7]/.test(number)) return 'only VISA and Mastercard are accepted'
  if (!/^\d{3,4}$/.test(String(card?.cvv ?? ''))) return 'the CVV must be 3 or 4 digits'
  const year = Number(card?.expirationYear), month = Number(card?.expirationMonth)
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12) return 'the expiration date is not valid'
  if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)) return `the card expired in ${month}/${year}`
  return undefined
}

export function createPayment(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'payment', ...init })
  svc.route('POST', '/charge', async (ctx) => {
    const body = (await ctx.body()) as { amount?: unknown; creditCard?: Partial<CreditCard> }
    if (!isMoney(body.amount) || body.amount.amount <= 0) throw new HttpError(400, 'amount must be a positive {"currency", "amount"} in minor units')
    const problem = cardProblem(body.creditCard)
    if (problem) throw new HttpError(402, problem, { code: 'CARD_DECLINED' })
    const transactionId = randomUUID()
    const last4 = String(body.creditCard!.number).replace(/\D/g, '').slice(-4)
    ctx.log.info('card charged', { transactionId, amount: formatMoney(body.amount), card: `****${last4}` })
    return { json: { transactionId } }
  })
  return svc
}
