/** Chaos Toolkit experiments: chaostoolkit-lib's rules, real experiments, and documents that only look like one. */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFORMANCE, filesUnder } from '../../test/conformance.js'
import { FIXTURES, invalidFixture, short } from '../../test/issues.js'
import { isChaosToolkitLike, jsonPathProblem, pythonRegexProblem } from './chaos-toolkit.js'
import { validatePaths, validateText } from './validate.js'

const DEMOS = join(CONFORMANCE, 'chaostoolkit-demos')

describe('the chaostoolkit-demos experiments validate', () => {
  const experiments = filesUnder(DEMOS, ['.json'])
  /** The two files that embed a NetworkChaos with Chaos Mesh 1.x's spec.scheduler. */
  const scheduler = ['experiments/middle_service_has_latency.json', 'later-labs/lab2/experiment.json']

  it('finds all nine experiments', () => {
    expect(experiments.map((f) => relative(DEMOS, f))).toHaveLength(9)
  })

  for (const file of experiments.filter((f) => !scheduler.includes(relative(DEMOS, f)))) {
    it(relative(DEMOS, file), () => {
      const r = validatePaths([file])
      expect(r.issues.map(short)).toEqual([])
      expect(r.experiments).toHaveLength(1)
      expect(r.experiments[0]!.title).toBe(JSON.parse(readFileSync(file, 'utf8')).title)
    })
  }

  for (const name of scheduler) {
    it(`${name}: only the removed spec.scheduler of its embedded NetworkChaos, at its line`, () => {
      const r = validatePaths([join(DEMOS, name)])
      expect(r.issues.map(short)).toEqual([
        '84:15 method[1].provider.arguments.resource.spec.scheduler: spec.scheduler was removed in Chaos Mesh 2.0 [SPEC_REMOVED_FIELD]',
      ])
      expect(r.experiments).toEqual([])
    })
  }
})

describe('documents that are not experiments', () => {
  const schema = join(CONFORMANCE, 'chaostoolkit/schema.json')
  const dashboard = join(CONFORMANCE, 'ecen5033/grafana/dashboard.json')

  it('a JSON Schema of the experiment format and a Grafana dashboard do not look like experiments', () => {
    for (const f of [schema, dashboard]) {
      expect(isChaosToolkitLike(JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>)).toBe(false)
    }
  })

  it('are skipped, without issues, when found by walking a directory', () => {
    for (const dir of [join(CONFORMANCE, 'chaostoolkit'), join(CONFORMANCE, 'ecen5033/grafana')]) {
      const r = validatePaths([dir])
      expect(r.issues.map(short)).toEqual([])
      expect(r.experiments).toEqual([])
      expect(r.skipped).toHaveLength(1)
    }
  })

  it('an experiment is told by its method, hypothesis or rollbacks, or a title with an experiment-only section', () => {
    expect(isChaosToolkitLike({ method: [] })).toBe(true)
    expect(isChaosToolkitLike({ title: 't', 'steady-state-hypothesis': {} })).toBe(true)
    expect(isChaosToolkitLike({ title: 't', steady_state_hypothesis: {} })).toBe(true)
    expect(isChaosToolkitLike({ title: 't', configuration: {} })).toBe(true)
    expect(isChaosToolkitLike({ title: 't', panels: [], tags: [] })).toBe(false)
    expect(isChaosToolkitLike({ $schema: 'http://json-schema.org/draft-04/schema#', title: 't', method: {} })).toBe(false)
  })
})

