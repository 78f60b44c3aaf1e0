/** PhysicalMachineChaos and PhysicalMachine: the public examples validate; address/selector and per-action rules. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAOS_MESH_EXAMPLES } from '../../../test/conformance.js'
import { invalidFixture, short } from '../../../test/issues.js'
import { validatePaths, validateText } from '../validate.js'
import { isSize } from './physical-machine-chaos.js'

describe('PhysicalMachineChaos and PhysicalMachine', () => {
  it('validates the physicalmachinechaos examples', () => {
    const r = validatePaths([join(CHAOS_MESH_EXAMPLES, 'physicalmachinechaos')])
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources.map((x) => x.kind)).toEqual(['PhysicalMachineChaos', 'PhysicalMachineChaos', 'PhysicalMachine'])
  })

  it('prefixes addresses without a scheme with http://, as Chaos Mesh does', () => {
    const r = validateText(`apiVersion: chaos-mesh.org/v1alpha1
kind: PhysicalMachineChaos
metadata: {name: cpu}
spec:
  action: stress-cpu
  mode: all
  address: ["10.0.0.5:31767", "https://10.0.0.6:31768"]
  stress-cpu: {load: 50, workers: 2}
---
apiVersion: chaos-mesh.org/v1alpha1
kind: PhysicalMachine
metadata: {name: pm}
spec: {address: "10.0.0.5:31767"}
`)
    expect(r.issues.map(short)).toEqual([])
    expect(r.resources.map((x) => x.spec.address)).toEqual([['http://10.0.0.5:31767', 'https://10.0.0.6:31768'], 'http://10.0.0.5:31767'])
  })

  const cases: Record<string, string[]> = {
    'physical-machine-chaos-action-without-config.yaml': ['5:1 spec.network-loss: action network-loss needs its configuration in spec["network-loss"] [SPEC_REQUIRED]'],
    'physical-machine-chaos-address-and-selector.yaml': ['9:5 spec.address: spec.address and spec.selector cannot be used together [SPEC_INVALID_VALUE]'],
    'physical-machine-chaos-delay-without-device.yaml': ['12:5 spec.network-delay: action network-delay: device is required [SPEC_INVALID_VALUE]'],
    'physical-machine-address-invalid.yaml': ['6:12 spec.address: "http://10.0.0.5:31767 extra" is not a valid address [SPEC_INVALID_VALUE]'],
  }
  for (const [file, expected] of Object.entries(cases)) {
    it(file, () => expect(invalidFixture(file)).toEqual(expected))
  }

  it('needs an address or a selector', () => {
    const r = validateText('apiVersion: chaos-mesh.org/v1alpha1\nkind: PhysicalMachineChaos\nmetadata: {name: p}\nspec: {action: clock, mode: one, clock: {pid: 1, time-offset: "-10m"}}\n')
    expect(r.issues.map(short)).toEqual(['4:7 spec: one of spec.address and spec.selector is required [SPEC_REQUIRED]'])
  })

  it.each([['1024', true], ['10K', true], ['512MB', true], ['1GiB', true], ['1.5G', true], ['10 MB', false], ['lots', false], ['', false]])(
    'size %j is %s', (s, ok) => expect(isSize(s)).toBe(ok),
  )
})
