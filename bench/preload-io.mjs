// Fault-library file benchmark: what the LD_PRELOAD shim costs a file-heavy program when no IOChaos is active
// (every pod runs with it). Arms, interleaved A B B A, each a fresh process started the same way (spawnSync, same
// argv):
//   A  without the library
//   B  with the library preloaded and a control directory whose io slot is 0 (no rules: the pods' usual state)
// and, for information, C with an IOChaos rule in force on another directory (every method: each call of the
// workload finds its path and is tried against the rule, and passes).
// Workloads, each timed inside its process (its loop only, not its start), on files in a temporary directory (on
// /dev/shm when there is one, so that the disk does not drown the figure):
//   python   per iteration: open, read 4 KiB, close; os.stat; open, write 64 bytes, close (os.* calls)
//   c        the same in C (a tiny program built with cc)
//   c-bare   pread of 64 bytes from an open file alone: the worst case, the per-call cost in ns
//   node     per iteration: fs.readFileSync, fs.writeFileSync of 64 bytes (libuv's synchronous calls go through libc)
// The library is built from native/faults/*.c into a temporary directory (as scripts/build-native.mjs builds it).
// Prints each workload's median time per iteration and the ratio B/A (goal: under 1.05).
//
// Usage: node bench/preload-io.mjs [--rounds N] [--quick]
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const quick = process.argv.includes('--quick')
const ROUNDS = Number(arg('--rounds', quick ? 2 : 5)) // each round runs A B B A
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'chaoscope-bench-io-'))

const cleanup = [work]
try {
  await main()
} finally {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true })
}

async function main() {
  const src = join(root, 'native/faults')
  const lib = join(work, 'libchaoscope-faults.so')
  const sources = readdirSync(src).filter((f) => f.endsWith('.c')).sort().map((f) => join(src, f))
  execFileSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-pthread', '-fvisibility=default', '-o', lib, ...sources, '-ldl'], { stdio: 'inherit' })

  // the workload's files on tmpfs when there is one: the figure is the library's cost, not the disk's
  const files = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : work, 'chaoscope-bench-io-files-'))
  cleanup.push(files)
  writeFileSync(join(files, 'in.bin'), Buffer.alloc(4096, 120))
  // control directories: no rules (slot 0 = 0), and a rule in force on another directory (slot 0 = 1)
  const idle = join(work, 'idle')
  const active = join(work, 'active')
  const rule = `id=bench action=fault volume=${encodeURIComponent(join(work, 'elsewhere'))} errno=5 percent=100\n`
  for (const [dir, gen, rules] of [[idle, 0, ''], [active, 1, rule]]) {
    mkdirSync(dir)
    const g = Buffer.alloc(4096)
    g.writeUInt32LE(gen, 0)
    g.writeUInt32LE(gen, 32)
    writeFileSync(join(dir, 'gen'), g)
    writeFileSync(join(dir, 'io.rules'), rules)
  }

  const n = quick ? 1 : 3
  writeFileSync(join(work, 'loop.c'), `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]); int bare = argc > 3; const char *in = argv[2]; char out[4096], buf[4096]; struct stat st; struct timespec t0, t1;
  unsigned long x = 0;
  snprintf(out, sizeof out, "%s.out", in);
  int keep = open(in, O_RDONLY);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    if (bare) { x += (unsigned long)pread(keep, buf, 64, 0); continue; }
    int fd = open(in, O_RDONLY); x += (unsigned long)read(fd, buf, sizeof buf); close(fd);
    stat(in, &st); x += (unsigned long)st.st_size;
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644); x += (unsigned long)write(fd, buf, 64); close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.3f %lu\\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, x & 1);
  return 0;
}
`)
  execFileSync('cc', ['-O2', '-o', join(work, 'loop'), join(work, 'loop.c')])
  const inFile = join(files, 'in.bin')
  const py = `
import os, time
n = ${n * 20_000}
src = ${JSON.stringify(inFile)}
dst = src + '.py'
x = 0
t0 = time.perf_counter_ns()
for i in range(n):
    fd = os.open(src, os.O_RDONLY); x += len(os.read(fd, 4096)); os.close(fd)
    x += os.stat(src).st_size
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); x += os.write(fd, b'y' * 64); os.close(fd)
print((time.perf_counter_ns() - t0) / n, x & 1)
`
  const node = `
const fs = require('node:fs')
const n = ${n * 20_000}
const src = ${JSON.stringify(inFile)}, dst = src + '.node', data = Buffer.alloc(64, 121)
let x = 0
const t0 = process.hrtime.bigint()
for (let i = 0; i < n; i++) { x += fs.readFileSync(src).length; fs.writeFileSync(dst, data) }
console.log(Number(process.hrtime.bigint() - t0) / n, x & 1)
`
  const workloads = {
    python: ['python3', ['-c', py]],
    c: [join(work, 'loop'), [String(n * 50_000), inFile]],
    'c-bare': [join(work, 'loop'), [String(n * 2_000_000), inFile, 'bare']],
    node: [process.execPath, ['-e', node]],
  }
  const arms = {
    A: {},
    B: { LD_PRELOAD: lib, CHAOSCOPE_FAULT_DIR: idle },
    C: { LD_PRELOAD: lib, CHAOSCOPE_FAULT_DIR: active },
  }
  const run = (w, arm) => {
    const [cmd, argv] = workloads[w]
    const env = { ...process.env, UV_USE_IO_URING: '0', ...arms[arm] } // as the runtime starts pods: libuv through libc
    if (arm === 'A') delete env.LD_PRELOAD
    const r = spawnSync(cmd, argv, { env, encoding: 'utf8', timeout: 300_000 })
    if (r.status !== 0) throw new Error(`${w} ${arm}: ${r.stderr || r.error}`)
    return Number(r.stdout.trim().split(' ')[0])
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

  console.log(`fault library file-call overhead, no fault active; ${ROUNDS} rounds of A B B A per workload (ns per iteration, medians)`)
  console.log('workload   A (no lib)   B (lib, idle)   B/A      C (lib, a rule elsewhere)   C/A')
  for (const w of Object.keys(workloads)) {
    const t = { A: [], B: [], C: [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const arm of ['A', 'B', 'B', 'A']) t[arm].push(run(w, arm))
      t.C.push(run(w, 'C'))
    }
    const a = median(t.A)
    const b = median(t.B)
    const c = median(t.C)
    console.log(`${w.padEnd(10)} ${a.toFixed(1).padStart(10)}   ${b.toFixed(1).padStart(13)}   ${(b / a).toFixed(3)}    ${c.toFixed(1).padStart(25)}   ${(c / a).toFixed(3)}`)
  }
}
