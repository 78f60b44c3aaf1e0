/** @module manifest/kinds/remote-cluster: RemoteCluster (a second cluster Chaos Mesh installs itself into and injects faults in). */
import { defineKind } from '../kind.js'
import { obj, openObj, opt, str } from '../schema-kit.js'

export const remoteClusterSpec = obj({
  namespace: str(),
  version: str(),
  kubeConfig: obj({
    secretRef: obj({
      namespace: str(),
      name: str(),
      key: str(),
    }),
  }),
  configOverride: opt(openObj()),
})

export const remoteCluster = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'RemoteCluster',
  spec: remoteClusterSpec,
})
