/**
 * @module engine/expression: the expressions of a Workflow Task's `conditionalBranches`. Chaos Mesh evaluates
 * them with antonmedv/expr over `{exitCode, stdout}` (stdout is the Task's output with surrounding white space
 * trimmed) and takes a branch when the result is the boolean true; an expression that fails to evaluate, or that
 * is not a boolean, leaves its branch Unknown (not taken). This is the subset of expr that Chaos Mesh's docs and
 * users write: literals (numbers, "double" or 'single' quoted strings, true, false, nil, [lists]), the two
 * variables, `== != < <= > >=`, `&& || !` and `and or not`, `+ - * / % **` on numbers, `+` on strings, parentheses,
 * and expr's string operators `contains`, `startsWith`, `endsWith`, `matches` (a regular expression), `in` and
 * `not in` (a list). Parsed by jsep; evaluated here, with expr's rules (no truthiness: `&&` needs booleans) and
 * precedence (comparisons and string operators share one level). One deliberate difference: a name other than
 * exitCode and stdout is refused at apply time, where expr (whose Eval does not type-check) would read it as nil.
 */
import jsep from 'jsep'
import type { Expression } from 'jsep'
import { ChaosError } from '../errors.js'

jsep.addBinaryOp('and', 2)
jsep.addBinaryOp('or', 1)
jsep.addUnaryOp('not')
// expr puts every comparison and string operator on one level, left to right, above && and below + -
for (const op of ['<', '<=', '>', '>=', 'contains', 'startsWith', 'endsWith', 'matches', 'in', 'not in']) jsep.addBinaryOp(op, 6)
jsep.removeUnaryOp('~')
jsep.addLiteral('nil', null)

/** What a branch expression is evaluated over. */
export interface TaskEnv {
  exitCode: number
  stdout: string
}

/** A parsed expression (jsep's tree), checked to use only what {@link evaluate} knows. */
export type Expr = Expression & { readonly __checked?: true }

const VARIABLES = new Set(['exitCode', 'stdout'])
const BINARY = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||', 'and', 'or', '+', '-', '*', '/', '%', '**', 'contains', 'startsWith', 'endsWith', 'matches', 'in', 'not in'])
const UNARY = new Set(['!', 'not', '-', '+'])
const ALLOWED = 'exitCode and stdout; numbers, "strings", true, false, [lists]; == != < <= > >=; && || ! (and or not); contains, startsWith, endsWith, matches, in, not in'

/** The 0-based index of `token` in `text` outside string literals (as a whole word when it is one), or undefined. */
function locate(text: string, token: string, from = 0): number | undefined {
  const word = /^\w/.test(token)
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++
      continue
    }
    if (!text.startsWith(token, i)) continue
    if (word && (/\w/.test(text[i - 1] ?? '') || /\w/.test(text[i + token.length] ?? ''))) continue
    return i
  }
  return undefined
}

/** Where each top-level expression jsep read ends (with the spaces after it): the column of a Compound's second part. */
const ends = new WeakMap<object, number>()
jsep.hooks.add('after-expression', function (this: { index: number }, env: { node?: unknown }) {
  if (env.node && typeof env.node === 'object') ends.set(env.node, this.index)
})

function refuse(text: string, message: string, column?: number): never {
  throw new ChaosError('SPEC_INVALID_VALUE', `expression ${JSON.stringify(text)}: ${message}${column !== undefined ? ` (column ${column + 1})` : ''}`, { hint: `a branch expression may use ${ALLOWED}, e.g. exitCode == 0 && stdout == "ok"` })
}

/** Parses a branch expression; SPEC_INVALID_VALUE (with the column and what is allowed) when it is not one. */
export function parseExpression(text: string): Expr {
  if (text.trim() === '') refuse(text, 'it is empty')
  let tree: Expression
  try {
    tree = jsep(text)
  } catch (e) {
    const err = e as Error & { index?: number }
    refuse(text, err.message.replace(/ at character \d+$/, ''), err.index)
  }
  check(text, tree)
  return tree as Expr
}

function check(text: string, n: Expression): void {
  switch (n.type) {
    case 'Literal':
      return
    case 'Identifier':
      if (!VARIABLES.has(n.name as string)) refuse(text, `unknown name "${String(n.name)}": only exitCode and stdout are defined`, locate(text, String(n.name)))
      return
    case 'BinaryExpression':
      if (!BINARY.has(n.operator as string)) refuse(text, `operator ${String(n.operator)} is not supported`, locate(text, String(n.operator)))
      check(text, n.left as Expression)
      check(text, n.right as Expression)
      return
    case 'UnaryExpression':
      if (!UNARY.has(n.operator as string)) refuse(text, `operator ${String(n.operator)} is not supported`, locate(text, String(n.operator)))
      check(text, n.argument as Expression)
      return
    case 'ArrayExpression':
      for (const el of n.elements as (Expression | null)[]) if (el) check(text, el)
      return
    case 'Compound': {
      const first = (n.body as Expression[])[0]
      refuse(text, 'one expression only: a "," or ";", or two expressions with no operator between them', first ? ends.get(first) : undefined)
      break
    }
    case 'ConditionalExpression':
      refuse(text, 'the ?: operator is not supported', locate(text, '?'))
      break
    case 'CallExpression':
      refuse(text, 'call is not supported (no functions such as len)', locate(text, '('))
      break
    case 'MemberExpression':
      refuse(text, 'member is not supported (no .field or [index])', n.computed ? locate(text, '[') : locate(text, '.'))
      break
    default:
      refuse(text, `${n.type.replace(/Expression$/, '').toLowerCase() || n.type} is not supported (no calls, members or indexes)`)
  }
}

