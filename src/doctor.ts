/** @module doctor: checks for the runtime and system packages chaoscope uses. Read-only. */
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface Check {
  name: string
  ok: boolean
  /** Without it, chaoscope does not run at all. */
  required: boolean
  detail: string
  neededFor: string
  fix: string
}

/** The first executable named `bin` on PATH. */
export function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, bin)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const ok = major > 20 || (major === 20 && minor >= 19)
  return {
    name: 'node', ok, required: true, detail: `Node.js ${process.versions.node}${ok ? '' : ' (need >= 20.19)'}`,
    neededFor: 'everything', fix: 'install Node.js 20.19 or newer',
  }
}

/** System tools, each with what needs it; `scripts/setup.sh` installs the ones the tests use. */
const TOOLS: { name: string; bin: string; neededFor: string; apt: string }[] = [
  { name: 'setpriv', bin: 'setpriv', neededFor: 'pods that die with the runtime even when it is killed (parent-death signal)', apt: 'util-linux' },
  { name: 'wrk', bin: 'wrk', neededFor: 'the sidecar benchmarks (bench/proxy.mjs)', apt: 'wrk' },
  { name: 'haproxy', bin: 'haproxy', neededFor: 'the sidecar benchmarks\' baseline (bench/proxy.mjs)', apt: 'haproxy' },
]

function cgroupCheck(): Check {
  const root = process.getuid?.() === 0
  const mounted = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/memory') || existsSync('/sys/fs/cgroup/cpu')
  const ok = root && mounted
  return {
    name: 'cgroups', ok, required: false,
    detail: ok ? 'cgroups mounted and writable as root: CPU and memory limits are enforced' : !root ? 'not running as root: limits are reported, not enforced' : 'no cgroup filesystem at /sys/fs/cgroup: limits are reported, not enforced',
    neededFor: 'enforcing services\' CPU and memory limits (and OOMKilled reasons)', fix: 'run chaoscope as root on a machine with cgroup v1 or v2 mounted at /sys/fs/cgroup',
  }
}

export function checkSystem(): Check[] {
  const checks = [nodeCheck(), cgroupCheck()]
  for (const t of TOOLS) {
    const path = which(t.bin)
    checks.push({
      name: t.name, ok: path !== undefined, required: false, detail: path ?? `${t.bin} not found on PATH`,
      neededFor: t.neededFor, fix: `apt-get install -y ${t.apt} (or run: npm run setup)`,
    })
  }
  return checks
}
