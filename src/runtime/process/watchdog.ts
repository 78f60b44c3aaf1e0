/**
 * @module runtime/process/watchdog: a tiny separate process that kills every pod when the runtime dies, however it dies.
 *
 *   runtime (supervisor) ──stdin pipe──▶ watchdog (own session, no parent-death signal)
 *      add {key, pgid, cgroups}            remembers the pod
 *      del {key}                           forgets it (the supervisor already stopped it)
 *      pipe closes (runtime exited, even by SIGKILL)
 *                                        ▶ SIGKILL every remembered process group and cgroup, remove the cgroups, exit
 *
 * The pods also carry a parent-death signal (setpriv --pdeathsig KILL), which covers each pod's main process even if
 * the watchdog is gone; the watchdog covers their descendants.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

/** The watchdog program, run with `node -e` so it needs no file on disk (and works from sources and from dist alike). */
export const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs')
const path = require('node:path')
const pods = new Map()
const parents = new Set()
let buf = ''
function killCgroup(dir) {
  try { fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1'); return } catch {}
  for (let round = 0; round < 3; round++) {
    let pids = []
    try { pids = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number) } catch {}
    if (pids.length === 0) return
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} }
  }
}
let reaping = false
function reap() {
  if (reaping) return
  reaping = true
  for (const p of pods.values()) { try { process.kill(-p.pgid, 'SIGKILL') } catch {} }
  for (const p of pods.values()) for (const d of p.cgroups) killCgroup(d)
  let tries = 0
  const sweep = () => {
    let left = 0
    for (const p of pods.values()) {
      try { process.kill(-p.pgid, 'SIGKILL') } catch {}
      for (const d of p.cgroups) {
        if (!fs.existsSync(d)) continue
        killCgroup(d)
        try { fs.rmdirSync(d) } catch { left++ }
      }
    }
    if (left > 0 && ++tries < 100) { setTimeout(sweep, 20); return }
    for (const d of parents) { try { fs.rmdirSync(d) } catch {} }
    process.exit(0)
  }
  sweep()
}
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  buf += chunk
  let nl
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl)
    buf = buf.slice(nl + 1)
    let m
    try { m = JSON.parse(line) } catch { continue }
    if (m.op === 'add') { pods.set(m.key, { pgid: m.pgid, cgroups: m.cgroups || [] }); for (const d of m.parents || []) parents.add(d) }
    else if (m.op === 'del') pods.delete(m.key)
  }
})
process.stdin.on('end', reap)
process.stdin.on('error', reap)
process.on('SIGTERM', reap)
process.on('SIGINT', reap)
process.on('SIGHUP', reap)
process.stdout.write('ready\n')
`

export interface WatchdogEntry {
  pgid: number
  cgroups: string[]
  /** Directories to try to remove at the end, once empty (the cgroups' `chaoscope` parents). */
  parents?: string[]
}

/**
 * The supervisor's side of the watchdog. Keeps the table of live pods, so a watchdog that died (it should not) is
 * started again and told everything. Never throws: without a watchdog, pods still have their parent-death signal.
 */
export class Watchdog {
  private child: ChildProcess | undefined
  private readonly entries = new Map<string, WatchdogEntry>()
  private closed = false
  /** Resolves once the watchdog has started and can be relied on (or failed to start). */
  ready: Promise<boolean>
  /** Why the watchdog is not running, when it is not. */
  problem: string | undefined

  constructor(private readonly nodePath: string = process.execPath) {
    this.ready = this.start()
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  private start(): Promise<boolean> {
    return new Promise((resolve) => {
      let child: ChildProcess
      try {
        child = spawn(this.nodePath, ['-e', WATCHDOG_SOURCE], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] })
      } catch (e) {
        this.problem = `cannot start the watchdog: ${(e as Error).message}`
        resolve(false)
        return
      }
      this.child = child
      child.on('error', (e) => {
        this.problem = `watchdog: ${e.message}`
        resolve(false)
      })
      child.stdin!.on('error', () => {})
      // stdout stays referenced until the watchdog says it is ready, so waiting for `ready` keeps this process alive
      child.stdout!.once('data', () => {
        ;(child.stdout as unknown as { unref?: () => void }).unref?.()
        resolve(true)
      })
      child.on('exit', () => {
        resolve(false)
        if (this.child !== child) return
        this.child = undefined
        if (!this.closed) {
          this.problem = 'the watchdog exited; started a new one'
          this.ready = this.start()
        }
      })
      child.unref()
      ;(child.stdin as unknown as { unref?: () => void }).unref?.()
      for (const [key, e] of this.entries) this.send({ op: 'add', key, ...e })
    })
  }

  private send(msg: object): void {
    const stdin = this.child?.stdin
    if (!stdin || stdin.destroyed) return
    stdin.write(`${JSON.stringify(msg)}\n`)
  }

  add(key: string, entry: WatchdogEntry): void {
    this.entries.set(key, entry)
    this.send({ op: 'add', key, ...entry })
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.send({ op: 'del', key })
  }

  /** Ends the watchdog: it reaps whatever is still registered (normally nothing) and exits. */
  close(): void {
    this.closed = true
    this.child?.stdin?.end()
  }
}
