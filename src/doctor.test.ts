/** `chaoscope doctor` says what is missing and how to get it, and agrees with what the runtime does on this machine. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { checkSystem } from './doctor.js'
import type { Check } from './doctor.js'
import { detectCgroups } from './runtime/process/cgroup.js'
import type { CgroupSupport } from './runtime/process/cgroup.js'
import { PodSupervisor } from './runtime/process/supervisor.js'
import { LIBRARY_FILE } from './runtime/preload/library.js'
import { netnsSupport } from './runtime/netns.js'
import type { PodLimits } from './runtime/process/types.js'

const PATH = process.env.PATH
const dirs: string[] = []
afterEach(() => {
  process.env.PATH = PATH
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const check = async (name: string, checks?: Check[] | Promise<Check[]>): Promise<Check> => (await (checks ?? checkSystem())).find((c) => c.name === name)!

/** What a real supervisor reports for a pod with limits, under the given cgroup option. */
async function podLimits(cgroups?: CgroupSupport): Promise<PodLimits> {
  const sup = new PodSupervisor({ watchdog: false, dataDir: '/var/empty/chaoscope-doctor', ...(cgroups ? { cgroups } : {}) })
  try {
    const [pod] = await sup.start({ name: 'limited', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], resources: { limits: { cpu: '250m', memory: '64Mi' } } })
    return (await sup.waitFor(pod!.name, (p) => p.pid !== undefined)).limits!
  } finally {
    await sup.stopAll({ gracePeriodMs: 0 })
  }
}

it('the cgroup line agrees with the supervisor on this machine: enforced exactly when a pod\'s limits are', async () => {
  const line = await check('cgroups')
  const limits = await podLimits()
  expect(line.ok).toBe(limits.enforced)
  const detected = detectCgroups()
  if (!detected.usable) expect(line.detail).toBe(`limits are reported, not enforced: ${detected.reason}`)
  if (!limits.enforced) expect(line.detail).toBe(`limits are reported, not enforced: ${limits.reason}`)
  else expect(line.detail).toMatch(/^cgroup v[12] below .+: CPU and memory limits are enforced$/)
})

it('with no cgroups detected, it says limits are not enforced and why, in the supervisor\'s words', async () => {
  const none: CgroupSupport = { usable: false, reason: 'not running as root' }
  const line = await check('cgroups', checkSystem({ cgroups: none }))
  expect(line).toMatchObject({ ok: false, required: false, detail: 'limits are reported, not enforced: not running as root' })
  expect(line.fix).toMatch(/run chaoscope as root/)
  expect(await podLimits(none)).toEqual({ cpu: '250m', memory: '64Mi', enforced: false, reason: 'not running as root' })
})

it('when detection allows cgroups but the kernel refuses a pod cgroup, it does not call limits enforced (nor does the runtime)', async () => {
  const refused = { root: '/proc/self', own: '/no-cgroups-here' }
  const support: CgroupSupport = { usable: true, version: 1, memory: refused, cpu: refused }
  const line = await check('cgroups', checkSystem({ cgroups: support }))
  const limits = await podLimits(support)
  expect(limits.enforced).toBe(false)
  expect(line).toMatchObject({ ok: false, detail: `limits are reported, not enforced: ${limits.reason}` })
  expect(line.detail).toMatch(/ENOENT/)
})

it('reports a missing tool with what needs it and the apt package that brings it', async () => {
  process.env.PATH = '/nonexistent'
  const setpriv = await check('setpriv')
  expect(setpriv).toMatchObject({ ok: false, required: false, detail: 'setpriv not found on PATH' })
  expect(setpriv.fix).toContain('apt-get install -y util-linux')
  expect(setpriv.neededFor).toMatch(/die with the runtime/)
  expect(await check('node')).toMatchObject({ ok: true, required: true })
})

it('finds tools as the launcher does: an executable regular file counts, a directory or a file without x does not', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'chaoscope-doctor-'))
  dirs.push(bin)
  mkdirSync(join(bin, 'setpriv'))
  writeFileSync(join(bin, 'wrk'), '#!/bin/sh\n')
  writeFileSync(join(bin, 'haproxy'), '#!/bin/sh\n')
  chmodSync(join(bin, 'haproxy'), 0o755)
  process.env.PATH = bin
  const checks = await checkSystem()
  expect((await check('setpriv', checks)).ok).toBe(false)
  expect((await check('wrk', checks)).ok).toBe(false)
  expect(await check('haproxy', checks)).toMatchObject({ ok: true, detail: join(bin, 'haproxy') })
})

it('the fault library line agrees with what the runtime preloads into pods', async () => {
  const line = await check('fault library')
  expect(line.ok).toBe(existsSync(LIBRARY_FILE))
  expect(line.detail).toBe(line.ok ? realpathSync(LIBRARY_FILE) : expect.stringContaining('is not built'))
})

it('the state dir line is required, and fails on a home others can write, as the servers and the CLI refuse it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-doctor-home-'))
  dirs.push(home)
  const before = process.env.CHAOSCOPE_HOME
  process.env.CHAOSCOPE_HOME = home
  try {
    expect(await check('state dir')).toMatchObject({ ok: true, required: true })
    chmodSync(home, 0o777)
    const line = await check('state dir')
    expect(line).toMatchObject({ ok: false, required: true, fix: `chmod 711 ${home} (or point CHAOSCOPE_HOME at a directory of your own)` })
    expect(line.detail).toContain(home)
  } finally {
    if (before === undefined) delete process.env.CHAOSCOPE_HOME
    else process.env.CHAOSCOPE_HOME = before
  }
})

it('the netns line agrees with what the runtime finds: namespaces per pod, or why pods share the host\'s network', async () => {
  const support = await netnsSupport()
  const line = await check('netns')
  expect(line).toMatchObject({ ok: support.usable, required: false })
  if (!support.usable) expect(line.detail).toBe(`pods with network: namespace share the host's network instead: ${support.reason}`)
  const refused = await check('netns', checkSystem({ netns: { usable: false, reason: 'the runtime does not run as root' } }))
  expect(refused).toMatchObject({ ok: false, detail: "pods with network: namespace share the host's network instead: the runtime does not run as root" })
  expect(refused.fix).toMatch(/run chaoscope as root/)
  expect(refused.fix).toContain('apt-get install -y iproute2 util-linux')
})
