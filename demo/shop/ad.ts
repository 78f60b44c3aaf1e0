/** @module demo/shop/ad: text ads matched to the keywords of the page being shown. */
import { DemoService } from '../lib/service.js'
import type { ServiceInit } from '../lib/service.js'

export interface Ad { redirectUrl: string; text: string }

const ADS: Readonly<Record<string, Ad[]>> = {
  vintage: [{ redirectUrl: '/product/typewriter', text: 'Vintage typewriter for sale. 20% off.' }],
  photography: [{ redirectUrl: '/product/film-camera', text: 'Film camera: shoot like it is 1975.' }],
  kitchen: [{ redirectUrl: '/product/espresso-pot', text: 'Stovetop espresso pot: strong coffee, no machine.' }],
  office: [{ redirectUrl: '/product/desk-lamp', text: 'Brass desk lamp: light that stays put.' }],
  clothing: [{ redirectUrl: '/product/wool-scarf', text: 'Wool scarf: buy one, keep warm.' }],
  accessories: [{ redirectUrl: '/product/sunglasses', text: 'Round sunglasses for sunny days.' }],
  music: [{ redirectUrl: '/product/record-player', text: 'Record player: your vinyl deserves it.' }],
  home: [{ redirectUrl: '/product/bamboo-glass-jar', text: 'Bamboo glass jars: keep it fresh.' }],
}

export function createAd(init: ServiceInit): DemoService {
  const svc = new DemoService({ name: 'ad', ...init })
  svc.route('GET', '/ads', ({ url }) => {
    const keywords = (url.searchParams.get('keywords') ?? '').split(',').map((k) => k.trim()).filter(Boolean)
    const matched = keywords.flatMap((k) => ADS[k] ?? [])
    const all = Object.values(ADS).flat()
    const ads = matched.length > 0 ? matched.slice(0, 2) : [all[Math.floor(Math.random() * all.length)]!]
    return { json: { ads } }
  })
  return svc
}
