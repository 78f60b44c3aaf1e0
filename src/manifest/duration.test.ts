/**
 * parseDurationNs against Go's time.ParseDuration. The table was made by Go 1.26 (`go run` of ORACLE below) and
 * is checked on every run; when Go is installed, the same program also judges the table and a few thousand seeded
 * random strings in this run, so a difference from Go's parser is found whatever the table holds.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seeded } from '../../test/seeded.mjs'
import { MAX_DURATION_NS, MAX_DURATION_TEXT, parseDuration, parseDurationNs } from './duration.js'
import type { DurationResult } from './duration.js'

/** What Go says: the nanoseconds, or the kind of its error ('unknown-unit:<unit>' names the unit). */
type Verdict = string

function verdict(r: DurationResult): Verdict {
  if ('ns' in r) return r.ns.toString()
  return r.problem === 'unknown-unit' ? `unknown-unit:${r.unit}` : r.problem
}

// input → Go's answer, from `go run` of ORACLE (Go 1.26.8, linux/amd64)
const TABLE: [string, Verdict][] = [
  ['0', '0'], ['+0', '0'], ['-0', '0'], ['', 'invalid'], ['+', 'invalid'], ['-', 'invalid'], ['00', 'missing-unit'],
  ['1', 'missing-unit'], ['0s', '0'], ['1s', '1000000000'], ['.5s', '500000000'], ['5.s', '5000000000'],
  ['.s', 'invalid'], ['-.s', 'invalid'], ['.', 'invalid'], ['1.5.5s', 'missing-unit'], ['1h1h', '7200000000000'],
  ['1h30m', '5400000000000'], ['2h45m', '9900000000000'], ['300ms', '300000000'], ['-1.5h', '-5400000000000'],
  ['+1.5h', '5400000000000'], ['1.0000000001s', '1000000000'], ['1.9999999999s', '1999999999'], ['0.0000000001s', '0'],
  ['1.5ns', '1'], ['0.9ns', '0'], ['1e3s', 'unknown-unit:e'], ['1 s', 'unknown-unit: s'], [' 1s', 'invalid'],
  ['1s ', 'unknown-unit:s '], ['1S', 'unknown-unit:S'], ['1hr', 'unknown-unit:hr'], ['1µs', '1000'], ['1μs', '1000'],
  ['1us', '1000'], ['µs', 'invalid'], ['1h-1m', 'unknown-unit:h-'], ['--1s', 'invalid'], ['+-1s', 'invalid'],
  ['1d', 'unknown-unit:d'], ['600h', '2160000000000000'], ['999999h', '3599996400000000000'],
  ['2562047h', '9223369200000000000'], ['2562048h', 'invalid'], ['2562047h47m16.854775807s', '9223372036854775807'],
  ['2562047h47m16.854775808s', 'invalid'], ['-2562047h47m16.854775808s', '-9223372036854775808'],
  ['-2562047h47m16.854775809s', 'invalid'], ['9223372036854775807ns', '9223372036854775807'],
  ['9223372036854775808ns', 'invalid'], ['-9223372036854775808ns', '-9223372036854775808'],
  ['-9223372036854775809ns', 'invalid'], ['9223372036854775808ns9223372036854775808ns', '0'],
  ['-9223372036854775808ns9223372036854775808ns', '0'], ['9223372036854775807ns1ns', 'invalid'],
  ['-9223372036854775807ns1ns', '-9223372036854775808'], ['9223372036854775807ns2ns', 'invalid'],
  ['99999999999999999999ns', 'invalid'], ['99999999999999999999', 'invalid'], ['153722867m', '9223372020000000000'],
  ['153722868m', 'invalid'], ['9223372036s', '9223372036000000000'], ['9223372037s', 'invalid'],
  ['9223372036.854775807s', '9223372036854775807'], ['9223372036.854775808s', 'invalid'],
  ['0.12345678901234567890123456789s', '123456789'], ['1.00000000000000000000000000001h', '3600000000000'],
  ['9223372036854775807.9ns', '9223372036854775807'], ['9223372036854775806.9ns', '9223372036854775806'],
  ['2562047.788015215h', '9223372036854774000'], ['2562047.7880152156h', 'invalid'],
  ['0.000000000000000000001h', '0'], ['1.000000001h', '3600000003600'], ['0.1h', '360000000000'], ['0.3s', '300000000'],
  ['1.1m', '66000000000'], ['4.9999999999h', '17999999999640'], ['16.854775807s', '16854775807'],
  ['0.333333333333333333333h', '1200000000000'], ['1.5h30m', '7200000000000'], ['1m1m1m', '180000000000'],
  ['3.00000000000000000000000000000000000000000000001ns', '3'],
]

