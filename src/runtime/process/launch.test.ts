/** Finding the executable before spawning, and the exec chain around it. */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { launchPlan, resolveExecutable } from './launch.js'

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-launch-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(join(dir, 'tool'), '#!/bin/sh\n')
chmodSync(join(dir, 'tool'), 0o755)
writeFileSync(join(dir, 'data'), '')

it('resolves bare names on the pod PATH and relative paths against the working directory', () => {
  expect(resolveExecutable('tool', `/nonexistent:${dir}`, '/')).toEqual({ ok: true, path: join(dir, 'tool') })
  expect(resolveExecutable('./tool', undefined, dir)).toEqual({ ok: true, path: join(dir, 'tool') })
})

it('explains what is wrong', () => {
  expect(resolveExecutable('tool', '/nonexistent', dir)).toEqual({ ok: false, message: 'executable "tool" not found in $PATH' })
  expect(resolveExecutable('./nope', undefined, dir)).toEqual({ ok: false, message: 'cannot run "./nope": no such file or directory' })
  expect(resolveExecutable('./data', undefined, dir)).toEqual({ ok: false, message: `cannot run "./data": ${join(dir, 'data')} is not executable (permission denied)` })
})

it('puts setpriv and the cgroup join in front of the command, keeping its argv intact', () => {
  expect(launchPlan(['/bin/app', '--x'], undefined, [])).toEqual({ file: '/bin/app', args: ['--x'] })
  const p = launchPlan(['/bin/app', '$1'], '/usr/bin/setpriv', ['/cg/a/cgroup.procs', '/cg/b/cgroup.procs'])
  expect(p.file).toBe('/usr/bin/setpriv')
  expect(p.args.slice(0, 6)).toEqual(['--pdeathsig', 'KILL', '--', '/bin/sh', '-c', p.args[5]])
  expect(p.args.slice(6)).toEqual(['chaoscope-join', '2', '/cg/a/cgroup.procs', '/cg/b/cgroup.procs', '/bin/app', '$1'])
})

it('enters the pod\'s network namespace after the cgroup join, and drops to its user last, setting the parent-death signal again', () => {
  const p = launchPlan(['/bin/app'], '/usr/bin/setpriv', ['/cg/a/cgroup.procs'], {
    netns: { nsenter: '/usr/bin/nsenter', path: '/run/netns/chaoscope-1' },
    credentials: { setpriv: '/usr/bin/setpriv', args: ['--reuid=999', '--regid=999', '--init-groups'] },
  })
  const tail = p.args.slice(p.args.indexOf('/cg/a/cgroup.procs') + 1)
  expect(tail).toEqual(['/usr/bin/nsenter', '--net=/run/netns/chaoscope-1', '--', '/usr/bin/setpriv', '--reuid=999', '--regid=999', '--init-groups', '--pdeathsig', 'KILL', '--', '/bin/app'])
  // without the outer setpriv (no parent-death signal wanted), the inner one does not set it either
  const q = launchPlan(['/bin/app'], undefined, [], { credentials: { setpriv: '/usr/bin/setpriv', args: ['--reuid=1'] } })
  expect(q).toEqual({ file: '/usr/bin/setpriv', args: ['--reuid=1', '--', '/bin/app'] })
})
