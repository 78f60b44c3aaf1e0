/** @module demo/movies/service: entry point: `node dist/demo/movies/service.js server-app|mongo` runs one service on $PORT. */
import { runNamedService } from '../lib/service.js'
import { MOVIES_SERVICES } from './services.js'

await runNamedService(MOVIES_SERVICES)
