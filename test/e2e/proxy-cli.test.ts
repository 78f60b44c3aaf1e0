/**
 * `chaoscope proxy` from the built CLI: an App file's proxies and `--config`'s start with it, `get pods` lists them,
 * `chaoscope apply` slows one through a NetworkChaos, `down` stops it; bad input stops it before it listens, coded,
 * with exit 2 and nothing left behind.
 */
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, signalAndWait, waitOutput } from '../doubles/cli-process.js'
import type { CliProcess } from '../doubles/cli-process.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')

function roundTrip(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('ping'))
    s.setTimeout(5000, () => (s.destroy(), reject(new Error('timeout'))))
    s.once('data', () => {
      s.destroy()
      resolve(performance.now() - t0)
    })
    s.once('error', reject)
  })
}

describe('chaoscope proxy', () => {
  let dir: string
  let echo: Server
  let up = 0
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, CHAOSCOPE_HOME: join(dir, 'home') })
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(), encoding: 'utf8', timeout: 30_000 })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaoscope-proxy-cli-'))
    echo = net.createServer((s) => s.on('error', () => {}).pipe(s))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    up = (echo.address() as AddressInfo).port
  })

  afterAll(async () => {
    await new Promise((r) => echo.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  it('starts the proxies of -f and --config, which get pods lists and a NetworkChaos slows; down stops it', async () => {
    writeFileSync(join(dir, 'app.yaml'), `apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: data}
spec:
  proxies:
    - {name: cache, listen: "127.0.0.1:0", upstream: "127.0.0.1:${up}", labels: {tier: cache}}
`)
    writeFileSync(join(dir, 'toxiproxy.json'), JSON.stringify([{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up}` }]))
    let p: CliProcess | undefined
    try {
      p = launch(['proxy', '--port', '0', '-f', join(dir, 'app.yaml'), '--config', join(dir, 'toxiproxy.json')], env())
      const api = (await waitOutput(p, /Toxiproxy API on (http:\/\/[0-9.]+:\d+)/, 30_000))[1]!
      await waitOutput(p, /proxy db: listening on 127\.0\.0\.1:(\d+)/, 30_000)
      const proxies = (await (await fetch(`${api}/proxies`)).json()) as Record<string, { listen: string }>
      expect(Object.keys(proxies)).toEqual(['cache', 'db'])
      const pods = JSON.parse(cli('get', 'pods', '-o', 'json').stdout) as { items: { metadata: { name: string; labels: Record<string, string> } }[] }
      expect(pods.items.map((x) => [x.metadata.name, x.metadata.labels.app])).toEqual([['cache', 'cache'], ['db', 'db']])

      const port = Number(proxies.cache!.listen.split(':')[1])
      expect(await roundTrip(port)).toBeLessThan(150)
      writeFileSync(join(dir, 'slow.yaml'), `apiVersion: chaos-mesh.org/v1alpha1
kind: NetworkChaos
metadata: {name: slow-cache, namespace: default}
spec: {action: delay, mode: all, selector: {labelSelectors: {tier: cache}}, delay: {latency: 250ms}}
`)
      const applied = cli('apply', '-f', join(dir, 'slow.yaml'))
      expect(applied.status, applied.stderr).toBe(0)
      await expect.poll(() => roundTrip(port), { timeout: 10_000 }).toBeGreaterThanOrEqual(240)
      // the other proxy is not selected
      expect(await roundTrip(Number(proxies.db!.listen.split(':')[1]))).toBeLessThan(150)
      expect(cli('delete', '-f', join(dir, 'slow.yaml')).status).toBe(0)
      await expect.poll(() => roundTrip(port), { timeout: 10_000 }).toBeLessThan(150)

      // not spawnSync: `down` waits for the process to be gone, and only this (unblocked) loop reaps it
      await promisify(execFile)(process.execPath, [BIN, 'down'], { cwd: ROOT, env: env(), timeout: 30_000 })
      await expect.poll(() => p!.child.exitCode, { timeout: 20_000 }).toBe(0)
      await expect(roundTrip(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    } finally {
      await signalAndWait(p?.child, 'SIGKILL')
    }
  }, 90_000)

  it('refuses a config that is not Toxiproxy\'s, an entry without upstream, and an invalid App file, with exit 2 before anything listens', () => {
    writeFileSync(join(dir, 'bad.json'), '{"name": ')
    const notJson = cli('proxy', '--port', '0', '--config', join(dir, 'bad.json'))
    expect(notJson.status).toBe(2)
    expect(notJson.stderr).toMatch(/--config .*bad\.json: not JSON/)
    expect(notJson.stderr).not.toMatch(/\n\s+at /)

    writeFileSync(join(dir, 'partial.json'), JSON.stringify([{ name: 'a', upstream: `127.0.0.1:${up}` }, { name: 'b' }]))
    const partial = cli('proxy', '--port', '0', '--config', join(dir, 'partial.json'))
    expect(partial.status).toBe(2)
    expect(partial.stderr).toMatch(/missing required field: upstream at proxy 2/)

    writeFileSync(join(dir, 'bad-app.yaml'), 'apiVersion: chaoscope.dev/v1alpha1\nkind: App\nmetadata: {name: x}\nspec:\n  proxies:\n    - {name: a, listen: "127.0.0.1:0", upstream: "10.0.0.1:5432"}\n')
    const app = cli('proxy', '--port', '0', '-f', join(dir, 'bad-app.yaml'))
    expect(app.status).toBe(2)
    expect(app.stderr).toMatch(/bad-app\.yaml:6:\d+ +spec\.proxies\[0\]\.upstream: expected a loopback address/)
    // nothing is left running in that home
    const pods = cli('get', 'pods')
    expect(pods.status).not.toBe(0)
    expect(pods.stderr).toMatch(/RUNTIME_NOT_RUNNING|no local runtime/)
  }, 60_000)
})
