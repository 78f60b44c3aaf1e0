/** RemoteCluster: the public examples lack spec.version, which the CRD requires. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAOS_MESH_EXAMPLES } from '../../../test/conformance.js'
import { short } from '../../../test/issues.js'
import { validatePaths, validateText } from '../validate.js'

describe('RemoteCluster', () => {
  it.each(['remote-cluster.yaml', 'remote-cluster/remote-cluster.yaml'])('%s is rejected for its missing spec.version', (f) => {
    const r = validatePaths([join(CHAOS_MESH_EXAMPLES, f)])
    expect(r.issues.map(short)).toEqual(['19:1 spec.version: missing required field "version" [SPEC_REQUIRED]'])
  })

  it('the other files of the remote-cluster example validate (a PodChaos in the remote cluster; the Deployment is skipped)', () => {
    const r = validatePaths([join(CHAOS_MESH_EXAMPLES, 'remote-cluster/remote-podchaos.yaml'), join(CHAOS_MESH_EXAMPLES, 'remote-cluster/deployment.yaml')])
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources.map((x) => [x.kind, x.spec.remoteCluster])).toEqual([['PodChaos', 'cluster-xxxxxxx']])
    expect(r.skipped.map((x) => x.kind)).toEqual(['Deployment'])
  })

  it('accepts a RemoteCluster with version and any configOverride', () => {
    const r = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: RemoteCluster\nmetadata: {name: c}\nspec:\n  namespace: chaos-mesh\n  version: 2.7.0\n  kubeConfig: {secretRef: {name: k, namespace: default, key: kubeconfig}}\n  configOverride: {dashboard: {create: false}}\n')
    expect(r.issues.map(short)).toEqual([])
  })
})
