/**
 * @module verdict/vars: an experiment's configuration and secrets as values, read as `chaos run` reads them
 * (chaostoolkit-lib's convert_vars, merge_vars, load_configuration, load_secrets, load_dynamic_configuration).
 *
 *   --var k[:type]=v ─ parseVar ────────────┐
 *   --var-file f     ─ readVarFiles ─ configuration, secrets, .env variables
 *   experiment       ─ loadValues(configuration ◀ env, vars; secrets ◀ env, files) ─▶ Values
 *                    ─ dynamicConfiguration (configuration entries that are probes) ─▶ Values, warnings
 *
 * Where chaostoolkit-lib logs a var file it cannot read and goes on, or crashes on a value it cannot convert,
 * this module refuses with a ChaosError naming the file, the flag or the entry.
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import YAML from 'yaml'
import type { ScalarTag, Tags } from 'yaml'
import { ChaosError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { isPyDict, pyFloatOf, pyIntOf, pyRepr, pyStrip, pyTypeName } from './pyvalue.js'
import type { ChaosToolkitActivityDefinition, ChaosToolkitExperiment, Values } from './types.js'

const TYPES = ['str', 'string', 'int', 'integer', 'float', 'number', 'bytes', 'bool', 'json'] as const
const VAR_HINT = 'write --var name=value or name:type=value with type str, int, float, bytes, bool or json'

/** Why a value cannot be converted (worded for the user; the caller says what the value was for). */
class ConvertError extends Error {}

/**
 * chaostoolkit-lib's convert_to_type: `type` null/absent or str keeps the value; int and float as Python's int()
 * and float() (of text: "  42 ", "1_000", "+3", "1e5", "inf"; of a number: int() truncates); bytes is UTF-8;
 * bool is false only for "false", "0" and "no" (any case), true for any other text; json parses text ('' stays '').
 */
export function convertToType(type: unknown, value: unknown): unknown {
  if (type === null || type === undefined || type === 'str' || type === 'string') return value
  const shown = pyRepr(value)
  switch (type) {
    case 'int':
    case 'integer': {
      if (typeof value === 'boolean') return value ? 1 : 0
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw new ConvertError(`${shown} is not an int: cannot convert float ${shown} to integer`)
        return Math.trunc(value) === 0 ? 0 : Math.trunc(value)
      }
      if (typeof value !== 'string') throw new ConvertError(`${shown} is not an int: int() needs text or a number, not ${pyTypeName(value)}`)
      const n = pyIntOf(value)
      if (n === undefined) throw new ConvertError(`${shown} is not an int (Python's int() refuses it)`)
      return n
    }
    case 'float':
    case 'number': {
      if (typeof value === 'boolean') return value ? 1 : 0
      if (typeof value === 'number') return value
      if (typeof value !== 'string') throw new ConvertError(`${shown} is not a float: float() needs text or a number, not ${pyTypeName(value)}`)
      const n = pyFloatOf(value)
      if (n === undefined) throw new ConvertError(`${shown} is not a float (Python's float() refuses it)`)
      return n
    }
    case 'bytes':
      if (typeof value !== 'string') throw new ConvertError(`${shown} cannot be encoded to bytes: only text can, not ${pyTypeName(value)}`)
      if (/\p{Cs}/u.test(value)) throw new ConvertError(`${shown} cannot be encoded to bytes: it holds a lone surrogate, which UTF-8 cannot encode`)
      return new TextEncoder().encode(value)
    case 'bool':
      if (typeof value === 'boolean') return value
      if (typeof value !== 'string') throw new ConvertError(`${shown} is not a bool: bool needs text or a boolean, not ${pyTypeName(value)}`)
      return !['false', '0', 'no'].includes(value.toLowerCase())
    case 'json':
      if (typeof value !== 'string' || value === '') return value
      try {
        return JSON.parse(value) as unknown
      } catch (e) {
        throw new ConvertError(`${shown} is not JSON: ${(e as Error).message}`)
      }
    default:
      throw new ConvertError(`unknown type ${pyRepr(type)}: the type can be one of ${TYPES.join(', ')}`)
  }
}

/**
 * One `--var` as `chaos run` reads it: `name=value` (a str) or `name:type=value`, split at the first `=` and, in
 * the name, at the last `:` (`a:b:int=1` is the name `a:b`). Throws RUN_INVALID_VAR naming the flag's value.
 */
