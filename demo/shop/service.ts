/** @module demo/shop/service: entry point: `node dist/demo/shop/service.js <service-name>` runs one shop service on $PORT. */
import { runService } from '../lib/service.js'
import { SHOP_PORT, SHOP_SERVICES } from './services.js'

const name = process.argv[2] ?? ''
const factory = SHOP_SERVICES[name]
if (!factory) {
  process.stderr.write(`usage: service.js <name>; name is one of ${Object.keys(SHOP_SERVICES).join(', ')} (got "${name}")\n`)
  process.exitCode = 2
} else {
  await runService(factory, SHOP_PORT)
}
