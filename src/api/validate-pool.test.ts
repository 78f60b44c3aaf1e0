/**
 * The validator's worker threads: the result of validateText, workers started on demand and stopped when idle,
 * and a worker that does not answer failing its job with a code (the API answers 500 API_VALIDATOR_FAILED).
 */
import { describe, expect, it } from 'vitest'
import { validateText } from '../manifest/validate.js'
import { ValidatePool } from './validate-pool.js'

const doc = (name: string, latency = '100ms') => `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: ${name}}
spec: {action: delay, mode: all, selector: {labelSelectors: {app: back}}, delay: {latency: ${latency}}}
`

describe('ValidatePool', () => {
  it('gives what validateText gives, on one worker per job at most size, stopped once idle', async () => {
    const pool = new ValidatePool({ size: 2, idleMs: 50 })
    try {
      const texts = [doc('a'), `${doc('b')}---\n${doc('Bad', 'fast')}`, 'kind: [', `${doc('c')}---\n${doc('c')}`]
      const results = await Promise.all(texts.map((t, i) => pool.validate(t, `f${i}.yaml`)))
      expect(results).toEqual(texts.map((t, i) => validateText(t, `f${i}.yaml`)))
      expect(pool.workers).toBeLessThanOrEqual(2)
      const deadline = Date.now() + 10_000
      while (pool.workers > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(pool.workers).toBe(0)
      expect((await pool.validate(doc('again'), 'x.yaml')).resources.map((r) => r.metadata.name)).toEqual(['again']) // started again
    } finally {
      await pool.close()
    }
  }, 30_000)

  it('fails a job its worker does not answer in time with API_VALIDATOR_FAILED, and stops that worker', async () => {
    const pool = new ValidatePool({ timeoutMs: 1 })
    try {
      await expect(pool.validate(doc('slow'), 'x.yaml')).rejects.toMatchObject({ code: 'API_VALIDATOR_FAILED', message: expect.stringContaining('did not answer within 1 ms') })
      expect(pool.workers).toBe(0)
    } finally {
      await pool.close()
    }
  })

  it('after close, refuses work with a code', async () => {
    const pool = new ValidatePool()
    await pool.close()
    await expect(pool.validate(doc('late'), 'x.yaml')).rejects.toMatchObject({ code: 'API_VALIDATOR_FAILED' })
  })
})
