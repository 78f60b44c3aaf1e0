/**
 * The python provider: activities chaoscope implements run here (a stand-in table replaces the real one), any
 * other through the user's python3 in the bridge, with a local module from the run directory (print() in it
 * cannot break the answer), exceptions, configuration and secrets, results Python's JSON cannot write, an
 * interrupt, and the refusals before the run. Where the reference venv exists, chaostoolkit-lib's
 * run_python_activity and validate_python_activity get the same activity and must agree.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition, Values } from '../types.js'
import { mappedActivity, pythonRefusals, runPython } from './python.js'

vi.mock('../activities/index.js', () => ({
  PYTHON_ACTIVITIES: {
    'chaosk8s.fake.probes.echo': (args: Record<string, unknown>) => Promise.resolve({ got: args }),
  },
}))

const VENV_PY = join(homedir(), '.cache/chaoscope/venv-chaostoolkit/bin/python')
const havePython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const haveChaoslib = havePython && existsSync(VENV_PY)
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'chaoscope-python-')))

const TOLERANCES = `
import datetime, decimal, subprocess, sys

def should_not_have_any_errors(filepath):
    print("checking", filepath)
    print("to stderr", file=sys.stderr)
    with open(filepath) as f:
        return all(not line.startswith("ERROR") for line in f)

def explode(reason="boom"):
    raise ValueError(reason)

def with_configuration(name, configuration):
    return configuration[name]

def with_secrets(secrets=None):
    return secrets

def odd_values():
    return {"when": datetime.datetime(2024, 1, 2, 3, 4, 5), "d": decimal.Decimal("1.10"), "b": b"hi",
            "t": (1, 2), "n": float("nan"), 1: "int key", "s": {3}}

def sleeper(seconds):
    subprocess.run(["sleep", seconds])
`

beforeAll(() => {
  writeFileSync(join(dir, 'tolerances.py'), TOLERANCES)
  writeFileSync(join(dir, 'clean.log'), 'INFO fine\nINFO still fine\n')
  writeFileSync(join(dir, 'dirty.log'), 'INFO fine\nERROR broken\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function ctxOf(over: Partial<ActivityContext> = {}): ActivityContext & { lines: string[] } {
  const lines: string[] = []
  return {
    values: { configuration: {}, secrets: {} },
    signal: new AbortController().signal,
    allowExec: true,
    cwd: dir,
    verifyTls: true,
    log: (line) => lines.push(line),
    runProbe: () => Promise.reject(new Error('not used')),
    checkTolerance: () => Promise.reject(new Error('not used')),
    results: new Map(),
    lines,
    ...over,
  }
}

function act(func: string, args?: Record<string, unknown>, extra: Record<string, unknown> = {}, module = 'tolerances'): ChaosToolkitActivityDefinition {
  return { type: 'probe', name: 'p', provider: { type: 'python', module, func, ...(args ? { arguments: args } : {}), ...extra } } as ChaosToolkitActivityDefinition
}

/** chaostoolkit-lib on the same activity, from `dir` with it on PYTHONPATH (chaos run does not add it itself). */
function chaoslib(activity: ChaosToolkitActivityDefinition, values: Values = { configuration: {}, secrets: {} }, fn = 'run'): Promise<{ value?: unknown; error?: string }> {
  const call = fn === 'run' ? "run_python_activity(req['activity'], req['configuration'], req['secrets'])" : "validate_python_activity(req['activity'])"
  const script = [
    'import json, sys',
    'from chaoslib.provider.python import run_python_activity, validate_python_activity',
    'req = json.load(sys.stdin)',
    'try:',
    `    print(json.dumps({'value': ${call}}, default=str))`,
    'except Exception as x:',
    "    print(json.dumps({'error': str(x)}))",
  ].join('\n')
  return new Promise((resolve, reject) => {
    const p = spawn(VENV_PY, ['-c', script], { cwd: dir, env: { ...process.env, PYTHONPATH: dir }, stdio: ['pipe', 'pipe', 'ignore'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.on('error', reject)
    p.on('close', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as { value?: unknown; error?: string }))
    p.stdin.end(JSON.stringify({ activity, ...values }))
  })
}

function running(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  } catch {
    return []
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('activities chaoscope implements', () => {
  it('run here with substituted arguments, with or without --allow-exec', async () => {
    const values = { configuration: { who: 'me' }, secrets: {} }
    const r = await runPython(act('echo', { name: '${who}' }, {}, 'chaosk8s.fake.probes'), ctxOf({ values, allowExec: false }))
    expect(r).toEqual({ got: { name: 'me' } })
    expect(mappedActivity('chaosk8s.fake.probes', 'echo')).toBeDefined()
    expect(mappedActivity('chaosk8s.fake', 'constructor')).toBeUndefined()
  })
})

describe.skipIf(!havePython)('the bridge to python3', () => {
  it('calls a local module of the run directory; what it prints is logged, not the answer', async () => {
    const ctx = ctxOf()
    expect(await runPython(act('should_not_have_any_errors', { filepath: 'clean.log' }), ctx)).toBe(true)
    expect(ctx.lines).toContain('tolerances.should_not_have_any_errors: checking clean.log')
    expect(ctx.lines).toContain('tolerances.should_not_have_any_errors: to stderr')
    expect(await runPython(act('should_not_have_any_errors', { filepath: 'dirty.log' }), ctx)).toBe(false)
    if (haveChaoslib) expect((await chaoslib(act('should_not_have_any_errors', { filepath: 'dirty.log' }))).value).toBe(false)
  })

  it('substitutes arguments from the configuration', async () => {
    const values = { configuration: { log: 'dirty.log' }, secrets: {} }
    expect(await runPython(act('should_not_have_any_errors', { filepath: '${log}' }), ctxOf({ values }))).toBe(false)
  })

  it("an exception fails the activity with its one line, as chaoslib's ActivityFailed", async () => {
    const activity = act('explode', { reason: 'the disk is full' })
    await expect(runPython(activity, ctxOf())).rejects.toThrow(new ActivityFailed('ValueError: the disk is full'))
    if (haveChaoslib) expect((await chaoslib(activity)).error).toBe('ValueError: the disk is full')
    await expect(runPython(act('missing_function'), ctxOf())).rejects.toThrow("AttributeError: module 'tolerances' has no attribute 'missing_function'")
  })

  it('passes configuration when the signature has it, and secrets only when the provider lists scopes', async () => {
    const values: Values = { configuration: { region: 'eu' }, secrets: { db: { password: 'p' }, other: { token: 't' } } }
    expect(await runPython(act('with_configuration', { name: 'region' }), ctxOf({ values }))).toBe('eu')
    expect(await runPython(act('with_secrets', {}, { secrets: ['db'] }), ctxOf({ values }))).toEqual({ password: 'p' })
    expect(await runPython(act('with_secrets'), ctxOf({ values }))).toBeNull()
    if (haveChaoslib) {
      expect((await chaoslib(act('with_secrets', {}, { secrets: ['db'] }), values)).value).toEqual({ password: 'p' })
      expect((await chaoslib(act('with_configuration', { name: 'region' }), values)).value).toBe('eu')
    }
  })

  it('writes dates, decimals, bytes, tuples, sets and NaN as JSON', async () => {
    expect(await runPython(act('odd_values'), ctxOf())).toEqual({ when: '2024-01-02T03:04:05', d: '1.10', b: 'hi', t: [1, 2], n: null, 1: 'int key', s: [3] })
  })

  it('an interrupt stops the bridge and what it started', async () => {
    const ac = new AbortController()
    const marker = `60.${process.pid}${Math.floor(Math.random() * 1e6)}`
    try {
      const run = runPython(act('sleeper', { seconds: marker }), ctxOf({ signal: ac.signal }))
      await until(() => running(`sleep ${marker}`).length === 1)
      ac.abort()
      await expect(run).rejects.toThrow(new ActivityFailed('interrupted'))
      await until(() => running(`sleep ${marker}`).length === 0)
    } finally {
      ac.abort()
    }
  })

  it('refuses to run without --allow-exec', async () => {
    await expect(runPython(act('with_secrets'), ctxOf({ allowExec: false }))).rejects.toThrow(
      'the Python activity tolerances.with_secrets is not implemented by chaoscope; it runs through your python3 only with --allow-exec',
    )
  })
})

describe('refusals before the run', () => {
  const at = (activity: ChaosToolkitActivityDefinition, path = 'method[0]') => ({ activity, path })

  it('without --allow-exec: every Python activity chaoscope does not implement', async () => {
    const refusals = await pythonRefusals([at(act('echo', {}, {}, 'chaosk8s.fake.probes')), at(act('should_not_have_any_errors'), 'method[1]')], { allowExec: false, cwd: dir })
    expect(refusals).toEqual([
      {
        activity: 'p',
        path: 'method[1]',
        reason: 'the Python activity tolerances.should_not_have_any_errors is not implemented by chaoscope; it runs through your python3 only with --allow-exec',
        hint: expect.stringContaining('--allow-exec') as unknown,
      },
    ])
  })

  it.skipIf(!havePython)('with it: modules that do not import, functions that are not there, arguments that do not bind', async () => {
    const cases = [
      act('should_not_have_any_errors', { filepath: 'x' }),
      act('f', {}, {}, 'no_such_module_xyz'),
      act('nope'),
      act('should_not_have_any_errors', {}),
      act('should_not_have_any_errors', { filepath: 'x', extra: 1 }),
      act('with_configuration', { name: 'x' }),
    ]
    const refusals = await pythonRefusals(cases.map((a, i) => at(a, `method[${i}]`)), { allowExec: true, cwd: dir })
    expect(refusals.map((r) => [r.path, r.reason])).toEqual([
      ['method[1]', "could not find Python module 'no_such_module_xyz' in activity 'p'"],
      ['method[2]', "The python module 'tolerances' does not expose a function called 'nope' in probe 'p'"],
      ['method[3]', "required argument 'filepath' is missing from activity 'p'"],
      ['method[4]', "argument 'extra' is not part of the function signature in activity 'p'"],
    ])
    if (haveChaoslib) {
      const theirs = await Promise.all(cases.map((a) => chaoslib(a, undefined, 'validate')))
      // chaoslib names the function where it means the activity in its two argument messages
      const named = theirs.map((t) => t.error?.replace("activity 'should_not_have_any_errors'", "activity 'p'"))
      expect(named).toEqual([undefined, ...refusals.map((r) => r.reason), undefined])
    }
  })

  it.skipIf(!havePython)('with it but no python3 on the PATH: each such activity is refused, saying so', async () => {
    const path = process.env.PATH
    process.env.PATH = dir
    try {
      const refusals = await pythonRefusals([at(act('should_not_have_any_errors'))], { allowExec: true, cwd: dir })
      expect(refusals.map((r) => r.reason)).toEqual(['python3 was not found on the PATH: the Python activity tolerances.should_not_have_any_errors runs through it'])
      await expect(runPython(act('should_not_have_any_errors', { filepath: 'clean.log' }), ctxOf())).rejects.toThrow('python3 was not found on the PATH')
    } finally {
      process.env.PATH = path
    }
  })
})
