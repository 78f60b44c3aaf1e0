// Fault-library clock benchmark: what the LD_PRELOAD shim costs a clock-heavy program when no TimeChaos is active
// (every pod runs with it). Arms, interleaved A B B A, each a fresh process started the same way (spawnSync, same
// argv):
//   A  without the library
//   B  with the library preloaded and a control directory whose clock slot is 0 (no rules: the pods' usual state)
// and, for information, C with an offset in force (CLOCK_REALTIME and CLOCK_MONOTONIC shifted).
// Workloads, each timed inside its process by its own CPU time (its loop only, not its start; CPU time, because the
// machine may be shared and wall time then measures the neighbours):
//   python   time.time() and a little arithmetic per iteration (Python 3 from PATH)
//   c        clock_gettime(CLOCK_REALTIME) and a little arithmetic per iteration (a tiny program built with cc)
//   c-bare   clock_gettime(CLOCK_REALTIME) alone: the worst case, the per-call cost in ns
//   node     Date.now() and a little arithmetic per iteration
// The library is built from native/faults/*.c into a temporary directory (as scripts/build-native.mjs builds it).
// Prints each workload's median CPU time per iteration and the median over rounds of each round's B/A (the two B
// runs over the two A runs of one A B B A round, so that a drifting load cancels out). Goal: B/A under 1.05.
//
// Usage: node bench/preload-clock.mjs [--rounds N] [--quick]
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const quick = process.argv.includes('--quick')
const ROUNDS = Number(arg('--rounds', quick ? 2 : 7)) // each round runs A B B A
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'chaoscope-bench-clock-'))

try {
  await main()
} finally {
  rmSync(work, { recursive: true, force: true })
}

async function main() {
  const src = join(root, 'native/faults')
  const lib = join(work, 'libchaoscope-faults.so')
  const sources = readdirSync(src).filter((f) => f.endsWith('.c')).sort().map((f) => join(src, f))
  execFileSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-pthread', '-fvisibility=default', '-o', lib, ...sources, '-ldl'], { stdio: 'inherit' })

  // control directories: no rules (slot 2 = 0), and an offset in force (slot 2 = 1)
  const idle = join(work, 'idle')
  const shifted = join(work, 'shifted')
  for (const [dir, gen, rules] of [[idle, 0, ''], [shifted, 1, 'clock id=0 offset_ns=-3600000000000\nclock id=1 offset_ns=-3600000000000\n']]) {
    execFileSync('mkdir', ['-p', dir])
    const g = Buffer.alloc(4096)
    g.writeUInt32LE(gen, 8)
    g.writeUInt32LE(gen, 40)
    writeFileSync(join(dir, 'gen'), g)
    writeFileSync(join(dir, 'clock.rules'), rules)
  }

  const n = quick ? 1 : 3
  writeFileSync(join(work, 'loop.c'), `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]); int work = argc > 2; unsigned long x = 1; struct timespec ts, t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (long i = 0; i < n; i++) {
    clock_gettime(CLOCK_REALTIME, &ts);
    x += (unsigned long)ts.tv_nsec;
    if (work) for (int k = 0; k < 40; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  printf("%.3f %lu\\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, x & 1);
  return 0;
}
`)
  execFileSync('cc', ['-O2', '-o', join(work, 'loop'), join(work, 'loop.c')])
  const py = `
import time
n = ${n * 1_000_000}
x = 0
t0 = time.thread_time_ns()
for i in range(n):
    t = time.time()
    x = (x * 31 + int(t * 1000)) % 1000003
print((time.thread_time_ns() - t0) / n, x & 1)
`
  const node = `
const n = ${n * 5_000_000}
let x = 0
const t0 = process.cpuUsage()
for (let i = 0; i < n; i++) { const t = Date.now(); x = (x * 31 + t) % 1000003 }
const u = process.cpuUsage(t0)
console.log(((u.user + u.system) * 1000) / n, x & 1)
`
  const workloads = {
    python: ['python3', ['-c', py]],
    c: [join(work, 'loop'), [String(n * 10_000_000), 'work']],
    'c-bare': [join(work, 'loop'), [String(n * 20_000_000)]],
    node: [process.execPath, ['-e', node]],
  }
  const arms = {
    A: {},
    B: { LD_PRELOAD: lib, CHAOSCOPE_FAULT_DIR: idle },
    C: { LD_PRELOAD: lib, CHAOSCOPE_FAULT_DIR: shifted },
  }
  const run = (w, arm) => {
    const [cmd, argv] = workloads[w]
    const env = { ...process.env, ...arms[arm] }
    if (arm === 'A') delete env.LD_PRELOAD
    const r = spawnSync(cmd, argv, { env, encoding: 'utf8', timeout: 120_000 })
    if (r.status !== 0) throw new Error(`${w} ${arm}: ${r.stderr || r.error}`)
    return Number(r.stdout.trim().split(' ')[0])
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

  console.log(`fault library clock overhead, no fault active; ${ROUNDS} rounds of A B B A per workload (CPU ns per iteration, medians)`)
  console.log('workload   A (no lib)   B (lib, idle)   B/A (per round)    C (lib, -1h active)   C/A')
  for (const w of Object.keys(workloads)) {
    const t = { A: [], B: [], C: [] }
    const ratios = []
    for (let r = 0; r < ROUNDS; r++) {
      const round = { A: [], B: [] }
      for (const arm of ['A', 'B', 'B', 'A']) round[arm].push(run(w, arm))
      t.A.push(...round.A)
      t.B.push(...round.B)
      ratios.push((round.B[0] + round.B[1]) / (round.A[0] + round.A[1]))
      t.C.push(run(w, 'C'))
    }
    const a = median(t.A)
    const b = median(t.B)
    const c = median(t.C)
    const spread = `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`
    console.log(`${w.padEnd(10)} ${a.toFixed(1).padStart(10)}   ${b.toFixed(1).padStart(13)}   ${median(ratios).toFixed(3)} (${spread})   ${c.toFixed(1).padStart(12)}   ${(c / a).toFixed(3)}`)
  }
}
