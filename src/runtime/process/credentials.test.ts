/** runAsUser / runAsGroup: names and ids looked up as the kubelet would, and the way to a data directory checked. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { blockedOnTheWay, resolveCredentials, setprivArgs } from './credentials.js'

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-creds-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') }
writeFileSync(files.passwd, 'root:x:0:0:root:/root:/bin/bash\npostgres:x:105:111:PostgreSQL:/var/lib/postgresql:/bin/bash\n')
writeFileSync(files.group, 'root:x:0:\npostgres:x:111:\nssl-cert:x:112:postgres\n')

it('takes names from /etc/passwd and /etc/group, ids as written, and the user\'s primary group when no group is given', () => {
  expect(resolveCredentials({ runAsUser: 'postgres' }, 0, files)).toEqual({ ok: true, credentials: { uid: 105, gid: 111, user: 'postgres' } })
  expect(resolveCredentials({ runAsUser: 105 }, 0, files)).toEqual({ ok: true, credentials: { uid: 105, gid: 111, user: 'postgres' } })
  expect(resolveCredentials({ runAsUser: '4242', runAsGroup: 'ssl-cert' }, 0, files)).toEqual({ ok: true, credentials: { uid: 4242, gid: 112 } })
  expect(resolveCredentials(undefined, 0, files)).toEqual({ ok: true, credentials: undefined })
})

it('says what is wrong: an unknown name, or a runtime that is not root', () => {
  expect(resolveCredentials({ runAsUser: 'nobody-here' }, 0, files)).toEqual({ ok: false, message: `runAsUser: no user named "nobody-here" in ${files.passwd}` })
  expect(resolveCredentials({ runAsGroup: 'wheel' }, 0, files)).toEqual({ ok: false, message: `runAsGroup: no group named "wheel" in ${files.group}` })
  expect(resolveCredentials({ runAsUser: 'postgres' }, 1000, files)).toEqual({ ok: false, message: 'cannot run as user postgres: the runtime does not run as root' })
  // its own user needs no change, and an unprivileged setpriv could not set groups: nothing is done
  expect(resolveCredentials({ runAsUser: 1000 }, 1000, files)).toEqual({ ok: true, credentials: undefined })
})

it('setpriv keeps a named user\'s groups and clears root\'s for a bare id', () => {
  expect(setprivArgs({ uid: 105, gid: 111, user: 'postgres' })).toEqual(['--reuid=105', '--regid=111', '--init-groups'])
  expect(setprivArgs({ uid: 4242, gid: 112 })).toEqual(['--reuid=4242', '--regid=112', '--clear-groups'])
})

it('finds the directory on the way that the user may not enter', () => {
  const modes: Record<string, { mode: number; uid: number; gid: number }> = {
    '/': { mode: 0o755, uid: 0, gid: 0 },
    '/root': { mode: 0o700, uid: 0, gid: 0 },
    '/srv': { mode: 0o750, uid: 0, gid: 112 },
    '/srv/pg': { mode: 0o700, uid: 105, gid: 111 },
  }
  const stat = (p: string) => {
    const m = modes[p]
    if (!m) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' })
    return m
  }
  const pg = { uid: 105, gid: 111, user: 'postgres' }
  expect(blockedOnTheWay('/root/.chaoscope/data', pg, stat, files.group)).toEqual({ dir: '/root', mode: '0700' })
  expect(blockedOnTheWay('/srv/pg/data', pg, stat, files.group)).toBeUndefined() // through ssl-cert, then its own
  expect(blockedOnTheWay('/srv/pg', { uid: 4242 }, stat, files.group)).toEqual({ dir: '/srv', mode: '0750' })
  expect(blockedOnTheWay('/root/x', { uid: 0 }, stat, files.group)).toBeUndefined()
})
