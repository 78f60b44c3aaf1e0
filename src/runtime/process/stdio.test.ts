/** A pod's stdout and stderr are pipes a program can reopen by path, as in a container: /dev/stderr, /proc/self/fd/1. */
import { tmpdir } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { PodSupervisor } from './supervisor.js'

const supervisors: PodSupervisor[] = []
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll({ gracePeriodMs: 0 })))
})

async function logsOf(script: string, lines: number): Promise<string[]> {
  const sup = new PodSupervisor({ workingDir: tmpdir(), secondMs: 50 })
  supervisors.push(sup)
  const [pod] = await sup.start({ name: 'writer', command: ['/bin/sh', '-c', script], restartPolicy: 'Never' }, {})
  const deadline = Date.now() + 5000
  for (;;) {
    const got = sup.logs(pod!.name).lines(100).map((l) => `${l.stream}: ${l.text}`)
    if (got.length >= lines || Date.now() > deadline) return got
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('pod stdio', () => {
  it('a program that opens /dev/stderr and /dev/stdout by path writes to the pod log (nginx\'s error_log /dev/stderr)', async () => {
    const got = await logsOf('echo to-stderr > /dev/stderr && echo to-stdout > /dev/stdout && echo via-proc >> /proc/self/fd/2 && echo plain', 4)
    expect(got).toEqual(expect.arrayContaining(['stderr: to-stderr', 'stdout: to-stdout', 'stderr: via-proc', 'stdout: plain']))
  })

  it.skipIf(process.getuid?.() !== 0)('a process that is another user can still reopen them (a pod with runAsUser)', async () => {
    const got = await logsOf('setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c "id -u > /dev/stdout; echo denied-not >&2 > /dev/stderr"', 2)
    expect(got).toEqual(expect.arrayContaining(['stdout: 65534', 'stderr: denied-not']))
  })
})
