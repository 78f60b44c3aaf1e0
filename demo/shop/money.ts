/** @module demo/shop/money: prices as whole minor units (cents) in a currency, and how the shop shows them. */

/** An amount in the currency's minor unit (USD 19.99 is `{ currency: 'USD', amount: 1999 }`; JPY has no minor unit). */
export interface Money {
  currency: string
  amount: number
}

/** Digits after the decimal point for each currency the shop knows. */
export const MINOR_DIGITS: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, CAD: 2, CHF: 2, JPY: 0 }

export function isMoney(v: unknown): v is Money {
  const m = v as Money
  return typeof m === 'object' && m !== null && typeof m.currency === 'string' && Number.isInteger(m.amount)
}

/** `{ EUR, 6014 }` → `€60.14`. */
export function formatMoney(m: Money): string {
  const digits = MINOR_DIGITS[m.currency] ?? 2
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency, minimumFractionDigits: digits, maximumFractionDigits: digits })
    .format(m.amount / 10 ** digits)
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new Error(`cannot add ${a.currency} to ${b.currency}`)
  return { currency: a.currency, amount: a.amount + b.amount }
}

export function timesMoney(m: Money, n: number): Money {
  return { currency: m.currency, amount: m.amount * n }
}
