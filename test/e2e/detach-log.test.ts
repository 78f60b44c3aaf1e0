/**
 * `up --detach` writes the runtime's log to $CHAOSCOPE_HOME/runtime.log and keeps it to --log-max-size: past it
 * the log is copied to runtime.log.1 (older copies shifted, at most --log-max-files kept) and started again, the
 * runtime writing on through the same descriptors; the last run's log is moved aside at start. The built CLI,
 * the chain demo, and pod kills (each adds the pods' state lines to the log) until two rotations happened.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const MAX = 1024

const homes: string[] = []
afterEach(() => {
  for (const home of homes.splice(0)) {
    spawnSync(process.execPath, [BIN, 'down', '--timeout', '20'], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: home }, encoding: 'utf8', timeout: 30_000 })
    rmSync(home, { recursive: true, force: true })
  }
})

const killAll = (name: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: ${name}}
spec: {action: pod-kill, mode: all, selector: {namespaces: [default]}}
`

describe('up --detach log rotation', () => {
  it('rotates runtime.log past --log-max-size, keeps --log-max-files copies, and the runtime logs on', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-detach-log-'))
    homes.push(home)
    const env = { ...process.env, CHAOSCOPE_HOME: home }
    const cli = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : {}) })
    const log = join(home, 'runtime.log')
    writeFileSync(log, 'the last run\n')

    const up = cli(['up', '-f', 'demo/chain/app.yaml', '--detach', '--host-ports', 'ephemeral', '--log-max-size', String(MAX), '--log-max-files', '2'])
    expect(up.status, up.stderr).toBe(0)
    expect(up.stdout).toContain('ready: 3 pod(s)')
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('the last run\n')
    expect(readFileSync(log, 'utf8')).toMatch(/^runtime chain \(pid \d+\): control API /)

    const text = () => [`${log}.3`, `${log}.2`, `${log}.1`, log].filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('')
    const deadline = Date.now() + 60_000
    for (let i = 0; text().includes('the last run') || !existsSync(`${log}.2`); i++) {
      if (i >= 30 || Date.now() > deadline) throw new Error(`no second rotation after ${i} pod kills:\n${text()}`)
      const before = text().length
      const applied = cli(['apply', '-f', '-'], killAll(`kill-${i}`))
      expect(applied.status, applied.stderr).toBe(0)
      // the pods' new state lines reach the log (or a rotation moved it)
      for (const until = Date.now() + 10_000; Date.now() < until && text().length === before; ) await new Promise((r) => setTimeout(r, 50))
    }
    expect(existsSync(`${log}.3`)).toBe(false)
    for (const f of [`${log}.1`, `${log}.2`]) {
      const size = statSync(f).size
      expect(size).toBeGreaterThan(MAX)
      expect(size).toBeLessThan(MAX + 400) // rotated at the first write past the limit
      expect(readFileSync(f, 'utf8')).toMatch(/\n$/)
    }
    expect(statSync(log).size).toBeLessThan(MAX + 400)

    const down = cli(['down'])
    expect(down.status, down.stderr).toBe(0)
    expect(text()).toMatch(/stopping \(chaoscope down\)\.\.\.\n(.*\n)*stopped\n$/) // written through the same descriptors after rotations
    homes.splice(homes.indexOf(home), 1)
    rmSync(home, { recursive: true, force: true })
  }, 120_000)
})
