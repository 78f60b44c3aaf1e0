/** @module manifest/kinds/azure-chaos: AzureChaos (stop or restart a VM, detach a data disk). */
import { defineKind } from '../kind.js'
import { int, obj, oneOf, opt, str } from '../schema-kit.js'
import { durationField, remoteClusterField } from './common.js'

export const AZURE_CHAOS_ACTIONS = ['vm-stop', 'vm-restart', 'disk-detach'] as const

export const azureChaosSpec = obj({
  action: oneOf(AZURE_CHAOS_ACTIONS),
  ...durationField,
  subscriptionID: str(),
  resourceGroupName: str(),
  vmName: str(),
  diskName: opt(str()),
  lun: opt(int()),
  secretName: opt(str()),
  ...remoteClusterField,
})

export const azureChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'AzureChaos',
  embedKey: 'azureChaos',
  spec: azureChaosSpec,
  check(spec, ctx) {
    if (spec.action !== 'disk-detach') return
    if (spec.diskName === undefined) {
      ctx.issue(['diskName'], 'SPEC_REQUIRED', 'action disk-detach needs spec.diskName', 'name the data disk to detach')
    }
    if (spec.lun === undefined) {
      ctx.issue(['lun'], 'SPEC_REQUIRED', 'action disk-detach needs spec.lun', 'give the logical unit number of the data disk: lun: 0')
    }
  },
})
