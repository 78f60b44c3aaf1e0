/** @module demo/chain/service: entry point: `node dist/demo/chain/service.js front|middle|back` runs one service on $PORT. */
import { runNamedService } from '../lib/service.js'
import { CHAIN_SERVICES } from './services.js'

await runNamedService(CHAIN_SERVICES)
