/**
 * The compatibility oracle of `chaoscope run`: the real Chaos Toolkit (`chaos run`, installed by scripts/setup.sh
 * from PyPI, pinned in scripts/chaostoolkit-requirements.txt) and chaoscope run the same experiments (only http and
 * process activities, in test/fixtures/ctk-oracle/) against a fresh copy of the same small HTTP service, and must
 * reach the same status, `deviated`, per-probe `tolerance_met`, activity statuses, rollbacks and exit code, and
 * send the service the same requests in the same order. Real processes, real sockets, loopback only.
 * Needs `npm run build` (the CLI runs from dist/) and `npm run setup`.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/chaoscope.js')
const FIXTURES = join(ROOT, 'test/fixtures/ctk-oracle')
const CTK_VERSION = /^chaostoolkit==(.+)$/m.exec(readFileSync(join(ROOT, 'scripts/chaostoolkit-requirements.txt'), 'utf8'))![1]!
const CHAOS = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'chaoscope', `venv-chaostoolkit-${CTK_VERSION}`, 'bin', 'chaos')
const work = mkdtempSync(join(tmpdir(), 'chaoscope-oracle-'))

/** The service both runs talk to: healthy until POST /break, healthy again after POST /fix; it logs every request. */
async function service(): Promise<{ url: string; log: string[]; close: () => Promise<void> }> {
  const log: string[] = []
  let broken = false
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      let parsed: unknown = body
      if (body) {
        try {
          parsed = JSON.parse(body)
        } catch {
          parsed = Object.fromEntries(new URLSearchParams(body))
        }
      }
      log.push(`${req.method} ${url.pathname}${url.search}${body ? ` ${JSON.stringify(parsed)}` : ''}`)
      const send = (status: number, value: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type })
        res.end(typeof value === 'string' ? value : JSON.stringify(value))
      }
      switch (url.pathname) {
        case '/health':
          return broken ? send(500, { ok: false, error: 'broken' }) : send(200, { ok: true })
        case '/json':
          return send(200, broken ? { error: 'broken' } : {})
        case '/text':
          return send(200, `{"state": "${broken ? 'broken' : 'steady'}"}`, 'text/plain')
        case '/items':
          return send(200, { items: broken ? [{ name: 'a' }] : [{ name: 'a' }, { name: 'b' }] })
        case '/number':
          return send(200, broken ? '7' : '3', 'text/plain')
        case '/slow':
          return void setTimeout(() => send(200, {}), Number(url.searchParams.get('ms') ?? 0))
        case '/break':
          broken = true
          return send(200, {})
        case '/fix':
          broken = false
          return send(200, {})
        default:
          return send(200, {})
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, log, close: () => new Promise((r) => server.close(() => r())) }
}

function exec(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, out })
    })
  })
}

interface Journal {
  status: string
  deviated: boolean
  steady_states: { before: State | null; after: State | null; during: (State | null)[] }
  run: Run[]
  rollbacks: Run[]
}
interface State {
  steady_state_met: boolean | null
  probes: Run[]
}
interface Run {
  activity: { name: string }
  status?: string
  tolerance_met?: boolean
}

/** What must agree: the verdict, each hypothesis probe by probe, each activity's status, the rollbacks played. */
function essence(j: Journal, opts: { during: boolean }) {
  const state = (s: State | null) => (s ? { met: s.steady_state_met, probes: s.probes.map((p) => [p.activity.name, p.status, p.tolerance_met]) } : null)
  return {
    status: j.status,
    deviated: j.deviated,
    before: state(j.steady_states.before),
    after: state(j.steady_states.after),
    // how many times the hypothesis ran during the method depends on timing; whether it ran and deviated does not
    during: opts.during ? { ran: j.steady_states.during.length > 0, deviated: j.steady_states.during.some((s) => s && !s.steady_state_met) } : j.steady_states.during.length,
    run: j.run.map((r) => [r.activity.name, r.status]),
    rollbacks: j.rollbacks.map((r) => [r.activity.name, r.status]),
  }
}

const CASES: { file: string; flags?: string[]; during?: boolean; want: { status: string; deviated: boolean } }[] = [
  { file: 'met.json', want: { status: 'completed', deviated: false } },
  { file: 'met.json', flags: ['--rollback-strategy', 'deviated'], want: { status: 'completed', deviated: false } },
  { file: 'met.json', flags: ['--dry', 'activities'], want: { status: 'completed', deviated: false } },
  { file: 'deviated.json', want: { status: 'completed', deviated: true } },
  { file: 'deviated.json', flags: ['--rollback-strategy', 'never'], want: { status: 'completed', deviated: true } },
  { file: 'deviated.json', flags: ['--rollback-strategy', 'deviated'], want: { status: 'completed', deviated: true } },
  { file: 'deviated.json', flags: ['--hypothesis-strategy', 'before-method-only'], want: { status: 'completed', deviated: false } },
  { file: 'failed-probe.json', want: { status: 'failed', deviated: false } },
  { file: 'failed-probe.json', flags: ['--rollback-strategy', 'always'], want: { status: 'failed', deviated: false } },
  { file: 'tolerances.json', want: { status: 'completed', deviated: true } },
  { file: 'background.json', want: { status: 'completed', deviated: false } },
  { file: 'process-fails.json', want: { status: 'completed', deviated: false } },
  { file: 'continuous.json', flags: ['--hypothesis-strategy', 'during-method-only', '--hypothesis-frequency', '0.3', '--fail-fast'], during: true, want: { status: 'failed', deviated: false } },
  { file: 'continuous.json', flags: ['--hypothesis-strategy', 'continuously', '--hypothesis-frequency', '0.3'], during: true, want: { status: 'completed', deviated: true } },
]

describe('chaoscope run against the real Chaos Toolkit on the same experiments', () => {
  it('Chaos Toolkit is installed (npm run setup)', () => {
    expect(existsSync(CHAOS), `${CHAOS} is missing: run npm run setup`).toBe(true)
  })

  for (const [n, c] of CASES.entries()) {
    it(`${c.file} ${(c.flags ?? []).join(' ')}: the same verdict, probes, activities, rollbacks and requests`, async () => {
      const runOne = async (tool: 'chaos' | 'chaoscope') => {
        const svc = await service()
        const journal = join(work, `${n}-${tool}.json`)
        const env = { ORACLE_URL: svc.url, CHAOSCOPE_HOME: join(work, 'home') }
        const args = ['run', join(FIXTURES, c.file), '--journal-path', journal, ...(c.flags ?? [])]
        const r =
          tool === 'chaos'
            ? await exec(CHAOS, ['--log-file', join(work, `${n}.log`), ...args], env)
            : await exec(process.execPath, [BIN, ...args, '--allow-exec'], env)
        await svc.close()
        expect(existsSync(journal), `${tool} wrote no journal:\n${r.out}`).toBe(true)
        return { code: r.code, journal: JSON.parse(readFileSync(journal, 'utf8')) as Journal, log: svc.log, out: r.out }
      }
      const opts = { during: !!c.during }
      const theirs = await runOne('chaos')
      expect(essence(theirs.journal, opts), `chaos run:\n${theirs.out}`).toMatchObject(c.want)
      const ours = await runOne('chaoscope')
      expect(essence(ours.journal, opts), `chaoscope run:\n${ours.out}`).toEqual(essence(theirs.journal, opts))
      expect(ours.code).toBe(theirs.code)
      if (!c.during) expect(ours.log).toEqual(theirs.log)
    }, 90_000)
  }
})
