/**
 * A real Kubernetes API server for tests: scripts/kube-test-cluster.sh (kube-apiserver built from the
 * k8s.io/kubernetes module, Debian's etcd, token auth with an `admin` and an unbound `viewer` context, RBAC,
 * Chaos Mesh's CRDs) in a directory of the test's own. No kubelet runs: pods are stored, never started.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/kube-test-cluster.sh')

export interface KubeTestCluster {
  /** The kubeconfig: contexts `admin` (system:masters, current) and `viewer` (no role bound). */
  kubeconfig: string
  dir: string
  down(): Promise<void>
}

function script(verb: string, dir: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn('bash', [SCRIPT, verb], { env: { ...process.env, ...env, KUBE_TEST_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', rej)
    child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`kube-test-cluster.sh ${verb} exited ${code}: ${err.slice(-2000)}`))))
  })
}

/**
 * Starts etcd and kube-apiserver (about 5 s once built; `bash scripts/setup.sh` builds it). `crds: false` starts
 * a cluster without Chaos Mesh's CRDs (a cluster where Chaos Mesh is not installed).
 */
export async function startKubeCluster(opts: { crds?: boolean } = {}): Promise<KubeTestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'chaoscope-kube-'))
  const down = async () => {
    await script('down', dir).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  let out: string
  try {
    out = await script('up', dir, opts.crds === false ? { CHAOS_MESH_CRDS: 'none' } : {})
  } catch (e) {
    // the script stops what it started; this makes sure of it (a killed script runs no trap) and removes the directory
    await down()
    throw e
  }
  return { kubeconfig: out.trim().split('\n').pop()!, dir, down }
}
