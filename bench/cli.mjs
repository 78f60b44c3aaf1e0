// CLI start-up: wall time of `chaoscope --help`, `chaoscope get pods` (against a running runtime) and
// `chaoscope validate -f one.yaml`, each against `node -e 0` spawned the same way in the same run. Runs are
// interleaved A B B A (A = node -e 0, B = the command) so that drifting machine load hits both alike; the figure
// is the ratio of the medians (goal: at most 2x).
//
// Usage: npm run build && node bench/cli.mjs [--rounds N]
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const at = process.argv.indexOf('--rounds')
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 15
const home = mkdtempSync(join(tmpdir(), 'chaoscope-bench-cli-'))
const env = { ...process.env, CHAOSCOPE_HOME: home }

/** Spawns `node ARGS` and returns its wall time in ms; fails loudly when the command fails. */
function wall(args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const up = spawnSync(process.execPath, [BIN, 'up', '-f', 'demo/chain/app.yaml', '--detach', '--host-ports', 'ephemeral'], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 })
if (up.status !== 0) throw new Error(`up --detach failed: ${up.stderr}`)
const baseline = ['-e', '0']
const commands = [
  ['--help', [BIN, '--help']],
  ['get pods', [BIN, 'get', 'pods']],
  ['validate -f one.yaml', [BIN, 'validate', '-f', 'examples/chain-partition.yaml']],
]
try {
  for (const [, args] of commands) wall(args) // warm the file cache once
  const base = []
  const times = new Map(commands.map(([name]) => [name, []]))
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, args] of commands) {
      base.push(wall(baseline))
      times.get(name).push(wall(args))
      times.get(name).push(wall(args))
      base.push(wall(baseline))
    }
  }
  const b = median(base)
  console.log(`node ${process.version}, ${ROUNDS} rounds of A B B A per command (${base.length} baseline runs)`)
  console.log(`${'command'.padEnd(24)}${'median'.padStart(10)}${'ratio'.padStart(8)}`)
  console.log(`${'node -e 0'.padEnd(24)}${`${b.toFixed(1)} ms`.padStart(10)}${'1.00x'.padStart(8)}`)
  for (const [name] of commands) {
    const m = median(times.get(name))
    console.log(`${`chaoscope ${name}`.padEnd(24)}${`${m.toFixed(1)} ms`.padStart(10)}${`${(m / b).toFixed(2)}x`.padStart(8)}`)
  }
} finally {
  spawnSync(process.execPath, [BIN, 'down'], { cwd: ROOT, env, stdio: 'ignore', timeout: 60_000 })
}
