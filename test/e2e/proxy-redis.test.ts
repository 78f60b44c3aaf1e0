/**
 * Proxy mode on software we did not write: a Redis that chaoscope does not run, behind a proxy made through
 * Toxiproxy's API. redis-cli sees the latency toxic in its round trips, limit_data cut a large reply short, a
 * disabled proxy refuse it, and a timeout toxic hold it; all gone after /reset. Skipped without redis-server,
 * except under CI (`bash scripts/setup.sh` installs it).
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalRuntime } from '../../src/runtime/local-runtime.js'
import { startToxiproxyApi } from '../../src/runtime/toxiproxy/api.js'
import type { ToxiproxyApi } from '../../src/runtime/toxiproxy/api.js'

const missing = !existsSync('/usr/bin/redis-server') || !existsSync('/usr/bin/redis-cli')
if (missing && process.env.CI) throw new Error('redis-server is not installed: run `bash scripts/setup.sh`')

const freePort = async (): Promise<number> => {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** redis-cli against host:port: its exit status, output, and the time it took. */
function redisCli(port: number, ...args: string[]): { status: number | null; out: string; ms: number } {
  const t0 = performance.now()
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim(), ms: performance.now() - t0 }
}

describe.skipIf(missing)('proxy mode in front of a Redis chaoscope does not run', () => {
  let redis: ChildProcess
  let redisPort = 0
  let rt: LocalRuntime
  let api: ToxiproxyApi
  let port = 0
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${api.url}${path}`, { method: 'POST', body: JSON.stringify(body) })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
    return (await res.json().catch(() => ({}))) as Record<string, unknown>
  }

  beforeAll(async () => {
    redisPort = await freePort()
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    while (redisCli(redisPort, 'PING').out !== 'PONG') {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${redisPort}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    rt = await LocalRuntime.start({ services: [] }, { appFile: join(tmpdir(), 'app.yaml') })
    api = await startToxiproxyApi(rt, { port: 0 })
    const p = await post('/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${redisPort}` })
    port = Number(String(p.listen).split(':')[1])
  }, 30_000)

  afterAll(async () => {
    await api?.close()
    await rt?.stop()
    redis?.kill('SIGKILL')
  })

  it('redis-cli through the proxy: latency added per reply, a large value cut by limit_data, refused while disabled, held by timeout', async () => {
    expect(redisCli(port, 'SET', 'k', 'v').out).toBe('OK')
    const fast = redisCli(port, 'GET', 'k')
    expect(fast.out).toBe('v')

    // a latency toxic of 300 ms on the replies: one command, one reply, about 300 ms more
    await post('/proxies/redis/toxics', { type: 'latency', attributes: { latency: 300 } })
    const slow = redisCli(port, 'GET', 'k')
    expect(slow.out).toBe('v')
    // the toxic holds the reply 300 ms, so the command takes at least that; against the fast one, a margin for a
    // loaded machine (starting redis-cli alone can take tens of milliseconds, more for the fast run than the slow)
    expect(slow.ms, `fast ${fast.ms} ms, slow ${slow.ms} ms`).toBeGreaterThanOrEqual(295)
    expect(slow.ms - fast.ms, `fast ${fast.ms} ms, slow ${slow.ms} ms`).toBeGreaterThan(200)
    await fetch(`${api.url}/proxies/redis/toxics/latency_downstream`, { method: 'DELETE' })

    // limit_data: the first 100 bytes of the replies pass, then the connection is closed
    expect(redisCli(port, 'SET', 'big', 'x'.repeat(10_000)).out).toBe('OK')
    await post('/proxies/redis/toxics', { type: 'limit_data', attributes: { bytes: 100 } })
    const cut = redisCli(port, 'GET', 'big')
    expect(cut.out).not.toContain('x'.repeat(10_000))
    expect(cut.out.length).toBeLessThan(10_000)
    await fetch(`${api.url}/proxies/redis/toxics/limit_data_downstream`, { method: 'DELETE' })
    expect(redisCli(port, 'STRLEN', 'big').out).toBe('10000')

    // disabled: connection refused; enabled again: the same port answers
    await post('/proxies/redis', { enabled: false })
    expect(redisCli(port, 'PING').out).toMatch(/Connection refused/)
    await post('/proxies/redis', { enabled: true })
    expect(redisCli(port, 'PING').out).toBe('PONG')

    // timeout 0 on the requests: redis never sees the command; /reset lets it through again
    await post('/proxies/redis/toxics', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } })
    const held = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], { encoding: 'utf8', timeout: 1000 })
    expect(held.error?.message ?? '').toMatch(/ETIMEDOUT/)
    const reset = await fetch(`${api.url}/reset`, { method: 'POST' })
    expect(reset.status).toBe(204)
    expect(redisCli(port, 'PING').out).toBe('PONG')
    expect(await rt.proxyFaults('redis')).toEqual([])
  }, 60_000)
})
