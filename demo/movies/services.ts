/** @module demo/movies/services: the movies app's services by name, with the ports they listen on when $PORT is unset. */
import type { ServiceFactory } from '../lib/service.js'
import { createMongo } from './mongo.js'
import { createServerApp } from './server-app.js'

export const MOVIES_SERVICES: Readonly<Record<string, { factory: ServiceFactory; port: number }>> = {
  'server-app': { factory: createServerApp, port: 8080 },
  mongo: { factory: createMongo, port: 27017 },
}

export const MOVIES_FACTORIES: Readonly<Record<string, ServiceFactory>> =
  Object.fromEntries(Object.entries(MOVIES_SERVICES).map(([name, s]) => [name, s.factory]))
