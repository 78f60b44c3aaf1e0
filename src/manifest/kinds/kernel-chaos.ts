/** @module manifest/kinds/kernel-chaos: KernelChaos (make kernel allocations or bio requests fail on a call chain). */
import { defineKind } from '../kind.js'
import { arr, int, obj, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'

const frame = obj({
  funcname: opt(str()),
  parameters: opt(str()),
  predicate: opt(str()),
})

const failKernRequest = obj({
  /** 0: slab allocations, 1: page allocations, 2: bio requests. */
  failtype: int({ minimum: 0, maximum: 2 }),
  headers: opt(arr(str())),
  callchain: opt(arr(frame)),
  probability: opt(int({ minimum: 0, maximum: 100 })),
  times: opt(int({ minimum: 0 })),
})

export const kernelChaosSpec = obj({
  ...containerSelectorFields,
  failKernRequest,
  ...durationField,
  ...remoteClusterField,
})
export type KernelChaosSpec = Static<typeof kernelChaosSpec>

export const kernelChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'KernelChaos',
  embedKey: 'kernelChaos',
  spec: kernelChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
  },
})
