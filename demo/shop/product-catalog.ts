/** @module demo/shop/product-catalog: the shop's products (read-only), with their USD prices. */
import { DemoService, HttpError } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'
import type { Money } from './money.js'

export interface Product {
  id: string
  name: string
  description: string
  categories: string[]
  priceUsd: Money
}

const usd = (amount: number): Money => ({ currency: 'USD', amount })

export const PRODUCTS: readonly Product[] = [
  { id: 'typewriter', name: 'Vintage Typewriter', description: 'A portable typewriter that still rings at the end of each line.', categories: ['vintage', 'office'], priceUsd: usd(6799) },
  { id: 'film-camera', name: 'Film Camera', description: 'A 35 mm rangefinder with a quiet leaf shutter.', categories: ['photography', 'vintage'], priceUsd: usd(2499) },
  { id: 'espresso-pot', name: 'Stovetop Espresso Pot', description: 'Six cups of strong coffee on any hob.', categories: ['kitchen'], priceUsd: usd(3450) },
  { id: 'linen-apron', name: 'Linen Apron', description: 'Washed linen with two deep pockets.', categories: ['kitchen', 'clothing'], priceUsd: usd(2200) },
  { id: 'desk-lamp', name: 'Brass Desk Lamp', description: 'Warm light with an arm that stays where you put it.', categories: ['office', 'home'], priceUsd: usd(8900) },
  { id: 'sunglasses', name: 'Round Sunglasses', description: 'Polarised lenses in a thin metal frame.', categories: ['accessories'], priceUsd: usd(1999) },
  { id: 'wool-scarf', name: 'Wool Scarf', description: 'Long, soft and warm enough for February.', categories: ['clothing', 'accessories'], priceUsd: usd(3900) },
  { id: 'bamboo-glass-jar', name: 'Bamboo Glass Jar', description: 'Airtight storage with a bamboo lid.', categories: ['kitchen', 'home'], priceUsd: usd(599) },
  { id: 'record-player', name: 'Record Player', description: 'Belt-driven turntable with a built-in preamp.', categories: ['music', 'home'], priceUsd: usd(14900) },
]

export function createProductCatalog(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'product-catalog', ...init })
  svc.route('GET', '/products', ({ url }) => {
    const category = url.searchParams.get('category')
    return { json: { products: category ? PRODUCTS.filter((p) => p.categories.includes(category)) : PRODUCTS } }
  })
  svc.route('GET', '/products/:id', ({ params }) => {
    const product = PRODUCTS.find((p) => p.id === params.id)
    if (!product) throw new HttpError(404, `no product with id "${params.id}"`)
    return { json: product }
  })
  return svc
}
