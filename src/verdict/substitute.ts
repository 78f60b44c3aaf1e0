/**
 * @module verdict/substitute: `${name}` and `$name` in an experiment's values, replaced as chaostoolkit-lib does
 * (Python's string.Template.safe_substitute, with chaoslib's typed rule).
 *
 *   "${port}"        ─▶ 8080          a string that is exactly one ${name} of a known key keeps the value's type
 *   "port ${port}"   ─▶ "port 8080"   otherwise each value is written as Python's str() writes it
 *   "$port" "$$"     ─▶ "8080" "$"    $name is always written as text; $$ is a literal $
 *   "${nope}"        ─▶ "${nope}"     unknown names (and a $ that starts no name) stay as written
 *
 * Names are Python's identifier pattern for templates: ASCII letters (either case), digits and `_`, not starting
 * with a digit. A name is looked up in the configuration first, then in each secrets scope in order (a ChainMap);
 * scopes that are not mappings are skipped (chaoslib would raise a TypeError on them). Objects and arrays are
 * walked recursively; keys are not substituted; the input is never changed. Falsy data (null, '', 0, false, [],
 * {}) is returned as it is, as chaoslib's `if not data: return data`.
 */
import { isPyDict, pyStr, pyTruthy } from './pyvalue.js'
import type { Values } from './types.js'

/** Python's Template pattern: $$, $name, ${name}, or a $ that starts none of them. */
const TEMPLATE = /\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\}|)/g
const SINGLE = /^\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}$/

type Lookup = (name: string) => { value: unknown } | undefined

function lookupIn(values: Values): Lookup {
  const scopes: Record<string, unknown>[] = [values.configuration ?? {}]
  for (const scope of Object.values(values.secrets ?? {})) if (isPyDict(scope)) scopes.push(scope)
  return (name) => {
    for (const scope of scopes) if (Object.hasOwn(scope, name)) return { value: scope[name] }
    return undefined
  }
}

function substituteString(text: string, lookup: Lookup): unknown {
  const single = SINGLE.exec(text)
  if (single) {
    const found = lookup(single[1]!)
    if (found) return found.value
  }
  return text.replace(TEMPLATE, (whole: string, escaped?: string, named?: string, braced?: string) => {
    if (escaped !== undefined) return '$'
    const name = named ?? braced
    if (name === undefined) return whole
    const found = lookup(name)
    return found ? pyStr(found.value) : whole
  })
}

function walk(data: unknown, lookup: Lookup): unknown {
  if (typeof data === 'string') return substituteString(data, lookup)
  if (!pyTruthy(data)) return data
  if (Array.isArray(data)) return data.map((v) => walk(v, lookup))
  if (isPyDict(data)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(data)) out[k] = walk(v, lookup)
    return out
  }
  return data
}

/**
 * Replaces `${name}` and `$name` in `data` with configuration and secret values (a new value; `data` is kept).
 * An object stays an object and an array an array; a string may become any type (`"${port}"` → 8080).
 */
export function substitute(data: unknown, values: Values): unknown {
  if (!pyTruthy(data)) return data
  return walk(data, lookupIn(values))
}

/** Substitutes one string; the result may be of any type (`"${port}"` → 8080). */
export function substituteText(text: string, values: Values): unknown {
  return substituteString(text, lookupIn(values))
}
