/** @module runtime/process/expand: a pod's environment and the Kubernetes `$(VAR)` expansion of its env, command and args. */

/**
 * Expands `$(NAME)` references in `input` the way the kubelet does:
 * - `$(NAME)` becomes the value of NAME when `lookup` knows it, and stays as written otherwise;
 * - `$$` becomes a single `$`, so `$$(NAME)` is the literal text `$(NAME)`;
 * - any other `$` (a lone `$`, `$x`, an unclosed `$(`) stays as written.
 *
 * @example expandVars('--port=$(PORT) $$(HOME)', (n) => ({ PORT: '8080' })[n]) // '--port=8080 $(HOME)'
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = ''
  let i = 0
  while (i < input.length) {
    const c = input[i]
    if (c !== '$' || i + 1 >= input.length) {
      out += c
      i++
      continue
    }
    const next = input[i + 1]
    if (next === '$') {
      out += '$'
      i += 2
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2)
      if (close < 0) {
        out += '$('
        i += 2
      } else {
        const name = input.slice(i + 2, close)
        out += lookup(name) ?? `$(${name})`
        i = close + 1
      }
    } else {
      out += `$${next}`
      i += 2
    }
  }
  return out
}

export interface PodEnvInput {
  /** Inherited variables (the runtime's own environment unless told otherwise); visible to `$(VAR)`. */
  base: Record<string, string | undefined>
  /** The service's env, in the order written; each value may refer to variables defined before it. */
  service?: Record<string, string>
  /** Variables the runtime owns (PORT, dependency addresses): they win over the service env of the same name. */
  runtime: Record<string, string>
}

/**
 * The environment of one pod: base, then the runtime's variables, then the service env in order (values expanded
 * against everything defined so far). A service variable named like a runtime variable is ignored: the runtime
 * chose that port or address and the sidecars rely on it.
 */
export function buildPodEnv(input: PodEnvInput): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(input.base)) if (v !== undefined) env[k] = v
  Object.assign(env, input.runtime)
  for (const [k, v] of Object.entries(input.service ?? {})) {
    if (Object.hasOwn(input.runtime, k)) continue
    env[k] = expandVars(v, (n) => (Object.hasOwn(env, n) ? env[n] : undefined))
  }
  return env
}

/** command + args, each expanded from the pod's final env. */
export function expandArgv(command: readonly string[], args: readonly string[] | undefined, env: Record<string, string>): string[] {
  const lookup = (n: string): string | undefined => (Object.hasOwn(env, n) ? env[n] : undefined)
  return [...command, ...(args ?? [])].map((a) => expandVars(a, lookup))
}

/** `product-catalog` → `PRODUCT_CATALOG`: the prefix of a dependency's `_ADDR` / `_URL` variables. */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}
