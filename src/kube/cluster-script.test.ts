/**
 * scripts/kube-test-cluster.sh up, when a step after etcd and kube-apiserver started fails: both are stopped, and
 * the failure says why. (Its success is what every other kube test stands on.)
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/kube-test-cluster.sh')

function up(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn('bash', [SCRIPT, 'up'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => res({ code, stderr }))
  })
}

/** The processes whose command line names `dir` (etcd's --data-dir, kube-apiserver's --cert-dir are in it). */
function processesIn(dir: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      return cmd.includes(dir) && !cmd.includes(SCRIPT) ? [`${pid} ${cmd}`] : []
    } catch {
      return []
    }
  })
}

describe('kube-test-cluster.sh up', () => {
  it('stops etcd and kube-apiserver when a later step fails (here: no CRDs where CHAOS_MESH_CRDS points)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'chaoscope-kube-fail-'))
    const dir = join(parent, 'state')
    try {
      const r = await up({ KUBE_TEST_DIR: dir, CHAOS_MESH_CRDS: join(parent, 'no-such-dir') })
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('--- the end of apiserver.log:')
      expect(processesIn(dir)).toEqual([])
      expect(existsSync(dir)).toBe(false)
    } finally {
      rmSync(parent, { recursive: true, force: true })
    }
  }, 120_000)
})
