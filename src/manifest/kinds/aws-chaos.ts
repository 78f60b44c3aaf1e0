/** @module manifest/kinds/aws-chaos: AWSChaos (stop or restart an EC2 instance, detach an EBS volume). */
import { defineKind } from '../kind.js'
import { obj, oneOf, opt, str } from '../schema-kit.js'
import { durationField, remoteClusterField } from './common.js'

export const AWS_CHAOS_ACTIONS = ['ec2-stop', 'ec2-restart', 'detach-volume'] as const

export const awsChaosSpec = obj({
  action: oneOf(AWS_CHAOS_ACTIONS),
  ...durationField,
  secretName: opt(str()),
  endpoint: opt(str()),
  awsRegion: str(),
  ec2Instance: str(),
  volumeID: opt(str()),
  deviceName: opt(str()),
  ...remoteClusterField,
})

export const awsChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'AWSChaos',
  embedKey: 'awsChaos',
  spec: awsChaosSpec,
  check(spec, ctx) {
    if (spec.action !== 'detach-volume') return
    if (spec.volumeID === undefined) {
      ctx.issue(['volumeID'], 'SPEC_REQUIRED', 'action detach-volume needs spec.volumeID', 'name the EBS volume to detach: volumeID: vol-0123456789abcdef0')
    }
    if (spec.deviceName === undefined) {
      ctx.issue(['deviceName'], 'SPEC_REQUIRED', 'action detach-volume needs spec.deviceName', 'name the device the volume is attached as: deviceName: /dev/sdf')
    }
  },
})
