/**
 * @module verdict/providers/python: Chaos Toolkit's `python` provider. A `module.func` chaoscope implements
 * (verdict/activities) runs here with its arguments substituted (when there is configuration or a secret, as
 * chaoslib substitutes them); any other runs, only with --allow-exec, through the user's `python3` in a
 * bridge process (one per call): the module is imported with the run's directory first on sys.path, the function
 * called with the arguments, plus `configuration` and `secrets` when its signature names them (secrets only when
 * the provider lists scopes), and its result comes back as JSON, or its exception as `Type: message`.
 *
 *   activity ─ mappedActivity? ─▶ PythonActivity(args, ctx)
 *            └ --allow-exec ─▶ python3 -c BRIDGE_SOURCE (request on stdin, answer on fd 3) ─▶ value | ActivityFailed
 *
 * `pythonRefusals` checks every Python activity before the run: unknown ones without --allow-exec are refused;
 * with it, one bridge call checks that python3 exists and each module imports, exposes the function and takes
 * the arguments (validate_python_activity's checks and wording).
 */
import type { ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { PYTHON_ACTIVITIES } from '../activities/index.js'
import { substitute } from '../substitute.js'
import { ActivityFailed } from '../types.js'
import type { ActivityContext, ChaosToolkitActivityDefinition, PythonActivity, Refusal, Values } from '../types.js'
import { BRIDGE_SOURCE } from './bridge.js'
import { hasValues, spawnGroup, stopGroup } from './process.js'

/** The interpreter the bridge runs with: the first `python3` on PATH (an activated virtualenv's, if any). */
export const PYTHON = 'python3'
/** How long the check before the run may take (importing every module once). */
export const CHECK_TIMEOUT_MS = 60_000
/** How long stdout and stderr may stay open after the bridge exited (a process it started may hold them). */
const DRAIN_MS = 200

/** The activity chaoscope implements for `module.func`, if any. */
export function mappedActivity(module: string, func: string): PythonActivity | undefined {
  const key = `${module}.${func}`
  return Object.hasOwn(PYTHON_ACTIVITIES, key) ? PYTHON_ACTIVITIES[key] : undefined
}

function notMapped(module: string, func: string): string {
  return `the Python activity ${module}.${func} is not implemented by chaoscope; it runs through your python3 only with --allow-exec`
}

// ─── the bridge ──────────────────────────────────────────────────────────────────────────────────────────

interface BridgeAnswer {
  value?: unknown
  error?: string
  results?: (string | null)[]
}

class BridgeError extends Error {
  constructor(
    readonly kind: 'missing' | 'aborted' | 'timeout' | 'failed',
    message: string,
  ) {
    super(message)
  }
}

function eachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (stream === null) return
  let rest = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) onLine(p.replace(/\r$/, ''))
  })
  stream.on('end', () => {
    if (rest !== '') onLine(rest)
    rest = ''
  })
}

interface BridgeOptions {
  cwd: string
  signal?: AbortSignal
  timeoutMs?: number
  onOutput?: (line: string) => void
}

/**
 * One bridge process: the request on stdin, the answer read from fd 3 once python3 exited. Rejects with a
 * BridgeError when python3 cannot be started, ends without an answer, is interrupted or takes too long (then
 * its whole process group is stopped).
 */
function runBridge(request: unknown, opts: BridgeOptions): Promise<BridgeAnswer> {
  return new Promise<BridgeAnswer>((resolve, reject) => {
    if (opts.signal?.aborted === true) return reject(new BridgeError('aborted', 'interrupted'))
    const child: ChildProcess = spawnGroup(PYTHON, ['-u', '-c', BRIDGE_SOURCE], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
    const answer: Buffer[] = []
    const tail: string[] = []
    let settled = false
    let stopped: BridgeError | undefined
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let answerEnded = false
    let outputsOpen = 2
    let timer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined

    const settle = (fn: () => void): void => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      if (drainTimer !== undefined) clearTimeout(drainTimer)
      opts.signal?.removeEventListener('abort', onAbort)
      child.stdout?.destroy()
      child.stderr?.destroy()
      fn()
    }
    const fail = (e: BridgeError): void => settle(() => reject(e))
    const finish = (): void => {
      if (settled || stopped !== undefined || exit === undefined || !answerEnded) return
      const done = (): void => {
        const text = Buffer.concat(answer).toString('utf8')
        try {
          if (text === '') throw new Error('no answer')
          const parsed = JSON.parse(text) as BridgeAnswer
          settle(() => resolve(parsed))
        } catch {
          const how = exit?.code !== null ? `with status ${exit?.code}` : `on ${exit.signal}`
          fail(new BridgeError('failed', `python3 ended ${how} without an answer${tail.length > 0 ? `: ${tail.slice(-3).join(' | ')}` : ''}`))
        }
      }
      if (outputsOpen === 0) done()
      else drainTimer ??= setTimeout(done, DRAIN_MS)
    }
    const stop = (e: BridgeError): void => {
      if (settled || stopped !== undefined) return
      stopped = e
      void stopGroup(child, false).then(() => fail(e))
    }
    const onAbort = (): void => stop(new BridgeError('aborted', 'interrupted'))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    if (opts.timeoutMs !== undefined) {
      const seconds = opts.timeoutMs / 1000
      timer = setTimeout(() => stop(new BridgeError('timeout', `python3 did not answer within ${seconds} s`)), opts.timeoutMs)
    }

    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') fail(new BridgeError('missing', `${PYTHON} was not found on the PATH`))
      else fail(new BridgeError('failed', `could not run ${PYTHON}: ${e.message}`))
    })
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      finish()
    })
    const fd3 = child.stdio[3] as Readable | null | undefined
    fd3?.on('data', (b: Buffer) => answer.push(b))
    fd3?.on('error', () => undefined)
    fd3?.on('close', () => {
      answerEnded = true
      finish()
    })
    for (const stream of [child.stdout, child.stderr]) stream?.once('close', () => {
      outputsOpen--
      finish()
    })
    eachLine(child.stdout, (line) => opts.onOutput?.(line))
    eachLine(child.stderr, (line) => {
      tail.push(line)
      if (tail.length > 20) tail.shift()
      opts.onOutput?.(line)
    })
    const stdin = child.stdin as Writable | null
    stdin?.on('error', () => undefined)
    stdin?.end(JSON.stringify(request, (_key, v: unknown) => (v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v)))
  })
}

