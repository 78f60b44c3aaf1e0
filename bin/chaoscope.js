#!/usr/bin/env node
import { existsSync } from 'node:fs'

// stacks of internal errors (printed with CHAOSCOPE_DEBUG=1) point into the sources, not the minified bundle
if (process.env.CHAOSCOPE_DEBUG) process.setSourceMapsEnabled(true)

// The one-file bundle `npm run build` makes of the CLI (scripts/bundle.mjs) starts faster than its modules.
const bundle = new URL('../dist/src/cli/main.bundle.js', import.meta.url)
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js')

const code = await main(process.argv.slice(2))
// Done: end now, once output is flushed, rather than when the last timer or socket lets go; main() decided the
// exit code.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
