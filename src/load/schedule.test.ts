import { describe, expect, it } from 'vitest'
import { Arrivals, fitStages, meanRate, parseRate, plannedArrivals, rateAt, RateSyntaxError } from './schedule.js'
import type { Stage } from './types.js'

function all(stages: Stage[], first = 0, stride = 1): { index: number; at: number }[] {
  const a = new Arrivals(stages, first, stride)
  const out: { index: number; at: number }[] = []
  for (let x = a.take(); x !== undefined && out.length < 1_000_000; x = a.take()) out.push(x)
  return out
}

describe('--rate', () => {
  it('reads a constant rate, a ramp and steps; the last stage lasts as long as the run', () => {
    expect(parseRate('500')).toEqual([{ durationMs: 0, from: 500, to: 500 }])
    expect(parseRate('100:1000/30s')).toEqual([{ durationMs: 30_000, from: 100, to: 1000 }, { durationMs: 0, from: 1000, to: 1000 }])
    expect(parseRate('100,500,1000/10s')).toEqual([
      { durationMs: 10_000, from: 100, to: 100 },
      { durationMs: 10_000, from: 500, to: 500 },
      { durationMs: 0, from: 1000, to: 1000 },
    ])
    expect(parseRate(' 2.5 ')).toEqual([{ durationMs: 0, from: 2.5, to: 2.5 }])
  })

  it.each([
    ['abc', /"abc" in "abc" is not a rate/],
    ['0', /above 0/],
    ['100:x/10s', /"x" in "100:x\/10s" is not a rate/],
    ['100:200/soon', /"soon" after \/ is not a duration/],
    ['100:200:300/1s', /a ramp has two rates/],
    ['100/10s', /steps need two rates or more/],
    ['-5', /not a rate/],
  ])('refuses %j with a message that says why', (text, message) => {
    expect(() => parseRate(text)).toThrow(RateSyntaxError)
    expect(() => parseRate(text)).toThrow(message)
  })
})

describe('arrival times', () => {
  it('a constant rate sends one request every 1/rate, the first at the start', () => {
    const got = all([{ durationMs: 1000, from: 1000, to: 1000 }])
    expect(got).toHaveLength(1000)
    expect(got[0]!.at).toBe(0)
    expect(got[1]!.at).toBeCloseTo(1, 9)
    expect(got[999]!.at).toBeCloseTo(999, 6)
  })

  it('a ramp sends the requests its area holds, closer together as the rate climbs', () => {
    const stages = [{ durationMs: 10_000, from: 100, to: 1000 }]
    const got = all(stages)
    expect(got).toHaveLength(plannedArrivals(stages)) // (100 + 1000) / 2 × 10 s = 5500
    expect(got).toHaveLength(5500)
    const gapStart = got[1]!.at - got[0]!.at
    const gapEnd = got[5499]!.at - got[5498]!.at
    expect(gapStart).toBeCloseTo(10, 0) // 100/s
    expect(gapEnd).toBeCloseTo(1, 1) // 1000/s
    // the times are increasing, and within the stage
    for (let i = 1; i < got.length; i++) expect(got[i]!.at).toBeGreaterThan(got[i - 1]!.at)
    expect(got[5499]!.at).toBeLessThan(10_000)
  })

  it('a ramp from zero starts at once and crosses into the next stage without losing a request', () => {
    const stages = [{ durationMs: 2000, from: 0, to: 100 }, { durationMs: 1000, from: 100, to: 100 }]
    const got = all(stages)
    expect(got).toHaveLength(100 + 100)
    expect(got[100]!.at).toBeCloseTo(2000, 6)
  })

  it('workers splitting the schedule by stride send, together, exactly the whole schedule', () => {
    const stages = [{ durationMs: 3000, from: 50, to: 700 }]
    const whole = all(stages)
    const parts = [all(stages, 0, 3), all(stages, 1, 3), all(stages, 2, 3)].flat().sort((a, b) => a.index - b.index)
    expect(parts).toEqual(whole)
  })

  it('stages fit a run: open-ended ones get what is left, longer ones are cut at the rate they reached, shorter ones hold their last rate', () => {
    expect(fitStages(parseRate('200'), 5000)).toEqual({ stages: [{ durationMs: 5000, from: 200, to: 200 }], totalMs: 5000 })
    expect(fitStages([{ durationMs: 10_000, from: 0, to: 1000 }], 5000)!.stages).toEqual([{ durationMs: 5000, from: 0, to: 500 }])
    expect(fitStages([{ durationMs: 1000, from: 10, to: 20 }], 3000)!.stages).toEqual([{ durationMs: 1000, from: 10, to: 20 }, { durationMs: 2000, from: 20, to: 20 }])
    expect(fitStages(parseRate('200'), undefined)).toBeUndefined()
    expect(fitStages([{ durationMs: 1000, from: 10, to: 20 }], undefined)).toEqual({ stages: [{ durationMs: 1000, from: 10, to: 20 }], totalMs: 1000 })
  })

  it('the mean and current rates follow the stages', () => {
    const s = [{ durationMs: 1000, from: 100, to: 300 }, { durationMs: 1000, from: 300, to: 300 }]
    expect(meanRate(s)).toBe(250)
    expect(rateAt(s, 500)).toBe(200)
    expect(rateAt(s, 1500)).toBe(300)
    expect(rateAt(s, 2500)).toBe(0)
  })
})
