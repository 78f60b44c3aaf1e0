import { describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { evaluate, parseExpression } from './expression.js'

const run = (text: string, exitCode = 0, stdout = 'branch-b') => evaluate(parseExpression(text), { exitCode, stdout })

describe('conditionalBranches expressions, as Chaos Mesh evaluates them (expr over exitCode and stdout)', () => {
  it.each([
    // the forms of Chaos Mesh's custom-task example and docs
    ['exitCode == 0 && stdout == "branch-a"', 0, 'branch-a', true],
    ['exitCode == 0 && stdout == "branch-a"', 0, 'branch-b', false],
    ['exitCode == 0 && stdout == "branch-b"', 0, 'branch-b', true],
    ['exitCode != 0', 1, '', true],
    ['exitCode != 0', 0, '', false],
    ["stdout == 'single'", 0, 'single', true],
    ['exitCode == 0 and stdout == "x"', 0, 'x', true],
    ['exitCode == 1 or stdout == "x"', 0, 'x', true],
    ['not (exitCode == 0)', 0, '', false],
    ['!(exitCode > 0)', 0, '', true],
    ['exitCode >= 2 && exitCode < 10', 3, '', true],
    ['exitCode % 2 == 1', 3, '', true],
    ['exitCode + 1 == 2', 1, '', true],
    ['stdout contains "ready"', 0, 'all ready now', true],
    ['stdout startsWith "ok"', 0, 'ok: 3', true],
    ['stdout endsWith "3"', 0, 'ok: 3', true],
    ['stdout matches "^ok: [0-9]+$"', 0, 'ok: 3', true],
    ['stdout in ["a", "b"]', 0, 'b', true],
    ['exitCode in [0, 2]', 1, '', false],
    ['stdout + "!" == "hi!"', 0, 'hi', true],
    ['true', 0, '', true],
    ['stdout not in ["a", "b"]', 0, 'c', true],
    ['exitCode not in [0, 2]', 2, '', false],
    ['exitCode ** 2 == 9', 3, '', true],
    ['2 ** 3 ** 2 == 512', 0, '', true], // ** is right-associative, as in expr
  ] as const)('%s with exitCode %s, stdout %j → %s', (text, code, out, want) => {
    expect(run(text, code, out)).toBe(want)
  })

  it('&& and || short-circuit as expr does: the right side is not evaluated when the left decides', () => {
    expect(run('exitCode == 1 && stdout > 3', 0, 'x')).toBe(false)
    expect(run('exitCode == 0 || stdout > 3', 0, 'x')).toBe(true)
  })

  it.each([
    ['stdout > 1', /cannot be evaluated: > needs numbers/],
    ['exitCode && true', /cannot be evaluated: && needs booleans/],
    ['exitCode', /gives 0, not true or false/],
    ['stdout matches "("', /cannot be evaluated: matches/],
    // expr's precedence: not binds tighter than ==, and comparisons share one level, left to right
    ['not exitCode == 0', /not needs booleans, got 0/],
    ['true == exitCode < 3', /< needs numbers, got false/],
    ['stdout in "abc"', /in needs a list/],
  ])('%s cannot be evaluated: the branch is Unknown (a thrown ChaosError)', (text, message) => {
    expect(() => run(text)).toThrow(message)
  })

  it.each([
    ['', /is empty/],
    ['exitCode ==', /Expected expression after == \(column 12\)/],
    ['exitcode == 0', /unknown name "exitcode": only exitCode and stdout are defined/],
    ['len(stdout) > 0', /call is not supported/],
    ['stdout.length', /member is not supported/],
    ['exitCode == 0 ? true : false', /\?: operator is not supported/],
    ['a, b', /one expression only/],
    ['stdout "x"', /one expression only: .* no operator between them \(column 8\)/],
    ['stdout ~ "a"', /Unexpected "~" \(column 8\)/],
    ['exitCode === 0', /operator === is not supported \(column 10\)/],
    ['stdout == "exitcode" && exitcode == 0', /unknown name "exitcode".* \(column 25\)/],
    ['len(stdout) > 0', /\(column 4\)/],
  ])('%j is refused at apply time with the column and what is allowed', (text, message) => {
    const e = (() => {
      try {
        parseExpression(text)
      } catch (x) {
        return x
      }
    })()
    expect(e).toBeInstanceOf(ChaosError)
    expect((e as ChaosError).code).toBe('SPEC_INVALID_VALUE')
    expect((e as ChaosError).message).toMatch(message)
    expect((e as ChaosError).hint).toContain('exitCode == 0 && stdout == "ok"')
  })
})
