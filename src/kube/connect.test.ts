/**
 * kubeError's reading of the API server's Status answers, as the client library hands them over (an error with
 * `code` and the Status as its body text). The Status bodies are those kube-apiserver writes.
 */
import { describe, expect, it } from 'vitest'
import { kubeError } from './connect.js'

const conn = { server: 'https://127.0.0.1:6443', context: 'admin' }
const answer = (code: number, status: object) => ({ code, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...status }) })

describe('kubeError', () => {
  it('reads an admission webhook\'s denial (a 403) as a refusal of the object, not as RBAC', () => {
    const denied = answer(403, { message: 'admission webhook "vnetworkchaos.kb.io" denied the request: Spec.Duration: Invalid value: "-1s": duration must be positive', reason: 'Forbidden' })
    const e = kubeError(denied, 'apply NetworkChaos default/cut', conn)
    expect(e.code).toBe('KUBE_REFUSED')
    expect(e.message).toBe('apply NetworkChaos default/cut: admission webhook "vnetworkchaos.kb.io" denied the request: Spec.Duration: Invalid value: "-1s": duration must be positive')
    expect(e.hint).not.toContain('rolebinding')
  })

  it('reads another 403 as RBAC\'s refusal, with the way to get a Role', () => {
    const rbac = answer(403, { message: 'podchaos.chaos-mesh.org "x" is forbidden: User "viewer" cannot create resource "podchaos" in API group "chaos-mesh.org" in the namespace "default"', reason: 'Forbidden' })
    const e = kubeError(rbac, 'apply PodChaos default/x', conn)
    expect(e.code).toBe('KUBE_FORBIDDEN')
    expect(e.hint).toContain('kubectl create rolebinding')
  })
})
