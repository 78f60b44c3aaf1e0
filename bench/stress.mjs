// StressChaos accuracy: what the pod's cgroup shows against what the stressor asked for.
//
//   cpu:    1 worker at load 25, 50, 100 (stress-ng --cpu 1 --cpu-load L, as Chaos Mesh runs it) → the pod cgroup's
//           CPU use in cores over a window, divided by L/100 (goal: within 10%, i.e. 0.90-1.10)
//   memory: 1 worker of 64MiB and 256MiB → the rise of the pod cgroup's memory (memory.current / usage_in_bytes),
//           divided by the size asked (goal: within 10%)
//
// The pod is idle (sleep) with limits cpu 2, memory 1Gi, so neither limit caps what is measured. Each figure is the
// median of RUNS runs; the machine's idle CPU during the CPU windows is printed beside it, because other work on
// the machine takes CPU from the stressor (a ratio below 0.9 with no idle CPU left says the machine was busy).
//
// Usage: npm run build && node bench/stress.mjs [--quick]          (Linux; stress-ng installed; root for cgroups)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadApp, startRuntimeServer } from '../dist/src/index.js'
import { InProcessRuntimeClient } from '../dist/src/runtime/client.js'
import { cgroupCpuUsec, cgroupMemoryBytes } from '../dist/src/runtime/effects/stress.js'

const QUICK = process.argv.includes('--quick')
const RUNS = QUICK ? 1 : 3
const WINDOW_MS = QUICK ? 3000 : 5000
const LOADS = [25, 50, 100]
const SIZES_MIB = [64, 256]
const MiB = 2 ** 20
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// bounded: whatever happens, the bench ends (the runtime's watchdog then kills the pod and its stressors)
setTimeout(() => {
  console.error('bench/stress: took more than 10 minutes; stopping')
  process.exit(3)
}, 10 * 60_000).unref()

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-bench-stress-'))
process.env.CHAOSCOPE_HOME = dir
const file = join(dir, 'app.yaml')
writeFileSync(
  file,
  `apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: bench-stress}
spec:
  services:
    - name: sink
      command: [sleep, infinity]
      preload: false
      resources: {limits: {cpu: "2", memory: 1Gi}}
      terminationGracePeriodSeconds: 1
`,
)
const app = await loadApp(file)
if ('issues' in app) throw new Error(JSON.stringify(app.issues))
const server = await startRuntimeServer(app.resource, file, { stateless: true, hostPorts: 'ephemeral', faultDir: join(dir, 'pods') })
let seq = 0
try {
  await server.runtime.waitReady(30_000)
  const client = new InProcessRuntimeClient(server.runtime)
  const pod = server.runtime.pods().find((p) => p.service === 'sink')
  if (!pod?.cgroups?.length) {
    console.error(`bench/stress: the pod has no cgroup (${pod?.limits?.reason ?? 'cgroups not usable'}); nothing to measure`)
    process.exitCode = 2
  } else {
    const dirs = pod.cgroups
    const idleSecs = () => {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
      return (Number(f[4]) + Number(f[5])) / 100
    }
    const withStress = async (body, fn) => {
      const id = `bench-stress-${++seq}`
      await client.apply({ id, type: 'stress', target: { pod: pod.name }, body })
      try {
        return await fn()
      } finally {
        await client.remove(id)
      }
    }
    console.log(`StressChaos accuracy (stress-ng in the pod's cgroup; CPU read from ${cgroupCpuUsec(dirs).source}; ${RUNS} run(s), ${WINDOW_MS / 1000} s windows)`)

    for (const load of LOADS) {
      const ratios = []
      const idles = []
      for (let r = 0; r < RUNS; r++) {
        await withStress({ cpu: { workers: 1, load, options: [] } }, async () => {
          await sleep(1000) // stress-ng forks its worker and settles
          const a = cgroupCpuUsec(dirs).usec
          const i0 = idleSecs()
          const t0 = performance.now()
          await sleep(WINDOW_MS)
          const secs = (performance.now() - t0) / 1000
          const cores = (cgroupCpuUsec(dirs).usec - a) / (secs * 1e6)
          ratios.push(cores / (load / 100))
          idles.push((idleSecs() - i0) / secs)
        })
      }
      const ratio = median(ratios)
      console.log(`cpu  1 worker load ${String(load).padStart(3)}%: measured ${(ratio * load / 100).toFixed(3)} cores, ratio ${ratio.toFixed(3)} ${Math.abs(ratio - 1) <= 0.1 ? 'within 10%' : 'OFF by more than 10%'} (runs ${ratios.map((x) => x.toFixed(3)).join(' ')}; machine idle ${median(idles).toFixed(2)} cores)`)
    }

    for (const mib of SIZES_MIB) {
      const ratios = []
      for (let r = 0; r < RUNS; r++) {
        await sleep(500)
        const base = cgroupMemoryBytes(dirs)
        await withStress({ memory: { workers: 1, size: { bytes: mib * MiB }, oomScoreAdj: 0, options: [] } }, async () => {
          // until it stops growing: two readings 300 ms apart within 0.5%, past the size asked
          let last = 0
          for (let i = 0; i < 100; i++) {
            await sleep(300)
            const now = cgroupMemoryBytes(dirs) - base
            if (now >= mib * MiB * 0.9 && Math.abs(now - last) <= now * 0.005) break
            last = now
          }
          ratios.push((cgroupMemoryBytes(dirs) - base) / (mib * MiB))
        })
      }
      const ratio = median(ratios)
      console.log(`memory 1 worker ${String(mib).padStart(3)}MiB: rise ${(ratio * mib).toFixed(1)} MiB, ratio ${ratio.toFixed(3)} ${Math.abs(ratio - 1) <= 0.1 ? 'within 10%' : 'OFF by more than 10%'} (runs ${ratios.map((x) => x.toFixed(3)).join(' ')})`)
    }
  }
} finally {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}
