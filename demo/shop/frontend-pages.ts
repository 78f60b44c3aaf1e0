/** @module demo/shop/frontend-pages: the shop's HTML pages (plain templates, every value escaped). */
import type { Ad } from './ad.js'
import type { Order } from './checkout.js'
import { formatMoney } from './money.js'
import type { Money } from './money.js'

export interface ShownProduct { id: string; name: string; description: string; price: Money }
export interface ShownCartItem { productId: string; name: string; quantity: number; price?: Money }
export interface Extras { ads?: Ad[]; recommendations?: { id: string; name: string }[] }

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'CHF', 'JPY']

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

function layout(title: string, currency: string, main: string, extras: Extras = {}): string {
  const options = CURRENCIES.map((c) => `<option value="${c}"${c === currency ? ' selected' : ''}>${c}</option>`).join('')
  const recs = extras.recommendations?.length
    ? `<section class="recommendations"><h2>You may also like</h2><ul>${extras.recommendations.map((p) => `<li><a href="/product/${esc(p.id)}">${esc(p.name)}</a></li>`).join('')}</ul></section>`
    : ''
  const ads = extras.ads?.length
    ? `<aside class="ad">${extras.ads.map((a) => `<a href="${esc(a.redirectUrl)}">Ad: ${esc(a.text)}</a>`).join(' ')}</aside>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Chaoscope Shop</title></head>
<body>
<header><a href="/">Chaoscope Shop</a> · <a href="/cart">Cart</a>
<form method="post" action="/setCurrency"><select name="currency">${options}</select><button>Set currency</button></form></header>
<main>
${main}
</main>
${recs}
${ads}
</body></html>`
}

export function homePage(products: ShownProduct[], currency: string, extras: Extras): string {
  const items = products.map((p) => `<li class="product"><a href="/product/${esc(p.id)}">${esc(p.name)}</a> <span class="price">${esc(formatMoney(p.price))}</span></li>`).join('\n')
  return layout('Home', currency, `<h1>Hot products</h1>\n<ul class="products">\n${items}\n</ul>`, extras)
}

export function productPage(p: ShownProduct, currency: string, extras: Extras): string {
  return layout(p.name, currency, `<h1>${esc(p.name)}</h1>
<p class="price">${esc(formatMoney(p.price))}</p>
<p>${esc(p.description)}</p>
<form method="post" action="/cart"><input type="hidden" name="productId" value="${esc(p.id)}">
<label>Quantity <input type="number" name="quantity" value="1" min="1" max="99"></label><button>Add to cart</button></form>`, extras)
}

export function cartPage(items: ShownCartItem[], currency: string, extras: Extras): string {
  if (items.length === 0) return layout('Cart', currency, '<h1>Your cart is empty</h1><p><a href="/">Continue shopping</a></p>', extras)
  const rows = items.map((i) => `<li>${esc(i.name)} × ${i.quantity} <span class="price">${i.price ? esc(formatMoney(i.price)) : 'price unavailable'}</span></li>`).join('\n')
  return layout('Cart', currency, `<h1>Your cart</h1>
<ul class="cart">\n${rows}\n</ul>
<form method="post" action="/cart/empty"><button>Empty cart</button></form>
<h2>Checkout</h2>
<form method="post" action="/cart/checkout">
<label>Email <input name="email" value="someone@example.com"></label>
<label>Street address <input name="street_address" value="1600 Amphitheatre Parkway"></label>
<label>City <input name="city" value="Mountain View"></label>
<label>State <input name="state" value="CA"></label>
<label>Country <input name="country" value="United States"></label>
<label>ZIP code <input name="zip_code" value="94043"></label>
<label>Card number <input name="credit_card_number" value="4432-8015-6152-0454"></label>
<label>Month <input name="credit_card_expiration_month" value="1"></label>
<label>Year <input name="credit_card_expiration_year" value="${new Date().getUTCFullYear() + 2}"></label>
<label>CVV <input name="credit_card_cvv" value="672"></label>
<button>Place order</button>
</form>`, extras)
}

export function orderPage(order: Order, currency: string): string {
  return layout('Order complete', currency, `<h1>Your order is complete</h1>
<p>Order <code class="order-id">${esc(order.orderId)}</code>, tracking number <code class="tracking-id">${esc(order.shippingTrackingId)}</code>.</p>
<p>Shipping ${esc(formatMoney(order.shippingCost))}, total paid <strong class="total">${esc(formatMoney(order.total))}</strong>.</p>
${order.emailSent ? '<p>A confirmation email is on its way.</p>' : '<p>We could not send a confirmation email; your order is placed all the same.</p>'}
<p><a href="/">Continue shopping</a></p>`)
}

export function errorPage(status: number, title: string, message: string, currency: string, back = '/'): string {
  return layout(title, currency, `<h1>${esc(title)}</h1>
<p class="error" data-status="${status}">${esc(message)}</p>
<p><a href="${esc(back)}">Go back</a></p>`)
}
