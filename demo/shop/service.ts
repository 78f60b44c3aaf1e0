/** @module demo/shop/service: entry point: `node dist/demo/shop/service.js <service-name>` runs one shop service on $PORT. */
import { runNamedService } from '../lib/service.js'
import { SHOP_PORT, SHOP_SERVICES } from './services.js'

await runNamedService(Object.fromEntries(Object.entries(SHOP_SERVICES).map(([name, factory]) => [name, { factory, port: SHOP_PORT }])))
