// Build step after tsc: writes the standalone validator of every schema into dist/src/manifest/generated/,
// where src/manifest/validators.ts loads them (one module per kind, on first use).
import { writeValidators } from '../dist/src/manifest/standalone.js'
import { GENERATED_DIR } from '../dist/src/manifest/validators.js'

const t0 = performance.now()
const files = writeValidators(GENERATED_DIR)
console.log(`gen-validators: ${files.length} validators in ${Math.round(performance.now() - t0)} ms`)
