/**
 * Chaos Mesh's etcd/etcd-iochaos.yaml example — a Schedule of IOChaos (`@every 10m`, Forbid, historyLimit 5,
 * disk latency on half the file calls for 400 s) — on the movies demo, whose database reads and writes its file on
 * every request. Its selector and paths are pointed at the movies database (app: mongo, its data directory:
 * `volumePath: .` is the pod's $CHAOSCOPE_DATA_DIR, `path: '**\/*'` everything under it) instead of etcd's
 * /var/run/etcd; nothing else changes. The controller runs on a manual clock, so ten minutes pass at once; the
 * fault itself acts in real time on the real process. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Controller } from '../../src/engine/controller.js'
import { validateText } from '../../src/manifest/validate.js'
import type { RuntimeServer } from '../../src/index.js'
import { InProcessRuntimeClient } from '../../src/runtime/client.js'
import { startDemo } from '../demo.js'
import { ManualClock } from '../doubles/manual-clock.js'

const EXAMPLE = join(import.meta.dirname, '../../../shared/conformance/chaos-mesh/examples/etcd/etcd-iochaos.yaml')

async function ms(url: string, init?: RequestInit): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  await res.text()
  if (res.status >= 300) throw new Error(`${url}: ${res.status}`)
  return performance.now() - t0
}

async function meanMs(url: string, n = 12): Promise<number> {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ms(url)
  return sum / n
}

describe('etcd-iochaos.yaml (a Schedule of IOChaos) on the movies database', () => {
  let demo: RuntimeServer
  let dir: string
  beforeAll(async () => {
    demo = await startDemo('movies')
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-movies-schedule-'))
  }, 60_000)
  afterAll(async () => {
    await demo?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('ten minutes after it is applied it makes an IOChaos that slows the database file; deleting it recovers', async () => {
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace('app: etcd', 'app: mongo')
      .replace('path: /var/run/etcd/**/*', "path: '**/*'")
      .replace('volumePath: /var/run/etcd', 'volumePath: .')
    const parsed = validateText(text, 'etcd-iochaos.yaml')
    expect(parsed.issues).toEqual([])
    const clock = new ManualClock(Date.now())
    const ctl = Controller.open({ dbPath: join(dir, 'c.db'), runtime: new InProcessRuntimeClient(demo.runtime), clock, podWatchMs: 0 })
    await ctl.start()
    try {
      const api = `http://${demo.runtime.hostPortAddress('server-app') ?? demo.runtime.pods('app=server-app')[0]!.address!}`
      await ms(`${api}/movies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Metropolis', year: 1927 }) })
      const before = await meanMs(`${api}/movies`)

      await ctl.apply(parsed.resources[0]!)
      expect(ctl.list({ kind: 'IOChaos' })).toEqual([])
      clock.advance(10 * 60_000)
      await expect.poll(() => ctl.list({ kind: 'IOChaos' }).map((o) => o.status.experiment.containerRecords[0]?.phase), { timeout: 10_000, interval: 100 }).toEqual(['Injected'])
      const [io] = ctl.list({ kind: 'IOChaos' })
      expect(io!.metadata.name).toMatch(/^io-delay-example-[a-z0-9]{5}$/)
      expect(io!.metadata.labels).toEqual({ 'managed-by': 'io-delay-example' })
      expect(io!.spec).toMatchObject({ action: 'latency', delay: '100ms', percent: 50, duration: '400s' })
      const during = await meanMs(`${api}/movies`)
      expect(during - before).toBeGreaterThan(40) // half the file calls of each request 100 ms slower

      const { gone } = await ctl.delete('Schedule', 'default', 'io-delay-example')
      expect(gone).toBe(true)
      expect(ctl.list()).toEqual([])
      expect(await demo.runtime.effects()).toEqual([])
      expect(await meanMs(`${api}/movies`)).toBeLessThan(before + 30)
    } finally {
      await ctl.stop()
    }
  }, 60_000)
})
