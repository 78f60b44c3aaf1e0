/** A Workflow Task's container as a local process: real processes, their exit codes, output and process groups. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { describeTask, expandRefs, OUTPUT_CAP, runTask } from './task.js'

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-task-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const allowed = { allowExec: true, timeoutMs: 10_000 }

/** Running (a zombie waiting for init to reap it counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('runTask', () => {
  it("runs command + args without a shell and gives the exit code and output (Chaos Mesh's custom-task example)", async () => {
    expect(await runTask({ name: 'main', image: 'busybox', command: ['echo', 'branch-b'] }, allowed)).toEqual({ exitCode: 0, stdout: 'branch-b\n', stderr: '', log: 'branch-b\n', timedOut: false })
    const r = await runTask({ command: ['sh', '-c'], args: ['echo out; sleep 0.1; echo err >&2; sleep 0.1; echo more; exit 3'] }, allowed)
    // log holds both streams in order, as the Task pod's log does in Chaos Mesh (its branch expressions' stdout)
    expect(r).toEqual({ exitCode: 3, stdout: 'out\nmore\n', stderr: 'err\n', log: 'out\nerr\nmore\n', timedOut: false })
    // no shell: a * stays a *
    expect((await runTask({ command: ['echo', '*'] }, allowed)).stdout).toBe('*\n')
  })

  it('refuses without --allow-exec, before anything runs', () => {
    let e: unknown
    try {
      void runTask({ name: 'main', command: ['touch', join(dir, 'never')] }, { ...allowed, allowExec: false })
    } catch (x) {
      e = x
    }
    expect(e).toBeInstanceOf(ChaosError)
    expect((e as ChaosError).code).toBe('CONTROLLER_EXEC_REFUSED')
    expect((e as ChaosError).hint).toContain('--allow-exec')
  })

  it('env over PATH and HOME only; workingDir; a missing command is 127 as in a shell', async () => {
    process.env.CHAOSCOPE_TASK_SECRET = 'not-for-tasks'
    const r = await runTask({ command: ['sh', '-c', 'echo "$GREETING $CHAOSCOPE_TASK_SECRET"; pwd'], env: [{ name: 'GREETING', value: 'hello' }], workingDir: dir }, allowed)
    delete process.env.CHAOSCOPE_TASK_SECRET
    expect(r.stdout).toBe(`hello \n${dir}\n`)
    expect(await runTask({ command: ['no-such-command-here'] }, allowed)).toEqual({ exitCode: 127, stdout: '', stderr: 'no-such-command-here: command not found\n', log: 'no-such-command-here: command not found\n', timedOut: false })
    expect((await runTask({ command: ['true'], workingDir: join(dir, 'nope') }, allowed)).exitCode).toBe(127)
  })

  it('at the timeout the whole process group is stopped: the Task and what it started', async () => {
    const pidFile = join(dir, 'child.pid')
    const t0 = Date.now()
    const r = await runTask({ command: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`] }, { ...allowed, timeoutMs: 500 })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBe(128 + 15)
    const child = Number(readFileSync(pidFile, 'utf8'))
    await expect.poll(() => alive(child), { timeout: 3000 }).toBe(false)
  })

  it('a process that ignores SIGTERM is killed after the grace; an abort stops it too', async () => {
    const ac = new AbortController()
    const p = runTask({ command: ['sh', '-c', "trap '' TERM; sleep 30"] }, { ...allowed, signal: ac.signal })
    setTimeout(() => ac.abort(), 200)
    const r = await p
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBe(128 + 9)
  })

  it('keeps at most 1 MiB of output and says how much more there was', async () => {
    const r = await runTask({ command: ['sh', '-c', `head -c ${OUTPUT_CAP + 1000} /dev/zero | tr '\\0' x`] }, allowed)
    expect(r.exitCode).toBe(0)
    expect(r.stdout.startsWith('x'.repeat(OUTPUT_CAP))).toBe(true)
    expect(r.stdout.endsWith('\n[1000 more bytes not kept]')).toBe(true)
  })

  it('ends when the command exits, as a container does: what it left running in its group is killed', async () => {
    const pidFile = join(dir, 'left.pid')
    const t0 = Date.now()
    const r = await runTask({ command: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo done`] }, allowed)
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(r).toMatchObject({ exitCode: 0, stdout: 'done\n', timedOut: false })
    const left = Number(readFileSync(pidFile, 'utf8'))
    await expect.poll(() => alive(left), { timeout: 3000 }).toBe(false)
  })

  it('a descendant that left the group (setsid) and holds the output open does not hold the Task up', async () => {
    const pidFile = join(dir, 'escaped.pid')
    const t0 = Date.now()
    const r = await runTask({ command: ['sh', '-c', `setsid sh -c 'echo $$$$ > ${pidFile}; exec sleep 30' & sleep 0.2; echo done`] }, allowed)
    expect(Date.now() - t0).toBeLessThan(4000)
    expect(r).toMatchObject({ exitCode: 0, stdout: 'done\n', timedOut: false })
    // it escaped the group, so it is not killed: a known limit (a container's PID namespace would take it)
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL')
  })

  it('a timeout longer than a Node timer takes (24.8 days) does not fire at once', async () => {
    expect(await runTask({ command: ['sh', '-c', 'sleep 0.2'] }, { ...allowed, timeoutMs: 30 * 24 * 3600_000 })).toMatchObject({ exitCode: 0, timedOut: false })
  })

  it("$(NAME) in command, args and env values comes from the container's env, as in Kubernetes", async () => {
    const vars = new Map([['A', 'x'], ['B', 'y']])
    expect.soft(expandRefs('$(A)-$(B)', vars)).toBe('x-y')
    expect.soft(expandRefs('$$(A) $(C) $A $(B', vars)).toBe('$(A) $(C) $A $(B')
    // as in Kubernetes, $$ is one $ everywhere: a shell's $$ is written $$$$
    expect.soft(expandRefs('echo $$ $$$$', vars)).toBe('echo $ $$')
    const r = await runTask({ command: ['echo', '$(GREETING), $(WHO)!'], env: [{ name: 'WHO', value: 'world' }, { name: 'GREETING', value: 'hello $(WHO)' }] }, allowed)
    expect(r.stdout).toBe('hello world, world!\n')
  })

  it('describeTask shows the command line and that the image is not used', () => {
    expect(describeTask({ image: 'curlimages/curl', command: ['curl', '-XPOST', '-d', 'k1=v1&k2=v2', 'https://example.com/posts'] })).toBe('curl -XPOST -d "k1=v1&k2=v2" https://example.com/posts (image curlimages/curl is not used: the command runs on this machine)')
  })
})