// ─── running ─────────────────────────────────────────────────────────────────────────────────────────────

type PythonProvider = Extract<ChaosToolkitActivityDefinition['provider'], { type: 'python' }>

function pythonProvider(activity: ChaosToolkitActivityDefinition): PythonProvider {
  const p = activity.provider
  if (p.type !== 'python') throw new ActivityFailed(`activity '${activity.name}' is not a Python activity`)
  return p
}

/** The secrets passed to the function: the provider's scopes merged in order (a single scope may be a string). */
function scopedSecrets(scopes: unknown, values: Values): Record<string, unknown> {
  const list = typeof scopes === 'string' ? [scopes] : Array.isArray(scopes) ? scopes : []
  const merged: Record<string, unknown> = {}
  for (const s of list) if (typeof s === 'string') Object.assign(merged, values.secrets[s] ?? {})
  return merged
}

/**
 * Runs a Python activity: ours when chaoscope implements `module.func`, else (with --allow-exec) the user's
 * function through python3. Rejects with ActivityFailed carrying the function's `Type: message`, or saying why
 * it could not run.
 */
export async function runPython(activity: ChaosToolkitActivityDefinition, ctx: ActivityContext): Promise<unknown> {
  const provider = pythonProvider(activity)
  const module = String(provider.module)
  const func = String(provider.func)
  let args: unknown = provider.arguments ?? {}
  if (hasValues(ctx.values)) args = substitute(args, ctx.values)
  const mapped = mappedActivity(module, func)
  if (mapped !== undefined) return await mapped((args ?? {}) as Record<string, unknown>, ctx)
  if (!ctx.allowExec) throw new ActivityFailed(notMapped(module, func))
  const request = {
    mode: 'run',
    module,
    func,
    arguments: args,
    configuration: ctx.values.configuration,
    secrets: 'secrets' in provider ? scopedSecrets(provider.secrets, ctx.values) : null,
  }
  let answer: BridgeAnswer
  try {
    answer = await runBridge(request, { cwd: ctx.cwd, signal: ctx.signal, onOutput: (line) => ctx.log(`${module}.${func}: ${line}`) })
  } catch (e) {
    if (e instanceof BridgeError && e.kind === 'missing') throw new ActivityFailed(`${e.message}: the Python activity ${module}.${func} runs through it`)
    throw new ActivityFailed((e as Error).message)
  }
  if (typeof answer.error === 'string') throw new ActivityFailed(answer.error)
  return answer.value ?? null
}

// ─── before the run ──────────────────────────────────────────────────────────────────────────────────────

const EXEC_HINT = 'pass --allow-exec when the experiment is yours to run (its Python code runs as you), or use an activity chaoscope implements'
const PYTHON_HINT = 'install Python 3 so that python3 is on the PATH (with the modules the experiment imports)'
const IMPORT_HINT = 'install the module into the python3 on your PATH (or activate its virtualenv), put it in the current directory, or fix the activity'

/**
 * The Python activities that cannot run, found before anything runs. Mapped names always can; without
 * --allow-exec no other can; with it, one bridge call imports each module and binds each function's arguments.
 */
export async function pythonRefusals(
  activities: { activity: ChaosToolkitActivityDefinition; path: string }[],
  opts: { allowExec: boolean; cwd: string },
): Promise<Refusal[]> {
  const found: (Refusal | undefined)[] = activities.map(() => undefined)
  const toCheck: number[] = []
  activities.forEach(({ activity, path }, i) => {
    const p = activity.provider
    if (p.type !== 'python' || mappedActivity(String(p.module), String(p.func)) !== undefined) return
    if (!opts.allowExec) found[i] = { activity: activity.name, path, reason: notMapped(String(p.module), String(p.func)), hint: EXEC_HINT }
    else toCheck.push(i)
  })
  if (toCheck.length > 0) {
    const items = toCheck.map((i) => activities[i] as { activity: ChaosToolkitActivityDefinition; path: string })
    const request = {
      mode: 'check',
      activities: items.map(({ activity }) => {
        const p = activity.provider as PythonProvider
        return { module: p.module, func: p.func, arguments: p.arguments ?? {}, name: activity.name, type: activity.type }
      }),
    }
    let results: (string | null)[]
    let hint = IMPORT_HINT
    try {
      results = (await runBridge(request, { cwd: opts.cwd, timeoutMs: CHECK_TIMEOUT_MS })).results ?? []
    } catch (e) {
      const why = (e as Error).message
      if (e instanceof BridgeError && e.kind === 'missing') hint = PYTHON_HINT
      results = items.map(({ activity }) => {
        const p = activity.provider as PythonProvider
        return `${why}: the Python activity ${p.module}.${p.func} runs through it`
      })
    }
    toCheck.forEach((i, k) => {
      const reason = results[k]
      const item = activities[i]
      if (typeof reason === 'string' && item !== undefined) found[i] = { activity: item.activity.name, path: item.path, reason, hint }
    })
  }
  return found.filter((r): r is Refusal => r !== undefined)
}
