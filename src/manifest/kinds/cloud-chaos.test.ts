/** AWSChaos, GCPChaos and AzureChaos: the disk actions need the disk they act on. */
import { describe, expect, it } from 'vitest'
import { invalidFixture, short } from '../../../test/issues.js'
import { validateText } from '../validate.js'

describe('cloud chaos kinds', () => {
  const cases: Record<string, string[]> = {
    'aws-chaos-detach-volume-without-volume-id.yaml': ['5:1 spec.volumeID: action detach-volume needs spec.volumeID [SPEC_REQUIRED]'],
    'gcp-chaos-disk-loss-without-device-names.yaml': ['5:1 spec.deviceNames: action disk-loss needs spec.deviceNames [SPEC_REQUIRED]'],
    'azure-chaos-disk-detach-without-lun.yaml': ['5:1 spec.lun: action disk-detach needs spec.lun [SPEC_REQUIRED]'],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('accepts the instance actions without disk fields, and requires the instance fields', () => {
    const doc = (kind: string, spec: string) => `apiVersion: chaos-mesh.org/v1alpha1\nkind: ${kind}\nmetadata: {name: c}\nspec: ${spec}\n`
    const r = validateText([
      doc('AWSChaos', '{action: ec2-stop, awsRegion: us-east-1, ec2Instance: i-1, duration: 5m}'),
      doc('GCPChaos', '{action: node-reset, project: p, zone: z, instance: i}'),
      doc('AzureChaos', '{action: vm-restart, subscriptionID: s, resourceGroupName: g, vmName: v}'),
      doc('AWSChaos', '{action: ec2-stop, awsRegion: us-east-1}'),
    ].join('---\n'))
    expect(r.issues.map(short)).toEqual(['19:1 spec.ec2Instance: missing required field "ec2Instance" [SPEC_REQUIRED]'])
    expect(r.resources.map((x) => x.kind)).toEqual(['AWSChaos', 'GCPChaos', 'AzureChaos'])
  })
})