export function parseVar(text: string): [string, unknown] {
  const eq = text.indexOf('=')
  if (eq < 0) throw new ChaosError('RUN_INVALID_VAR', `--var ${JSON.stringify(text)} has no "=": the form is name=value or name:type=value`, { hint: VAR_HINT })
  let key = text.slice(0, eq)
  const raw = text.slice(eq + 1)
  const colon = key.lastIndexOf(':')
  if (colon < 0) return [key, raw]
  const type = key.slice(colon + 1)
  key = key.slice(0, colon)
  try {
    return [key, convertToType(type, raw)]
  } catch (e) {
    throw new ChaosError('RUN_INVALID_VAR', `--var ${JSON.stringify(text)}: ${(e as Error).message}`, { hint: VAR_HINT })
  }
}

// ─── --var-file ──────────────────────────────────────────────────────────────────────────────────────────

/** What the var files gave: configuration and secrets (later files override earlier ones) and .env variables. */
export interface VarFiles {
  configuration: Record<string, unknown>
  secrets: Record<string, unknown>
  /** Variables the .env files set (process.env is not touched). */
  env: Record<string, string>
}

/** PyYAML's safe_load resolves YAML 1.1 scalars (yes/no/on/off, 012 octal, 1_000), but not y/n, and floats need a dot. */
const PYYAML_BOOL: Record<string, RegExp> = {
  true: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  false: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
}
const PYYAML_EXP_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9][0-9_]*[eE][-+][0-9]+)$/

function pyyamlTags(tags: Tags): Tags {
  const out: Tags = []
  for (const t of tags) {
    if (typeof t !== 'object' || !('tag' in t)) {
      out.push(t)
      continue
    }
    const tag = t as ScalarTag
    if (tag.tag === 'tag:yaml.org,2002:timestamp') continue // dates stay text
    if (tag.tag === 'tag:yaml.org,2002:bool' && tag.test) {
      const value = tag.test.test('true')
      out.push({ ...tag, test: PYYAML_BOOL[String(value)]! })
    } else if (tag.tag === 'tag:yaml.org,2002:float' && tag.format === 'EXP') out.push({ ...tag, test: PYYAML_EXP_FLOAT })
    else out.push(tag)
  }
  return out
}

function varFileError(file: string, message: string, cause?: unknown): ChaosError {
  return new ChaosError('RUN_INVALID_VAR', `--var-file ${file}: ${message}`, {
    cause,
    hint: 'a var file is JSON (.json) or YAML (.yaml, .yml) with configuration and secrets mappings, or a .env file of NAME=value lines',
  })
}

function readText(file: string): string {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (cause) {
    const code = (cause as { code?: string }).code
    throw varFileError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : `cannot be read (${code ?? (cause as Error).message})`, cause)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw varFileError(file, 'it is not valid UTF-8', cause)
  }
}

function parseStructured(file: string, ext: string, text: string): unknown {
  try {
    if (ext === '.json') return JSON.parse(text) as unknown
    return YAML.parse(text, { version: '1.1', customTags: pyyamlTags, merge: true, uniqueKeys: false, logLevel: 'error' }) as unknown
  } catch (cause) {
    throw varFileError(file, `it is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(cause as Error).message.split('\n')[0]}`, cause)
  }
}

/** A .env file: NAME=value lines (stripped; blank lines and # comments skipped; no quotes removed, as chaoslib). */
function readDotEnv(file: string, text: string, env: Record<string, string>): void {
  text.replace(/\r\n?/g, '\n').split('\n').forEach((raw, i) => {
    const line = pyStrip(raw)
    if (line === '' || line.startsWith('#')) return
    const eq = line.indexOf('=')
    if (eq < 0) throw varFileError(`${file}:${i + 1}`, `${JSON.stringify(line)} is not NAME=value (a file that is not .json, .yaml or .yml, or whose data is empty, is read as a .env file)`)
    const name = line.slice(0, eq)
    if (name === '' || name.includes('\0') || line.includes('\0')) throw varFileError(`${file}:${i + 1}`, `${JSON.stringify(line)} does not set a valid environment variable name`)
    env[name] = line.slice(eq + 1)
  })
}

