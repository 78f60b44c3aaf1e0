/** A Workflow Task's container as a local process: real processes, their exit codes, output and process groups. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ChaosError } from '../errors.js'
import { describeTask, OUTPUT_CAP, runTask } from './task.js'

const dir = mkdtempSync(join(tmpdir(), 'chaoscope-task-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const allowed = { allowExec: true, timeoutMs: 10_000 }

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('runTask', () => {
  it("runs command + args without a shell and gives the exit code and output (Chaos Mesh's custom-task example)", async () => {
    expect(await runTask({ name: 'main', image: 'busybox', command: ['echo', 'branch-b'] }, allowed)).toEqual({ exitCode: 0, stdout: 'branch-b\n', stderr: '', timedOut: false })
    const r = await runTask({ command: ['sh', '-c'], args: ['echo out; echo err >&2; exit 3'] }, allowed)
    expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false })
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
    expect(await runTask({ command: ['no-such-command-here'] }, allowed)).toEqual({ exitCode: 127, stdout: '', stderr: 'no-such-command-here: command not found\n', timedOut: false })
    expect((await runTask({ command: ['true'], workingDir: join(dir, 'nope') }, allowed)).exitCode).toBe(127)
  })

  it('at the timeout the whole process group is stopped: the Task and what it started', async () => {
    const pidFile = join(dir, 'child.pid')
    const t0 = Date.now()
    const r = await runTask({ command: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`] }, { ...allowed, timeoutMs: 500 })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBe(128 + 15)
    const child = Number((await import('node:fs')).readFileSync(pidFile, 'utf8'))
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

  it('describeTask shows the command line and that the image is not used', () => {
    expect(describeTask({ image: 'curlimages/curl', command: ['curl', '-XPOST', '-d', 'k1=v1&k2=v2', 'https://example.com/posts'] })).toBe('curl -XPOST -d "k1=v1&k2=v2" https://example.com/posts (image curlimages/curl is not used: the command runs on this machine)')
  })
})
