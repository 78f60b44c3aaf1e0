// Writes docs/errors.md from the built ERROR_CODES table (run `npm run build` first; `npm run docs:errors` does both).
import { writeFileSync } from 'node:fs'
import { renderErrorsDoc } from '../dist/src/errors-doc.js'

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc())
console.log('wrote docs/errors.md')