/**
 * Reads `--var-file` files as merge_vars: a .json, .yaml or .yml file (by its extension, case-sensitive) holds
 * top-level `configuration` and `secrets` mappings; any other file, or one whose data is empty, is a .env file.
 * Empty files are skipped. A missing or unreadable file, bad syntax, or data that is not such a mapping is a
 * RUN_INVALID_VAR error with the file's name (chaoslib logs those and goes on). `_env` is the environment the
 * run starts from; it is not read here (the .env variables are returned, to be laid over it).
 */
export function readVarFiles(paths: readonly string[], _env?: Readonly<Record<string, string | undefined>>): VarFiles {
  const out: VarFiles = { configuration: {}, secrets: {}, env: {} }
  for (const file of paths) {
    const text = readText(file)
    if (text === '') continue
    const ext = extname(file)
    const data = ext === '.json' || ext === '.yaml' || ext === '.yml' ? parseStructured(file, ext, text) : undefined
    if (!isTruthyData(data)) {
      readDotEnv(file, text, out.env)
      continue
    }
    if (!isPyDict(data)) throw varFileError(file, `it holds ${pyTypeName(data) === 'list' ? 'a list' : `a ${pyTypeName(data)}`}, not a mapping with configuration and secrets`)
    for (const section of ['configuration', 'secrets'] as const) {
      if (!(section in data)) continue
      const part = data[section]
      if (!isPyDict(part)) throw varFileError(file, `${section} must be a mapping, not ${pyRepr(part)}`)
      Object.assign(out[section], part)
    }
  }
  return out
}

function isTruthyData(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (isPyDict(v)) return Object.keys(v).length > 0
  return true
}

// ─── configuration and secrets ───────────────────────────────────────────────────────────────────────────

export interface ValueSources {
  /** `--var` values (parsed); they override the var files' configuration. */
  vars?: Record<string, unknown>
  /** The var files' configuration and secrets. */
  configuration?: Record<string, unknown>
  secrets?: Record<string, unknown>
  /** The environment: the process's, with the .env files' variables laid over it. */
  env: Readonly<Record<string, string | undefined>>
}

function invalid(code: ErrorCode, message: string, hint: string): ChaosError {
  return new ChaosError(code, message, { hint })
}

/**
 * load_configuration: each declared key, replaced by a --var/var-file value of the same name when there is one
 * (keys that are not declared are dropped, as in chaostoolkit-lib); `{type: env, key, default?, env_var_type?}`
 * reads the environment (the default, when the variable is not set, goes through env_var_type too); other
 * values, probes included, are kept as they are.
 */
function loadConfiguration(declared: Record<string, unknown>, extra: Record<string, unknown>, env: ValueSources['env']): Record<string, unknown> {
  const conf: Record<string, unknown> = {}
  for (const [name, given] of Object.entries(declared)) {
    const value = Object.hasOwn(extra, name) ? extra[name] : given
    if (!(isPyDict(value) && 'type' in value && value.type === 'env')) {
      conf[name] = value
      continue
    }
    const key = value.key
    if (typeof key !== 'string') throw invalid('CTK_INVALID_EXPERIMENT', `configuration "${name}" is of type env but has no key naming the environment variable`, 'add key: NAME_OF_THE_VARIABLE')
    const set = env[key] !== undefined
    if (!set && !('default' in value)) {
      throw invalid('RUN_MISSING_ENV', `configuration "${name}" reads the environment variable ${key}, which is not set`, `export ${key}=..., give "${name}" a default in the experiment, or pass --var ${name}=...`)
    }
    try {
      conf[name] = convertToType(value.env_var_type, set ? env[key] : value.default)
    } catch (e) {
      const from = set ? `the environment variable ${key}` : `the default of "${name}"`
      throw invalid('CTK_INVALID_EXPERIMENT', `configuration "${name}": ${from}: ${(e as Error).message}`, set ? `set ${key} to a value of type ${String(value.env_var_type)}, or change env_var_type` : 'fix the default, or change env_var_type')
    }
  }
  return conf
}

/**
 * load_secrets: scopes of secrets; a scope given in a var file replaces the declared scope whole; `{type: env,
 * key}` reads the environment (no default and no env_var_type for secrets, as in chaostoolkit-lib); other
 * mappings are walked as nested scopes. `{type: vault}` is refused: chaoscope reads no Vault.
 */
