#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js'

const code = await main(process.argv.slice(2))
// Done: end now rather than when fetch's idle keep-alive sockets time out (that would add ~0.1 s to every
// command). Output is flushed first; main() already decided the exit code.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