class EvalError extends Error {}

type Value = number | string | boolean | null | Value[]

function value(n: Expression, env: TaskEnv): Value {
  switch (n.type) {
    case 'Literal':
      return n.value as Value
    case 'Identifier':
      return n.name === 'exitCode' ? env.exitCode : env.stdout
    case 'ArrayExpression':
      return (n.elements as Expression[]).map((e) => value(e, env))
    case 'UnaryExpression': {
      const v = value(n.argument as Expression, env)
      if (n.operator === '!' || n.operator === 'not') return !bool(v, String(n.operator))
      const x = num(v, String(n.operator))
      return n.operator === '-' ? -x : x
    }
    case 'BinaryExpression':
      return binary(String(n.operator), n.left as Expression, n.right as Expression, env)
    default:
      throw new EvalError(`cannot evaluate ${n.type}`)
  }
}

function bool(v: Value, op: string): boolean {
  if (typeof v !== 'boolean') throw new EvalError(`${op} needs booleans, got ${JSON.stringify(v)}`)
  return v
}

function num(v: Value, op: string): number {
  if (typeof v !== 'number') throw new EvalError(`${op} needs numbers, got ${JSON.stringify(v)}`)
  return v
}

function str(v: Value, op: string): string {
  if (typeof v !== 'string') throw new EvalError(`${op} needs strings, got ${JSON.stringify(v)}`)
  return v
}

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b)
  return a === b
}

function binary(op: string, l: Expression, r: Expression, env: TaskEnv): Value {
  // && and || short-circuit, as in expr
  if (op === '&&' || op === 'and') return bool(value(l, env), op) ? bool(value(r, env), op) : false
  if (op === '||' || op === 'or') return bool(value(l, env), op) ? true : bool(value(r, env), op)
  const a = value(l, env)
  const b = value(r, env)
  switch (op) {
    case '==':
      return equal(a, b)
    case '!=':
      return !equal(a, b)
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (typeof a === 'string' && typeof b === 'string') return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b
      const x = num(a, op)
      const y = num(b, op)
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y
    }
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b
      return num(a, op) + num(b, op)
    case '-':
      return num(a, op) - num(b, op)
    case '*':
      return num(a, op) * num(b, op)
    case '/':
      return num(a, op) / num(b, op)
    case '**':
      return num(a, op) ** num(b, op)
    case '%': {
      const y = num(b, op)
      if (y === 0) throw new EvalError('% by zero')
      return num(a, op) % y
    }
    case 'contains':
      return str(a, op).includes(str(b, op))
    case 'startsWith':
      return str(a, op).startsWith(str(b, op))
    case 'endsWith':
      return str(a, op).endsWith(str(b, op))
    case 'matches': {
      let re: RegExp
      try {
        re = new RegExp(str(b, op))
      } catch (e) {
        throw new EvalError(`matches: ${(e as Error).message}`)
      }
      return re.test(str(a, op))
    }
    case 'in':
    case 'not in':
      if (!Array.isArray(b)) throw new EvalError(`${op} needs a list, got ${JSON.stringify(b)}`)
      return b.some((x) => equal(a, x)) === (op === 'in')
    default:
      throw new EvalError(`operator ${op} is not supported`)
  }
}

/**
 * The branch's result. Throws (as expr's EvalBool returns an error) when it cannot be evaluated: a type mismatch
 * such as `stdout > 1` or `exitCode && true`, or a result that is not a boolean. Chaos Mesh then records the
 * branch as Unknown and does not take it.
 */
export function evaluate(expr: Expr, env: TaskEnv): boolean {
  let v: Value
  try {
    v = value(expr, env)
  } catch (e) {
    if (e instanceof EvalError) throw new ChaosError('SPEC_INVALID_VALUE', `the branch expression cannot be evaluated: ${e.message}`, { hint: 'compare exitCode with numbers and stdout with strings' })
    throw e
  }
  if (typeof v !== 'boolean') throw new ChaosError('SPEC_INVALID_VALUE', `the branch expression gives ${JSON.stringify(v)}, not true or false`, { hint: 'a branch is taken when its expression is true, e.g. exitCode == 0' })
  return v
}
