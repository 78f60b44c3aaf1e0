// bench/spec: documents validated per second over the conformance set, against a baseline measured in the same
// run: the same texts only parsed to plain JS by the `yaml` package (no positions, no schema, no rules).
// Usage: npm run build && node bench/spec.mjs [seconds-per-measure]
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { validateSources } from '../dist/src/manifest/validate.js'

const root = new URL('../../shared/conformance/', import.meta.url).pathname
const seconds = Number(process.argv[2] ?? 3)

const files = []
const walk = (d) => {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) { if (e !== 'crd') walk(p) }
    else if (/\.(ya?ml|json)$/.test(e) && !p.includes('grafana')) files.push({ name: p, text: readFileSync(p, 'utf8'), discovered: true })
  }
}
walk(root)

function measure(label, fn) {
  for (let i = 0; i < 20; i++) fn() // warm-up: JIT and Ajv's compiled validators
  let docs = 0
  let rounds = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  while (process.hrtime.bigint() < end) {
    docs += fn()
    rounds++
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  const rate = docs / elapsed
  console.log(`${label.padEnd(34)} ${rate.toFixed(0).padStart(8)} docs/s  (${rounds} rounds, ${elapsed.toFixed(2)} s)`)
  return rate
}

const validateAll = () => validateSources(files).documents
const parseOnly = () => files.reduce((n, f) => n + parseAllDocuments(f.text).filter((d) => d.contents !== null && d.toJS() !== undefined).length, 0)

const check = validateSources(files)
console.log(`conformance set: ${files.length} files, ${check.documents} documents, ${check.resources.length + check.experiments.length} valid, ${check.skipped.length} skipped, ${check.issues.length} issues`)
const baseline = measure('baseline: yaml parse to JS', parseOnly)
const ours = measure('chaoscope validate (full)', validateAll)
console.log(`ratio: ${(ours / baseline).toFixed(2)}x of parse-only throughput`)
