// A stand-in for `chaoscope load` (bench/load.mjs --runner lib): the flags bench/load.mjs passes, the library's
// runLoad from dist/ (`npx tsc -p tsconfig.build.json` is enough, no bundle) and the LoadResult printed as JSON on
// one line, as `chaoscope load -o json` prints it. Its defaults are the CLI's (src/cli/verbs/load.ts). Useful to
// compare an engine change against another tree's dist/ without building the CLI.
//
// Usage: node bench/load-runner.mjs URL [--rate N | --connections C] [--duration D] [--requests N]
//        [--workers N] [--timeout D] [-o json]
import { availableParallelism } from 'node:os'
import { runLoad } from '../dist/src/load/run.js'

const DEFAULTS = { users: 10, openConnections: 200, timeoutMs: 30_000, lateAfterMs: 10, workers: Math.max(1, availableParallelism() - 1) }

function duration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text)
  if (!m) throw new Error(`not a duration: ${text}`)
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'])
}

const args = process.argv.slice(2)
let url
const plan = { method: 'GET', headers: {}, connections: undefined, timeoutMs: DEFAULTS.timeoutMs, workers: DEFAULTS.workers, lateAfterMs: DEFAULTS.lateAfterMs }
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  const v = () => args[++i]
  if (a === '--rate') {
    const r = Number(v())
    plan.stages = [{ durationMs: 0, from: r, to: r }]
  } else if (a === '--connections' || a === '-c') plan.connections = Number(v())
  else if (a === '--duration' || a === '-d') plan.durationMs = duration(v())
  else if (a === '--requests') plan.requests = Number(v())
  else if (a === '--workers') plan.workers = Number(v())
  else if (a === '--timeout') plan.timeoutMs = duration(v())
  else if (a === '-o') v()
  else if (a === '-q') continue
  else if (!a.startsWith('-')) url = a
  else throw new Error(`load-runner: unknown flag ${a}`)
}
plan.url = url
plan.connections ??= plan.stages ? DEFAULTS.openConnections : DEFAULTS.users
if (plan.durationMs === undefined && plan.requests === undefined) plan.durationMs = 10_000
const result = await runLoad(plan)
process.stdout.write(JSON.stringify(result) + '\n')
