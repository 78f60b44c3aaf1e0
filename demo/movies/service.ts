/** @module demo/movies/service: entry point: `node dist/demo/movies/service.js server-app|mongo` runs one service on $PORT. */
import { runService } from '../lib/service.js'
import { MOVIES_SERVICES } from './services.js'

const name = process.argv[2] ?? ''
const entry = MOVIES_SERVICES[name]
if (!entry) {
  process.stderr.write(`usage: service.js <name>; name is one of ${Object.keys(MOVIES_SERVICES).join(', ')} (got "${name}")\n`)
  process.exitCode = 2
} else {
  await runService(entry.factory, entry.port)
}