describe('parseDurationNs: what Go accepts and refuses, to the nanosecond', () => {
  for (const [input, expected] of TABLE) {
    it(`${JSON.stringify(input)} → ${expected}`, () => expect(verdict(parseDurationNs(input))).toBe(expected))
  }

  it('the longest duration is 2^63-1 ns, written 2562047h47m16.854775807s', () => {
    expect(MAX_DURATION_NS).toBe(9_223_372_036_854_775_807n)
    expect(parseDurationNs(MAX_DURATION_TEXT)).toEqual({ ns: MAX_DURATION_NS })
  })

  it('tells an overflow (Go\'s "invalid duration") from a string that is no duration', () => {
    const r = parseDurationNs('2562048h')
    expect(r).toEqual({ problem: 'invalid', overflow: true })
    expect(parseDurationNs('fast')).toEqual({ problem: 'invalid' })
  })

  it('parseDuration gives milliseconds, undefined for what Go refuses', () => {
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('1.5ns')).toBe(0.000001)
    expect(parseDuration('999999h')).toBe(999_999 * 3_600_000)
    expect(parseDuration('2562047h47m16.854775807s')).toBe(9_223_372_036_854.775807)
    expect(parseDuration('2562048h')).toBeUndefined()
    expect(parseDuration('1')).toBeUndefined()
  })
})

/** Reads a JSON list of strings on stdin; writes, for each, {ns} or {err} as time.ParseDuration answers. */
const ORACLE = `package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"
)

func main() {
	var in []string
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := make([]map[string]string, len(in))
	for i, s := range in {
		d, err := time.ParseDuration(s)
		if err != nil {
			out[i] = map[string]string{"err": err.Error()}
		} else {
			out[i] = map[string]string{"ns": strconv.FormatInt(int64(d), 10)}
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
`

/** The text of a string Go's strconv.Quote wrote (its \\xNN escapes are bytes of UTF-8). */
function goUnquote(q: string): string {
  const bytes: number[] = []
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"' }
  for (let i = 0; i < q.length; i++) {
    if (q[i] !== '\\') {
      bytes.push(...Buffer.from(q[i]!, 'utf8'))
      continue
    }
    const c = q[++i]!
    if (c === 'x') {
      bytes.push(parseInt(q.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8
      bytes.push(...Buffer.from(String.fromCodePoint(parseInt(q.slice(i + 1, i + 1 + n), 16)), 'utf8'))
      i += n
    } else bytes.push(...Buffer.from(simple[c] ?? c, 'utf8'))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Go's answers for `inputs`, or undefined when Go is not installed. */
function askGo(inputs: string[]): Verdict[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-go-duration-'))
  try {
    writeFileSync(join(dir, 'main.go'), ORACLE)
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '', GO111MODULE: 'on', ...(process.env.HOME ? {} : { GOCACHE: join(tmpdir(), 'chaoscope-go-cache') }) }
    const r = spawnSync('go', ['run', join(dir, 'main.go')], { input: JSON.stringify(inputs), cwd: dir, env, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 << 20 })
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined
    if (r.status !== 0) throw new Error(`go run failed (${r.status ?? r.signal}): ${r.stderr}`)
    const answers = JSON.parse(r.stdout) as ({ ns: string } | { err: string })[]
    return answers.map((a) => {
      if ('ns' in a) return a.ns
      const msg = a.err
      if (msg.startsWith('time: missing unit')) return 'missing-unit'
      const unit = /^time: unknown unit "((?:[^"\\]|\\.)*)" in duration/.exec(msg)
      if (unit) return `unknown-unit:${goUnquote(unit[1]!)}`
      if (msg.startsWith('time: invalid duration')) return 'invalid'
      return `?${msg}`
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Seeded strings: runs of random characters, and well-formed parts with long numbers (overflow, precision). */
function randomInputs(n: number): string[] {
  const rnd = seeded(20_240_501)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const digits = (max: number) => Array.from({ length: 1 + Math.floor(rnd() * max) }, () => pick('0123456789'.split(''))).join('')
  const chars = '0123456789.-+nsumhµμ '.split('')
  const units = ['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h', 'x', '']
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) {
      out.push(Array.from({ length: Math.floor(rnd() * 10) }, () => pick(chars)).join(''))
      continue
    }
    let s = pick(['', '', '-', '+'])
    const parts = 1 + Math.floor(rnd() * 3)
    for (let p = 0; p < parts; p++) {
      const whole = rnd() < 0.9 ? digits(i % 3 === 1 ? 6 : 21) : ''
      const frac = rnd() < 0.4 ? `.${rnd() < 0.9 ? digits(25) : ''}` : ''
      s += whole + frac + pick(units.slice(0, rnd() < 0.95 ? 8 : units.length))
    }
    out.push(s)
  }
  return out
}

describe('parseDurationNs agrees with Go in this run (when Go is installed)', () => {
  it('on the table and on 3000 seeded random strings', () => {
    const inputs = [...TABLE.map(([s]) => s), ...randomInputs(3000)]
    const go = askGo(inputs)
    if (go === undefined) {
      console.warn('go is not installed: parseDurationNs is checked against the table only')
      return
    }
    const diffs = inputs.flatMap((s, i) => (verdict(parseDurationNs(s)) === go[i] ? [] : [`${JSON.stringify(s)}: ours ${verdict(parseDurationNs(s))}, Go ${go[i]}`]))
    expect(diffs).toEqual([])
  }, 180_000)
})
