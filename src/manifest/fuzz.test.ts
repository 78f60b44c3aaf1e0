/**
 * Fuzz: thousands of mutations of the conformance files (fixed seeds, bounded time). The validator never throws,
 * never hangs, and always answers "valid" or coded, positioned issues. Runs the built code in a worker thread
 * so that a hang is caught (no progress for 20 s fails the test) instead of stalling the suite.
 */
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { expect, it } from 'vitest'
import { CONFORMANCE, filesUnder } from '../../test/conformance.js'

const SEEDS = [1, 2, 3, 4]
const CASES_PER_SEED = 750

it(`survives ${SEEDS.length * CASES_PER_SEED} mutated conformance files`, async () => {
  const files = filesUnder(CONFORMANCE)
    .filter((f) => !f.includes('/crd/') && !f.includes('grafana'))
    .map((f) => ({ name: f, text: readFileSync(f, 'utf8') }))
  expect(files.length).toBeGreaterThan(50)
  const worker = new Worker(new URL('../../test/fuzz-worker.mjs', import.meta.url), {
    workerData: { seeds: SEEDS, files, cases: CASES_PER_SEED },
  })
  const outcome = await new Promise<{ kind: string; done?: number; valid?: number; invalid?: number; why?: string; name?: string; text?: string }>((resolve) => {
    let timer = setTimeout(() => resolve({ kind: 'hang' }), 20_000)
    worker.on('message', (m: { kind: string }) => {
      clearTimeout(timer)
      if (m.kind === 'progress') timer = setTimeout(() => resolve({ kind: 'hang' }), 20_000)
      else resolve(m)
    })
    worker.on('error', (e) => resolve({ kind: 'failure', why: String(e) }))
  })
  await worker.terminate()
  if (outcome.kind === 'failure') throw new Error(`${outcome.name}: ${outcome.why}\n--- input ---\n${outcome.text}`)
  expect(outcome.kind).toBe('done')
  expect(outcome.done).toBe(SEEDS.length * CASES_PER_SEED)
  // both answers occur: the mutations are not all fatal, nor all harmless
  expect(outcome.valid).toBeGreaterThan(100)
  expect(outcome.invalid).toBeGreaterThan(1000)
}, 240_000)