function loadSecrets(declared: Record<string, unknown>, extra: Record<string, unknown>, env: ValueSources['env'], path: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(declared)) {
    const here = [...path, name]
    if (!isPyDict(value)) {
      out[name] = value
      continue
    }
    const override = extra[name]
    if (override !== null && override !== undefined) out[name] = override
    else if (value.type === 'env') out[name] = secretFromEnv(value, here, env)
    else if (value.type === 'vault') {
      throw invalid('CTK_INVALID_EXPERIMENT', `secret "${here.join('.')}" is read from Vault, which chaoscope does not support`, `read it from the environment instead: {type: env, key: NAME}, or give it in a --var-file's secrets`)
    } else out[name] = loadSecrets(value, {}, env, here)
  }
  return out
}

function secretFromEnv(value: Record<string, unknown>, path: string[], env: ValueSources['env']): string {
  const key = value.key
  const name = path.join('.')
  if (typeof key !== 'string') throw invalid('CTK_INVALID_EXPERIMENT', `secret "${name}" is of type env but has no key naming the environment variable`, 'add key: NAME_OF_THE_VARIABLE')
  const found = env[key]
  if (found === undefined) {
    const ignored = 'default' in value ? ' (Chaos Toolkit ignores default for secrets)' : ''
    throw invalid('RUN_MISSING_ENV', `secret "${name}" reads the environment variable ${key}, which is not set${ignored}`, `export ${key}=..., or give the scope "${path[0]}" in a --var-file's secrets`)
  }
  return found
}

/**
 * The experiment's configuration and secrets as values, as `chaos run` loads them before the run: --var and
 * var-file configuration override declared keys only; var-file secrets replace declared scopes. Throws
 * RUN_MISSING_ENV for an environment variable that is not set (and has no default), CTK_INVALID_EXPERIMENT for a
 * value that cannot be converted or a Vault secret.
 */
export function loadValues(experiment: Pick<ChaosToolkitExperiment, 'configuration' | 'secrets'>, sources: ValueSources): Values {
  const extra = { ...(sources.configuration ?? {}), ...(sources.vars ?? {}) }
  const configuration = loadConfiguration(isPyDict(experiment.configuration) ? experiment.configuration : {}, extra, sources.env)
  const secrets = loadSecrets(isPyDict(experiment.secrets) ? experiment.secrets : {}, sources.secrets ?? {}, sources.env, [])
  return { configuration, secrets: secrets as Values['secrets'] }
}

// ─── dynamic configuration ───────────────────────────────────────────────────────────────────────────────

/** Runs a probe and returns its raw output (process: {status, stdout, stderr}; http: {status, headers, body}). */
export type RunConfigurationProbe = (probe: ChaosToolkitActivityDefinition, values: Values) => Promise<unknown>

/**
 * load_dynamic_configuration: configuration entries that are probes (`{type: probe, name, provider}`) are run,
 * in order, each with the configuration loaded before it, and replaced by what they gave: a python probe's
 * output, a process probe's stdout stripped (when it exited 0), an http probe's body. An entry whose probe fails
 * is left out, with a warning.
 */
export async function dynamicConfiguration(values: Values, run: RunConfigurationProbe): Promise<{ values: Values; warnings: string[] }> {
  const conf: Record<string, unknown> = {}
  const warnings: string[] = []
  for (const [key, value] of Object.entries(values.configuration)) {
    if (!(isPyDict(value) && value.type === 'probe')) {
      conf[key] = value
      continue
    }
    const probe = value as unknown as ChaosToolkitActivityDefinition
    const label = `configuration "${key}" (probe "${String(probe.name)}")`
    let output: unknown
    try {
      output = await run(probe, { configuration: { ...conf }, secrets: values.secrets })
    } catch (e) {
      warnings.push(`${label} was not loaded: the probe failed: ${(e as Error).message}`)
      continue
    }
    const type = isPyDict(probe.provider) ? probe.provider.type : undefined
    const result = isPyDict(output) ? output : {}
    if (type === 'python') conf[key] = output
    else if (!isPyDict(output)) warnings.push(`${label} was not loaded: the probe gave ${pyRepr(output)}, not a ${String(type)} result`)
    else if (type === 'process') {
      if (result.status !== 0) warnings.push(`${label} was not loaded: the process exited with ${pyRepr(result.status)}${typeof result.stderr === 'string' && result.stderr ? `: ${pyStrip(result.stderr)}` : ''}`)
      else conf[key] = typeof result.stdout === 'string' ? pyStrip(result.stdout) : ''
    } else if (type === 'http') conf[key] = result.body ?? null
  }
  return { values: { configuration: conf, secrets: values.secrets }, warnings }
}
