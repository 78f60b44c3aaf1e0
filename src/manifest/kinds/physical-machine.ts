/** @module manifest/kinds/physical-machine: PhysicalMachine (a host running chaosd, found by its address). */
import { defineKind } from '../kind.js'
import { obj, str } from '../schema-kit.js'

export const physicalMachineSpec = obj({
  address: str(),
})

/** Go's url.ParseRequestURI, as far as users meet it: an absolute URL, or an absolute path. */
export function isRequestUri(s: string): boolean {
  if (s.startsWith('/')) return !/\s/.test(s)
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s)
}

/** Chaos Mesh prefixes an address that does not start with "http" with "http://". */
export function withHttpScheme(address: string): string {
  return address.length > 0 && !address.startsWith('http') ? `http://${address}` : address
}

export const physicalMachine = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'PhysicalMachine',
  spec: physicalMachineSpec,
  check(spec, ctx) {
    if (spec.address === '') {
      ctx.issue(['address'], 'SPEC_REQUIRED', 'the address of the chaosd server is empty', 'write its address, e.g. address: http://10.0.0.5:31767')
    } else if (!isRequestUri(withHttpScheme(spec.address))) {
      ctx.issue(['address'], 'SPEC_INVALID_VALUE', `${JSON.stringify(spec.address)} is not a valid address`, 'write a URL like http://10.0.0.5:31767')
    }
  },
  defaults(spec) {
    spec.address = withHttpScheme(spec.address)
  },
})
