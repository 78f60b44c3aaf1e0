/** @module manifest/kinds/gcp-chaos: GCPChaos (stop or reset a GCE instance, detach its disks). */
import { defineKind } from '../kind.js'
import { arr, obj, oneOf, opt, str } from '../schema-kit.js'
import { durationField, remoteClusterField } from './common.js'

export const GCP_CHAOS_ACTIONS = ['node-stop', 'node-reset', 'disk-loss'] as const

export const gcpChaosSpec = obj({
  action: oneOf(GCP_CHAOS_ACTIONS),
  ...durationField,
  secretName: opt(str()),
  project: str(),
  zone: str(),
  instance: str(),
  deviceNames: opt(arr(str())),
  ...remoteClusterField,
})

export const gcpChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'GCPChaos',
  embedKey: 'gcpChaos',
  spec: gcpChaosSpec,
  check(spec, ctx) {
    if (spec.action === 'disk-loss' && spec.deviceNames === undefined) {
      ctx.issue(['deviceNames'], 'SPEC_REQUIRED', 'action disk-loss needs spec.deviceNames', 'list the disks to detach: deviceNames: ["disk-1"]')
    }
  },
})
