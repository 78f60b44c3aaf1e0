/** cgroup detection from /proc (fake trees) and Kubernetes quantities. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { detectCgroups, parseQuantity } from './cgroup.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fake /proc/self with the given mountinfo and cgroup lines. */
function fakeProc(mountinfo: string[], cgroup: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'chaoscope-proc-'))
  dirs.push(root)
  mkdirSync(join(root, 'self'))
  writeFileSync(join(root, 'self/mountinfo'), `${mountinfo.join('\n')}\n`)
  writeFileSync(join(root, 'self/cgroup'), `${cgroup.join('\n')}\n`)
  return root
}

it.each([
  ['500m', 0.5], ['2', 2], ['1.5', 1.5], ['64Mi', 64 * 1024 * 1024], ['1G', 1e9], ['128k', 128_000], ['1Gi', 1024 ** 3],
])('parseQuantity(%s) = %d', (q, n) => {
  expect(parseQuantity(q)).toBe(n)
})

it('parseQuantity rejects what is not a quantity', () => {
  expect(parseQuantity('lots')).toBeUndefined()
  expect(parseQuantity('5 Mi')).toBeUndefined()
})

it('is not usable when not running as root', () => {
  expect(detectCgroups({ uid: 1000 })).toEqual({ usable: false, reason: 'not running as root' })
})

it('is not usable without a cgroup filesystem', () => {
  const proc = fakeProc(['22 1 0:20 / /proc rw - proc proc rw'], ['0::/'])
  expect(detectCgroups({ procRoot: proc, uid: 0 })).toEqual({ usable: false, reason: 'no cgroup filesystem is mounted' })
})

it('prefers v2 when its hierarchy has memory and cpu', () => {
  const fs = mkdtempSync(join(tmpdir(), 'chaoscope-cgfs-'))
  dirs.push(fs)
  mkdirSync(join(fs, 'app.slice'))
  writeFileSync(join(fs, 'app.slice/cgroup.controllers'), 'cpuset cpu io memory pids\n')
  const proc = fakeProc([`30 1 0:26 / ${fs} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`], ['0::/app.slice'])
  expect(detectCgroups({ procRoot: proc, uid: 0 })).toEqual({ usable: true, version: 2, root: fs, own: '/app.slice' })
})

it('falls back to v1 memory and cpu hierarchies (hybrid layout), nested under this process\'s own cgroups', () => {
  const fs = mkdtempSync(join(tmpdir(), 'chaoscope-cgfs-'))
  dirs.push(fs)
  mkdirSync(join(fs, 'unified'))
  writeFileSync(join(fs, 'unified/cgroup.controllers'), 'hugetlb\n')
  mkdirSync(join(fs, 'memory/job/42'), { recursive: true })
  mkdirSync(join(fs, 'cpu'))
  const proc = fakeProc([
    `31 1 0:27 / ${fs}/unified rw - cgroup2 cgroup2 rw`,
    `32 1 0:28 / ${fs}/memory rw - cgroup cgroup rw,memory`,
    `33 1 0:29 / ${fs}/cpu rw - cgroup cgroup rw,cpu`,
  ], ['4:memory:/job/42', '1:cpu:/', '0::/'])
  expect(detectCgroups({ procRoot: proc, uid: 0 })).toEqual({
    usable: true, version: 1, memory: { root: `${fs}/memory`, own: '/job/42' }, cpu: { root: `${fs}/cpu`, own: '/' },
  })
})

it('says why v2 without controllers and no v1 hierarchies is not usable', () => {
  const fs = mkdtempSync(join(tmpdir(), 'chaoscope-cgfs-'))
  dirs.push(fs)
  writeFileSync(join(fs, 'cgroup.controllers'), 'pids\n')
  const proc = fakeProc([`30 1 0:26 / ${fs} rw - cgroup2 cgroup2 rw`], ['0::/'])
  const r = detectCgroups({ procRoot: proc, uid: 0 })
  expect(r.usable).toBe(false)
  expect(!r.usable && r.reason).toMatch(/without the memory and cpu controllers/)
})
