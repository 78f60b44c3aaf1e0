/**
 * No orphans: a runtime process that dies by SIGKILL takes its pods and their descendants with it. The runtime here
 * is a real Node process (test/fixtures/pods/orphan-runtime.mjs) running the supervisor compiled from these sources.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { detectCgroups } from './cgroup.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const SRC = join(HERE, '../..')
const RUNTIME = fileURLToPath(new URL('../../../test/fixtures/pods/orphan-runtime.mjs', import.meta.url))

let out: string
let supervisorModule: string

/** Transpiles the supervisor's sources (and the shared modules they use) to plain ESM a bare `node` can import. */
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'chaoscope-orphans-'))
  writeFileSync(join(out, 'package.json'), '{"type":"module"}')
  const files = [...readdirSync(HERE).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join('runtime/process', f)), 'errors.ts', 'selector.ts', 'store/state-files.ts']
  for (const rel of files) {
    const js = ts.transpileModule(readFileSync(join(SRC, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    }).outputText
    const dest = join(out, 'src', rel.replace(/\.ts$/, '.js'))
    mkdirSync(dirname(dest), { recursive: true })
    writeFileSync(dest, js)
  }
  supervisorModule = join(out, 'src/runtime/process/supervisor.js')
})

afterAll(() => rmSync(out, { recursive: true, force: true }))

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

interface Report {
  pods: number[]
  grandchildren: number[]
  watchdog: number
  cgroups: string[]
  names: string[]
}

async function runAndKill(mode: 'plain' | 'escape', options: object = {}, waitMs = 5000): Promise<{ report: Report; deadWithinMs: number; survivors: number[] }> {
  const child = spawn(process.execPath, [RUNTIME, supervisorModule, mode, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const report = await new Promise<Report>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`runtime did not report its pods in time; stderr: ${stderr}`)), 15_000)
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(JSON.parse(buf.slice(0, nl)) as Report)
      }
    })
    child.on('exit', (code) => reject(new Error(`runtime exited early (${code}); stderr: ${stderr}`)))
  })
  const all = [...report.pods, ...report.grandchildren]
  expect(all).toHaveLength(mode === 'escape' ? 4 : 3) // 2 pods + 1 or 2 grandchildren
  for (const pid of all) expect(alive(pid), `pid ${pid} alive before the kill`).toBe(true)

  const t0 = Date.now()
  child.kill('SIGKILL')
  const deadline = t0 + waitMs
  while (all.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  return { report, deadWithinMs: Date.now() - t0, survivors: all.filter(alive) }
}

it('SIGKILL of the runtime kills its pods and their grandchildren within a bounded time', async () => {
  const { report, deadWithinMs, survivors } = await runAndKill('plain')
  expect(survivors, 'pids still alive 5 s after the runtime was SIGKILLed').toEqual([])
  expect(report.pods).toHaveLength(2)
  expect(report.grandchildren).toHaveLength(1)
  expect(deadWithinMs).toBeLessThan(5000)
  // the watchdog did its work and left
  const end = Date.now() + 5000
  while (alive(report.watchdog) && Date.now() < end) await new Promise((r) => setTimeout(r, 25))
  expect(alive(report.watchdog)).toBe(false)
  for (const d of report.cgroups) expect(existsSync(d), `cgroup ${d} removed`).toBe(false)
}, 30_000)

const cg = detectCgroups()
it.runIf(cg.usable)('with cgroups, even a grandchild that left the pod\'s process group dies', async () => {
  const { report, survivors } = await runAndKill('escape')
  expect(survivors).toEqual([])
  expect(report.grandchildren).toHaveLength(2)
  expect(report.cgroups.length).toBeGreaterThan(0)
}, 30_000)

it('control: without the parent-death signal and the watchdog, the same kill leaves orphans (so the checks above can fail)', async () => {
  const { report, survivors } = await runAndKill('plain', { watchdog: false, parentDeathSignal: false, cgroups: 'off' }, 1000)
  try {
    expect(survivors.sort()).toEqual([...report.pods, ...report.grandchildren].sort())
  } finally {
    for (const pid of survivors) process.kill(pid, 'SIGKILL')
  }
}, 30_000)

it('the parent-death signal alone takes the pods, not their grandchildren: the watchdog is what gets those', async () => {
  const { report, survivors } = await runAndKill('plain', { watchdog: false, cgroups: 'off' }, 1000)
  try {
    expect(survivors).toEqual(report.grandchildren)
  } finally {
    for (const pid of survivors) process.kill(pid, 'SIGKILL')
  }
}, 30_000)
