#!/usr/bin/env node
// Builds chaoscope's fault library (the LD_PRELOAD shim that Time/IO/DNS chaos use in local pods) from native/faults/*.c
// into dist/native/libchaoscope-faults.so. Run by `npm run build`. Without a C compiler it says so and builds nothing:
// the runtime then starts pods without the library, refuses Time/IO/DNS chaos with that reason, and `chaoscope doctor`
// reports it. Rebuilt only when a source is newer than the library.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'native/faults')
const out = join(root, 'dist/native/libchaoscope-faults.so')
const sources = readdirSync(src).filter((f) => f.endsWith('.c')).sort().map((f) => join(src, f))
const headers = readdirSync(src).filter((f) => f.endsWith('.h')).map((f) => join(src, f))
const cc = process.env.CC || 'cc'

const newest = Math.max(...[...sources, ...headers, fileURLToPath(import.meta.url)].map((f) => statSync(f).mtimeMs))
if (existsSync(out) && statSync(out).mtimeMs >= newest && process.argv[2] !== '--force') process.exit(0)

mkdirSync(dirname(out), { recursive: true })
const tmp = `${out}.${process.pid}.tmp`
try {
  execFileSync(cc, ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-pthread', '-fvisibility=default', '-o', tmp, ...sources, '-ldl'], { stdio: ['ignore', 'inherit', 'inherit'] })
} catch (e) {
  if (e.code === 'ENOENT') {
    console.error(`build-native: no C compiler (${cc}): pods run without the fault library, and TimeChaos, IOChaos and DNSChaos are refused (install gcc: bash scripts/setup.sh)`)
    process.exit(0)
  }
  console.error(`build-native: ${cc} failed on native/faults/*.c`)
  process.exit(1)
}
renameSync(tmp, out)
