/** @module demo/chain/services: the chain's services by name, with the ports they listen on when $PORT is unset. */
import type { ServiceFactory } from '../lib/service.js'
import { createBack, createFront, createMiddle } from './chain.js'

export const CHAIN_SERVICES: Readonly<Record<string, { factory: ServiceFactory; port: number }>> = {
  front: { factory: createFront, port: 8000 },
  middle: { factory: createMiddle, port: 8001 },
  back: { factory: createBack, port: 8002 },
}

export const CHAIN_FACTORIES: Readonly<Record<string, ServiceFactory>> =
  Object.fromEntries(Object.entries(CHAIN_SERVICES).map(([name, s]) => [name, s.factory]))
