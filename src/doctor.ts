/**
 * @module doctor: checks for the runtime and system packages chaoscope uses. Each check asks the question the way the
 * runtime does, with the runtime's own functions: cgroup support through the supervisor's detection (plus one empty
 * pod cgroup created and removed, as the supervisor would for a pod), pod network namespaces through the runtime's
 * own probe (one namespace made and removed), tools found on PATH the way the launcher finds executables. So doctor never calls a limit enforced, or a tool present, where the runtime would not.
 */
import { join } from 'node:path'
import type { CgroupSupport } from './runtime/process/cgroup.js'
import { tryPodCgroup } from './runtime/process/cgroup.js'
import { findOnPath } from './runtime/process/launch.js'
import { faultLibrary } from './runtime/preload/library.js'
import { netnsSupport } from './runtime/netns.js'
import type { NetnsSupport } from './runtime/netns.js'
import { cgroupSupportFor, setprivFor } from './runtime/process/supervisor.js'
import { checkHome, stateDir } from './store/state-files.js'

export interface Check {
  name: string
  ok: boolean
  /** Without it, chaoscope does not run at all. */
  required: boolean
  detail: string
  neededFor: string
  fix: string
}

export interface CheckOptions {
  /** The cgroup support to report on (default: what the supervisor detects on this machine). */
  cgroups?: CgroupSupport
  /** Whether pods can have network namespaces (default: what the runtime finds on this machine). */
  netns?: NetnsSupport
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const ok = major > 20 || (major === 20 && minor >= 19)
  return {
    name: 'node', ok, required: true, detail: `Node.js ${process.versions.node}${ok ? '' : ' (need >= 20.19)'}`,
    neededFor: 'everything', fix: 'install Node.js 20.19 or newer',
  }
}

/** System tools, each with what needs it and how the runtime looks for it; `scripts/setup.sh` installs the ones the tests use. */
const TOOLS: { name: string; find: () => string | undefined; neededFor: string; apt: string }[] = [
  { name: 'setpriv', find: () => setprivFor(true), neededFor: 'pods that die with the runtime even when it is killed (parent-death signal)', apt: 'util-linux' },
  { name: 'wrk', find: () => findOnPath('wrk'), neededFor: 'the sidecar benchmarks (bench/proxy.mjs)', apt: 'wrk' },
  { name: 'haproxy', find: () => findOnPath('haproxy'), neededFor: 'the sidecar benchmarks\' baseline (bench/proxy.mjs)', apt: 'haproxy' },
  { name: 'promtool', find: () => findOnPath('promtool'), neededFor: 'checking `chaoscope prometheus-config` and deploy/prometheus (promtool check config, check rules, test rules); the Prometheus integration tests', apt: 'prometheus' },
  { name: 'chromium', find: () => findOnPath('chromium'), neededFor: 'the browser tests of the dashboard and the HTML reports (tests only: neither needs it to run)', apt: 'chromium' },
  { name: 'stress-ng', find: () => findOnPath('stress-ng'), neededFor: 'StressChaos on local pods (its CPU and memory stressors)', apt: 'stress-ng' },
  { name: 'cc', find: () => findOnPath(process.env.CC || 'cc'), neededFor: 'building the fault library that TimeChaos, IOChaos and DNSChaos act through (npm run build)', apt: 'gcc libc6-dev' },
]

/** The fault library preloaded into pods: built by `npm run build` from native/faults when a C compiler is there. */
function libraryCheck(): Check {
  const lib = faultLibrary()
  return {
    name: 'fault library', ok: 'path' in lib, required: false,
    detail: 'path' in lib ? lib.path : lib.missing,
    neededFor: 'TimeChaos, IOChaos and DNSChaos on local pods (without it they are refused)',
    fix: 'install a C compiler (apt-get install -y gcc libc6-dev, or npm run setup), then npm run build',
  }
}

function where(support: Extract<CgroupSupport, { usable: true }>): string {
  return support.version === 2 ? `cgroup v2 below ${join(support.root, support.own)}` : `cgroup v1 below ${join(support.memory.root, support.memory.own)} and ${join(support.cpu.root, support.cpu.own)}`
}

function cgroupCheck(support: CgroupSupport): Check {
  const refused = support.usable ? tryPodCgroup(support) : support.reason
  const ok = support.usable && refused === undefined
  return {
    name: 'cgroups', ok, required: false,
    detail: ok && support.usable ? `${where(support)}: CPU and memory limits are enforced` : `limits are reported, not enforced: ${refused}`,
    neededFor: 'enforcing services\' CPU and memory limits (and OOMKilled reasons)',
    fix: 'run chaoscope as root on a machine with cgroup v2 (memory and cpu controllers) or the cgroup v1 memory and cpu hierarchies mounted, in a cgroup of its own (e.g. under systemd-run --scope)',
  }
}

/** Pod network namespaces (`network: namespace`), asked as the runtime asks before it makes the first one. */
function netnsCheck(support: NetnsSupport): Check {
  return {
    name: 'netns', ok: support.usable, required: false,
    detail: support.usable
      ? `pods with network: namespace get a network namespace of their own (${support.ip}, ${support.nsenter})`
      : `pods with network: namespace share the host's network instead: ${support.reason}`,
    neededFor: 'a network namespace per pod (network: namespace): each pod on its service\'s own port, with nothing of it on the host\'s loopback: no connection chaoscope wires bypasses its faults',
    fix: 'run chaoscope as root (with CAP_SYS_ADMIN and CAP_NET_ADMIN, not in a restricted container), and apt-get install -y iproute2 util-linux',
  }
}

/** $CHAOSCOPE_HOME as the servers and the CLI check it: refused when others can write it or another user owns it. */
function homeCheck(): Check {
  const dir = stateDir()
  let problem: string | undefined
  try {
    checkHome(dir)
  } catch (e) {
    problem = (e as Error).message
  }
  return {
    name: 'state dir', ok: problem === undefined, required: true, detail: problem ?? `${dir} (only this user may write it; made 0711 when created: others may enter, never list)`,
    neededFor: 'keeping tokens, the database and where the servers listen away from other users', fix: `chmod 711 ${dir} (or point CHAOSCOPE_HOME at a directory of your own)`,
  }
}

export async function checkSystem(opts: CheckOptions = {}): Promise<Check[]> {
  const checks = [nodeCheck(), homeCheck(), cgroupCheck(opts.cgroups ?? cgroupSupportFor('auto'))]
  checks.push(netnsCheck(opts.netns ?? (await netnsSupport())))
  checks.push(libraryCheck())
  for (const t of TOOLS) {
    const path = t.find()
    checks.push({
      name: t.name, ok: path !== undefined, required: false, detail: path ?? `${t.name} not found on PATH`,
      neededFor: t.neededFor, fix: `apt-get install -y ${t.apt} (or run: npm run setup)`,
    })
  }
  return checks
}