describe('invalid experiments report each rule at its position', () => {
  const cases: Record<string, string[]> = {
    'ctk-missing-title.yaml': ['1:1 title: missing required field "title" [SPEC_REQUIRED]'],
    'ctk-title-not-a-string.json': ['2:12 title: expected a string, got number 42 [SPEC_TYPE]'],
    'ctk-missing-description.yaml': ['1:1 description: missing required field "description" [SPEC_REQUIRED]'],
    'ctk-tags-not-a-list.yaml': ['3:7 tags: expected a list of strings, got "latency" [SPEC_TYPE]'],
    'ctk-empty-tag.yaml': ['5:5 tags[1]: a tag must not be empty [CTK_INVALID_EXPERIMENT]'],
    'ctk-extension-missing-name.yaml': ['4:5 extensions[0].name: missing required field "name" [SPEC_REQUIRED]'],
    'ctk-missing-method.yaml': ['1:1 method: missing required field "method" [SPEC_REQUIRED]'],
    'ctk-method-not-a-list.json': ['4:13 method: expected a list of activities, got an object [SPEC_TYPE]'],
    'ctk-rollbacks-not-a-list.yaml': ['5:3 rollbacks: expected a list of actions, got an object [SPEC_TYPE]'],
    'ctk-near-miss-key.yaml': ['3:1 steady_state_hypothesis: unknown field "steady_state_hypothesis" [SPEC_UNKNOWN_FIELD]'],
    // configuration and secrets
    'ctk-configuration-env-missing-key.yaml': ['4:3 configuration.front_url.key: missing required field "key" [SPEC_REQUIRED]'],
    'ctk-configuration-env-var-type.yaml': [
      '7:19 configuration.port.env_var_type: env_var_type must be one of str, string, int, integer, float, number, bytes, bool, json, got "port" [CTK_INVALID_EXPERIMENT]',
    ],
    'ctk-secrets-scope-not-an-object.yaml': ['4:10 secrets.token: expected an object mapping secret names to values, got "abc" [SPEC_TYPE]'],
    'ctk-secrets-env-missing-key.yaml': ['5:5 secrets.k8s.token.key: missing required field "key" [SPEC_REQUIRED]'],
    'ctk-secrets-vault-missing-path.yaml': ['5:5 secrets.k8s.token.path: missing required field "path" [SPEC_REQUIRED]'],
    // the steady-state hypothesis
    'ctk-hypothesis-missing-title.yaml': ['3:1 steady-state-hypothesis.title: missing required field "title" [SPEC_REQUIRED]'],
    'ctk-probe-missing-tolerance.yaml': ['6:7 steady-state-hypothesis.probes[0].tolerance: missing required field "tolerance" [SPEC_REQUIRED]'],
    // activities
    'ctk-activity-empty.yaml': ['4:5 method[0]: an activity must not be empty [CTK_INVALID_ACTIVITY]'],
    'ctk-activity-bad-type.yaml': ['4:11 method[0].type: activity type must be "action" or "probe", got "acton" [CTK_INVALID_ACTIVITY]'],
    'ctk-activity-missing-name.yaml': ['4:5 method[0].name: missing required field "name" [SPEC_REQUIRED]'],
    'ctk-activity-missing-provider.yaml': ['4:5 method[0].provider: missing required field "provider" [SPEC_REQUIRED]'],
    'ctk-activity-timeout-not-a-number.yaml': ['6:14 method[0].timeout: expected a number of seconds, got "10s" [SPEC_TYPE]'],
    'ctk-pause-not-a-number.yaml': [
      '7:14 method[0].pauses.after: pause after must be a number of seconds or a "${name}" reference to configuration, got "five" [CTK_INVALID_ACTIVITY]',
    ],
    'ctk-background-not-a-boolean.yaml': ['6:17 method[0].background: expected true or false, got "yes" [SPEC_TYPE]'],
    'ctk-provider-unknown-type.yaml': ['7:13 method[0].provider.type: provider type must be "python", "process" or "http", got "shell" [CTK_INVALID_ACTIVITY]'],
    'ctk-python-missing-func.yaml': ['6:5 method[0].provider.func: missing required field "func" [SPEC_REQUIRED]'],
    'ctk-python-arguments-not-an-object.yaml': ['11:9 method[0].provider.arguments: expected an object mapping argument names to values, got a list [SPEC_TYPE]'],
    'ctk-process-missing-path.yaml': ['6:5 method[0].provider.path: missing required field "path" [SPEC_REQUIRED]'],
    'ctk-process-arguments-number.yaml': ['9:18 method[0].provider.arguments: expected a string or a list, got number 5 [SPEC_TYPE]'],
    'ctk-http-missing-url.yaml': ['6:5 method[0].provider.url: missing required field "url" [SPEC_REQUIRED]'],
    'ctk-http-timeout-not-a-pair.yaml': [
      '9:16 method[0].provider.timeout: timeout must be a number of seconds or a [connect, read] pair of numbers, got a list [CTK_INVALID_ACTIVITY]',
    ],
    'ctk-http-header-not-a-string.yaml': ['10:20 method[0].provider.headers.X-Retries: expected a string, got number 3 [SPEC_TYPE]'],
    'ctk-http-expected-status.yaml': ['9:24 method[0].provider.expected_status: expected an HTTP status code (an integer from 100 to 599), got "200" [SPEC_TYPE]'],
    // references
    'ctk-unknown-ref.yaml': ['10:10 method[1].ref: ref "kill-midle" names no activity of the steady-state hypothesis or the method [CTK_UNKNOWN_REFERENCE]'],
    'ctk-rollback-unknown-ref.yaml': ['5:10 rollbacks[0].ref: ref "undo" names no activity of the steady-state hypothesis or the method [CTK_UNKNOWN_REFERENCE]'],
    'ctk-ref-not-a-string.yaml': ['4:10 method[0].ref: ref must be the name of an activity, got number 3 [CTK_INVALID_ACTIVITY]'],
    // tolerances
    'ctk-tolerance-float.yaml': [
      '8:18 steady-state-hypothesis.probes[0].tolerance: a tolerance must be a boolean, an integer, a string, a list or an object, got number 0.5 [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-missing-type.yaml': [
      '8:7 steady-state-hypothesis.probes[0].tolerance.type: an object tolerance needs a type: "probe", "regex", "jsonpath" or "range" [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-unknown-type.yaml': [
      '9:15 steady-state-hypothesis.probes[0].tolerance.type: tolerance type must be "probe", "regex", "jsonpath" or "range", got "regexp" [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-probe-missing-provider.yaml': ['8:7 steady-state-hypothesis.probes[0].tolerance.provider: missing required field "provider" [SPEC_REQUIRED]'],
    'ctk-tolerance-regex-missing-pattern.yaml': ['8:7 steady-state-hypothesis.probes[0].tolerance.pattern: missing required field "pattern" [SPEC_REQUIRED]'],
    'ctk-tolerance-regex-invalid.yaml': [
      '11:18 steady-state-hypothesis.probes[0].tolerance.pattern: pattern "(ok|fine" is not a valid regular expression: unterminated group [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-jsonpath-missing-path.json': ['10:9 steady-state-hypothesis.probes[0].tolerance.path: missing required field "path" [SPEC_REQUIRED]'],
    'ctk-tolerance-jsonpath-invalid.yaml': [
      '10:15 steady-state-hypothesis.probes[0].tolerance.path: JSON path "status.code" is not valid: it must start at the root "$" [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-range-not-two.yaml': [
      '10:16 steady-state-hypothesis.probes[0].tolerance.range: range must have exactly two values [min, max], got 3 [CTK_INVALID_TOLERANCE]',
    ],
    'ctk-tolerance-range-bound-not-a-number.yaml': ['10:20 steady-state-hypothesis.probes[0].tolerance.range[1]: expected a number (the upper bound), got "100ms" [SPEC_TYPE]'],
    'ctk-tolerance-range-reversed.yaml': [
      '10:16 steady-state-hypothesis.probes[0].tolerance.range: range lower bound 500 is greater than its upper bound 100: no value can be within it [CTK_INVALID_TOLERANCE]',
    ],
    // controls
    'ctk-control-missing-provider.yaml': ['4:5 controls[0].provider: missing required field "provider" [SPEC_REQUIRED]'],
    'ctk-control-missing-module.yaml': ['5:5 controls[0].provider.module: missing required field "module" [SPEC_REQUIRED]'],
    'ctk-control-bad-scope.yaml': ['5:12 controls[0].scope: control scope must be "before" or "after", got "during" [CTK_INVALID_EXPERIMENT]'],
    'ctk-control-unknown-ref.yaml': ['12:14 method[0].controls[0].ref: control ref "tracing" names no control declared in the experiment [CTK_UNKNOWN_REFERENCE]'],
    // Chaos Mesh objects an activity creates
    'ctk-embedded-chaos-invalid.json': [
      '21:25 method[0].provider.arguments.resource.spec.action: expected one of "pod-kill", "pod-failure", "container-kill", got "pod-kil" [SPEC_ENUM]',
    ],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('every ctk- fixture is in the table', () => {
    const files = readdirSync(join(FIXTURES, 'specs/invalid')).filter((f) => f.startsWith('ctk-'))
    expect(files.sort()).toEqual(Object.keys(cases).sort())
  })

  it('hints name the likely fix', () => {
    const hint = (file: string) => validatePaths([join(FIXTURES, 'specs/invalid', file)]).issues[0]?.hint
    expect(hint('ctk-activity-bad-type.yaml')).toBe('did you mean "action"?')
    expect(hint('ctk-tolerance-unknown-type.yaml')).toBe('did you mean "regex"?')
    expect(hint('ctk-unknown-ref.yaml')).toBe('did you mean "kill-middle"?')
    expect(hint('ctk-near-miss-key.yaml')).toBe('did you mean "steady-state-hypothesis"?')
    expect(hint('ctk-missing-method.yaml')).toBe('write "method": [] to only check the steady-state hypothesis')
  })
})

describe('valid experiments', () => {
  it('every accepted form of every part, in one experiment', () => {
    const r = validatePaths([join(FIXTURES, 'specs/valid/ctk-every-feature.yaml')])
    expect(r.issues.map(short)).toEqual([])
    expect(r.experiments).toHaveLength(1)
    const exp = r.experiments[0]!
    expect(exp.method).toHaveLength(6)
    expect(exp.source.line).toBe(2)
  })

  it('reports every problem of one experiment, not only the first', () => {
    const r = validateText(
      [
        'title: ""',
        'description: several problems',
        'method:',
        '  - type: action',
        '    name: a',
        '    provider: {type: python, module: m}',
        '  - ref: b',
        'rollbacks:',
        '  - type: probe',
        '    provider: {type: http, url: http://localhost/, timeout: fast}',
      ].join('\n'),
      'exp.yaml',
    )
    expect(r.issues.map(short)).toEqual([
      '1:8 title: title must not be empty [CTK_INVALID_EXPERIMENT]',
      '6:5 method[0].provider.func: missing required field "func" [SPEC_REQUIRED]',
      '7:10 method[1].ref: ref "b" names no activity of the steady-state hypothesis or the method [CTK_UNKNOWN_REFERENCE]',
      '9:5 rollbacks[0].name: missing required field "name" [SPEC_REQUIRED]',
      '10:61 rollbacks[0].provider.timeout: timeout must be a number of seconds or a [connect, read] pair of numbers, got "fast" [CTK_INVALID_ACTIVITY]',
    ])
    expect(r.experiments).toEqual([])
  })
})

describe('schema and rules together', () => {
  it('name a near-miss key before the fields its object then misses, at the same position', () => {
    const r = validateText(['title: t', 'description: d', 'method:', '  - Type: action', '    name: a', '    provider: {type: python, module: m, func: f}'].join('\n'), 'exp.yaml')
    expect(r.issues.map(short)).toEqual([
      '4:5 method[0].Type: unknown field "Type" [SPEC_UNKNOWN_FIELD]',
      '4:5 method[0].type: missing required field "type" [SPEC_REQUIRED]',
    ])
    expect(r.issues.map((i) => i.hint)).toEqual(['did you mean "type"?', 'an activity is an "action" or a "probe"'])
  })

  it('word errors of a provider used in every section alike: hypothesis, method, rollbacks and tolerances', () => {
    const provider = '{type: http, url: "", expected_status: 700, timeout: [1, "a"]}'
    const r = validateText([
      'title: t', 'description: d',
      'steady-state-hypothesis:', '  title: h', '  probes:',
      `    - {type: probe, name: p, provider: ${provider}, tolerance: {type: probe, name: q, provider: ${provider}}}`,
      'method:', `  - {type: action, name: a, provider: ${provider}}`,
      'rollbacks:', `  - {type: action, name: b, provider: ${provider}}`,
    ].join('\n'), 'exp.yaml')
    const messages = new Set(r.issues.map((i) => `${i.code} ${i.message}`))
    expect([...messages].sort()).toEqual([
      'CTK_INVALID_ACTIVITY the URL must not be empty',
      'CTK_INVALID_ACTIVITY timeout must be a number of seconds or a [connect, read] pair of numbers, got a list',
      'SPEC_TYPE expected an HTTP status code (an integer from 100 to 599), got number 700',
    ])
    expect(r.issues).toHaveLength(12)
  })
})

describe("Python's regular expressions and JSON paths", () => {
  it('accepts Python-only regex syntax and refuses what Python refuses', () => {
    expect(pythonRegexProblem('(?P<word>ok)-(?P=word)')).toBeUndefined()
    expect(pythonRegexProblem('(?i)^healthy\\Z')).toBeUndefined()
    expect(pythonRegexProblem('\\A(?#comment)ok')).toBeUndefined()
    expect(pythonRegexProblem('(ok')).toBe('unterminated group')
    expect(pythonRegexProblem('*ok')).toBe('nothing to repeat')
    expect(pythonRegexProblem('[a-')).toBe('unterminated character class')
  })

  it('JSON paths start at the root and balance their brackets', () => {
    expect(jsonPathProblem('$.items[0].name')).toBeUndefined()
    expect(jsonPathProblem('$..error')).toBeUndefined()
    expect(jsonPathProblem("$['odd key'][?(@.price > 10)]")).toBeUndefined()
    expect(jsonPathProblem('items[0]')).toBe('it must start at the root "$"')
    expect(jsonPathProblem('$.items[0')).toBe('"]" is missing')
    expect(jsonPathProblem('$.items]')).toBe('unexpected "]" at position 8')
  })
})
