/**
 * `up --detach` as a script uses it: it returns 1 when pods are not ready within --timeout, naming each such pod
 * and its last exit, and leaves the runtime running so that `chaoscope logs` can say why (`down` stops it); once
 * ready, a tcp service's hostPort is printed as host:port and an http one's as a URL. The built CLI (`npm run build`).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')

const homes: string[] = []
afterEach(() => {
  for (const home of homes.splice(0)) {
    spawnSync(process.execPath, [BIN, 'down', '--timeout', '20'], { env: { ...process.env, CHAOSCOPE_HOME: home }, encoding: 'utf8', timeout: 30_000 })
    rmSync(home, { recursive: true, force: true })
  }
})

function setUp(app: string) {
  const home = mkdtempSync(join(tmpdir(), 'chaoscope-up-detach-'))
  homes.push(home)
  writeFileSync(join(home, 'app.yaml'), app)
  const env = { ...process.env, CHAOSCOPE_HOME: home }
  return (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: home, env, encoding: 'utf8', timeout: 60_000 })
}

describe('up --detach', () => {
  it('exits 1 past --timeout naming the pods that are not ready and their last exit; the runtime stays until down', () => {
    const cli = setUp(`apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: broken}
spec:
  services:
    - name: crashy
      command: [/bin/sh, -c, 'echo "config file /etc/crashy.conf: no such file" >&2; exit 3']
      port: 8080
      readinessProbe: {tcpSocket: {}}
    - name: fine
      command: [${JSON.stringify(process.execPath)}, -e, 'require("node:net").createServer().listen(process.env.PORT)']
      port: 8081
      hostPort: 30999
      protocol: tcp
`)
    const started = Date.now()
    const up = cli('up', '-f', 'app.yaml', '--detach', '--timeout', '3', '--host-ports', 'ephemeral')
    expect(up.status, up.stdout + up.stderr).toBe(1)
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(up.stderr).toMatch(/RUNTIME_NOT_READY/)
    expect(up.stderr).toMatch(/crashy-[a-z0-9]{5}/)
    expect(up.stderr).toMatch(/last exit: Error \(exit code 3\)/)
    expect(up.stderr).not.toMatch(/fine-[a-z0-9]{5}/)
    expect(up.stderr).toContain('chaoscope logs POD')
    // still running: its pods can be read
    const pods = cli('get', 'pods')
    expect(pods.status, pods.stderr).toBe(0)
    expect(pods.stdout).toMatch(/crashy-[a-z0-9]{5}/)
    const logs = cli('logs', /crashy-[a-z0-9]{5}/.exec(pods.stdout)![0])
    expect(logs.stdout).toContain('config file /etc/crashy.conf: no such file')
    const down = cli('down', '--timeout', '20')
    expect(down.status, down.stderr).toBe(0)
    expect(cli('get', 'pods').status).not.toBe(0)
  })

  it('prints a tcp service as host:port and an http one as a URL', () => {
    const server = (body: string) => `[${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(body)}]`
    const cli = setUp(`apiVersion: chaoscope.dev/v1alpha1
kind: App
metadata: {name: both}
spec:
  services:
    - name: cache
      command: ${server('require("node:net").createServer((s) => s.end()).listen(process.env.PORT)')}
      port: 6379
      hostPort: 30998
    - name: web
      command: ${server('require("node:http").createServer((q, r) => r.end("ok")).listen(process.env.PORT)')}
      port: 8080
      hostPort: 30997
      protocol: http
`)
    const up = cli('up', '-f', 'app.yaml', '--detach', '--timeout', '30', '--host-ports', 'ephemeral')
    expect(up.status, up.stdout + up.stderr).toBe(0)
    expect(up.stdout).toMatch(/^service cache: 127\.0\.0\.1:\d+$/m)
    expect(up.stdout).toMatch(/^service web: http:\/\/127\.0\.0\.1:\d+\/$/m)
  })
})
