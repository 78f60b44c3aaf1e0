/**
 * @module server-config: the server config file (`chaoscope server --config FILE`, `chaoscope up --config FILE`),
 * YAML or JSON, one mapping of the settings the flags also give:
 *
 *   listen: 127.0.0.1:4000            # --listen HOST:PORT
 *   auth: token                       # --auth token|none (none only on loopback)
 *   allowedNamespaces: [shop, qa]     # --allowed-namespaces; left out: every namespace
 *   protectedNamespaces: [kube-system]
 *   allowedHosts: [chaos.internal]    # --allowed-hosts; '*' accepts any Host
 *   corsOrigins: ['https://dash.example:8443']
 *   target: kubernetes                # --target local|kubernetes: serve a cluster's Chaos Mesh resources
 *   kubeconfig: /etc/chaoscope/kubeconfig   # --kubeconfig; context: NAME (--context)
 *
 * Every problem comes back at once, each as `file:line:col  field: message`, in one CONFIG_INVALID: the server does
 * not start on a file it half understands.
 */
import { readFileSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { ChaosError } from './errors.js'
import { isHostName, parseListen } from './http-security.js'
import { didYouMean, formatPath, sortIssues } from './manifest/issues.js'
import type { FieldPath } from './manifest/issues.js'
import { parseSource } from './manifest/parse.js'
import { DEFAULT_MAX_FILE_SIZE, decodeUtf8 } from './manifest/source.js'

export interface ServerConfig {
  /** HOST:PORT, as parseListen reads it. */
  listen?: string
  auth?: 'token' | 'none'
  /** undefined: every namespace. */
  allowedNamespaces?: string[]
  protectedNamespaces?: string[]
  allowedHosts?: string[]
  corsOrigins?: string[]
  /** Where the server's experiments live: the local controller (default), or a Kubernetes cluster with Chaos Mesh. */
  target?: 'local' | 'kubernetes'
  kubeconfig?: string
  context?: string
}

const FIELDS = ['listen', 'auth', 'allowedNamespaces', 'protectedNamespaces', 'allowedHosts', 'corsOrigins', 'target', 'kubeconfig', 'context'] as const

const LIST_HINTS: Record<'allowedNamespaces' | 'protectedNamespaces' | 'allowedHosts' | 'corsOrigins', string> = {
  allowedNamespaces: 'a list of namespace names, e.g. allowedNamespaces: [shop, qa]; leave it out to allow every namespace',
  protectedNamespaces: 'a list of namespace names, e.g. protectedNamespaces: [kube-system]',
  allowedHosts: "a list of host names the server is called by, e.g. allowedHosts: [chaos.internal]; '*' accepts any",
  corsOrigins: "a list of origins as browsers send them, e.g. corsOrigins: ['https://dash.example:8443']",
}

/** Why `value` is not a Kubernetes namespace name (a DNS-1123 label), or undefined when it is one. */
export function namespaceProblem(value: string): string | undefined {
  if (value.length > 63) return `${JSON.stringify(value)} is longer than 63 characters`
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) return `${JSON.stringify(value)} is not a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit`
  return undefined
}

