/** @module demo/shop/services: every shop service by name (what `service.js <name>` runs and what the tests start). */
import type { ServiceFactory } from '../lib/service.js'
import { createAd } from './ad.js'
import { createCart } from './cart.js'
import { createCartStore } from './cart-store.js'
import { createCheckout } from './checkout.js'
import { createCurrency } from './currency.js'
import { createEmail } from './email.js'
import { createFrontend } from './frontend.js'
import { createPayment } from './payment.js'
import { createProductCatalog } from './product-catalog.js'
import { createRecommendation } from './recommendation.js'
import { createShipping } from './shipping.js'

export const SHOP_SERVICES: Readonly<Record<string, ServiceFactory>> = {
  frontend: createFrontend,
  'product-catalog': createProductCatalog,
  cart: createCart,
  'cart-store': createCartStore,
  checkout: createCheckout,
  payment: createPayment,
  shipping: createShipping,
  currency: createCurrency,
  email: createEmail,
  recommendation: createRecommendation,
  ad: createAd,
}

/** Every shop service listens on 8080 unless the runtime hands it $PORT. */
export const SHOP_PORT = 8080
