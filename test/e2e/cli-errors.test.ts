/**
 * What a user who mistypes gets from the built binary: a coded error on stderr with a hint, never a stack trace,
 * and the exit code `--help` promises (0 ok, 1 failed, 2 usage or validation). Success lines go to stdout.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pidAlive } from '../../src/store/state-files.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')

function chaoscope(args: string[], opts: { home?: string; input?: string } = {}) {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: home }, encoding: 'utf8', input: opts.input ?? '', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, home }
}
const NO_STACK = /^\s+at .*:\d+:\d+\)?$/m

describe('usage errors', () => {
  it.each([
    [['get', 'pods', '--bogus'], "error: unknown option '--bogus'  [CLI_USAGE]\n    hint: see `chaoscope get --help`\n"],
    [['frobnicate'], "error: unknown command 'frobnicate'  [CLI_USAGE]\n    hint: see `chaoscope --help`\n"],
    [['down', '--timeout', 'abc'], 'error: --timeout expects a whole number of seconds above 0, got "abc"  [CLI_USAGE]\n'],
    [['delete', 'networkchaos', 'x', '--timeout', '-3'], 'error: --timeout expects a whole number of seconds above 0, got "-3"  [CLI_USAGE]\n'],
    [['logs', 'web-abcde', '--tail', 'ten'], 'error: --tail expects a whole number of lines, got "ten"  [CLI_USAGE]\n'],
    [['up', '-f', 'demo/chain/app.yaml', '--control-port', '99999'], 'error: --control-port expects a port from 0 to 65535 (0: any free port), got "99999"  [CLI_USAGE]\n'],
    [['server', '--port', 'http'], 'error: --port expects a port from 0 to 65535 (0: any free port), got "http"  [CLI_USAGE]\n'],
    [['validate', '-f', 'x.yaml', '-o', 'xml'], "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are text, json.  [CLI_USAGE]\n    hint: see `chaoscope validate --help`\n"],
    [['up'], "error: required option '-f, --filename <file>' not specified  [CLI_USAGE]\n    hint: see `chaoscope up --help`\n"],
  ])('chaoscope %j', (args, stderr) => {
    const r = chaoscope(args)
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', stderr])
  })

  it('a bad label selector is SELECTOR_INVALID (exit 2) before any server is asked', () => {
    const r = chaoscope(['get', 'networkchaos', '-l', 'app in (web'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: .*"app in \(web".*\[SELECTOR_INVALID\]\n {4}hint: /)
  })

  it('chaoscope alone prints its help on stderr and exits 2; --help prints it on stdout with the exit codes', () => {
    const alone = chaoscope([])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain('Usage: chaoscope')
    const help = chaoscope(['--help'])
    expect([help.code, help.stderr]).toEqual([0, ''])
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 failed (refused by the controller, not running, timed out), 2 usage or validation error.')
  })
})

describe('errors while running', () => {
  it('nothing running: get pods, logs, down and get exit 1 with a coded error', () => {
    for (const args of [['get', 'pods'], ['logs', 'web-abcde'], ['down']]) {
      const r = chaoscope(args)
      expect([r.code, r.stdout], args.join(' ')).toEqual([1, ''])
      expect(r.stderr).toMatch(/^error: no local runtime is running .*\[RUNTIME_NOT_RUNNING\]\n {4}hint: start one with `chaoscope up -f app.yaml`\n$/)
    }
    const get = chaoscope(['get', 'networkchaos'])
    expect(get.code).toBe(1)
    expect(get.stderr).toContain('[API_CONTROLLER_NOT_RUNNING]')
  })

  it('apply takes the --max-file-size its error hints at, and refuses a larger file (exit 2) before asking a controller', () => {
    const r = chaoscope(['apply', '-f', 'examples/chain-partition.yaml', '--max-file-size', '10'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/chain-partition\.yaml:1:1 {2}file is \d+ bytes, over the limit of 10 bytes {2}\[SPEC_FILE_TOO_LARGE\]/)
    expect(r.stderr).not.toMatch(NO_STACK)
  })

  it('a control port in use: up fails with a coded error (exit 1), stops what it started and leaves no state file', async () => {
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    try {
      const r = chaoscope(['up', '-f', 'demo/chain/app.yaml', '--host-ports', 'ephemeral', '--control-port', String((busy.address() as AddressInfo).port)])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^error: .*:\d+.*\[[A-Z_]+\]\n/m)
      expect(r.stderr).not.toMatch(NO_STACK)
      expect(existsSync(join(r.home, 'runtime.json'))).toBe(false)
      expect(existsSync(join(r.home, 'controller.json'))).toBe(false)
    } finally {
      busy.close()
    }
  }, 60_000)

  it('validate: the summary of a valid run is a success line on stdout; problems go to stderr', () => {
    const ok = chaoscope(['validate', '-f', 'examples/chain-partition.yaml'])
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, 'ok: 1 document(s) in 1 file(s): 1 valid, 0 skipped, 0 problem(s)\n', ''])
  })
})

describe('Ctrl-C while up is still starting', () => {
  /** An app whose pod never gets ready: its process runs but its readiness probe never answers. */
  function slowApp(): string {
    const dir = mkdtempSync(join(tmpdir(), 'chaoscope-slow-'))
    writeFileSync(join(dir, 'app.yaml'), [
      'apiVersion: chaoscope.dev/v1alpha1', 'kind: App', 'metadata: {name: slow}', 'spec:', '  services:',
      '    - name: sleeper', '      command: ["node", "-e", "setInterval(() => {}, 1000)"]', '      port: 8000', '      protocol: http',
      '      readinessProbe: {httpGet: {path: /healthz}, periodSeconds: 1}', '',
    ].join('\n'))
    return join(dir, 'app.yaml')
  }

  async function upUntil(home: string, file: string, seen: RegExp) {
    const up = spawn(process.execPath, [BIN, 'up', '-f', file, '--host-ports', 'ephemeral', '--timeout', '60'], { cwd: ROOT, env: { ...process.env, CHAOSCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    up.stdout.on('data', (d: Buffer) => (out += d.toString()))
    up.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)))
    const deadline = Date.now() + 30_000
    while (!seen.test(out)) {
      if (Date.now() > deadline || up.exitCode !== null) throw new Error(`up did not get to ${seen}:\n${out}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    return { up, exited, out: () => out }
  }

  it('stops the pods, the controller and the runtime, and leaves no state files behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    const { up, exited, out } = await upUntil(home, slowApp(), /^controller: API /m)
    try {
      expect(existsSync(join(home, 'runtime.json'))).toBe(true)
      const pods = JSON.parse(chaoscope(['get', 'pods', '-o', 'json'], { home }).stdout) as { items: { metadata: { annotations: Record<string, string> }; status: { phase: string } }[] }
      const pids = pods.items.map((p) => Number(p.metadata.annotations['chaoscope.dev/pid']))
      expect(pids.length).toBe(1)
      expect(out()).not.toContain('ready:')
      up.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(out()).toMatch(/stopping \(SIGINT\)\.\.\.\n(pod .*\n)*stopped\n$/)
      expect(existsSync(join(home, 'runtime.json'))).toBe(false)
      expect(existsSync(join(home, 'controller.json'))).toBe(false)
      expect(pids.filter(pidAlive)).toEqual([])
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL')
    }
  }, 60_000)

  it('a signal while the controller is still starting is not lost', async () => {
    const home = mkdtempSync(join(tmpdir(), 'chaoscope-home-'))
    const { up, exited, out } = await upUntil(home, slowApp(), /^runtime slow \(pid \d+\): control API /m)
    try {
      up.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(out()).toContain('stopped\n')
      expect(existsSync(join(home, 'runtime.json'))).toBe(false)
      expect(existsSync(join(home, 'controller.json'))).toBe(false)
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL')
    }
  }, 60_000)
})
