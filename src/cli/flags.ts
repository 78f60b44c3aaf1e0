/** @module cli/flags: option helpers and value parsers; a value that cannot be read is a coded usage error. */
import { Option } from 'commander'
import type { Command } from 'commander'
import { ChaosError, parseSelector } from '../index.js'
import type { TargetChoice } from '../index.js'

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

/** `--target`, `--kubeconfig`, `--context`: where an experiment command acts (the local controller, or a cluster). */
export function targetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--target <target>', 'local (the controller of `chaoscope up`/`server`) or kubernetes (a cluster with Chaos Mesh, through the kubeconfig)').choices(['local', 'kubernetes']).default('local'))
    .option('--kubeconfig <file>', 'with --target kubernetes: the kubeconfig (default $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'with --target kubernetes: a context of the kubeconfig (default its current-context)')
}

/** The target the flags choose; `--kubeconfig` or `--context` without `--target kubernetes` is a usage error. */
export function targetChoice(opts: { target?: string; kubeconfig?: string; context?: string }): TargetChoice {
  if (opts.target !== 'kubernetes') {
    if (opts.kubeconfig !== undefined || opts.context !== undefined) throw usage(`${opts.kubeconfig !== undefined ? '--kubeconfig' : '--context'} needs --target kubernetes`, 'chaoscope get podchaos --target kubernetes --context NAME')
    return { target: 'local' }
  }
  return { target: 'kubernetes', ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context !== undefined ? { context: opts.context } : {}) }
}
