import { describe, expect, it } from 'vitest'
import { isChaosError } from '../errors.js'
import { parseRange } from './range.js'

const NOW = Date.parse('2026-12-04T12:00:00Z')
const code = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return isChaosError(e) ? e.code : 'not coded'
  }
  return 'no error'
}

describe('parseRange', () => {
  it('reads --since back from now, or from --to', () => {
    expect(parseRange({ since: '15m' }, NOW)).toEqual({ from: NOW - 900_000, to: NOW })
    expect(parseRange({ since: '1h', to: '2026-12-04T10:00:00Z' }, NOW)).toEqual({ from: Date.parse('2026-12-04T09:00:00Z'), to: Date.parse('2026-12-04T10:00:00Z') })
    expect(parseRange({ from: '2026-12-04T11:00:00Z' }, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW })
  })
  it('refuses what is not a range, with REPORT_INVALID_RANGE', () => {
    expect(code(() => parseRange({}, NOW))).toBe('REPORT_INVALID_RANGE')
    expect(code(() => parseRange({ since: 'yesterday' }, NOW))).toBe('REPORT_INVALID_RANGE')
    expect(code(() => parseRange({ since: '15m', from: '2026-12-04T11:00:00Z' }, NOW))).toBe('REPORT_INVALID_RANGE')
    expect(code(() => parseRange({ from: '2026-12-04T13:00:00Z' }, NOW))).toBe('REPORT_INVALID_RANGE')
    expect(code(() => parseRange({ from: 'noon' }, NOW))).toBe('REPORT_INVALID_RANGE')
    expect(code(() => parseRange({ since: '200h' }, NOW))).toBe('REPORT_INVALID_RANGE')
  })
})
