/** @module cli/flags: option helpers and value parsers; a value that cannot be read is a coded usage error. */
import { Option } from 'commander'
import { ChaosError, parseSelector } from '../index.js'

export function usage(message: string, hint?: string): ChaosError {
  return new ChaosError('CLI_USAGE', message, hint ? { hint } : {})
}

/** `--output` for commands that print data. */
export function outputOption(choices: string[], def: string): Option {
  return new Option('-o, --output <format>', 'output format').choices(choices).default(def)
}

/** A parser for a whole number flag: above 0, or from 0 with `zeroOk`. */
export function wholeNumber(flag: string, opts: { zeroOk?: boolean; unit?: string } = {}): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isInteger(n) || n < (opts.zeroOk ? 0 : 1)) {
      throw usage(`${flag} expects a whole number${opts.unit ? ` of ${opts.unit}` : ''}${opts.zeroOk ? '' : ' above 0'}, got "${v}"`)
    }
    return n
  }
}

/** A parser for a TCP port flag: 0 (any free port) to 65535. */
export function port(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw usage(`${flag} expects a port from 0 to 65535 (0: any free port), got "${v}"`)
    return n
  }
}

/** `-l`: a label selector, checked here so that a bad one fails before anything is asked of a server. */
export function selector(v: string): string {
  try {
    parseSelector(v)
  } catch (e) {
    if (e instanceof ChaosError) throw e
    throw new ChaosError('SELECTOR_INVALID', `label selector ${JSON.stringify(v)}: ${(e as Error).message}`, { hint: 'write requirements separated by commas: key, !key, key=value, key!=value, key in (a,b), key notin (a,b)' })
  }
  return v
}