/** Why `value` is not an origin `scheme://host[:port]` (http or https, no path, query or user), or undefined. */
export function corsOriginProblem(value: string): string | undefined {
  const not = `${JSON.stringify(value)} is not an origin scheme://host[:port]`
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return not
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${not}: the scheme is not http or https`
  if (u.username !== '' || u.password !== '') return `${not}: it has a user name`
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '' || /[/?#]$/.test(value)) return `${not}: it has a path, query or fragment (browsers send the origin without them)`
  return undefined
}

/**
 * The server config in `file`. Throws CONFIG_INVALID naming every problem (`file:line:col  field: message`, the
 * first one's hint): unreadable file, YAML syntax, duplicate keys, aliases that expand past the bound, not a
 * mapping, unknown fields (with the closest known), wrong types, namespaces that are not Kubernetes names, a
 * listen parseListen refuses, auth not token|none, a corsOrigin that is not scheme://host[:port]. A missing file
 * is SPEC_FILE_NOT_FOUND.
 *
 * @example
 * const config = loadServerConfig('server.yaml') // { listen: '0.0.0.0:4000', auth: 'token', protectedNamespaces: ['kube-system'] }
 */
export function loadServerConfig(file: string): ServerConfig {
  return parseServerConfig(readConfig(file), file)
}

/** loadServerConfig on a text already read; `file` names it in messages. */
export function parseServerConfig(text: string, file: string): ServerConfig {
  const problems: Problem[] = []
  const parsed = parseSource(file, text)
  for (const i of parsed.issues) problems.push({ line: i.line, col: i.col, path: i.path, message: i.message, hint: i.hint ?? 'fix the YAML (or JSON) at the position shown' })
  const docs = parsed.documents.filter((d) => d.value !== null && d.value !== undefined)
  if (problems.length === 0 && docs.length > 1) problems.push({ line: docs[1]!.line, col: docs[1]!.col, path: '', message: 'a config file is one document', hint: 'put every setting in one mapping, without a second ---' })
  if (problems.length > 0) fail(file, problems)
  const doc = docs[0]
  if (!doc) return {} // an empty file, or only comments: every setting at its default
  const v = doc.value
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return fail(file, [{ line: doc.line, col: doc.col, path: '', message: `expected a mapping of settings, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`, hint: 'write it as `listen: 127.0.0.1:4000` and so on, one setting a line' }])
  }
  const report = (path: FieldPath, message: string, hint?: string, key = false) => {
    const { line, col } = doc.locate(path, key ? { key: true } : {})
    problems.push({ line, col, path: formatPath(path), message, ...(hint ? { hint } : {}) })
  }
  const o = v as Record<string, unknown>
  const config: ServerConfig = {}
  for (const [k, value] of Object.entries(o)) {
    switch (k) {
      case 'listen':
        if (typeof value !== 'string') report([k], `expected HOST:PORT, got ${describe(value)}`, 'e.g. listen: 127.0.0.1:4000')
        else {
          try {
            parseListen(value)
            config.listen = value
          } catch (e) {
            const err = e as ChaosError
            report([k], err.message.replace(/^--listen /, ''), err.hint)
          }
        }
        break
      case 'auth':
        if (value === 'token' || value === 'none') config.auth = value
        else report([k], `expected "token" or "none", got ${describe(value)}`, 'auth: token (the default) asks every call for a token; auth: none is allowed only on a loopback listen address')
        break
      case 'target':
        if (value === 'local' || value === 'kubernetes') config.target = value
        else report([k], `expected "local" or "kubernetes", got ${describe(value)}`, 'target: kubernetes serves the Chaos Mesh resources of the cluster the kubeconfig names; target: local (the default) runs them on the local runtime')
        break
      case 'kubeconfig':
      case 'context':
        if (typeof value === 'string' && value.trim() !== '') config[k] = value
        else report([k], `expected ${k === 'kubeconfig' ? 'the path of a kubeconfig file' : 'the name of a kubeconfig context'}, got ${describe(value)}`, k === 'kubeconfig' ? 'e.g. kubeconfig: /etc/chaoscope/kubeconfig (relative paths are read from the current directory)' : 'e.g. context: staging')
        break
      case 'allowedNamespaces':
      case 'protectedNamespaces':
      case 'allowedHosts':
      case 'corsOrigins': {
        const list = strings(value, k, report)
        if (!list) break
        const check = k === 'corsOrigins' ? corsOriginProblem : k === 'allowedHosts' ? hostProblem : namespaceProblem
        let ok = true
        list.forEach((s, i) => {
          const why = check(s)
          if (why) {
            report([k, i], why, LIST_HINTS[k])
            ok = false
          }
        })
        if (k === 'allowedNamespaces' && list.length === 0) {
          report([k], 'an empty list allows no namespace at all', LIST_HINTS[k])
          ok = false
        }
        if (ok) config[k] = list
        break
      }
      default:
        report([k], `unknown field ${JSON.stringify(k)}`, didYouMean(k, FIELDS) ?? `the fields are ${FIELDS.join(', ')}`, true)
    }
  }
  if ((config.kubeconfig !== undefined || config.context !== undefined) && config.target !== 'kubernetes') {
    report([config.kubeconfig !== undefined ? 'kubeconfig' : 'context'], 'is read only with target: kubernetes', 'add target: kubernetes, or remove it', true)
  }
  return problems.length > 0 ? fail(file, problems) : config
}

interface Problem {
  line: number
  col: number
  /** The field as written, `corsOrigins[1]`; empty for the file itself. */
  path: string
  message: string
  hint?: string
}

function fail(file: string, problems: Problem[]): never {
  const sorted = sortIssues(problems.map((p) => ({ ...p, file, code: 'CONFIG_INVALID' as const })))
  const lines = sorted.map((p) => `${file}:${p.line}:${p.col}  ${p.path ? `${p.path}: ` : ''}${p.message}`)
  const hint = sorted.find((p) => p.hint)?.hint
  throw new ChaosError('CONFIG_INVALID', lines.join('\n'), hint ? { hint } : {})
}

function readConfig(file: string): string {
  const unreadable = (why: string, hint = 'check the path given to --config') => new ChaosError('CONFIG_INVALID', `${file}: ${why}`, { hint })
  let bytes: Buffer
  try {
    const st = statSync(file)
    if (!st.isFile()) throw unreadable('not a file')
    if (st.size > DEFAULT_MAX_FILE_SIZE) throw unreadable(`the file is ${st.size} bytes, over the limit of ${DEFAULT_MAX_FILE_SIZE} bytes`, 'a server config holds a few settings; is this the right file?')
    bytes = readFileSync(file)
  } catch (e) {
    if (e instanceof ChaosError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ChaosError('SPEC_FILE_NOT_FOUND', `${file}: no such file`, { hint: 'check the path given to --config' })
    throw unreadable(`cannot read it (${code ?? (e as Error).message})`)
  }
  const text = decodeUtf8(bytes)
  if (typeof text !== 'string') {
    throw new ChaosError('CONFIG_INVALID', `${file}:${text.line}:${text.col}  invalid UTF-8 byte 0x${text.byte.toString(16).padStart(2, '0')}`, { hint: 'save the file as UTF-8' })
  }
  return text
}

/** The list when `value` is a list of strings; else reports where it is not, and undefined. */
function strings(value: unknown, field: keyof typeof LIST_HINTS, report: (path: FieldPath, message: string, hint?: string) => void): string[] | undefined {
  if (!Array.isArray(value)) {
    report([field], `expected a list, got ${describe(value)}`, LIST_HINTS[field])
    return undefined
  }
  let ok = true
  value.forEach((s, i) => {
    if (typeof s !== 'string') {
      report([field, i], `expected a string, got ${describe(s)}`, LIST_HINTS[field])
      ok = false
    }
  })
  return ok ? (value as string[]) : undefined
}

/** Why an allowedHosts entry is not `*`, an IP address or a host name (no port, no scheme: a Host's name). */
function hostProblem(value: string): string | undefined {
  if (value === '*' || isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0 || isHostName(value)) return undefined
  return `${JSON.stringify(value)} is not a host name (no scheme, port or path: the name clients put in Host)`
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${JSON.stringify(v)}`
}
