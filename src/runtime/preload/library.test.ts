import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultApp } from '../../../test/doubles/test-app.js'
import type { FaultApp } from '../../../test/doubles/test-app.js'
import { readRules, rulesGeneration, writeRules, preparePodDir } from './controls.js'
import { LIBRARY_FILE } from './library.js'

describe('control directory', () => {
  it('a generation is never reused: rules, none, rules again give three distinct values', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'chaoscope-controls-')), 'pod')
    preparePodDir(dir, [{ address: '127.0.0.1', names: ['db', 'db.default'] }])
    expect(rulesGeneration(dir, 'io')).toBe(0)
    writeRules(dir, 'io', 'a\n')
    const first = rulesGeneration(dir, 'io')
    writeRules(dir, 'io', '')
    expect(rulesGeneration(dir, 'io')).toBe(0)
    writeRules(dir, 'io', 'b\n')
    expect(rulesGeneration(dir, 'io')).not.toBe(first)
    expect(rulesGeneration(dir, 'io')).not.toBe(0)
    expect(readRules(dir, 'io')).toBe('b\n')
    expect(rulesGeneration(dir, 'dns')).toBe(0)
    expect(readFileSync(join(dir, 'hosts'), 'utf8')).toBe('127.0.0.1 db db.default\n')
  })
})

const PROBE = `
import os, socket, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            web = socket.gethostbyname('web')
        except OSError as e:
            web = 'error ' + str(e)
        lines = [os.environ.get('CHAOSCOPE_FAULT_DIR', ''), os.environ.get('LD_PRELOAD', ''), os.environ.get('WEB_SERVICE_URL', ''), web]
        body = '\\n'.join(lines).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`

describe('pods and the fault library', () => {
  let app: FaultApp
  let staticExe: string | undefined
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-static-'))
    writeFileSync(join(dir, 's.c'), '#include <unistd.h>\nint main(void){ for(;;) pause(); }\n')
    try {
      execFileSync('cc', ['-static', '-o', join(dir, 'static'), join(dir, 's.c')], { stdio: 'ignore' })
      staticExe = join(dir, 'static')
    } catch {
      staticExe = undefined
    }
    app = await startFaultApp({
      files: { 'probe.py': PROBE },
      services: `    - name: py
      command: [python3, probe.py]
      port: 8000
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
      dependencies: [web]
    - name: plain
      command: [python3, probe.py]
      preload: false
      port: 8001
      readinessProbe: {tcpSocket: {}, periodSeconds: 1}
      terminationGracePeriodSeconds: 1
${staticExe ? `    - name: static\n      command: ["${staticExe}"]\n      terminationGracePeriodSeconds: 1\n` : ''}`,
    })
  }, 60_000)
  afterAll(() => app?.close())
  let faultRoot = ''

  it('a pod runs with the library loaded, finds its dependencies by name (WEB_SERVICE_URL, web → 127.0.0.1), and its control directory holds them', async () => {
    const pod = app.rt.pods().find((p) => p.service === 'py')!
    expect(pod.faultLibrary).toEqual({ loaded: true })
    const lib = app.rt.faultLibraryOf(pod.name)
    expect(lib.loaded).toBe(true)
    if (!lib.loaded) return
    expect(readFileSync(join(lib.dir, 'hosts'), 'utf8')).toBe('127.0.0.1 web.default.svc.cluster.local web.default.svc web.default web\n')
    const text = await (await fetch(`http://${pod.address}/`)).text()
    const webUrl = `http://web:${/:(\d+)$/.exec(text.split('\n')[2] ?? '')?.[1]}`
    expect(text.split('\n')).toEqual([lib.dir, LIBRARY_FILE, webUrl, '127.0.0.1'])
    // by name, the pod reaches its dependency through the same egress sidecar as by address
    expect(webUrl).toMatch(/^http:\/\/web:\d+$/)
  })

  it('preload: false and a static program are told apart from a loaded pod, with the reason', async () => {
    const plain = app.rt.pods().find((p) => p.service === 'plain')!
    expect(plain.faultLibrary).toEqual({ loaded: false, reason: expect.stringContaining('preload: false') })
    expect(app.rt.faultLibraryOf(plain.name)).toEqual({ loaded: false, reason: expect.stringContaining('preload: false') })
    if (!staticExe) return
    const st = app.rt.pods().find((p) => p.service === 'static')!
    expect(st.faultLibrary).toEqual({ loaded: false, reason: expect.stringContaining('statically linked') })
  })

  it('the control directory goes with the pod', async () => {
    const pod = app.rt.pods().find((p) => p.service === 'py')!
    const lib = app.rt.faultLibraryOf(pod.name)
    if (!lib.loaded) throw new Error('not loaded')
    await app.rt.supervisor.stopPod(pod.name, { replace: true, gracePeriodMs: 0 })
    const { existsSync } = await import('node:fs')
    const deadline = Date.now() + 10_000
    while (existsSync(lib.dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(existsSync(lib.dir)).toBe(false)
    await app.rt.waitReady(20_000)
    faultRoot = dirname(lib.dir)
  })

  it('and every control directory goes when the runtime stops', async () => {
    const { readdirSync } = await import('node:fs')
    expect(readdirSync(faultRoot).length).toBeGreaterThan(0)
    await app.rt.stop() // the App's own close() then removes its whole directory
    expect(readdirSync(faultRoot)).toEqual([])
  })
})
