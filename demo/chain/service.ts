/** @module demo/chain/service: entry point: `node dist/demo/chain/service.js front|middle|back` runs one service on $PORT. */
import { runService } from '../lib/service.js'
import { CHAIN_SERVICES } from './services.js'

const name = process.argv[2] ?? ''
const entry = CHAIN_SERVICES[name]
if (!entry) {
  process.stderr.write(`usage: service.js <name>; name is one of ${Object.keys(CHAIN_SERVICES).join(', ')} (got "${name}")\n`)
  process.exitCode = 2
} else {
  await runService(entry.factory, entry.port)
}
