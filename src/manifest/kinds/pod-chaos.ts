/** @module manifest/kinds/pod-chaos: PodChaos (pod-kill, pod-failure, container-kill). */
import { defineKind } from '../kind.js'
import { int, obj, oneOf, opt } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'

export const POD_CHAOS_ACTIONS = ['pod-kill', 'pod-failure', 'container-kill'] as const

export const podChaosSpec = obj({
  action: oneOf(POD_CHAOS_ACTIONS),
  ...containerSelectorFields,
  gracePeriod: opt(int({ minimum: 0 })),
  ...durationField,
  ...remoteClusterField,
})

export const podChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'PodChaos',
  embedKey: 'podChaos',
  spec: podChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    if (spec.action === 'container-kill' && !(spec.containerNames && spec.containerNames.length > 0)) {
      ctx.issue(['containerNames'], 'SPEC_REQUIRED', 'action container-kill needs spec.containerNames', 'name the containers to kill: containerNames: ["app"]')
    }
  },
})
