// Fuzz worker: mutates the conformance files with a fixed seed and checks every answer of the validator.
// Runs the built code (dist/) in a worker thread so that the test can stop it if it ever hangs.
import { parentPort, workerData } from 'node:worker_threads'
import { parse, stringify } from 'yaml'
import { validateSources } from '../dist/src/manifest/validate.js'
import { ERROR_CODES } from '../dist/src/errors.js'
import { seeded as rng } from './seeded.mjs'

const { seeds, files, cases } = workerData


const JUNK = ['\t', '  ', ': ', '- ', '{', '}', '[', ']', '&a ', '*a', '*b', '---\n', '"', "'", '#', '\n', '<<: *a\n', '!!binary ', '%YAML 1.1\n', '\u00ff', '\ud83d', 'null', '-1', '1e309', '0x10', 'scheduler: {cron: "@every 1m"}\n']
const VALUES = [null, true, 0, -1, 1.5, 1e12, '', 'x', 'fast', '100ms', '@every', '[]', [], {}, [1, 'a'], { a: 1 }, 'pod-kill', 'fixed', 'In', '*/5 * * * *']

function mutateText(text, r) {
  const pick = (arr) => arr[Math.floor(r() * arr.length)]
  const at = Math.floor(r() * (text.length + 1))
  switch (Math.floor(r() * 6)) {
    case 0: return text.slice(0, at) + pick(JUNK) + text.slice(at)
    case 1: return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 20))
    case 2: { const lines = text.split('\n'); const i = Math.floor(r() * lines.length); lines.splice(i, 0, lines[Math.floor(r() * lines.length)]); return lines.join('\n') }
    case 3: { const lines = text.split('\n'); const i = Math.floor(r() * lines.length); const j = Math.floor(r() * lines.length); [lines[i], lines[j]] = [lines[j], lines[i]]; return lines.join('\n') }
    case 4: return text.slice(0, at)
    default: return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + text.slice(at)
  }
}

function mutateValue(text, r) {
  let docs
  try { docs = text.split(/^---$/m).map((d) => parse(d)) } catch { return mutateText(text, r) }
  const pick = (arr) => arr[Math.floor(r() * arr.length)]
  const walk = (v, depth) => {
    if (v === null || typeof v !== 'object') return r() < 0.5 ? pick(VALUES) : v
    const keys = Object.keys(v)
    if (keys.length === 0 || depth > 12) return v
    const k = pick(keys)
    const op = r()
    if (op < 0.15) { if (Array.isArray(v)) v.splice(Number(k), 1); else delete v[k] }
    else if (op < 0.25 && !Array.isArray(v)) v[`${k}x`] = pick(VALUES)
    else if (op < 0.45) v[k] = structuredClone(pick(VALUES))
    else v[k] = walk(v[k], depth + 1)
    return v
  }
  return docs.map((d) => stringify(walk(d, 0) ?? null)).join('---\n')
}

/** A duplicate-key issue names the key, which is written at the issue's position and at the first one it gives. */
function duplicateNamed(issue, text) {
  const m = /^duplicate key "(.*)", first defined at line (\d+), column (\d+)$/.exec(issue.message)
  if (!m) return false
  const lines = text.split('\n') // as the parser's line counter counts
  const writtenAt = (line, col) => (lines[line - 1] ?? '').slice(col - 1).replace(/^["']/, '').startsWith(JSON.parse(`"${m[1]}"`).slice(0, 1))
  return writtenAt(issue.line, issue.col) && writtenAt(Number(m[2]), Number(m[3])) && (Number(m[2]) < issue.line || (Number(m[2]) === issue.line && Number(m[3]) < issue.col))
}

const codes = new Set(Object.keys(ERROR_CODES))
let done = 0
let valid = 0
let invalid = 0
for (const seed of seeds) {
  const r = rng(seed)
  for (let n = 0; n < cases; n++) {
    const f = files[Math.floor(r() * files.length)]
    const rounds = 1 + Math.floor(r() * 3)
    let text = f.text
    for (let k = 0; k < rounds; k++) text = r() < 0.5 ? mutateText(text, r) : mutateValue(text, r)
    const name = `${f.name}#seed${seed}.${n}`
    let result
    try {
      result = validateSources([{ name, text, discovered: r() < 0.5 }])
    } catch (e) {
      parentPort.postMessage({ kind: 'failure', name, text, why: `threw ${e?.stack ?? e}` })
      process.exit(1)
    }
    for (const i of result.issues) {
      const bad = !codes.has(i.code) ? 'unknown code' : i.code === 'INTERNAL' ? `internal error: ${i.message}` : !(i.line >= 1 && i.col >= 1) ? 'no position' : i.file !== name ? 'wrong file' : typeof i.message !== 'string' || i.message === '' ? 'no message'
        : i.code === 'SPEC_DUPLICATE_KEY' && !duplicateNamed(i, text) ? 'a duplicate key without its name and first position' : undefined
      if (bad) {
        parentPort.postMessage({ kind: 'failure', name, text, why: `${bad}: ${JSON.stringify(i)}` })
        process.exit(1)
      }
    }
    if (result.issues.length === 0) valid++
    else invalid++
    done++
    if (done % 50 === 0) parentPort.postMessage({ kind: 'progress', done })
  }
}
parentPort.postMessage({ kind: 'done', done, valid, invalid })
