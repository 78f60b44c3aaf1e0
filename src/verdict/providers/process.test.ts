/**
 * The process provider with real processes: arguments through the shell or as argv, exit status and output,
 * the directory, timeouts and interrupts killing the whole process group (nothing left behind), and the
 * refusals before the run. Where the reference venv exists, chaostoolkit-lib's run_process_activity and
 * validate_process_activity get the same activity and must agree.
 */
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition } from '../types.js'
import { processArguments, processRefusal, runProcess } from './process.js'

const VENV_PY = join(homedir(), '.cache/chaoscope/venv-chaostoolkit/bin/python')
const haveChaoslib = existsSync(VENV_PY)
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'chaoscope-process-')))
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

function act(provider: Record<string, unknown>, extra: Record<string, unknown> = {}): ChaosToolkitActivityDefinition {
  return { type: 'action', name: 'proc', provider: { type: 'process', ...provider }, ...extra } as ChaosToolkitActivityDefinition
}

/** chaostoolkit-lib's run_process_activity (or validate_process_activity) on the same activity, from `dir`. */
function chaoslib(activity: ChaosToolkitActivityDefinition, fn = 'run_process_activity'): Promise<{ value?: unknown; error?: string }> {
  const call = fn === 'run_process_activity' ? "run_process_activity(a, {}, {})" : 'validate_process_activity(a)'
  const script = [
    'import json, sys',
    `from chaoslib.provider.process import ${fn}`,
    'a = json.load(sys.stdin)',
    'try:',
    `    print(json.dumps({'value': ${call}}))`,
    'except Exception as x:',
    "    print(json.dumps({'error': str(x)}))",
  ].join('\n')
  return new Promise((resolve, reject) => {
    const p = spawn(VENV_PY, ['-c', script], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.on('error', reject)
    p.on('close', () => resolve(JSON.parse(out) as { value?: unknown; error?: string }))
    p.stdin.end(JSON.stringify(activity))
  })
}

async function same(activity: ChaosToolkitActivityDefinition): Promise<unknown> {
  const ours = await runProcess(activity, ctxOf())
  if (haveChaoslib) expect(ours).toEqual((await chaoslib(activity)).value)
  return ours
}

/** Pids of processes whose command line has `marker`. */
function running(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** A unique number of seconds (60 and a bit) to find this test's sleeps by. */
function marker(): string {
  return `60.${process.pid}${Math.floor(Math.random() * 1e6)}`
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('running', () => {
  it('string arguments go through the shell: a pipe works', async () => {
    expect(await same(act({ path: 'echo', arguments: 'hello world | tr a-z A-Z' }))).toEqual({ status: 0, stdout: 'HELLO WORLD\n', stderr: '' })
  })

  it('a list is argv: str() of each, None and "" dropped', async () => {
    const r = await same(act({ path: 'printf', arguments: ['%s|', 'a b', null, '', 1, true, 2.5] }))
    expect(r).toEqual({ status: 0, stdout: 'a b|1|True|2.5|', stderr: '' })
  })

  it('a mapping is flattened key, value (a None value leaves the key alone)', async () => {
    expect(await same(act({ path: 'echo', arguments: { '-n': null, x: 'y' } }))).toEqual({ status: 0, stdout: 'x y', stderr: '' })
    expect(processArguments({ '-c': 3, '--flag': '' })).toEqual(['-c', '3', '--flag'])
  })

  it('a non-zero exit is a result, with its stderr', async () => {
    const ctx = ctxOf()
    const r = await runProcess(act({ path: 'sh', arguments: ['-c', 'echo oops >&2; exit 3'] }), ctx)
    expect(r).toEqual({ status: 3, stdout: '', stderr: 'oops\n' })
    expect(ctx.lines.join('\n')).toMatch(/exited with status 3/)
    if (haveChaoslib) expect((await chaoslib(act({ path: 'sh', arguments: ['-c', 'echo oops >&2; exit 3'] }))).value).toEqual(r)
  })

  it('runs in the run directory, with our environment, substituting arguments', async () => {
    process.env.CHAOSCOPE_PROCESS_TEST = 'from-env'
    try {
      const values = { configuration: { word: 'subst' }, secrets: {} }
      const r = await runProcess(act({ path: 'sh', arguments: ['-c', 'pwd; echo $CHAOSCOPE_PROCESS_TEST ${word}'] }), ctxOf({ values }))
      expect(r.stdout).toBe(`${dir}\nfrom-env subst\n`)
    } finally {
      delete process.env.CHAOSCOPE_PROCESS_TEST
    }
  })

  it('finds a relative path from the run directory and expands ~', async () => {
    const script = join(dir, 'hello.sh')
    writeFileSync(script, '#!/bin/sh\necho hi "$@"\n')
    chmodSync(script, 0o755)
    expect((await runProcess(act({ path: './hello.sh', arguments: ['there'] }), ctxOf())).stdout).toBe('hi there\n')
    const home = process.env.HOME
    process.env.HOME = dir
    try {
      expect((await runProcess(act({ path: '~/hello.sh' }), ctxOf())).stdout).toBe('hi\n')
    } finally {
      process.env.HOME = home
    }
  })

  it('a program that cannot be found fails the activity', async () => {
    await expect(runProcess(act({ path: 'no-such-program-xyz' }), ctxOf())).rejects.toThrow(new ActivityFailed("path 'no-such-program-xyz' cannot be found, in activity 'proc'"))
  })
})

describe('stopping', () => {
  it('a timeout kills the process and its children, and fails the activity', async () => {
    const started = Date.now()
    const m = marker()
    const activity = act({ path: 'sh', arguments: `-c 'S=${m}; sleep \${S}2 & sleep \${S}3; wait'`, timeout: 0.5 })
    await expect(runProcess(activity, ctxOf())).rejects.toThrow(new ActivityFailed('process activity took too long to complete'))
    expect(Date.now() - started).toBeLessThan(5000)
    await until(() => running(`sleep ${m}`).length === 0)
    if (haveChaoslib) {
      expect((await chaoslib(act({ path: 'sleep', arguments: ['5'], timeout: 0.3 }))).error).toBe('process activity took too long to complete')
    }
  })

  it('an interrupt kills the whole group and leaves no process behind', async () => {
    const ac = new AbortController()
    const m = marker()
    try {
      const run = runProcess(act({ path: 'sh', arguments: ['-c', `S=${m}; sleep \${S}1 & sleep \${S}2 | cat; wait`] }, { background: true }), ctxOf({ signal: ac.signal }))
      await until(() => running(`sleep ${m}`).length === 2)
      ac.abort()
      await expect(run).rejects.toThrow(new ActivityFailed('interrupted'))
      await until(() => running(`sleep ${m}`).length === 0)
    } finally {
      ac.abort()
    }
  })

  it('a group that ignores SIGTERM is killed 2 s later', async () => {
    const ac = new AbortController()
    const m = marker()
    try {
      const run = runProcess(act({ path: 'sh', arguments: ['-c', `trap '' TERM; S=${m}; sleep $S & wait; wait`] }), ctxOf({ signal: ac.signal }))
      await until(() => running(`sleep ${m}`).length === 1)
      const aborted = Date.now()
      ac.abort()
      await expect(run).rejects.toThrow('interrupted')
      await until(() => running(`sleep ${m}`).length === 0)
      expect(Date.now() - aborted).toBeGreaterThanOrEqual(1900)
    } finally {
      ac.abort()
    }
  })
})

describe('refusals before the run', () => {
  it('without --allow-exec every process activity is refused', () => {
    expect(processRefusal(act({ path: 'echo' }), { allowExec: false, cwd: dir })).toMatchObject({ activity: 'proc', reason: 'process activities run only with --allow-exec' })
  })

  it('with it, a program that is not found is refused as chaoslib words it', async () => {
    expect(processRefusal(act({ path: 'echo' }), { allowExec: true, cwd: dir })).toBeUndefined()
    const missing = act({ path: 'no-such-program-xyz' })
    const r = processRefusal(missing, { allowExec: true, cwd: dir, path: 'method[0]' })
    expect(r).toMatchObject({ path: 'method[0]', reason: "path 'no-such-program-xyz' cannot be found, in activity 'proc'" })
    if (haveChaoslib) expect((await chaoslib(missing, 'validate_process_activity')).error).toBe(r?.reason)
    mkdirSync(join(dir, 'adir'), { recursive: true })
    writeFileSync(join(dir, 'plain.txt'), 'not executable')
    expect(processRefusal(act({ path: './adir' }), { allowExec: true, cwd: dir })?.reason).toMatch(/cannot be found/)
    expect(processRefusal(act({ path: './plain.txt' }), { allowExec: true, cwd: dir })?.reason).toMatch(/cannot be found/)
  })
})
