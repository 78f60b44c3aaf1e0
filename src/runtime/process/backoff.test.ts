/** The kubelet's crash-loop back-off as a pure table. */
import { expect, it } from 'vitest'
import { Backoff, KUBELET_BACKOFF } from './backoff.js'

it('kubelet defaults: immediate, 10 s, 20 s, 40 s … capped at 5 min', () => {
  const b = new Backoff(KUBELET_BACKOFF)
  const delays: number[] = []
  let now = 0
  for (let i = 0; i < 8; i++) {
    const d = b.delay(now)
    delays.push(d)
    now += d
    b.restarted(now)
    now += 1000 // runs 1 s, then crashes again
  }
  expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000])
})

it('starts over with an immediate restart after a long quiet run', () => {
  const b = new Backoff({ baseMs: 10, capMs: 40, resetMs: 80 })
  expect(b.delay(0)).toBe(0)
  b.restarted(0)
  expect(b.delay(5)).toBe(10)
  b.restarted(15)
  expect(b.delay(20)).toBe(20)
  b.restarted(40)
  expect(b.delay(100)).toBe(40) // 60 ms since the last restart: still within resetMs
  b.restarted(140)
  expect(b.delay(221)).toBe(0) // 81 ms: reset
  b.restarted(221)
  expect(b.delay(225)).toBe(10)
})
