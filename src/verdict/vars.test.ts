/**
 * parseVar, readVarFiles and loadValues against chaostoolkit-lib 1.44 (convert_vars, merge_vars,
 * load_configuration, load_secrets) on Python 3.11: the tables were made by running each case through Python and
 * are checked without it. Where Python raises, chaoscope refuses with a ChaosError: RUN_MISSING_ENV for a missing
 * environment variable (chaoslib's InvalidExperiment), RUN_INVALID_VAR for a --var, CTK_INVALID_EXPERIMENT for a
 * value that cannot be converted (chaoslib's TypeError, AttributeError or ValueError).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import type { ChaosToolkitActivityDefinition, Values } from './types.js'
import { dynamicConfiguration, loadValues, parseVar, readVarFiles } from './vars.js'

function caught(fn: () => unknown): ChaosError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ChaosError) return e
    throw e
  }
  throw new Error('no error was thrown')
}

// from chaoslib.convert_vars([text]): [text, key, value]
const VARS: [string, string, unknown][] = [
  ["a=1", "a", "1"],
  ["a:int=1", "a", 1],
  ["a:int= 42 ", "a", 42],
  ["a:int=1_000", "a", 1000],
  ["a:int=+3", "a", 3],
  ["a:int=-0", "a", 0],
  ["a:int=010", "a", 10],
  ["a:int=\u0664\u0662", "a", 42],
  ["a:float=1.5", "a", 1.5],
  ["a:float= 1e5 ", "a", 100000.0],
  ["a:float=inf", "a", Infinity],
  ["a:float=-Infinity", "a", -Infinity],
  ["a:float=.5", "a", 0.5],
  ["a:float=5.", "a", 5.0],
  ["a:float=1_0.5", "a", 10.5],
  ["a:bool=No", "a", false],
  ["a:bool=FALSE", "a", false],
  ["a:bool=0", "a", false],
  ["a:bool=", "a", true],
  ["a:bool=off", "a", true],
  ["a:bool=true", "a", true],
  ["a:json={\"k\": [1, 2.5, null]}", "a", {"k": [1, 2.5, null]}],
  ["a:json=", "a", ""],
  ["a:json=\"s\"", "a", "s"],
  ["a:json=3", "a", 3],
  ["a:b:int=3", "a:b", 3],
  ["=x", "", "x"],
  ["k=a=b", "k", "a=b"],
  ["a:str=1", "a", "1"],
  ["a:string=1", "a", "1"],
  ["a:integer=5", "a", 5],
  [":int=5", "", 5],
  ["a=", "a", ""],
  ["a:json=[]", "a", []],
]
const BAD_VARS: [string, string][] = [
  ["a", "ValueError: not enough values to unpack (expected 2, got 1)"],
  ["a:=1", "ValueError: variable type can only be: bool, str, int, float, bytes or json"],
  ["a:INT=1", "ValueError: variable type can only be: bool, str, int, float, bytes or json"],
  ["a:int=x", "ValueError: invalid literal for int() with base 10: 'x'"],
  ["a:int=1.5", "ValueError: invalid literal for int() with base 10: '1.5'"],
  ["a:int=", "ValueError: invalid literal for int() with base 10: ''"],
  ["a:int=1__0", "ValueError: invalid literal for int() with base 10: '1__0'"],
  ["a:int=0x10", "ValueError: invalid literal for int() with base 10: '0x10'"],
  ["a:float=x", "ValueError: could not convert string to float: 'x'"],
  ["a:float=1e", "ValueError: could not convert string to float: '1e'"],
  ["a:float=0x10", "ValueError: could not convert string to float: '0x10'"],
  ["a:json=nope", "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"],
  ["a:json={", "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["a:int=\u001c5", "ValueError: invalid literal for int() with base 10: '\\x1c5'"],
]

// from load_configuration / load_secrets with os.environ = ENV
const ENV = {"PORT": "8080", "FLAG": "no", "J": "{\"a\": 1}", "EMPTY": "", "BAD": "x", "F": " 2.5 "}
// [declared configuration, --var/var-file configuration, Python's result or error]
const CONFIGURATION: [Record<string, unknown>, Record<string, unknown>, ['ok', unknown] | ['error', string]][] = [
  [{"a": "x", "p": {"type": "env", "key": "PORT"}}, {}, ["ok", {"a": "x", "p": "8080"}]],
  [{"p": {"type": "env", "key": "PORT", "env_var_type": "int"}, "f": {"type": "env", "key": "FLAG", "env_var_type": "bool"}, "j": {"type": "env", "key": "J", "env_var_type": "json"}, "fl": {"type": "env", "key": "F", "env_var_type": "float"}}, {}, ["ok", {"p": 8080, "f": false, "j": {"a": 1}, "fl": 2.5}]],
  [{"m": {"type": "env", "key": "MISSING"}}, {}, ["error", "InvalidExperiment"]],
  [{"m": {"type": "env", "key": "MISSING", "default": 5}}, {}, ["ok", {"m": 5}]],
  [{"m": {"type": "env", "key": "MISSING", "default": "5", "env_var_type": "int"}}, {}, ["ok", {"m": 5}]],
  [{"m": {"type": "env", "key": "MISSING", "default": 2.7, "env_var_type": "int"}}, {}, ["ok", {"m": 2}]],
  [{"m": {"type": "env", "key": "MISSING", "default": null}}, {}, ["ok", {"m": null}]],
  [{"m": {"type": "env", "key": "MISSING", "default": null, "env_var_type": "int"}}, {}, ["error", "TypeError"]],
  [{"m": {"type": "env", "key": "MISSING", "default": 1, "env_var_type": "bool"}}, {}, ["error", "AttributeError"]],
  [{"m": {"type": "env", "key": "MISSING", "default": true, "env_var_type": "bool"}}, {}, ["ok", {"m": true}]],
  [{"m": {"type": "env", "key": "MISSING", "default": {"a": 1}, "env_var_type": "json"}}, {}, ["ok", {"m": {"a": 1}}]],
  [{"m": {"type": "env", "key": "PORT", "default": "1"}}, {}, ["ok", {"m": "8080"}]],
  [{"m": {"type": "env", "key": "EMPTY", "default": "1"}}, {}, ["ok", {"m": ""}]],
  [{"m": {"type": "env", "key": "MISSING"}}, {"m": "fromvar"}, ["ok", {"m": "fromvar"}]],
  [{"m": {"type": "env", "key": "PORT"}}, {"m": "fromvar", "undeclared": 1}, ["ok", {"m": "fromvar"}]],
  [{"m": "declared", "k": 1}, {"m": {"type": "env", "key": "PORT", "env_var_type": "int"}}, ["ok", {"m": 8080, "k": 1}]],
  [{"m": "declared"}, {"m": {"type": "env", "key": "MISSING"}}, ["error", "InvalidExperiment"]],
  [{"p": {"type": "env", "key": "BAD", "env_var_type": "int"}}, {}, ["error", "ValueError"]],
  [{"p": {"type": "env", "key": "EMPTY", "env_var_type": "json"}}, {}, ["ok", {"p": ""}]],
  [{"p": {"type": "env", "key": "PORT", "env_var_type": ""}}, {}, ["error", "ValueError"]],
  [{"p": {"type": "env", "key": "PORT", "env_var_type": null}}, {}, ["ok", {"p": "8080"}]],
  [{"p": {"type": "probe", "name": "x", "provider": {"type": "python", "module": "m", "func": "f"}}}, {}, ["ok", {"p": {"type": "probe", "name": "x", "provider": {"type": "python", "module": "m", "func": "f"}}}]],
  [{"p": {"type": "other", "k": 1}, "q": [1, {"type": "env", "key": "PORT"}]}, {}, ["ok", {"p": {"type": "other", "k": 1}, "q": [1, {"type": "env", "key": "PORT"}]}]],
  [{"p": {"notype": 1}}, {"p": 2}, ["ok", {"p": 2}]],
  [{"p": {"type": "env", "key": "PORT"}}, {"p": null}, ["ok", {"p": null}]],
  [{"p": 1, "q": true, "r": null}, {"p": "2", "r": 0}, ["ok", {"p": "2", "q": true, "r": 0}]],
]
const SECRETS: [Record<string, unknown>, Record<string, unknown>, ['ok', unknown] | ['error', string]][] = [
  [{"k8s": {"a": "x", "t": {"type": "env", "key": "PORT"}, "nested": {"deep": {"type": "env", "key": "FLAG"}, "plain": 1}}}, {}, ["ok", {"k8s": {"a": "x", "t": "8080", "nested": {"deep": "no", "plain": 1}}}]],
  [{"k8s": {"t": {"type": "env", "key": "MISSING"}}}, {}, ["error", "InvalidExperiment"]],
  [{"k8s": {"t": {"type": "env", "key": "MISSING", "default": "d"}}}, {}, ["error", "InvalidExperiment"]],
  [{"k8s": {"t": {"type": "env", "key": "PORT", "env_var_type": "int"}}}, {}, ["ok", {"k8s": {"t": "8080"}}]],
  [{"k8s": {"t": {"type": "env", "key": "MISSING"}}}, {"k8s": {"t": "override"}}, ["ok", {"k8s": {"t": "override"}}]],
  [{"k8s": {"t": "x", "u": "y"}}, {"k8s": {"t": "override"}, "other": {"z": 1}}, ["ok", {"k8s": {"t": "override"}}]],
  [{"top": {"type": "env", "key": "PORT"}, "str": "plain"}, {}, ["ok", {"top": "8080", "str": "plain"}]],
  [{"k8s": {"t": "x"}}, {"k8s": null}, ["ok", {"k8s": {"t": "x"}}]],
  [{"k8s": {"n": {"t": {"type": "env", "key": "MISSING"}}}}, {"n": {"t": "not used"}}, ["error", "InvalidExperiment"]],
]
// merge_vars({y: 'from --var'}, [a.json, b.yaml, c.env, empty.yml, comments.yaml, dup.yaml])
const MERGED = {"configuration": {"x": 1, "y": "from --var", "z": 10, "w": 1000, "v": "1e3", "u": 1500.0, "d": "2024-01-02", "n": "n", "a": 2}, "secrets": {"s": {"t": "two"}, "r": {"k": "v"}}, "env": {"A": "1", "B ": " two words", "C": "\"quoted\"", "D": "x=y", "export E": "1"}}

describe('parseVar agrees with convert_vars', () => {
  it.each(VARS)('%j', (text, key, value) => {
    expect(parseVar(text)).toEqual([key, value])
  })

  it.each(BAD_VARS)('%j is refused (Python: %s)', (text) => {
    const e = caught(() => parseVar(text))
    expect(e.code).toBe('RUN_INVALID_VAR')
    expect(e.message).toContain(JSON.stringify(text))
    expect(e.hint).toMatch(/name:type=value/)
  })

  it('bytes are UTF-8 bytes', () => {
    expect(parseVar('a:bytes=hé')).toEqual(['a', new Uint8Array([0x68, 0xc3, 0xa9])])
  })

  it('says what is wrong in words', () => {
    expect(caught(() => parseVar('port:int=80x')).message).toBe(`--var "port:int=80x": '80x' is not an int (Python's int() refuses it)`)
    expect(caught(() => parseVar('port')).message).toMatch(/has no "="/)
    expect(caught(() => parseVar('a:INT=1')).message).toMatch(/unknown type 'INT'/)
  })
})

function expectPython(run: () => unknown, want: ['ok', unknown] | ['error', string]): void {
  if (want[0] === 'ok') {
    expect(run()).toEqual(want[1])
    return
  }
  const e = caught(run)
  expect(e.code).toBe(want[1] === 'InvalidExperiment' ? 'RUN_MISSING_ENV' : 'CTK_INVALID_EXPERIMENT')
}

describe('loadValues agrees with load_configuration and load_secrets', () => {
  it.each(CONFIGURATION)('configuration %j with vars %j', (configuration, vars, want) => {
    expectPython(() => loadValues({ configuration }, { vars, env: ENV }).configuration, want)
  })

  it.each(SECRETS)('secrets %j with var-file secrets %j', (secrets, files, want) => {
    expectPython(() => loadValues({ secrets: secrets as Values['secrets'] }, { secrets: files, env: ENV }).secrets, want)
  })

  it('--var overrides a var file, and both override only declared keys', () => {
    const v = loadValues({ configuration: { a: 1, b: 2 } }, { configuration: { a: 'file', b: 'file', c: 'file' }, vars: { b: 'var', d: 'var' }, env: {} })
    expect(v.configuration).toEqual({ a: 'file', b: 'var' })
  })

  it('names the variable and the entry when an environment variable is missing', () => {
    const e = caught(() => loadValues({ configuration: { port: { type: 'env', key: 'SERVICE_PORT' } } }, { env: {} }))
    expect(e.code).toBe('RUN_MISSING_ENV')
    expect(e.message).toBe('configuration "port" reads the environment variable SERVICE_PORT, which is not set')
    expect(e.hint).toMatch(/export SERVICE_PORT=.*default.*--var port=/)
    const s = caught(() => loadValues({ secrets: { k8s: { token: { type: 'env', key: 'TOKEN', default: 'x' } } } }, { env: {} }))
    expect(s.code).toBe('RUN_MISSING_ENV')
    expect(s.message).toBe('secret "k8s.token" reads the environment variable TOKEN, which is not set (Chaos Toolkit ignores default for secrets)')
  })

  it('says why an environment value cannot be converted', () => {
    const e = caught(() => loadValues({ configuration: { port: { type: 'env', key: 'PORT', env_var_type: 'int' } } }, { env: { PORT: 'eighty' } }))
    expect(e.code).toBe('CTK_INVALID_EXPERIMENT')
    expect(e.message).toBe(`configuration "port": the environment variable PORT: 'eighty' is not an int (Python's int() refuses it)`)
  })

  it('refuses Vault secrets, pointing at the environment', () => {
    const e = caught(() => loadValues({ secrets: { vault: { password: { type: 'vault', path: 'secret/db', key: 'password' } } } }, { env: {} }))
    expect(e.code).toBe('CTK_INVALID_EXPERIMENT')
    expect(e.message).toMatch(/secret "vault.password" is read from Vault, which chaoscope does not support/)
    expect(e.hint).toMatch(/type: env/)
    // a var file's scope replaces it, as in chaostoolkit-lib, so nothing is read from Vault then
    expect(loadValues({ secrets: { vault: { password: { type: 'vault', path: 'p' } } } }, { secrets: { vault: { password: 'pw' } }, env: {} }).secrets).toEqual({ vault: { password: 'pw' } })
  })
})

describe('readVarFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-vars-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('agrees with merge_vars on JSON, YAML (PyYAML rules), .env, empty and comment-only files', () => {
    const files = [
      file('a.json', JSON.stringify({ configuration: { x: 1, y: 'a' }, secrets: { s: { t: '1' } } })),
      file('b.yaml', 'configuration:\n  y: yes\n  z: 012\n  w: 1_000\n  v: 1e3\n  u: 1.5e+3\n  d: 2024-01-02\n  n: n\nsecrets:\n  s:\n    t: two\n  r:\n    k: v\n'),
      file('c.env', '# comment\n\nA=1\n  B = two words  \r\nC="quoted"\nD=x=y\nexport E=1\n'),
      file('empty.yml', ''),
      file('comments.yaml', '# nothing\n'),
      file('dup.yaml', 'configuration:\n  a: 1\n  a: 2\n'),
    ]
    const got = readVarFiles(files, {})
    const [k, v] = parseVar('y=from --var')
    // merge_vars lays --var over the files' configuration
    expect({ configuration: { ...got.configuration, [k]: v }, secrets: got.secrets, env: got.env }).toEqual(MERGED)
  })

  it('reads a file of another extension, or one whose data is empty, as a .env file', () => {
    expect(readVarFiles([file('vars.txt', 'TOKEN=abc\n')], {}).env).toEqual({ TOKEN: 'abc' })
    expect(readVarFiles([file('upper.YAML', 'K=v\n')], {}).env).toEqual({ K: 'v' })
  })

  it('refuses, naming the file, what chaoslib only logs or crashes on', () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.yaml'), /missing\.yaml: no such file/],
      [dir, /it is a directory/],
      [file('bad.json', '{"configuration": '), /bad\.json: it is not valid JSON/],
      [file('bad.yaml', 'configuration: [1, 2\n'), /bad\.yaml: it is not valid YAML/],
      [file('list.yaml', '- 1\n- 2\n'), /list\.yaml: it holds a list, not a mapping/],
      [file('conf.yaml', 'configuration: 3\n'), /configuration must be a mapping, not 3/],
      [file('x.env', 'A=1\nnot a line\n'), /x\.env:2: "not a line" is not NAME=value/],
      [file('null.json', 'null'), /null\.json:1: "null" is not NAME=value/],
    ]
    for (const [path, message] of cases) {
      const e = caught(() => readVarFiles([path], {}))
      expect(e.code).toBe('RUN_INVALID_VAR')
      expect(e.message).toMatch(message)
    }
  })
})

describe('dynamicConfiguration', () => {
  const probe = (name: string, type: string): ChaosToolkitActivityDefinition => ({ type: 'probe', name, provider: { type, module: 'm', func: 'f', path: 'p', url: 'u' } as never })

  it('stores python output, process stdout stripped, http body; a failure leaves the key out with a warning', async () => {
    const seen: Record<string, unknown>[] = []
    const values: Values = {
      configuration: { first: 1, py: probe('py', 'python'), proc: probe('proc', 'process'), web: probe('web', 'http'), bad: probe('bad', 'process'), boom: probe('boom', 'python'), last: 'x' },
      secrets: { s: { k: 'v' } },
    }
    const outputs: Record<string, () => unknown> = {
      py: () => ({ nested: [1] }),
      proc: () => ({ status: 0, stdout: '  10.0.0.1\n', stderr: '' }),
      web: () => ({ status: 200, headers: {}, body: { token: 't' } }),
      bad: () => ({ status: 2, stdout: '', stderr: 'no such host\n' }),
      boom: () => {
        throw new Error('module not found')
      },
    }
    const got = await dynamicConfiguration(values, async (p, v) => {
      seen.push({ ...v.configuration })
      return outputs[p.name]!()
    })
    expect(got.values.configuration).toEqual({ first: 1, py: { nested: [1] }, proc: '10.0.0.1', web: { token: 't' }, last: 'x' })
    expect(got.values.secrets).toBe(values.secrets)
    expect(got.warnings).toEqual([
      'configuration "bad" (probe "bad") was not loaded: the process exited with 2: no such host',
      'configuration "boom" (probe "boom") was not loaded: the probe failed: module not found',
    ])
    // each probe sees the configuration loaded before it
    expect(seen[0]).toEqual({ first: 1 })
    expect(seen[1]).toEqual({ first: 1, py: { nested: [1] } })
  })
})
