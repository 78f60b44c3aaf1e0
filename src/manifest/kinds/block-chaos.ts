/** @module manifest/kinds/block-chaos: BlockChaos (delay on a volume's block device). */
import { defineKind } from '../kind.js'
import { duration, floatStr, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'
import { checkPercentString, fillEmpty } from './field-rules.js'

export const BLOCK_CHAOS_ACTIONS = ['delay'] as const

const blockDelay = obj({
  latency: opt(duration()),
  correlation: opt(floatStr()),
  jitter: opt(duration()),
})

export const blockChaosSpec = obj({
  action: oneOf(BLOCK_CHAOS_ACTIONS),
  delay: opt(blockDelay),
  ...containerSelectorFields,
  volumeName: str(),
  ...durationField,
  ...remoteClusterField,
})
export type BlockChaosSpec = Static<typeof blockChaosSpec>

export const blockChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'BlockChaos',
  embedKey: 'blockChaos',
  spec: blockChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
    fillEmpty(spec.delay, 'correlation', '0')
    fillEmpty(spec.delay, 'jitter', '0ms')
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    if (spec.action === 'delay' && !spec.delay) {
      ctx.issue(['delay'], 'SPEC_REQUIRED', 'action delay needs spec.delay', 'add delay: { latency: "1s" }')
    }
    checkPercentString(ctx, ['delay', 'correlation'], spec.delay?.correlation)
  },
})
